"""The queue in the Django admin: staff see today's queue of their own halls with place, wait and offer, and
seat or remove parties through the queue's services (the same rules and refusals as REST)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from apps.reservations.models import Reservation
from apps.walkup import services
from apps.walkup.models import Offer, QueueEntry
from tests.factories import HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.walkup.helpers import join, running_game

pytestmark = pytest.mark.django_db

URL = "/admin/walkup/queueentry/"
BERLIN = ZoneInfo("Europe/Berlin")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_todays_queue_of_their_own_halls_with_place_wait_and_offer():
    # Open 18:00 to 02:00 in Berlin; half past midnight is still the evening that began at 18:00.
    hall = HallFactory(open_time=time(18), close_time=time(2), time_zone="Europe/Berlin")
    elsewhere = HallFactory(open_time=time(0), close_time=time(0))
    TableFactory(hall=elsewhere)
    free, busy = TableFactory(hall=hall, number=1), TableFactory(hall=hall, number=2)
    staff = HallStaffFactory(hall=hall).user
    with time_machine.travel(datetime(2031, 5, 15, 23, 0, tzinfo=BERLIN), tick=False):  # the evening before
        yesterday = services.queue_add_at_desk(hall=hall, user=staff, name="Old", party_size=2)
        services.queue_leave(entry_id=yesterday.pk, user=staff)
    with time_machine.travel(datetime(2031, 5, 17, 0, 30, tzinfo=BERLIN), tick=False):
        running_game(busy, minutes_left=45)
        first = join(hall, PlayerFactory(), name="Nino")
        second = services.queue_add_at_desk(hall=hall, user=staff, name="Sam", party_size=4)
        join(elsewhere, PlayerFactory(), name="Other")
        with time_machine.travel(datetime(2031, 5, 17, 0, 30, 5, tzinfo=BERLIN), tick=False):
            page = _client(staff).get(URL)
            every_day = _client(staff).get(URL, {"day": "all"})
    assert page.status_code == 200
    rows = list(page.context["cl"].result_list)
    assert [entry.name for entry in rows] == ["Nino", "Sam"]  # neither yesterday's party nor another hall's
    assert {entry.name for entry in every_day.context["cl"].result_list} == {"Nino", "Sam", "Old"}
    html = page.content.decode()
    offer = Offer.objects.get(entry=first)
    assert offer.table == free
    assert "table 1, answer by 00:35" in html  # the hall's own time
    assert "(typically" in html  # Sam's wait
    model_admin = page.context["cl"].model_admin
    assert model_admin.position(second) == 2 and model_admin.position(first) == 1
    detail = _client(staff).get(f"{URL}{first.pk}/change/")
    assert detail.status_code == 200 and "Offers" in detail.content.decode()


def test_staff_of_another_hall_see_nothing_of_this_queue(hall):
    TableFactory(hall=hall)
    entry = join(hall)
    other_staff = HallStaffFactory().user
    listed = _client(other_staff).get(URL)
    assert listed.status_code == 200 and list(listed.context["cl"].result_list) == []
    assert _client(other_staff).get(f"{URL}{entry.pk}/change/").status_code == 302  # "does not exist" redirect
    assert _client(PlayerFactory().user).get(URL).status_code == 302  # not staff: the login page


def test_seat_on_the_first_free_table_and_remove_run_through_the_queue_services(hall):
    pool = TableFactory(hall=hall, number=1, kind="pool")
    snooker = TableFactory(hall=hall, number=2, kind="snooker")
    running_game(snooker, minutes_left=30)
    staff = HallStaffFactory(hall=hall).user
    wants_snooker = services.queue_add_at_desk(hall=hall, user=staff, name="Ana", party_size=2, table_kind="snooker")
    any_table = services.queue_add_at_desk(hall=hall, user=staff, name="Bo", party_size=2)
    leaving = services.queue_add_at_desk(hall=hall, user=staff, name="Cy", party_size=2)
    client = _client(staff)
    seated = client.post(
        URL, {"action": "seat_first_free", "_selected_action": [wants_snooker.pk, any_table.pk]}, follow=True
    )
    messages = [str(message) for message in seated.context["messages"]]
    assert any("Ana: No snooker table is free" in message for message in messages), messages
    assert "Seated 1 party." in messages
    wants_snooker.refresh_from_db()
    any_table.refresh_from_db()
    assert wants_snooker.status == QueueEntry.Status.WAITING
    assert any_table.status == QueueEntry.Status.SEATED
    assert Reservation.objects.get(pk=any_table.reservation_id).table == pool

    client.post(URL, {"action": "remove", "_selected_action": [leaving.pk]})
    leaving.refresh_from_db()
    assert leaving.status == QueueEntry.Status.REMOVED and leaving.left_at is not None


def test_the_admin_actions_touch_no_other_halls_queue(hall):
    TableFactory(hall=hall)
    other_hall = HallFactory(open_time=time(0), close_time=time(0))
    TableFactory(hall=other_hall)
    foreign = join(other_hall)
    staff = HallStaffFactory(hall=hall).user
    _client(staff).post(URL, {"action": "remove", "_selected_action": [foreign.pk]})
    _client(staff).post(URL, {"action": "seat_first_free", "_selected_action": [foreign.pk]})
    foreign.refresh_from_db()
    assert foreign.status == QueueEntry.Status.WAITING
    assert not Reservation.objects.exists()
