from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.halls.models import HallPhoto, HallRating
from apps.reservations.models import GameSession, Reservation
from tests.conftest import png_bytes
from tests.factories import HallFactory, HallRatingFactory, HallStaffFactory, PlayerFactory, TableFactory

pytestmark = pytest.mark.django_db

HALL_FIELDS = {
    "id",
    "title",
    "slug",
    "address",
    "latitude",
    "longitude",
    "open_time",
    "close_time",
    "room_image",
    "pics",
    "avg_rating",
    "table_count",
}


def test_hall_list_has_the_contract_shape_with_placeholders(api):
    hall = HallFactory()
    TableFactory.create_batch(3, hall=hall)
    body = api.get("/api/poolhouses/").json()
    assert isinstance(body, list) and len(body) == 1
    row = body[0]
    assert HALL_FIELDS <= set(row)
    assert row["avg_rating"] == 0 and isinstance(row["avg_rating"], float)
    assert row["table_count"] == 3
    assert len(row["pics"]) == 1 and row["pics"][0]["image"].startswith("http://testserver/static/")
    assert row["room_image"].startswith("http://")
    assert row["open_time"] == "10:00:00" and row["close_time"] == "02:00:00"


def test_average_rating_and_table_count_do_not_multiply_each_other(api):
    hall = HallFactory()
    TableFactory.create_batch(4, hall=hall)
    HallRatingFactory(hall=hall, rate=5)
    HallRatingFactory(hall=hall, rate=2)
    row = api.get(f"/api/poolhouses/{hall.id}").json()
    assert row["avg_rating"] == 3.5
    assert row["table_count"] == 4


def test_halls_near_are_sorted_by_distance_within_the_radius(api):
    centre = (41.7151, 44.8271)
    far = HallFactory(title="Far", latitude=centre[0] + 0.04, longitude=centre[1])  # ~4.4 km
    near = HallFactory(title="Near", latitude=centre[0] + 0.005, longitude=centre[1])  # ~0.56 km
    HallFactory(title="Outside", latitude=centre[0] + 0.2, longitude=centre[1])  # ~22 km
    response = api.get("/api/poolhouses-filter/", {"lat": centre[0], "lng": centre[1]})
    assert response.status_code == 200
    rows = response.json()
    assert [row["id"] for row in rows] == [near.id, far.id]
    assert 540 <= rows[0]["distance"] <= 580
    assert 4400 <= rows[1]["distance"] <= 4500

    wide = api.get("/api/poolhouses-filter/", {"lat": centre[0], "lng": centre[1], "radius": 30}).json()
    assert [row["title"] for row in wide] == ["Near", "Far", "Outside"]
    narrow = api.get("/api/poolhouses-filter/", {"lat": centre[0], "lng": centre[1], "radius": 1}).json()
    assert [row["title"] for row in narrow] == ["Near"]


def test_halls_near_across_longitude_uses_the_great_circle_not_degrees(api):
    # At 60°N a degree of longitude is half as long as a degree of latitude.
    north = HallFactory(title="North", latitude=60.03, longitude=10.0)  # 3.3 km north
    east = HallFactory(title="East", latitude=60.0, longitude=10.05)  # 2.8 km east
    rows = api.get("/api/poolhouses-filter/", {"lat": 60.0, "lng": 10.0}).json()
    assert [row["id"] for row in rows] == [east.id, north.id]


@pytest.mark.parametrize(
    "query",
    [{}, {"lat": "x", "lng": 1}, {"lat": 91, "lng": 1}, {"lat": 1, "lng": 181}, {"lat": 1, "lng": 1, "radius": 5000}],
)
def test_halls_near_rejects_bad_input_with_the_envelope(api, query):
    response = api.get("/api/poolhouses-filter/", query)
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"


def _running_session(table, booker, opponent=None):
    now = timezone.now()
    reservation = Reservation.objects.create(
        table=table,
        player_reserving=booker,
        other_player=opponent,
        start_time=now - timedelta(minutes=10),
        duration=60,
        end_time=now + timedelta(minutes=50),
    )
    return GameSession.objects.create(reservation=reservation, table=table, started_at=reservation.start_time)


def test_tables_show_free_busy_and_out_of_service(api):
    hall = HallFactory()
    free = TableFactory(hall=hall, number=1)
    busy = TableFactory(hall=hall, number=2)
    broken = TableFactory(hall=hall, number=3, out_of_service=True)
    booker, opponent = PlayerFactory(), PlayerFactory()
    session = _running_session(busy, booker, opponent)

    rows = {row["id"]: row for row in api.get(f"/api/poolhouses/{hall.id}/tables/").json()}
    assert rows[free.id]["free"] is True and rows[free.id]["current_session"] is None
    assert rows[free.id]["state"] == "free"
    assert rows[busy.id]["free"] is False and rows[busy.id]["state"] == "busy"
    current = rows[busy.id]["current_session"]
    assert current["id"] == session.reservation_id
    assert current["duration"] == 60 and current["finished_reservation"] is False
    assert current["player_reserving"]["user"]["username"] == booker.user.username
    assert current["player_reserving"]["user"]["email"] == ""
    assert current["other_player_details"]["id"] == opponent.id
    assert rows[busy.id]["busy_until"] is not None
    assert rows[broken.id]["free"] is False and rows[broken.id]["state"] == "out_of_service"
    assert rows[free.id]["table_id"] == 1 and rows[free.id]["top"] == 20.0 and rows[free.id]["left"] == 30.0


