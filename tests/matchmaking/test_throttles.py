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
