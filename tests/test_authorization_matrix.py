"""Who may read, write and delete what: one table, every object-level endpoint and socket action.

The world: the owner O and the opponent P share a booking, a finished game, a game in progress, a chat
and an invitation (P invited O), and P asked O to be friends; X is another player and O's friend; O has
a device and blocks a player Z; staff_here runs the hall where all of it happens,
staff_elsewhere runs another hall; anonymous has no token. Each row names the expected status for every
one of those six actors: no cell is left out (a test checks that). Every answer is also searched for
e-mail addresses: a user's address appears only in answers to that same user.
"""

import json
from dataclasses import dataclass, field
from datetime import time as datetime_time
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.services import ws_ticket_issue
from apps.halls.models import HallPhoto, PoolTable
from apps.matchmaking.models import Invitation, Matchup, Message
from apps.notifications.models import Device, Notification
from apps.pricing import services as pricing_services
from apps.pricing.rates import Rate
from apps.ratings.models import ResultReport
from apps.reservations.models import GameSession
from apps.social.models import Block, FriendRequest, Friendship
from apps.walkup.models import Offer, QueueEntry
from strikem.asgi import application
from tests.conftest import bearer, png_bytes
from tests.factories import ROUND_THE_CLOCK_ZONE, HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.helpers import at, book_directly, finished_session
from tests.tournaments.rows import open_tournament, running_tournament

ACTORS = ("owner", "opponent", "other", "staff_here", "staff_elsewhere", "anonymous")


@dataclass
class World:
    players: dict[str, Any]
    ids: dict[str, Any] = field(default_factory=dict)

    def user(self, actor: str):
        return None if actor == "anonymous" else self.players[actor].user


def _tournament_world(hall, owner, opponent, staff_here) -> dict[str, Any]:
    """Two tournaments of the hall: TO takes registrations (O and P registered, check-in open), TR runs with
    O and P playing its match MA on table 3."""
    open_one = open_tournament(hall, staff_here.user, [owner, opponent])
    tables = [TableFactory(hall=hall, number=3), TableFactory(hall=hall, number=4)]
    running, match = running_tournament(hall, staff_here.user, owner, opponent, tables)
    free = TableFactory(hall=hall, number=5)
    now = timezone.now().replace(microsecond=0)
    return {
        "TO": open_one.pk,
        "TR": running.pk,
        "MA": match.pk,
        "T3": tables[0].pk,
        "T5": free.pk,
        "t_open": (now - timedelta(hours=1)).isoformat(),
        "t_close": (now + timedelta(hours=1)).isoformat(),
        "t_start": (now + timedelta(hours=2)).isoformat(),
        "t_end": (now + timedelta(hours=6)).isoformat(),
    }


def _walkup_world(hall, owner, staff_here) -> dict[str, Any]:
    """The hall's prices (a version in force), O waiting in its queue with table 5 offered (OF), and a party
    staff added at the desk (QD)."""
    pricing_services.price_list_publish(
        hall=hall,
        user=staff_here.user,
        rates=[Rate(0b1111111, datetime_time(0), datetime_time(0), Decimal("12.00"))],
        rounding_minutes=15,
        minimum_charge=Decimal("0"),
    )
    now = timezone.now()
    entry = QueueEntry.objects.create(hall=hall, player=owner, active_player=owner, name="O.", joined_at=now)
    desk = QueueEntry.objects.create(hall=hall, name="Desk", joined_at=now, created_by=staff_here.user)
    table = PoolTable.objects.get(hall=hall, number=5)
    offer = Offer.objects.create(
        entry=entry,
        table=table,
        offered_at=now,
        expires_at=now + timedelta(minutes=5),
        ready_at=now,
        open_entry=entry,
        open_table=table,
    )
    walk_in = book_directly(TableFactory(hall=hall, number=6), start=now - timedelta(minutes=5), seconds=3600)
    seated = QueueEntry.objects.create(
        hall=hall, name="Seated", joined_at=now, status=QueueEntry.Status.SEATED, reservation=walk_in
    )
    return {"Q": entry.pk, "QD": desk.pk, "QS": seated.pk, "OF": offer.pk, "soon_q": quote_plus(at(2).isoformat())}


