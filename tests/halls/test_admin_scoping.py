from types import SimpleNamespace

import pytest
from django.test import Client

from apps.halls.models import PoolTable
from tests.factories import HallFactory, HallRatingFactory, HallStaffFactory, PlayerFactory, TableFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_halls():
    hall_a, hall_b = HallFactory(title="Alpha Hall"), HallFactory(title="Bravo Hall")
    tables_a = [TableFactory(hall=hall_a, number=n) for n in (1, 2)]
    tables_b = [TableFactory(hall=hall_b, number=n) for n in (1, 2, 3)]
    staff_a = HallStaffFactory(hall=hall_a).user
    return SimpleNamespace(hall_a=hall_a, hall_b=hall_b, tables_a=tables_a, tables_b=tables_b, staff_a=staff_a)


def _admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_only_their_own_halls_tables_in_the_changelist(two_halls):
    world = two_halls
    response = _admin_client(world.staff_a).get("/admin/halls/pooltable/")
    assert response.status_code == 200
    shown = {table.pk for table in response.context["cl"].result_list}
    assert shown == {table.pk for table in world.tables_a}


def test_staff_cannot_open_another_halls_table(two_halls):
    world = two_halls
    client = _admin_client(world.staff_a)
    assert client.get(f"/admin/halls/pooltable/{world.tables_a[0].pk}/change/").status_code == 200
    foreign = client.get(f"/admin/halls/pooltable/{world.tables_b[0].pk}/change/")
    # Django's admin answers an object outside the queryset by redirecting to the index ("does not exist").
    assert foreign.status_code == 302
    assert foreign.url == "/admin/"
    assert client.post(f"/admin/halls/pooltable/{world.tables_b[0].pk}/delete/", {"post": "yes"}).status_code == 302
    assert PoolTable.objects.filter(pk=world.tables_b[0].pk).exists()


def test_staff_cannot_create_a_table_in_another_hall(two_halls):
    world = two_halls
    client = _admin_client(world.staff_a)
    data = {"hall": world.hall_b.pk, "number": 9, "kind": "pool", "top": "10", "left": "10", "hourly_rate": "10.00"}
    response = client.post("/admin/halls/pooltable/add/", data)
    assert response.status_code == 200  # the form is shown again with an error
    assert "hall" in response.context["adminform"].form.errors
    assert not PoolTable.objects.filter(hall=world.hall_b, number=9).exists()
    ok = client.post("/admin/halls/pooltable/add/", {**data, "hall": world.hall_a.pk})
    assert ok.status_code == 302
    assert PoolTable.objects.filter(hall=world.hall_a, number=9).exists()


def test_staff_see_only_their_hall_and_reviews(two_halls):
    world = two_halls
    own_review, foreign_review = HallRatingFactory(hall=world.hall_a), HallRatingFactory(hall=world.hall_b)
    client = _admin_client(world.staff_a)
    halls = client.get("/admin/halls/poolhouse/").context["cl"].result_list
    assert [hall.pk for hall in halls] == [world.hall_a.pk]
    reviews = client.get("/admin/halls/hallrating/").context["cl"].result_list
    assert [review.pk for review in reviews] == [own_review.pk]
    assert client.get(f"/admin/halls/hallrating/{foreign_review.pk}/change/").status_code == 302


def test_staff_cannot_manage_users_or_staff_membership(two_halls):
    world = two_halls
    client = _admin_client(world.staff_a)
    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get("/admin/halls/hallstaff/").status_code == 403


def test_superuser_sees_every_table(two_halls):
    world = two_halls
    admin = UserFactory(is_staff=True, is_superuser=True)
    shown = _admin_client(admin).get("/admin/halls/pooltable/").context["cl"].result_list
    assert {table.pk for table in shown} == {table.pk for table in world.tables_a + world.tables_b}


def test_staff_flag_without_a_hall_sees_no_hall_models(two_halls):
    assert two_halls.tables_b
    lonely = UserFactory(is_staff=True)
    assert _admin_client(lonely).get("/admin/halls/pooltable/").status_code == 403


def test_the_by_hall_filter_offers_only_the_staffs_own_halls(two_halls):
    world = two_halls
    page = _admin_client(world.staff_a).get("/admin/halls/pooltable/").content.decode()
    assert "Alpha Hall" in page and "Bravo Hall" not in page


def test_the_admin_shows_and_reads_times_in_the_halls_zone(two_halls):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from tests.helpers import book_directly

    world = two_halls  # the factory's halls are in Asia/Tbilisi (UTC+4, no daylight saving)
    start = (timezone.now() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    reservation = book_directly(world.tables_a[0], start=start)
    client = _admin_client(world.staff_a)
    page = client.get(f"/admin/reservations/reservation/{reservation.pk}/change/").content.decode()
    local = start.astimezone(ZoneInfo("Asia/Tbilisi"))
    assert f"{local:%Y-%m-%d} 14:00" in page  # the booking's name
    assert "2 p.m." in page and "10 a.m." not in page  # the read-only start time
    # A walk-in typed as 13:00 is 13:00 at the hall.
    day = local.date() + timedelta(days=1)
    answer = client.post(
        "/admin/reservations/reservation/add/",
        {"table": world.tables_a[0].pk, "start_time_0": f"{day}", "start_time_1": "13:00:00", "duration": 60},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    made = world.tables_a[0].reservations.exclude(pk=reservation.pk).get()
    assert made.start_time == datetime.combine(day, datetime.min.time().replace(hour=13), ZoneInfo("Asia/Tbilisi"))


def test_staff_of_a_hall_in_another_zone_open_the_sessions_and_bookings_lists(two_halls):
    """Their lists group and filter by day in the hall's zone: the database converts with its zone tables."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.helpers import finished_session

    world = two_halls  # Asia/Tbilisi
    finished_session(world.tables_a[0], PlayerFactory(), PlayerFactory())
    client = _admin_client(world.staff_a)
    for page in ("/admin/reservations/gamesession/", "/admin/reservations/reservation/"):
        response = client.get(page)
        assert response.status_code == 200, page
    day = timezone.localdate() - timedelta(days=0)
    assert client.get("/admin/reservations/gamesession/", {"started_at__day": day.day}).status_code in (200, 302)
