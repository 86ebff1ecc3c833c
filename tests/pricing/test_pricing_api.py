"""Prices on MariaDB: quotes, publishing (REST and the admin) with its refusals, the cost of sessions at
their end (the version in force at the start, member rates for bookings and queue walk-ins, a daylight-saving
night), and the staff's revenue per table and per day."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from apps.pricing import services
from apps.pricing.models import Membership, PriceList
from apps.pricing.rates import Rate
from apps.reservations import services as sessions
from apps.reservations.models import GameSession
from apps.walkup import services as walkup
from tests.factories import HallFactory, HallStaffFactory, PlayerFactory, TableFactory, UserFactory
from tests.helpers import book_directly

pytestmark = pytest.mark.django_db
BERLIN = "Europe/Berlin"
WEEKDAYS, WEEKEND, EVERY_DAY = 0b0011111, 0b1100000, 0b1111111
# A Wednesday in Berlin, 16:30 local.
WEDNESDAY_1630 = datetime(2026, 3, 4, 16, 30, tzinfo=ZoneInfo(BERLIN))


def happy_hours() -> list[Rate]:
    return [
        Rate(WEEKDAYS, time(0), time(17), Decimal("12.00"), Decimal("9.00")),
        Rate(WEEKDAYS, time(17), time(19), Decimal("6.00"), Decimal("4.00"), label="happy hour"),
        Rate(WEEKDAYS, time(19), time(0), Decimal("12.00"), Decimal("9.00")),
        Rate(WEEKEND, time(0), time(0), Decimal("15.00")),
        Rate(EVERY_DAY, time(0), time(0), Decimal("20.00"), kind="snooker", label="snooker"),
    ]


@pytest.fixture
def berlin_hall(db):
    return HallFactory(open_time=time(0), close_time=time(0), time_zone=BERLIN)


def publish(hall, *, rates=None, rounding=15, minimum="0", valid_from=None):
    staff = HallStaffFactory(hall=hall).user
    return services.price_list_publish(
        hall=hall,
        user=staff,
        rates=rates or happy_hours(),
        rounding_minutes=rounding,
        minimum_charge=Decimal(minimum),
        valid_from=valid_from,
    )


def finish_at(session: GameSession, end: datetime) -> GameSession:
    """End the session at `end` (its booked end), as the timed task does."""
    with time_machine.travel(end + timedelta(seconds=1), tick=False):
        finished = sessions.session_finish(session_id=session.pk)
    assert finished is not None
    return finished


def game(table, start: datetime, minutes: int, booker=None) -> GameSession:
    reservation = book_directly(table, booker or PlayerFactory(), start=start, seconds=minutes * 60)
    with time_machine.travel(start + timedelta(seconds=1), tick=False):
        session = sessions.session_start(reservation_id=reservation.pk)
    assert session is not None
    return finish_at(session, reservation.end_time)


def test_a_quote_shows_the_price_and_how_it_is_made_up(berlin_hall, api):
    table = TableFactory(hall=berlin_hall, number=3)
    with time_machine.travel(WEDNESDAY_1630 - timedelta(days=1), tick=False):
        publish(berlin_hall)
        query = urlencode({"start_time": "2026-03-04T16:30:00", "duration": 180})
        response = api.get(f"/api/poolhouses/{berlin_hall.id}/tables/{table.id}/quote/?{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(line["hourly_rate"], line["minutes"], line["amount"], line["label"]) for line in body["lines"]] == [
        ("12.00", "30.00", "6.00", ""),
        ("6.00", "120.00", "12.00", "happy hour"),
        ("12.00", "30.00", "6.00", ""),
    ]
    assert (body["total"], body["billed_minutes"], body["member"], body["currency"]) == ("24.00", 180, False, "EUR")
    assert body["table_number"] == 3 and body["kind"] == "pool" and body["price_list"] is not None


def test_the_snooker_table_has_its_own_rate_and_a_hall_without_a_list_charges_each_tables_rate(berlin_hall, api):
    snooker = TableFactory(hall=berlin_hall, kind="snooker")
    pool = TableFactory(hall=berlin_hall, hourly_rate=Decimal("10.00"))
    query = urlencode({"start_time": "2026-03-04T16:30:00+01:00", "duration": 60})
    with time_machine.travel(WEDNESDAY_1630 - timedelta(days=1), tick=False):
        own_rate = api.get(f"/api/poolhouses/{berlin_hall.id}/tables/{pool.id}/quote/?{query}").json()
        assert (own_rate["total"], own_rate["price_list"]) == ("10.00", None)
        assert api.get(f"/api/poolhouses/{berlin_hall.id}/prices/").json()["error"] == "PRICE_LIST_NOT_FOUND"
        publish(berlin_hall)
        priced = api.get(f"/api/poolhouses/{berlin_hall.id}/tables/{snooker.id}/quote/?{query}").json()
    assert priced["total"] == "20.00" and priced["lines"][0]["label"] == "snooker"


def test_a_member_is_quoted_the_member_rate(berlin_hall, client_for):
    table = TableFactory(hall=berlin_hall)
    member = PlayerFactory()
    staff = HallStaffFactory(hall=berlin_hall).user
    services.membership_set(hall=berlin_hall, player=member, valid_until=date(2026, 12, 31), user=staff)
    query = urlencode({"start_time": "2026-03-04T16:30:00", "duration": 60})
    with time_machine.travel(WEDNESDAY_1630 - timedelta(days=1), tick=False):
        publish(berlin_hall)
        body = client_for(member.user).get(f"/api/poolhouses/{berlin_hall.id}/tables/{table.id}/quote/?{query}").json()
        stranger = client_for(PlayerFactory().user).get(
            f"/api/poolhouses/{berlin_hall.id}/tables/{table.id}/quote/?{query}"
        )
    assert body["member"] is True and body["total"] == "6.50"  # 30 min at 9 + 30 min at 4
    assert stranger.json()["total"] == "9.00"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"start_time": "2026-03-04T03:00:00", "duration": 60}, 400, "OUTSIDE_OPENING_HOURS"),
        ({"start_time": "2026-03-04T23:30:00", "duration": 60}, 400, "OUTSIDE_OPENING_HOURS"),
        ({"start_time": "yesterday", "duration": 60}, 400, "VALIDATION_ERROR"),
        ({"start_time": "2026-03-04T12:00:00", "duration": 0}, 400, "VALIDATION_ERROR"),
        ({"duration": 60}, 400, "VALIDATION_ERROR"),
    ],
)
def test_a_bad_quote_is_refused_with_its_code(api, query, status, code):
    hall = HallFactory(open_time=time(10), close_time=time(23), time_zone=BERLIN)
    table = TableFactory(hall=hall)
    response = api.get(f"/api/poolhouses/{hall.id}/tables/{table.id}/quote/?{urlencode(query)}")
    assert (response.status_code, response.json()["error"]) == (status, code)


def test_a_quote_for_a_table_of_another_hall_is_not_found(berlin_hall, api):
    elsewhere = TableFactory()
    query = urlencode({"start_time": "2026-03-04T12:00:00", "duration": 60})
    response = api.get(f"/api/poolhouses/{berlin_hall.id}/tables/{elsewhere.id}/quote/?{query}")
    assert (response.status_code, response.json()["error"]) == (404, "TABLE_NOT_FOUND")


def _period(days, start, end, rate, **extra):
    return {"weekdays": days, "start_time": start, "end_time": end, "hourly_rate": rate, **extra}


ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def test_staff_publish_prices_over_rest_and_anybody_reads_them(berlin_hall, client_for, api):
    staff = HallStaffFactory(hall=berlin_hall).user
    body = {
        "rounding_minutes": 30,
        "minimum_charge": "5.00",
        "periods": [
            _period(ALL_DAYS, "00:00", "17:00", "12.00", member_hourly_rate="9.00"),
            _period(ALL_DAYS, "17:00", "19:00", "6.00", label="happy hour"),
            _period(ALL_DAYS, "19:00", "00:00", "12.00"),
        ],
    }
    response = client_for(staff).post(f"/api/poolhouses/{berlin_hall.id}/prices/", body, format="json")
    assert response.status_code == 201, response.content
    published = api.get(f"/api/poolhouses/{berlin_hall.id}/prices/").json()
    assert published["id"] == response.json()["id"] and published["rounding_minutes"] == 30
    assert published["periods"][0] == {
        "table_kind": "",
        "weekdays": ALL_DAYS,
        "start_time": "00:00:00",
        "end_time": "17:00:00",
        "hourly_rate": "12.00",
        "member_hourly_rate": "9.00",
        "label": "",
    }
    player = client_for(PlayerFactory().user).post(f"/api/poolhouses/{berlin_hall.id}/prices/", body, format="json")
    assert (player.status_code, player.json()["error"]) == (403, "NOT_HALL_STAFF")


@pytest.mark.parametrize(
    ("periods", "extra", "code"),
    [
        (
            [_period(ALL_DAYS, "00:00", "18:00", "12.00"), _period(ALL_DAYS, "17:00", "00:00", "6.00")],
            {},
            "RATE_PERIODS_OVERLAP",
        ),
        (
            [_period(ALL_DAYS, "00:00", "17:00", "12.00"), _period(ALL_DAYS, "19:00", "00:00", "6.00")],
            {},
            "RATE_PERIODS_GAP",
        ),
        (
            [_period(ALL_DAYS, "00:00", "00:00", "12.00"), _period(ALL_DAYS, "00:00", "12:00", "6.00")],
            {},
            "RATE_PERIODS_OVERLAP",
        ),
        ([_period(["mon", "tue"], "00:00", "00:00", "12.00")], {}, "RATE_PERIODS_GAP"),
        ([_period(ALL_DAYS, "19:00", "17:00", "12.00")], {}, "RATE_PERIOD_INVALID"),
        ([_period(ALL_DAYS, "00:00:30", "00:00", "12.00")], {}, "RATE_PERIOD_INVALID"),
        ([_period(ALL_DAYS, "00:00", "00:00", "12.00")], {"valid_from": "2020-01-01T00:00:00Z"}, "PRICE_LIST_IN_PAST"),
        ([_period(ALL_DAYS, "00:00", "00:00", "-1.00")], {}, "VALIDATION_ERROR"),
        ([_period(["someday"], "00:00", "00:00", "1.00")], {}, "VALIDATION_ERROR"),
        ([], {}, "VALIDATION_ERROR"),
        ([_period(ALL_DAYS, "00:00", "00:00", "1.00")], {"rounding_minutes": 7}, "VALIDATION_ERROR"),
    ],
)
def test_a_bad_price_list_is_refused_with_its_code_and_nothing_is_written(
    berlin_hall, client_for, periods, extra, code
):
    staff = HallStaffFactory(hall=berlin_hall).user
    body = {"rounding_minutes": 15, "periods": periods, **extra}
    response = client_for(staff).post(f"/api/poolhouses/{berlin_hall.id}/prices/", body, format="json")
    assert (response.status_code, response.json()["error"]) == (400, code), response.content
    assert not PriceList.objects.exists()


def test_a_session_is_charged_by_the_version_in_force_when_it_started(berlin_hall):
    table = TableFactory(hall=berlin_hall)
    start = WEDNESDAY_1630 - timedelta(hours=6, minutes=30)  # 10:00, a plain 12.00 hour
    with time_machine.travel(start - timedelta(days=1), tick=False):
        publish(berlin_hall)
    reservation = book_directly(table, PlayerFactory(), start=start, seconds=3600)
    with time_machine.travel(start + timedelta(seconds=1), tick=False):
        running = sessions.session_start(reservation_id=reservation.pk)
    with time_machine.travel(start + timedelta(minutes=30), tick=False):  # the price changes mid-game
        publish(berlin_hall, rates=[Rate(EVERY_DAY, time(0), time(0), Decimal("30.00"))])
    assert finish_at(running, reservation.end_time).cost == Decimal("12.00")
    later = game(table, start + timedelta(hours=2), 60)
    assert later.cost == Decimal("30.00")


def test_rounding_and_the_minimum_charge_apply_to_the_cost_at_the_end(berlin_hall):
    table = TableFactory(hall=berlin_hall)
    start = WEDNESDAY_1630 - timedelta(hours=6, minutes=30)
    with time_machine.travel(start - timedelta(days=1), tick=False):
        publish(berlin_hall, rounding=30, minimum="5.00")
    reservation = book_directly(table, PlayerFactory(), start=start, seconds=3600)
    with time_machine.travel(start + timedelta(seconds=1), tick=False):
        running = sessions.session_start(reservation_id=reservation.pk)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        ended = sessions.session_end_by_staff(session_id=running.pk, staff_user=HallStaffFactory(hall=berlin_hall).user)
    assert ended.cost == Decimal("12.00")  # 31 minutes: two started half hours at 12.00
    short = book_directly(table, PlayerFactory(), start=start + timedelta(hours=2), seconds=3600)
    with time_machine.travel(short.start_time + timedelta(seconds=1), tick=False):
        brief = sessions.session_start(reservation_id=short.pk)
    with time_machine.travel(short.start_time + timedelta(minutes=5), tick=False):
        ended = sessions.session_end_by_staff(session_id=brief.pk, staff_user=HallStaffFactory(hall=berlin_hall).user)
    assert ended.cost == Decimal("6.00")  # half an hour's 6.00 is over the 5.00 minimum
    with time_machine.travel(short.start_time + timedelta(days=1), tick=False):
        publish(berlin_hall, rounding=1, minimum="5.00")
    tiny = game(table, short.start_time + timedelta(days=1, hours=1), 15)
    assert tiny.cost == Decimal("5.00")  # 15 minutes at 12.00 is 3.00: the minimum charge


def test_members_pay_the_member_rate_for_their_bookings_and_queue_walk_ins_until_the_end_date(berlin_hall):
    table = TableFactory(hall=berlin_hall)
    member, guest = PlayerFactory(), PlayerFactory()
    staff = HallStaffFactory(hall=berlin_hall).user
    services.membership_set(hall=berlin_hall, player=member, valid_until=date(2026, 3, 4), user=staff)
    start = WEDNESDAY_1630 - timedelta(hours=6, minutes=30)
    with time_machine.travel(start - timedelta(days=1), tick=False):
        publish(berlin_hall)
    assert game(table, start, 60, booker=member).cost == Decimal("9.00")
    assert game(table, start + timedelta(hours=1, minutes=10), 60, booker=guest).cost == Decimal("12.00")
    # A walk-in the queue seats for the member: the member rate too.
    queue_start = start + timedelta(hours=2, minutes=30)
    with time_machine.travel(queue_start, tick=False):
        entry = walkup.queue_join(hall=berlin_hall, player=member, party_size=2, minutes=60)
        offer = entry.offers.get()
        seated = walkup.offer_confirm(offer_id=offer.pk, user=member.user)
    reservation = seated.reservation
    with time_machine.travel(reservation.start_time + timedelta(seconds=1), tick=False):
        session = sessions.session_start(reservation_id=reservation.pk)
    assert finish_at(session, reservation.end_time).cost == Decimal("9.00")
    # The day after the membership ends, the plain rate.
    assert game(table, start + timedelta(days=1), 60, booker=member).cost == Decimal("12.00")
    # Marking again moves the end date (one membership per player and hall).
    services.membership_set(hall=berlin_hall, player=member, valid_until=date(2026, 3, 31), user=staff)
    assert Membership.objects.filter(player=member).count() == 1


def test_a_game_across_the_spring_forward_night_is_charged_for_its_real_time(berlin_hall):
    table = TableFactory(hall=berlin_hall)
    night = [
        Rate(EVERY_DAY, time(0), time(2, 30), Decimal("6.00")),
        Rate(EVERY_DAY, time(2, 30), time(0), Decimal("12.00")),
    ]
    start = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 in Berlin; 02:00 becomes 03:00
    with time_machine.travel(start - timedelta(days=1), tick=False):
        publish(berlin_hall, rates=night, rounding=1)
    session = game(table, start, 120)  # two real hours: 01:00-02:00 CET, then 03:00-04:00 CEST
    assert session.minutes_played == 120 and session.cost == Decimal("18.00")


def test_revenue_per_table_and_per_day_adds_up_the_priced_games(berlin_hall, client_for):
    tables = [TableFactory(hall=berlin_hall, number=n) for n in (1, 2)]
    start = WEDNESDAY_1630 - timedelta(hours=1)  # 15:30: an hour at 12, then happy hour
    with time_machine.travel(start - timedelta(days=1), tick=False):
        publish(berlin_hall)
    # 15:30-17:30: 90 minutes at 12 and 30 at 6; 15:30-16:30: an hour at 12; 18:30-19:30: half at 6, half at 12.
    costs = [
        game(tables[0], start, 120).cost,
        game(tables[1], start, 60).cost,
        game(tables[0], start + timedelta(hours=3), 60).cost,
    ]
    assert costs == [Decimal("21.00"), Decimal("12.00"), Decimal("9.00")]
    staff = HallStaffFactory(hall=berlin_hall).user
    with time_machine.travel(start + timedelta(days=1), tick=False):
        rows = client_for(staff).get(f"/api/top-table/?hall={berlin_hall.id}&days=7").json()
        admin = Client()
        # A superuser sees the admin in UTC: staff of this Berlin hall would see it in Berlin time, which needs
        # the database's time zone tables (not loaded on this development MariaDB; see the report).
        admin.force_login(UserFactory(is_staff=True, is_superuser=True))
        page = admin.get(f"/admin/reservations/gamesession/?table__hall__id__exact={berlin_hall.id}")
    assert {row["table_id"]: row["revenue"] for row in rows} == {1: "30.00", 2: "12.00"}
    by_table = {row["table__number"]: row["revenue"] for row in page.context["revenue_by_table"]}
    assert by_table == {1: Decimal("30.00"), 2: Decimal("12.00")}
    assert sum(row["revenue"] for row in page.context["revenue_by_day"]) == Decimal("42.00")


# --- The admin ------------------------------------------------------------------------------------------


def _admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _price_list_form(hall, periods, *, valid_from="2026-03-05", rounding=15):
    data = {
        "hall": hall.pk,
        "valid_from_0": valid_from,
        "valid_from_1": "00:00:00",
        "rounding_minutes": rounding,
        "minimum_charge": "0.00",
        "periods-TOTAL_FORMS": str(len(periods)),
        "periods-INITIAL_FORMS": "0",
        "periods-MIN_NUM_FORMS": "0",
        "periods-MAX_NUM_FORMS": "1000",
    }
    for index, (days, start, end, rate) in enumerate(periods):
        data.update(
            {
                f"periods-{index}-table_kind": "",
                f"periods-{index}-days": days,
                f"periods-{index}-start_time": start,
                f"periods-{index}-end_time": end,
                f"periods-{index}-hourly_rate": rate,
                f"periods-{index}-member_hourly_rate": "",
                f"periods-{index}-label": "",
            }
        )
    return data


def test_staff_publish_in_the_admin_and_overlaps_show_on_the_form_with_nothing_written(berlin_hall):
    staff = HallStaffFactory(hall=berlin_hall).user
    client = _admin(staff)
    every = [str(day) for day in range(7)]
    with time_machine.travel(WEDNESDAY_1630, tick=False):
        overlapping = _price_list_form(
            berlin_hall, [(every, "00:00", "18:00", "12.00"), (every, "17:00", "00:00", "6.00")]
        )
        refused = client.post("/admin/pricing/pricelist/add/", overlapping)
        assert refused.status_code == 200
        assert "overlap" in refused.content.decode()
        assert not PriceList.objects.exists()
        good = _price_list_form(berlin_hall, [(every, "00:00", "17:00", "12.00"), (every, "17:00", "00:00", "6.00")])
        created = client.post("/admin/pricing/pricelist/add/", good)
        assert created.status_code == 302, created.content.decode()[:2000]
    (published,) = PriceList.objects.all()
    assert published.periods.count() == 2 and published.created_by == staff
    assert published.valid_from == datetime(2026, 3, 5, tzinfo=ZoneInfo(BERLIN))  # typed in the hall's time
    # A published version is read-only; copying it starts a new one with its periods filled in.
    change = client.get(f"/admin/pricing/pricelist/{published.pk}/change/")
    assert change.status_code == 200 and "copy_from" not in change.content.decode()
    copied = client.get(f"/admin/pricing/pricelist/add/?copy_from={published.pk}")
    assert copied.context["inline_admin_formsets"][0].formset.initial_form_count() == 0
    forms = copied.context["inline_admin_formsets"][0].formset.forms
    assert [form.initial["start_time"] for form in forms] == [time(0), time(17)]
    assert client.post(f"/admin/pricing/pricelist/{published.pk}/change/", {}).status_code == 403


def test_staff_of_another_hall_cannot_publish_or_copy_its_prices(berlin_hall):
    with time_machine.travel(WEDNESDAY_1630, tick=False):
        theirs = publish(berlin_hall, valid_from=WEDNESDAY_1630 + timedelta(days=1))
        outsider = _admin(HallStaffFactory().user)
        every = [str(day) for day in range(7)]
        response = outsider.post(
            "/admin/pricing/pricelist/add/", _price_list_form(berlin_hall, [(every, "00:00", "00:00", "1.00")])
        )
        assert response.status_code == 200 and PriceList.objects.count() == 1
        copied = outsider.get(f"/admin/pricing/pricelist/add/?copy_from={theirs.pk}")
        assert copied.context["inline_admin_formsets"][0].formset.forms[0].initial == {}


def test_staff_mark_members_in_the_admin(berlin_hall):
    staff = HallStaffFactory(hall=berlin_hall).user
    player = PlayerFactory()
    response = _admin(staff).post(
        "/admin/pricing/membership/add/", {"hall": berlin_hall.pk, "player": player.pk, "valid_until": "2026-12-31"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get()
    assert (membership.player, membership.valid_until, membership.created_by) == (player, date(2026, 12, 31), staff)
    again = _admin(staff).post(
        "/admin/pricing/membership/add/", {"hall": berlin_hall.pk, "player": player.pk, "valid_until": "2027-06-30"}
    )
    assert again.status_code == 302
    assert Membership.objects.get().valid_until == date(2027, 6, 30)