def _world() -> World:
    owner, opponent, other = PlayerFactory(), PlayerFactory(), PlayerFactory()
    staff_here, staff_elsewhere = PlayerFactory(), PlayerFactory()
    hall, elsewhere = HallFactory(open_time="00:00", close_time="00:00", time_zone=ROUND_THE_CLOCK_ZONE), HallFactory()
    HallStaffFactory(hall=hall, user=staff_here.user)
    HallStaffFactory(hall=elsewhere, user=staff_elsewhere.user)
    table, second_table = TableFactory(hall=hall, number=1), TableFactory(hall=hall, number=2)
    finished = finished_session(table, owner, opponent)
    started = timezone.now() - timedelta(minutes=10)
    live_booking = book_directly(second_table, owner, opponent, start=started, seconds=3600)
    live = GameSession.objects.create(reservation=live_booking, table=second_table, started_at=started)
    booking = book_directly(table, owner, opponent, start=at(30))
    matchup = Matchup.objects.create(player_inviting=owner, player_accepting=opponent)
    Message.objects.create(matchup=matchup, sender=opponent, body="see you at eight")
    invitation = Invitation.objects.create(
        player_inviting=opponent, player_invited=owner, expires_at=timezone.now() + timedelta(minutes=5)
    )
    notification = Notification.objects.create(
        recipient=owner, type=Notification.Type.INVITED, body="P invited you", sent_by=opponent
    )
    photo = HallPhoto.objects.create(hall=hall, image="halls/photo.png")
    friend_request = FriendRequest.objects.create(sender=opponent, recipient=owner)
    Friendship.objects.create(player=owner, friend=other)
    Friendship.objects.create(player=other, friend=owner)
    blocked = PlayerFactory()
    Block.objects.create(blocker=owner, blocked=blocked)
    device = Device.objects.create(player=owner, platform=Device.Platform.APNS, token="0a" * 32)
    players = {
        "owner": owner,
        "opponent": opponent,
        "other": other,
        "staff_here": staff_here,
        "staff_elsewhere": staff_elsewhere,
    }
    ids = {
        "O": owner.pk,
        "P": opponent.pk,
        "P_name": opponent.user.username,
        "H": hall.pk,
        "H_slug": hall.slug,
        "T": table.pk,
        "S": finished.pk,
        "L": live.pk,
        "R": booking.pk,
        "M": str(matchup.pk),
        "N": notification.pk,
        "I": invitation.pk,
        "F": photo.pk,
        "X": other.pk,
        "Z": blocked.pk,
        "FR": friend_request.pk,
        "D": device.pk,
        "soon": at(2).isoformat(),
    }
    ids.update(_tournament_world(hall, owner, opponent, staff_here))
    ids.update(_walkup_world(hall, owner, staff_here))
    return World(players=players, ids=ids)


def _everyone(status: int, anonymous: int = 401) -> dict[str, int]:
    return {**dict.fromkeys(ACTORS, status), "anonymous": anonymous}


def _only(allowed: dict[str, int], refused: int, anonymous: int = 401) -> dict[str, int]:
    return {**dict.fromkeys(ACTORS, refused), **allowed, "anonymous": anonymous}


