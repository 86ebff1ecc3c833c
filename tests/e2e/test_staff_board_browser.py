"""The staff live board in a real headless Chromium (Debian's), driven by Playwright, against Daphne."""

import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import sync_playwright

from apps.reservations import services as sessions
from apps.reservations.models import Reservation
from apps.tournaments import services as tournaments
from tests.factories import PASSWORD, HallStaffFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly
from tests.processes import ROOT, daphne_server
from tests.tournaments.conftest import windows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_staff_board_turns_a_table_busy_without_a_reload(hall):
    hall.time_zone = "Asia/Tbilisi"  # the board shows the hall's time, not the screen's (New York below)
    hall.save()
    tables = [TableFactory(hall=hall, number=n, top=20 * n, left=15 * n) for n in (1, 2, 3)]
    staff = HallStaffFactory(hall=hall).user
    with daphne_server("daphne-board") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(timezone_id="America/New_York")
            page.goto(f"{base}/admin/login/?next=/staff/halls/{hall.id}/board/")
            page.fill("#id_username", staff.username)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#status.live", timeout=15000)
            assert page.locator(".table").count() == 3
            target = tables[1]
            page.wait_for_selector(f'[data-table-id="{target.id}"].free')

            def start_a_game() -> Reservation:
                reservation = book_directly(
                    target, PlayerFactory(), PlayerFactory(), start=timezone.now() - timedelta(seconds=1), seconds=1800
                )
                sessions.session_start(reservation_id=reservation.pk)
                return reservation

            # Playwright's sync API runs an event loop in this thread; the ORM works from another one.
            with ThreadPoolExecutor(max_workers=1) as pool:
                reservation = pool.submit(start_a_game).result(timeout=30)

            page.wait_for_selector(f'[data-table-id="{target.id}"].busy', timeout=10000)
            shown = page.locator(f'[data-table-id="{target.id}"]').inner_text()
            until = reservation.end_time.astimezone(ZoneInfo("Asia/Tbilisi"))
            assert "busy" in shown and f"until {until:%H:%M}" in shown, shown
            assert page.locator(".table.busy").count() == 1

            def start_a_tournament_on_tables_one_and_three() -> None:
                tournament = tournaments.tournament_create(
                    hall=hall,
                    staff_user=staff,
                    name="Friday 8-ball",
                    table_ids=[tables[0].pk, tables[2].pk],
                    format="single_elimination",
                    **windows(),
                )
                for player in (PlayerFactory(), PlayerFactory()):
                    tournaments.tournament_register(tournament_id=tournament.pk, player=player)
                    tournaments.tournament_check_in(tournament_id=tournament.pk, player_id=player.pk, user=staff)
                tournaments.tournament_start(tournament_id=tournament.pk, staff_user=staff)

            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(start_a_tournament_on_tables_one_and_three).result(timeout=30)
            # Its match plays on table 1; table 3 is the tournament's between games, not free.
            page.wait_for_selector(f'[data-table-id="{tables[0].id}"].busy', timeout=10000)
            page.wait_for_selector(f'[data-table-id="{tables[2].id}"].held', timeout=10000)
            assert "Friday 8-ball" in page.locator(f'[data-table-id="{tables[2].id}"]').inner_text()
            page.screenshot(path=str(ROOT / "var" / "staff-board.png"))
        finally:
            browser.close()


def test_board_page_is_for_staff_of_that_hall_only(hall, client):
    other_staff = HallStaffFactory().user
    client.force_login(other_staff)
    assert client.get(f"/staff/halls/{hall.id}/board/").status_code == 403
    assert client.get(f"/staff/halls/{hall.id}/board/ticket/").status_code == 403
    assert client.get("/staff/halls/999999/board/").status_code == 404
    client.force_login(PlayerFactory().user)
    assert client.get(f"/staff/halls/{hall.id}/board/").status_code == 302  # to the admin login
