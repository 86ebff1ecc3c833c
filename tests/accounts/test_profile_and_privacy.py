import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.models import Player, User
from apps.accounts.services import ws_ticket_redeem
from tests.conftest import png_bytes
from tests.factories import PASSWORD, PlayerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def test_current_user_has_the_contract_shape_and_my_email(client_for, player):
    response = client_for(player.user).get("/users/current-user")
    assert response.status_code == 200
    body = response.json()
    for field in [
        "id",
        "profile_image",
        "total_points",
        "user",
        "games_played",
        "games_won",
        "opponents_met",
        "inviting_to_play",
        "password_is_null",
    ]:
        assert field in body
    assert body["user"] == {
        "id": player.user.id,
        "username": player.user.username,
        "first_name": player.user.first_name,
        "last_name": player.user.last_name,
        "email": player.user.email,
    }
    assert body["password_is_null"] is False
    assert body["total_points"] == 1500
    assert body["profile_image"].startswith("http://testserver/static/")


def test_another_players_email_is_never_shown(client_for, player, other_player):
    response = client_for(player.user).get(f"/api/players/{other_player.id}")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == ""
    assert response.json()["user"]["username"] == other_player.user.username


def test_players_list_is_paged_and_leaks_no_email(client_for, player):
    PlayerFactory.create_batch(25)
    response = client_for(player.user).get("/api/players/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 26
    assert len(body["results"]) == 20
    assert body["next"].startswith("http://testserver/api/players/")
    emails = [row["user"]["email"] for row in body["results"] if row["id"] != player.id]
    assert emails and set(emails) == {""}
    assert client_for(player.user).get(body["next"]).json()["previous"] is not None


def test_players_are_not_listed_to_anonymous_callers(api, player):
    assert api.get("/api/players/").status_code == 401


def test_unknown_player_is_404(client_for, player):
    response = client_for(player.user).get("/api/players/987654/")
    assert response.status_code == 404
    assert response.json()["error"] == "PLAYER_NOT_FOUND"


def test_staff_current_user_has_no_player_fields_but_answers(client_for):
    staff = StaffUserFactory()
    body = client_for(staff).get("/users/current-user/").json()
    assert body["id"] is None
    assert body["is_staff"] is True
    assert body["user"]["email"] == staff.email


def test_set_password_needs_the_current_one(client_for, player, api):
    client = client_for(player.user)
    wrong = client.post("/auth/users/set_password/", {"current_password": "nope", "new_password": "x-9-long-pass-ok"})
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "WRONG_PASSWORD"
    weak = client.post("/auth/users/set_password/", {"current_password": PASSWORD, "new_password": "123"})
    assert weak.json()["error"] == "VALIDATION_ERROR"
    ok = client.post("/auth/users/set_password/", {"current_password": PASSWORD, "new_password": "x-9-long-pass-ok"})
    assert ok.status_code == 204
    login = api.post("/auth/jwt/create", {"username": player.user.username, "password": "x-9-long-pass-ok"})
    assert login.status_code == 200


def test_set_username_checks_password_and_uniqueness(client_for, player, other_player):
    client = client_for(player.user)
    taken = client.post(
        "/auth/users/set_username/", {"current_password": PASSWORD, "new_username": other_player.user.username}
    )
    assert taken.status_code == 400
    assert taken.json()["error"] == "USERNAME_TAKEN"
    wrong = client.post("/auth/users/set_username/", {"current_password": "bad", "new_username": "fresh_name"})
    assert wrong.json()["error"] == "WRONG_PASSWORD"
    ok = client.post("/auth/users/set_username/", {"current_password": PASSWORD, "new_username": "fresh_name"})
    assert ok.status_code == 204
    player.user.refresh_from_db()
    assert player.user.username == "fresh_name"


def test_delete_user_removes_user_and_player_together(client_for, player):
    client = client_for(player.user)
    assert client.post("/users/delete-user/", {"password": "wrong"}).status_code == 400
    assert client.post("/users/delete-user/", {"password": PASSWORD}).status_code == 204
    assert not User.objects.filter(pk=player.user_id).exists()
    assert not Player.objects.filter(pk=player.pk).exists()


def test_location_is_validated_and_stored(client_for, player):
    client = client_for(player.user)
    bad = client.put("/api/player-location/", {"lat": 123, "lng": 10}, format="json")
    assert bad.status_code == 400
    assert "lat" in bad.json()["fields"]
    assert client.put("/api/player-location/", {"lat": "north", "lng": 10}, format="json").status_code == 400
    ok = client.put("/api/player-location/", {"lat": 41.7, "lng": 44.8}, format="json")
    assert ok.status_code == 200
    player.refresh_from_db()
    assert (player.latitude, player.longitude) == (41.7, 44.8)


def test_staff_without_player_gets_a_clear_error_for_location(client_for):
    response = client_for(StaffUserFactory()).put("/api/player-location/", {"lat": 1, "lng": 1}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "NO_PLAYER_PROFILE"


def test_avatar_upload_is_cropped_square_and_served_by_absolute_url(client_for, player):
    client = client_for(player.user)
    file = SimpleUploadedFile("me.png", png_bytes(900, 600), content_type="image/png")
    response = client.patch(f"/api/players/{player.id}/", {"profile_image": file}, format="multipart")
    assert response.status_code == 200, response.content
    url = response.json()["profile_image"]
    assert url.startswith("http://testserver/media/players/") and url.endswith(".jpg")
    player.refresh_from_db()
    with Image.open(player.profile_image.path) as stored:
        assert stored.size == (512, 512)
    served = client.get(url.replace("http://testserver", ""))
    assert served.status_code == 200
    # Stored under a random name, not the one the client sent.
    assert "me.png" not in player.profile_image.name


def test_avatar_of_someone_else_cannot_be_changed(client_for, player, other_player):
    file = SimpleUploadedFile("x.png", png_bytes(), content_type="image/png")
    response = client_for(player.user).patch(f"/api/players/{other_player.id}/", {"profile_image": file})
    assert response.status_code == 403
    assert response.json()["error"] == "NOT_YOUR_PLAYER"


def test_a_file_that_is_not_a_picture_is_refused(client_for, player):
    file = SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", content_type="image/png")
    response = client_for(player.user).patch(f"/api/players/{player.id}/", {"profile_image": file})
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_IMAGE"


def test_oversized_picture_is_refused(client_for, player, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    file = SimpleUploadedFile("big.png", png_bytes(), content_type="image/png")
    response = client_for(player.user).patch(f"/api/players/{player.id}/", {"profile_image": file})
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_IMAGE"


def test_socket_ticket_is_single_use(client_for, player):
    response = client_for(player.user).get("/users/auth_for_ws_connection/")
    assert response.status_code == 200
    ticket = response.json()["uuid"]
    assert async_to_sync(ws_ticket_redeem)(ticket=ticket) == player.user_id
    assert async_to_sync(ws_ticket_redeem)(ticket=ticket) is None