def _upload(name: str):
    def body(_: World) -> dict[str, Any]:
        return {name: SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")}

    return body


# (what, verb, method, path, body or a function of the world giving a multipart body, expected per actor)
REST = [
    ("player profile", "read", "get", "/api/players/{O}/", None, _everyone(200)),
    ("player profile", "write", "patch", "/api/players/{O}/", _upload("profile_image"), _only({"owner": 200}, 403)),
    ("player history", "read", "get", "/api/players/{O}/history/", None, _everyone(200)),
    (
        "player history",
        "write",
        "post",
        "/api/players/{O}/history/",
        {"game_session": "{S}", "winner_player": "{O}", "loser_player": "{P}", "result_winner": 5, "result_loser": 3},
        _only({"owner": 201}, 403),
    ),
    ("my bookings", "read", "get", "/api/reservations/", None, _everyone(200)),
    ("booking", "delete", "delete", "/api/reservations/{R}/", None, _only({"owner": 204, "opponent": 403}, 404)),
    ("game session", "read", "get", "/api/game-session/{S}/", None, _only({"owner": 200, "opponent": 200}, 404)),
    (
        "game result dispute",
        "write",
        "post",
        "/api/game-session/{S}/dispute/",
        None,
        # Players of the game reach the rule (nothing reported yet to dispute); nobody else learns it exists.
        _only({"owner": 409, "opponent": 409}, 404),
    ),
    ("results for staff", "read", "get", "/api/poolhouses/{H}/results/", None, _only({"staff_here": 200}, 403)),
    (
        "game result settle",
        "write",
        "post",
        "/api/poolhouses/{H}/game-sessions/{S}/result/",
        {"winner_player": "{O}", "result_winner": 5, "result_loser": 3},
        # The hall's staff reach the rule (the players still have time to report); nobody else may settle.
        _only({"staff_here": 409}, 403),
    ),
    ("hall sessions", "read", "get", "/api/poolhouses/{H}/game-sessions/", None, _only({"staff_here": 200}, 403)),
    (
        "hall session",
        "delete",
        "delete",
        "/api/poolhouses/{H}/game-sessions/{L}/",
        None,
        _only({"staff_here": 200}, 403),
    ),
    ("hall bookings", "read", "get", "/api/poolhouses/{H}/reservations/", None, _only({"staff_here": 200}, 403)),
    (
        "hall walk-in",
        "write",
        "post",
        "/api/poolhouses/{H}/reservations/",
        {"table_id": 1, "duration": 60, "start_time": "{soon}"},
        _only({"staff_here": 201}, 403),
    ),
    ("top players", "read", "get", "/api/top-player/?hall={H}", None, _only({"staff_here": 200}, 403)),
    ("top tables", "read", "get", "/api/top-table/?hall={H}", None, _only({"staff_here": 200}, 403)),
    ("hall photos", "read", "get", "/api/poolhouses/{H}/images/", None, _everyone(200, anonymous=200)),
    ("hall photos", "write", "post", "/api/poolhouses/{H}/images/", _upload("image"), _only({"staff_here": 201}, 403)),
    ("hall photo", "delete", "delete", "/api/poolhouses/{H}/images/{F}/", None, _only({"staff_here": 204}, 403)),
    ("hall reviews", "read", "get", "/api/poolhouses/{H}/ratings/", None, _everyone(200, anonymous=200)),
    (
        "hall reviews",
        "write",
        "post",
        "/api/poolhouses/{H}/ratings/",
        {"rate": 4, "review": "good cloth"},
        _everyone(201),
    ),
    ("table schedule", "read", "get", "/api/poolhouses/{H}/tables/{T}/reserve/", None, _everyone(200, anonymous=200)),
    ("chats", "read", "get", "/api/matchups/", None, _everyone(200)),
    ("chat", "delete", "delete", "/api/matchups/{M}/", None, _only({"owner": 204, "opponent": 204}, 404)),
    ("chat messages", "read", "get", "/api/matchups/{M}/chat/", None, _only({"owner": 200, "opponent": 200}, 404)),
    (
        "chat messages",
        "write",
        "post",
        "/api/matchups/{M}/chat/",
        {"message": "on my way"},
        _only({"owner": 201, "opponent": 201}, 404),
    ),
    ("chat read mark", "write", "put", "/api/read-matchup/{M}/", None, _only({"owner": 200, "opponent": 200}, 404)),
    ("notifications", "read", "get", "/api/notifications/", None, _everyone(200)),
    ("notification", "write", "put", "/api/notifications/{N}/", None, _only({"owner": 200}, 404)),
    ("received invitations", "read", "get", "/api/invitations/", None, _everyone(200)),
    ("invitation", "write", "post", "/api/invitations/{I}/accept/", None, _only({"owner": 201}, 404)),
    ("invitation", "delete", "post", "/api/invitations/{I}/deny/", None, _only({"owner": 204}, 404)),
    ("player details", "read", "get", "/api/player-details/", None, _everyone(200)),
    ("tournaments", "read", "get", "/api/tournaments/", None, _everyone(200, anonymous=200)),
    ("tournament", "read", "get", "/api/tournaments/{TR}/", None, _everyone(200, anonymous=200)),
    (
        "tournament",
        "write",
        "post",
        "/api/tournaments/",
        {
            "hall": "{H}",
            "name": "Cup",
            "tables": ["{T5}"],
            "registration_opens_at": "{t_open}",
            "registration_closes_at": "{t_close}",
            "check_in_opens_at": "{t_open}",
            "check_in_closes_at": "{t_start}",
            "starts_at": "{t_start}",
            "ends_at": "{t_end}",
        },
        _only({"staff_here": 201}, 403),
    ),
    # O and P are registered already; anybody else with a player may register.
    (
        "tournament registration",
        "write",
        "post",
        "/api/tournaments/{TO}/register/",
        None,
        _only({"owner": 409, "opponent": 409}, 201),
    ),
    (
        "tournament registration",
        "delete",
        "post",
        "/api/tournaments/{TO}/withdraw/",
        None,
        _only({"owner": 200, "opponent": 200}, 409),
    ),
    # Checking O in: O during the window, or the hall's staff at the desk.
    (
        "tournament check-in",
        "write",
        "post",
        "/api/tournaments/{TO}/check-in/",
        {"player": "{O}"},
        _only({"owner": 200, "staff_here": 200}, 403),
    ),
    # The hall's staff reach the rule (nobody checked in yet); nobody else may start it.
    ("tournament start", "write", "post", "/api/tournaments/{TO}/start/", None, _only({"staff_here": 409}, 403)),
    ("tournament undo", "write", "post", "/api/tournaments/{TR}/undo/", None, _only({"staff_here": 409}, 403)),
    ("tournament matches", "read", "get", "/api/tournaments/{TR}/matches/", None, _everyone(200, anonymous=200)),
    (
        "tournament match report",
        "write",
        "post",
        "/api/tournaments/{TR}/matches/{MA}/report/",
        {"my_score": 5, "opponent_score": 3},
        _only({"owner": 200, "opponent": 200}, 403),
    ),
    (
        "tournament match rack",
        "write",
        "post",
        "/api/tournaments/{TR}/matches/{MA}/rack/",
        {"player": "{O}"},
        _only({"owner": 200, "opponent": 200, "staff_here": 200}, 403),
    ),
    (
        "tournament match result",
        "write",
        "post",
        "/api/tournaments/{TR}/matches/{MA}/result/",
        {"score_a": 5, "score_b": 3},
        _only({"staff_here": 200}, 403),
    ),
    (
        "tournament match forfeit",
        "write",
        "post",
        "/api/tournaments/{TR}/matches/{MA}/forfeit/",
        {"player": "{P}"},
        _only({"staff_here": 200}, 403),
    ),
    # The match is on a table already (call: MATCH_NOT_READY), and table 3 is its own (move: not free).
    (
        "tournament match call",
        "write",
        "post",
        "/api/tournaments/{TR}/matches/{MA}/call/",
        {},
        _only({"staff_here": 409}, 403),
    ),
    (
        "tournament match move",
        "write",
        "post",
        "/api/tournaments/{TR}/matches/{MA}/move/",
        {"table_id": "{T3}"},
        _only({"staff_here": 409}, 403),
    ),
    ("friends", "read", "get", "/api/friends/", None, _everyone(200)),
    (
        "friend settings",
        "write",
        "patch",
        "/api/friends/{X}/",
        {"notify_when_looking": True},
        _only({"owner": 200}, 404),
    ),
    ("friend", "delete", "delete", "/api/friends/{X}/", None, _only({"owner": 204}, 404)),
    ("friend invitation", "write", "post", "/api/friends/{X}/invite/", None, _only({"owner": 201}, 404)),
    ("friend requests", "read", "get", "/api/friend-requests/", None, _everyone(200)),
    # Asking X: O is X's friend already, X cannot ask themselves; anybody else may.
    (
        "friend requests",
        "write",
        "post",
        "/api/friend-requests/",
        {"player": "{X}"},
        _only({"owner": 409, "other": 400}, 201),
    ),
    ("friend request", "write", "post", "/api/friend-requests/{FR}/accept/", None, _only({"owner": 201}, 404)),
    ("friend request", "delete", "post", "/api/friend-requests/{FR}/decline/", None, _only({"owner": 204}, 404)),
    (
        "friend request withdrawal",
        "delete",
        "delete",
        "/api/friend-requests/{FR}/",
        None,
        _only({"opponent": 204}, 404),
    ),
    ("blocks", "read", "get", "/api/blocks/", None, _everyone(200)),
    ("blocks", "write", "post", "/api/blocks/", {"player": "{P}"}, _only({"opponent": 400}, 201)),
    ("block", "delete", "delete", "/api/blocks/{Z}/", None, _only({"owner": 204}, 404)),
    ("favourite opponents", "read", "get", "/api/favourite-opponents/", None, _everyone(200)),
    ("devices", "read", "get", "/api/devices/", None, _everyone(200)),
    ("devices", "write", "post", "/api/devices/", {"platform": "APNS", "token": "1b" * 32}, _everyone(201)),
    ("device", "delete", "delete", "/api/devices/{D}/", None, _only({"owner": 204}, 404)),
    ("push settings", "read", "get", "/api/push-settings/", None, _everyone(200)),
    ("push settings", "write", "put", "/api/push-settings/", {"muted": ["MSG"]}, _everyone(200)),
    (
        "table quote",
        "read",
        "get",
        "/api/poolhouses/{H}/tables/{T}/quote/?start_time={soon_q}&duration=60",
        None,
        _everyone(200, anonymous=200),
    ),
    ("hall prices", "read", "get", "/api/poolhouses/{H}/prices/", None, _everyone(200, anonymous=200)),
    (
        "hall prices",
        "write",
        "post",
        "/api/poolhouses/{H}/prices/",
        {
            "rounding_minutes": 1,
            "periods": [
                {
                    "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    "start_time": "00:00",
                    "end_time": "00:00",
                    "hourly_rate": "9.00",
                }
            ],
        },
        _only({"staff_here": 201}, 403),
    ),
    ("wait list", "read", "get", "/api/poolhouses/{H}/queue/", None, _everyone(200, anonymous=200)),
    # O waits already: the rule answers; everybody else joins.
    ("wait list", "write", "post", "/api/poolhouses/{H}/queue/", {"party_size": 2}, _only({"owner": 409}, 201)),
    ("hall queue", "read", "get", "/api/poolhouses/{H}/queue/staff/", None, _only({"staff_here": 200}, 403)),
    (
        "hall queue",
        "write",
        "post",
        "/api/poolhouses/{H}/queue/staff/",
        {"name": "Sam", "party_size": 3},
        _only({"staff_here": 201}, 403),
    ),
    ("queue entry", "read", "get", "/api/queue/{Q}/", None, _only({"owner": 200, "staff_here": 200}, 404)),
    ("queue entry", "delete", "delete", "/api/queue/{Q}/", None, _only({"owner": 204, "staff_here": 204}, 404)),
    ("queue seating", "write", "post", "/api/queue/{QD}/seat/", {"table_id": 5}, _only({"staff_here": 200}, 404)),
    # Table 1 is free (its booking is tomorrow); table 5 is offered to O, so it is not "the first free".
    ("queue seating first free", "write", "post", "/api/queue/{QD}/seat/", {}, _only({"staff_here": 200}, 404)),
    ("queue more time", "write", "post", "/api/queue/{QS}/extend/", {"minutes": 15}, _only({"staff_here": 200}, 404)),
    # O's party still waits: the rule answers to those who see it.
    (
        "queue more time",
        "write",
        "post",
        "/api/queue/{Q}/extend/",
        {"minutes": 15},
        _only({"owner": 409, "staff_here": 409}, 404),
    ),
    # O is playing now (table 2, and the tournament's match): confirming reaches the booking rule.
    ("table offer", "write", "post", "/api/offers/{OF}/confirm/", None, _only({"owner": 409, "staff_here": 409}, 404)),
    ("table offer", "delete", "post", "/api/offers/{OF}/decline/", None, _only({"owner": 200, "staff_here": 200}, 404)),
]


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


def _emails_shown(data: Any) -> set[str]:
    """Every non-empty `email` anywhere in an answer."""
    if isinstance(data, dict):
        found = {data["email"]} if data.get("email") else set()
        return found.union(*(_emails_shown(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(_emails_shown(item) for item in data))
    return set()


def test_every_row_names_every_actor() -> None:
    for what, verb, *_, expected in REST:
        assert set(expected) == set(ACTORS), (what, verb)
    assert {verb for _, verb, *_ in REST} == {"read", "write", "delete"}


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("what", "verb", "method", "path", "body", "expected"), REST, ids=[f"{row[0]}-{row[1]}" for row in REST]
)
def test_rest(actor, what, verb, method, path, body, expected) -> None:
    world = _world()
    client = APIClient()
    user = world.user(actor)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=bearer(user))
    if callable(body):
        response = getattr(client, method)(_fill(path, world.ids), body(world), format="multipart")
    else:
        response = getattr(client, method)(_fill(path, world.ids), _fill(body, world.ids), format="json")
    assert response.status_code == expected[actor], (actor, what, verb, response.content[:300])
    if response.content:
        payload = json.loads(response.content)
        if response.status_code >= 400:
            assert set(payload) >= {"error", "detail"}
        own = {user.email} if user is not None else set()
        assert _emails_shown(payload) <= own, (actor, what, _emails_shown(payload))


# --- Socket actions ----------------------------------------------------------------------------------
# Each is a frame the actor sends on their own socket, and a check in the database of whether it acted.
# Anonymous cannot open a socket at all (closed with 4401).


def _message_sent(world: World, frames: list[dict]) -> bool:
    return Message.objects.filter(matchup_id=world.ids["M"], body="socket hello").exists()


def _invitation_accepted(world: World, frames: list[dict]) -> bool:
    return Invitation.objects.get(pk=world.ids["I"]).status == Invitation.Status.ACCEPTED


def _invitation_denied(world: World, frames: list[dict]) -> bool:
    return Invitation.objects.get(pk=world.ids["I"]).status == Invitation.Status.DENIED


def _joined_queue(world: World, frames: list[dict]) -> bool:
    return QueueEntry.objects.filter(status="waiting", player__isnull=False).exclude(pk=world.ids["Q"]).exists()


def _queue_shown(world: World, frames: list[dict]) -> bool:
    return any(frame.get("protocol") == "walkup_queue" for frame in frames)


def _offer_declined(world: World, frames: list[dict]) -> bool:
    return Offer.objects.get(pk=world.ids["OF"]).status == Offer.Status.DECLINED


def _desk_party_added(world: World, frames: list[dict]) -> bool:
    return QueueEntry.objects.filter(name="By socket").exists()


def _desk_party_seated(world: World, frames: list[dict]) -> bool:
    return QueueEntry.objects.get(pk=world.ids["QD"]).status == QueueEntry.Status.SEATED


def _more_time_given(world: World, frames: list[dict]) -> bool:
    return QueueEntry.objects.select_related("reservation").get(pk=world.ids["QS"]).reservation.duration == 75


def _tournament_shown(world: World, frames: list[dict]) -> bool:
    return any(frame.get("protocol") == "tournament_snapshot" for frame in frames)


def _match_reported(world: World, frames: list[dict]) -> bool:
    return ResultReport.objects.filter(result__session__tournament_match=world.ids["MA"]).exists()


def _board_shown(world: World, frames: list[dict]) -> bool:
    return any(frame.get("protocol") == "board_snapshot" for frame in frames)


def _friend_request_to_x(world: World, frames: list[dict]) -> bool:
    return FriendRequest.objects.filter(recipient_id=world.ids["X"]).exists()


def _friends_with_p(world: World, frames: list[dict]) -> bool:
    return Friendship.objects.filter(player_id=world.ids["O"], friend_id=world.ids["P"]).exists()


def _request_gone_unanswered(world: World, frames: list[dict]) -> bool:
    return not FriendRequest.objects.filter(pk=world.ids["FR"]).exists() and not _friends_with_p(world, frames)


def _friendship_with_x_ended(world: World, frames: list[dict]) -> bool:
    return not Friendship.objects.filter(player_id=world.ids["O"], friend_id=world.ids["X"]).exists()


def _p_blocked(world: World, frames: list[dict]) -> bool:
    return Block.objects.filter(blocked_id=world.ids["P"]).exists()


def _z_unblocked(world: World, frames: list[dict]) -> bool:
    return not Block.objects.filter(blocked_id=world.ids["Z"]).exists()


SOCKET = [
    (
        "hall board",
        "read",
        {"action": "poolhouse", "protocol": "initial", "poolhouseName": "{H_slug}"},
        _board_shown,
        {"owner", "opponent", "other", "staff_here", "staff_elsewhere"},
    ),
    (
        "chat message",
        "write",
        {"action": "matchup", "message": "socket hello", "matchup_id": "{M}", "opponent_username": "x"},
        _message_sent,
        {"owner", "opponent"},
    ),
    (
        "invitation accept",
        "write",
        {"action": "matchmake", "invite_sender_username": "{P_name}", "invite_response": "accept"},
        _invitation_accepted,
        {"owner"},
    ),
    (
        "invitation deny",
        "delete",
        {"action": "matchmake", "invite_sender_username": "{P_name}", "invite_response": "deny"},
        _invitation_denied,
        {"owner"},
    ),
    (
        "tournament watch",
        "read",
        {"action": "tournament", "protocol": "watch", "tournament_id": "{TR}"},
        _tournament_shown,
        {"owner", "opponent", "other", "staff_here", "staff_elsewhere"},
    ),
    (
        "tournament match report",
        "write",
        {
            "action": "tournament",
            "protocol": "report",
            "tournament_id": "{TR}",
            "match_id": "{MA}",
            "my_score": 5,
            "opponent_score": 3,
        },
        _match_reported,
        {"owner", "opponent"},
    ),
    (
        "queue join",
        "write",
        {"action": "walkup", "protocol": "join", "hall": "{H_slug}", "party_size": 2},
        _joined_queue,
        {"opponent", "other", "staff_here", "staff_elsewhere"},
    ),
    (
        "queue watch",
        "read",
        {"action": "walkup", "protocol": "watch", "hall": "{H_slug}"},
        _queue_shown,
        {"staff_here"},
    ),
    (
        "queue desk add",
        "write",
        {"action": "walkup", "protocol": "add", "hall": "{H_slug}", "name": "By socket", "party_size": 2},
        _desk_party_added,
        {"staff_here"},
    ),
    (
        "queue seat",
        "write",
        {"action": "walkup", "protocol": "seat", "entry_id": "{QD}", "table_id": 5},
        _desk_party_seated,
        {"staff_here"},
    ),
    (
        "queue more time",
        "write",
        {"action": "walkup", "protocol": "extend", "entry_id": "{QS}", "minutes": 15},
        _more_time_given,
        {"staff_here"},
    ),
    (
        "table offer decline",
        "delete",
        {"action": "walkup", "protocol": "decline", "offer_id": "{OF}"},
        _offer_declined,
        {"owner", "staff_here"},
    ),
    # Asking X: O is X's friend already, X cannot ask themselves; anybody else may.
    (
        "friend request send",
        "write",
        {"action": "friend", "protocol": "request", "player": "{X}"},
        _friend_request_to_x,
        {"opponent", "staff_here", "staff_elsewhere"},
    ),
    (
        "friend request accept",
        "write",
        {"action": "friend", "protocol": "accept", "request_id": "{FR}"},
        _friends_with_p,
        {"owner"},
    ),
    (
        "friend request decline",
        "delete",
        {"action": "friend", "protocol": "decline", "request_id": "{FR}"},
        _request_gone_unanswered,
        {"owner"},
    ),
    (
        "friend request withdrawal",
        "delete",
        {"action": "friend", "protocol": "cancel", "request_id": "{FR}"},
        _request_gone_unanswered,
        {"opponent"},
    ),
    (
        "friend remove",
        "delete",
        {"action": "friend", "protocol": "remove", "player_id": "{X}"},
        _friendship_with_x_ended,
        {"owner"},
    ),
    (
        "block",
        "write",
        {"action": "block", "protocol": "add", "player": "{P}"},
        _p_blocked,
        {"owner", "other", "staff_here", "staff_elsewhere"},
    ),
    ("unblock", "delete", {"action": "block", "protocol": "remove", "player_id": "{Z}"}, _z_unblocked, {"owner"}),
]


async def _open(user) -> WebsocketCommunicator:
    ticket = await database_sync_to_async(ws_ticket_issue)(user=user) if user is not None else ""
    communicator = WebsocketCommunicator(application, f"/ws/base/?uuid={ticket}", headers=[(b"host", b"testserver")])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


SENTINEL = {"action": "authorization-matrix-sentinel"}


async def _frames(communicator: WebsocketCommunicator, settle: float = 0.15) -> list[dict]:
    """Every frame the action caused. The consumer handles a socket's frames in order, so a sentinel sent
    after it (an unknown action, answered by an error frame) marks the end of its direct answers; pushes it
    caused were sent to the channel layer before that and arrive within `settle` seconds of the sentinel."""
    await communicator.send_json_to(SENTINEL)
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=10)
        if frame.get("type") == "error" and frame.get("error") == "UNKNOWN_ACTION":
            break
        frames.append(frame)
    while not await communicator.receive_nothing(timeout=settle):
        frames.append(await communicator.receive_json_from(timeout=1))
    return frames


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("what", "verb", "frame", "acted", "allowed"), SOCKET, ids=[row[0] for row in SOCKET])
async def test_socket(actor, what, verb, frame, acted, allowed) -> None:
    world = await database_sync_to_async(_world)()
    communicator = await _open(world.user(actor))
    try:
        if actor == "anonymous":
            closed = await communicator.receive_output(timeout=5)
            assert (closed["type"], closed.get("code")) == ("websocket.close", 4401)
            return
        await communicator.send_json_to(_fill(frame, world.ids))
        frames = await _frames(communicator)
        errors = [each for each in frames if each.get("type") == "error"]
        done = await database_sync_to_async(acted)(world, frames)
        assert _emails_shown(frames) <= {world.user(actor).email}, (actor, what)
        if actor in allowed:
            assert not errors and done, (actor, what, errors)
        else:
            assert errors and errors[0].get("error"), (actor, what)
            assert not done, (actor, what)
    finally:
        await communicator.disconnect()
