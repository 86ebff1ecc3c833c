import pytest
from rest_framework.throttling import ScopedRateThrottle

from apps.matchmaking.models import Matchup
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "invitations", "3/min")
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "chat", "2/min")


def test_invitation_burst_gets_429_with_a_retry_hint_and_others_are_not_affected(client_for, tight_rates):
    sender, other_sender = PlayerFactory(), PlayerFactory()
    invitees = PlayerFactory.create_batch(5)
    client = client_for(sender.user)
    answers = [client.post("/api/invitations/", {"player": p.id}, format="json") for p in invitees[:4]]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    body = answers[-1].json()
    assert body["error"] == "THROTTLED" and int(body["retry_after"]) > 0
    assert answers[-1]["Retry-After"]
    assert client.get("/api/invitations/").status_code == 200  # reading is not limited
    assert (
        client_for(other_sender.user).post("/api/invitations/", {"player": invitees[4].id}, format="json").status_code
        == 201
    )


def test_chat_message_burst_is_throttled(client_for, tight_rates):
    a, b = PlayerFactory(), PlayerFactory()
    matchup = Matchup.objects.create(player_inviting=a, player_accepting=b)
    url = f"/api/matchups/{matchup.pk}/chat/"
    codes = [client_for(a.user).post(url, {"message": f"m{i}"}).status_code for i in range(3)]
    assert codes == [201, 201, 429]
    assert client_for(b.user).post(url, {"message": "still fine"}).status_code == 201


def test_requests_racing_for_the_last_places_of_a_window_get_exactly_that_many(tight_rates):
    """The window is counted in one atomic step: eight threads asking at once for three places get three
    (DRF's read-then-write history let two racing requests both take the last place)."""
    import threading
    from types import SimpleNamespace

    from apps.core.throttling import ScopedThrottle

    asking = SimpleNamespace(user=SimpleNamespace(pk=4242, is_authenticated=True), META={})
    view = SimpleNamespace(throttle_scope="invitations")
    start, answers = threading.Barrier(8), []

    def ask() -> None:
        start.wait()
        answers.append(ScopedThrottle().allow_request(asking, view))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] * 5 + [True] * 3
    refused = ScopedThrottle()
    assert refused.allow_request(asking, view) is False
    assert 0 < refused.wait() <= 60  # DRF's hint: when a place frees, from the oldest request in the window
