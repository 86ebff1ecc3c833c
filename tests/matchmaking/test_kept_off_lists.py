"""The matchmaking list keeps, per process, whom each player is kept from (apps/matchmaking/lobby.py's
kept_off): every service that changes it must make the next list read it again. Each step lists first, so
the kept copy is warm when the change comes, and the changes commit as they do in production."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from apps.matchmaking import lobby, services
from apps.matchmaking.models import Matchup
from apps.matchmaking.selectors import _kept_off_rows
from apps.social import services as social
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _looking():
    return PlayerFactory(rating=1500.0, inviting_to_play=True, looking_since=timezone.now())


def _listed(client) -> set[int]:
    response = client.get("/api/filter-ratings/")
    assert response.status_code == 200
    return {row["id"] for row in response.json()}


def _back_in_the_lobby(*players) -> None:
    for player in players:
        services.lobby_set_looking(player=player, looking=True, auto_pair=None, toggle=False)


def test_every_change_of_whom_i_am_kept_from_shows_on_my_next_list(client_for):
    me, denier, partner, blocked = _looking(), _looking(), _looking(), _looking()
    mine, theirs = client_for(me.user), client_for(blocked.user)
    assert _listed(mine) == {denier.id, partner.id, blocked.id}
    assert me.user_id in lobby._kept  # the list keeps what it read

    # A denial hides the denier from my list for the cooldown, and only for it.
    services.invitation_send(inviter_id=me.id, invitee_id=denier.id)
    services.invitation_deny(invitee=denier, inviter=me)
    assert _listed(mine) == {partner.id, blocked.id}
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.DENIAL_COOLDOWN_SECONDS + 1)):
        assert denier.id in _listed(mine)

    # An accepted invitation opens our chat: back in the lobby, we are kept apart while it is open.
    services.invitation_send(inviter_id=me.id, invitee_id=partner.id)
    services.invitation_accept(invitee=partner, inviter=me)
    _back_in_the_lobby(me, partner)
    assert partner.id not in _listed(mine)
    matchup = Matchup.objects.get(player_inviting=me, player_accepting=partner)

    # I hide the chat: they are on my list again; a message brings the chat back, and keeps us apart again.
    services.matchup_hide(matchup_id=matchup.pk, player=me)
    assert partner.id in _listed(mine)
    services.message_send(sender=partner, matchup_id=matchup.pk, body="rematch?")
    assert partner.id not in _listed(mine)

    # A block keeps us apart both ways; unblocking undoes it both ways.
    assert me.id in _listed(theirs)
    social.block_create(blocker=me, blocked=blocked)
    assert blocked.id not in _listed(mine) and me.id not in _listed(theirs)
    social.block_remove(blocker=me, blocked_id=blocked.id)
    assert blocked.id in _listed(mine) and me.id in _listed(theirs)


def test_a_change_committed_while_a_list_was_reading_is_not_kept(client_for):
    """The token is stored before the read, so a change committed after the read deletes it."""
    me, other = _looking(), _looking()

    def read_then_change() -> list:
        rows = _kept_off_rows(me.id)
        social.block_create(blocker=other, blocked=me)  # commits after the read, before the copy is kept
        return rows

    lobby.kept_off(me.user_id, None, read_then_change)
    assert other.id not in _listed(client_for(me.user))
