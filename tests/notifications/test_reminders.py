"""Reminders, "your game at Cue Club starts in 15 minutes": queued by the sessions sweep for their exact
time, to both players (a GSN notification, pushed like any push kind, and an email to a verified
address), never twice, and not for bookings cancelled, started, moved or made inside the window."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import GameReminder, Notification
from apps.notifications.selectors import reminders_due
from apps.notifications.services import game_reminder_send
from apps.notifications.tasks import game_reminder_task
from apps.reservations.models import Reservation
from apps.reservations.tasks import sessions_sweep
from tests.factories import HallFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly
from tests.processes import celery_worker


def _booked(minutes_ahead: float, *, booker=None, opponent=None) -> Reservation:
    """A booking made now (so made well ahead of its reminder) starting `minutes_ahead` from now."""
    table = TableFactory(hall=HallFactory(title="Cue Club", open_time="00:00", close_time="00:00"), number=3)
    start = timezone.now() + timedelta(minutes=minutes_ahead)
    return book_directly(table, booker or PlayerFactory(), opponent or PlayerFactory(), start=start)


def _reminders(reservation: Reservation):
    return Notification.objects.filter(type=Notification.Type.GAME_SOON, extra=str(reservation.pk))


@pytest.mark.django_db
def test_both_players_are_reminded_once_with_an_email_each(django_capture_on_commit_callbacks):
    made = timezone.now()
    reservation = _booked(60)
    with (
        time_machine.travel(made + timedelta(minutes=45), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert game_reminder_send(reservation_id=reservation.pk) is True
        assert game_reminder_send(reservation_id=reservation.pk) is False  # never twice
    notes = _reminders(reservation)
    assert {note.recipient_id for note in notes} == {reservation.player_reserving_id, reservation.other_player_id}
    assert all(note.body == "Your game at Cue Club (table 3) starts in 15 minutes." for note in notes)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [reservation.player_reserving.user.email, reservation.other_player.user.email]
    )
    assert mail.outbox[0].body.startswith("Your game at Cue Club")
    assert GameReminder.objects.filter(reservation=reservation).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("unproven", [{"email": ""}, {"email_verified": False}], ids=["no-address", "unverified"])
def test_no_email_without_a_verified_address(django_capture_on_commit_callbacks, unproven):
    opponent = PlayerFactory()
    User.objects.filter(pk=opponent.user_id).update(**unproven)
    reservation = _booked(60, opponent=opponent)
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert game_reminder_send(reservation_id=reservation.pk)
    assert [message.to for message in mail.outbox] == [[reservation.player_reserving.user.email]]
    assert _reminders(reservation).count() == 2  # both are still reminded in the app and on their phones


@pytest.mark.django_db
def test_a_cancelled_started_or_moved_booking_is_not_reminded():
    made = timezone.now()
    cancelled, moved = _booked(60), _booked(60)
    Reservation.objects.filter(pk=cancelled.pk).update(status=Reservation.Status.CANCELLED)
    later = moved.start_time + timedelta(hours=2)
    Reservation.objects.filter(pk=moved.pk).update(start_time=later, end_time=later + timedelta(hours=1))
    with time_machine.travel(made + timedelta(minutes=45), tick=False):
        assert game_reminder_send(reservation_id=cancelled.pk) is False
        assert game_reminder_send(reservation_id=moved.pk) is False  # its new time comes later
        assert game_reminder_send(reservation_id=999_999) is False
    with time_machine.travel(made + timedelta(minutes=165), tick=False):
        assert game_reminder_send(reservation_id=moved.pk) is True  # reminded for the new time
    assert not _reminders(cancelled).exists()


@pytest.mark.django_db
def test_the_sweep_finds_what_falls_due_within_its_horizon_and_forgets_it_once_sent():
    made = timezone.now()
    due_soon, _far, _inside_window = _booked(17), _booked(120), _booked(10)
    with time_machine.travel(made + timedelta(seconds=30), tick=False):
        now = timezone.now()
        due = dict(reminders_due(now=now, until=now + timedelta(minutes=5)))
        # The reminder of a booking made less than 15 minutes ahead is skipped: its players just made it.
        assert set(due) == {due_soon.pk}
        assert due[due_soon.pk] == due_soon.start_time - timedelta(minutes=15)
        assert sessions_sweep()["queued"] == 1
        assert sessions_sweep()["queued"] == 0  # the Redis mark: queued once
    with time_machine.travel(made + timedelta(minutes=2, seconds=1), tick=False):
        assert game_reminder_send(reservation_id=due_soon.pk)
        now = timezone.now()
        assert reminders_due(now=now, until=now + timedelta(minutes=5)) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.e2e
def test_a_real_worker_reminds_on_time_and_only_once():
    """The sweep queues the reminder for its exact time; a second sweep and a redelivered task change
    nothing. The test and the worker share the machine's clock (no time travel here)."""
    table = TableFactory(hall=HallFactory(open_time="00:00", close_time="00:00"), number=1)
    with celery_worker(name="celery-worker-reminders"):
        start = timezone.now() + timedelta(minutes=15, seconds=3)
        reservation = book_directly(table, PlayerFactory(), PlayerFactory(), start=start)
        remind_at = start - timedelta(minutes=15)
        assert sessions_sweep()["queued"] == 1
        assert sessions_sweep()["queued"] == 0
        game_reminder_task.apply_async(args=[reservation.pk], eta=remind_at)  # as if delivered twice
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _reminders(reservation).count() < 2:
            time.sleep(0.2)
        time.sleep(1.5)  # the duplicate task runs right after the first
    reminder = GameReminder.objects.get(reservation=reservation)
    assert _reminders(reservation).count() == 2
    assert reminder.sent_at >= remind_at - timedelta(seconds=1)  # never early (lateness is for bench/)