@pytest.mark.parametrize("table_count", [3, 30])
def test_table_list_query_count_does_not_grow_with_tables(api, django_assert_max_num_queries, table_count):
    hall = HallFactory()
    tables = TableFactory.create_batch(table_count, hall=hall)
    for table in tables[::2]:
        _running_session(table, PlayerFactory(), PlayerFactory())
    with django_assert_max_num_queries(4):
        response = api.get(f"/api/poolhouses/{hall.id}/tables/")
    assert len(response.json()) == table_count


def test_ratings_one_per_player_and_hall_second_post_updates(client_for, api):
    hall = HallFactory()
    player = PlayerFactory()
    client = client_for(player.user)
    assert client.post(f"/api/poolhouses/{hall.id}/ratings/", {"rate": 5, "review": "Great"}).status_code == 201
    assert client.post(f"/api/poolhouses/{hall.id}/ratings/", {"rate": 2, "review": "Cloth worn"}).status_code == 201
    assert HallRating.objects.filter(hall=hall).count() == 1
    page = api.get(f"/api/poolhouses/{hall.id}/ratings/").json()
    assert page["count"] == 1
    assert page["results"][0]["rate"] == 2 and page["results"][0]["review"] == "Cloth worn"
    assert page["results"][0]["rater"]["user"]["email"] == ""


@pytest.mark.parametrize("body", [{"rate": 0}, {"rate": 6}, {"rate": "five"}, {"review": "no rate"}])
def test_bad_ratings_are_refused(client_for, player, body):
    hall = HallFactory()
    response = client_for(player.user).post(f"/api/poolhouses/{hall.id}/ratings/", body)
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"


def test_anonymous_cannot_rate(api):
    hall = HallFactory()
    assert api.post(f"/api/poolhouses/{hall.id}/ratings/", {"rate": 5}).status_code == 401


def test_filter_ratings_returns_only_that_many_stars(api):
    hall = HallFactory()
    HallRatingFactory.create_batch(2, hall=hall, rate=5)
    HallRatingFactory(hall=hall, rate=1)
    page = api.get(f"/api/poolhouses/{hall.id}/filter-ratings/", {"filter": 5}).json()
    assert page["count"] == 2 and {row["rate"] for row in page["results"]} == {5}
    assert api.get(f"/api/poolhouses/{hall.id}/filter-ratings/", {"filter": 9}).status_code == 400


def _image():
    return SimpleUploadedFile("photo.png", png_bytes(2400, 1600), content_type="image/png")


def test_only_staff_of_that_hall_add_and_remove_photos(api, client_for):
    hall = HallFactory()
    own_staff = HallStaffFactory(hall=hall).user
    other_staff = HallStaffFactory().user
    player = PlayerFactory()

    assert api.post(f"/api/poolhouses/{hall.id}/images/", {"image": _image()}).status_code == 401
    for outsider in (player.user, other_staff):
        response = client_for(outsider).post(f"/api/poolhouses/{hall.id}/images/", {"image": _image()})
        assert response.status_code == 403
        assert response.json()["error"] == "NOT_HALL_STAFF"
    assert not HallPhoto.objects.exists()

    created = client_for(own_staff).post(f"/api/poolhouses/{hall.id}/images/", {"image": _image()})
    assert created.status_code == 201
    photo_id = created.json()["id"]
    listed = api.get(f"/api/poolhouses/{hall.id}/images").json()
    assert [row["id"] for row in listed] == [photo_id]

    assert client_for(other_staff).delete(f"/api/poolhouses/{hall.id}/images/{photo_id}/").status_code == 403
    assert client_for(own_staff).delete(f"/api/poolhouses/{hall.id}/images/", {"id": photo_id}).status_code == 204
    assert not HallPhoto.objects.exists()
    missing = client_for(own_staff).delete(f"/api/poolhouses/{hall.id}/images/{photo_id}/")
    assert missing.status_code == 404


def test_hall_photos_replace_the_placeholder(api, client_for):
    hall = HallFactory()
    staff = HallStaffFactory(hall=hall).user
    client_for(staff).post(f"/api/poolhouses/{hall.id}/images/", {"image": _image()})
    pics = api.get(f"/api/poolhouses/{hall.id}/").json()["pics"]
    assert len(pics) == 1 and "/media/halls/" in pics[0]["image"]
