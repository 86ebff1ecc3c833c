"""Schemathesis against the live API (Gunicorn on the test database) over every operation of the schema.

The fuzzing player is real: signed in with a JWT, a staff member of one hall, with a booking, a finished
game, a chat, a notification, an invitation, a friend request and a device, and the path parameters draw
on those ids most of the time so the generated requests reach the code behind the lookups. Every response
must be no server error, carry a status the schema declares for that operation, and match the declared
body and type.
"""

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from apps.matchmaking.models import Invitation, Matchup
from apps.notifications.models import Device, Notification
from apps.social.models import FriendRequest
from apps.walkup.models import Offer, QueueEntry
from tests.conftest import bearer
from tests.factories import HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.helpers import at, book_directly, finished_session
from tests.processes import gunicorn_server
from tests.tournaments.rows import open_tournament, running_tournament

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# The fuzzing phase's examples per operation; the examples and coverage phases (the schema's own examples,
# then every boundary and type of each field) come on top. 10 keeps the test inside the suite's time.
EXAMPLES_PER_OPERATION = 10


def _world() -> tuple[str, dict[str, list]]:
    """The fuzzing player's world; returns their access token and the ids to draw path parameters from."""
    me, rival, stranger = PlayerFactory(), PlayerFactory(), PlayerFactory()
    hall, other_hall = HallFactory(), HallFactory()
    HallStaffFactory(hall=hall, user=me.user)
    table = TableFactory(hall=hall, number=1)
    session = finished_session(table, me, rival)
    reservation = book_directly(table, me, rival, start=at(30))
    matchup = Matchup.objects.create(player_inviting=me, player_accepting=rival)
    expires = timezone.now() + timedelta(minutes=30)
    invitation = Invitation.objects.create(player_inviting=stranger, player_invited=me, expires_at=expires)
    notification = Notification.objects.create(recipient=me, type=Notification.Type.INVITED, body="hi", sent_by=rival)
    friend_request = FriendRequest.objects.create(sender=stranger, recipient=me)
    device = Device.objects.create(player=me, platform=Device.Platform.APNS, token="2c" * 32)
    tournament_tables = [TableFactory(hall=hall, number=2), TableFactory(hall=hall, number=3)]
    tournament, match = running_tournament(hall, me.user, me, rival, tournament_tables)
    open_one = open_tournament(hall, me.user, [rival])
    waiting = QueueEntry.objects.create(hall=hall, player=me, active_player=me, name="M.", joined_at=timezone.now())
    offer = Offer.objects.create(
        entry=waiting,
        table=table,
        offered_at=timezone.now(),
        expires_at=expires,
        ready_at=timezone.now(),
        open_entry=waiting,
        open_table=table,
    )
    # A desk party seated from the queue, playing now on a table of its own (the extension's path).
    walk_in = book_directly(TableFactory(hall=hall, number=4), start=timezone.now() - timedelta(minutes=5))
    seated = QueueEntry.objects.create(
        hall=hall, name="S.", joined_at=timezone.now(), status=QueueEntry.Status.SEATED, reservation=walk_in
    )
    ids = {
        "hall_id": [hall.pk, other_hall.pk],
        "table_id": [table.pk],
        "session_id": [session.pk],
        "reservation_id": [reservation.pk],
        "player_id": [me.pk, rival.pk],
        "id": [me.pk, rival.pk],
        "matchup_id": [str(matchup.pk)],
        "invitation_id": [invitation.pk],
        "notification_id": [notification.pk],
        "request_id": [friend_request.pk],
        "device_id": [device.pk],
        "tournament_id": [tournament.pk, open_one.pk],
        "match_id": [match.pk],
        "entry_id": [waiting.pk, seated.pk],
        "offer_id": [offer.pk],
    }
    return bearer(me.user, "Bearer"), ids


def _config(ids: dict[str, list], folder: Path) -> Path:
    lines = []
    for name, values in ids.items():
        rendered = ", ".join(f'"{value}"' if isinstance(value, str) else str(value) for value in values)
        lines += [f"[dictionaries.{name}]", f"values = [{rendered}]", ""]
    lines.append("[parameters]")
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}' for name in ids]
    path = folder / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_operation_answers_as_its_schema_says(tmp_path: Path) -> None:
    authorization, ids = _world()
    config = _config(ids, tmp_path)
    # Throttles are proven elsewhere; here they would turn most of the login and code fuzzing into 429s.
    relaxed = {f"THROTTLE_{scope}": "100000/min" for scope in ("LOGIN", "REGISTER", "CODES", "INVITATIONS", "CHAT")}
    with gunicorn_server("gunicorn-fuzz", env=relaxed) as base:
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{base}/api/schema/",
            "--header",
            f"Authorization: {authorization}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--workers",
            "2",
            "--phases",
            "examples,coverage,fuzzing",
            "--request-timeout",
            "20",
            "--suppress-health-check",
            "all",
            "--generation-deterministic",
        ]
        run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    report = run.stdout[-20000:] + run.stderr[-4000:]
    assert run.returncode == 0, report
    # The schema was read and operations were exercised ("30 operations mostly rejected …" is not "0 operations").
    assert not re.search(r"(?<!\d)0 operations", report)


def test_a_long_query_string_reaches_the_api_up_to_8_kb_and_gets_the_documented_414_beyond() -> None:
    """Gunicorn takes request lines as long as nginx does (8 KB), so the API answers them with its own
    envelope; a longer one is the web server's 414 page, which the schema declares (apps/core/schema.py)."""
    hall = HallFactory()
    with gunicorn_server("gunicorn-long-lines", workers=1) as base:
        url = f"{base}/api/poolhouses/{hall.pk}/ratings/?page_size="
        within = requests.get(url + "x" * 6000, timeout=20)
        assert within.status_code == 200 and isinstance(within.json(), dict)  # the API answered (a bad size ignored)
        beyond = requests.get(url + "x" * 9000, timeout=20)
        assert beyond.status_code == 414 and beyond.headers["content-type"].startswith("text/html")
