"""The public wait page and the staff board's queue in a real headless Chromium (Debian's), driven by
Playwright, against Daphne: both follow the queue live over their sockets."""

import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import time

import pytest
from playwright.sync_api import sync_playwright

from apps.reservations import services as sessions
from apps.walkup import services
from apps.walkup.models import QueueEntry
from tests.factories import PASSWORD, HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.processes import ROOT, celery_worker, daphne_server
from tests.walkup.helpers import running_game

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]


def _in_thread(work):
    """Playwright's sync API runs an event loop in this thread; the ORM works from another one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result(timeout=30)


def test_the_wait_page_shows_parties_their_waits_and_tables_freeing_live_without_a_login():
    hall = HallFactory(title="Rack & Cue", open_time=time(0), close_time=time(0), time_zone="Asia/Tbilisi")
    tables = [TableFactory(hall=hall, number=n, kind=kind) for n, kind in ((1, "pool"), (2, "pool"), (3, "snooker"))]
    games = [running_game(table, minutes_left=minutes) for table, minutes in zip(tables, (12, 35, 50), strict=True)]
    staff = HallStaffFactory(hall=hall).user
    for name, size, kind in (("Nino", 2, ""), ("G.", 4, "snooker")):
        services.queue_join(hall=hall, player=PlayerFactory(), party_size=size, table_kind=kind, name=name)
    with daphne_server("daphne-wait") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720}, timezone_id="America/New_York")
            page.goto(f"{base}/halls/{hall.slug}/wait/")
            page.wait_for_selector("#status.live", timeout=15000)
            rows = page.locator("#parties li")
            assert rows.count() == 2
            first = rows.nth(0).inner_text()
            assert "Nino" in first and "2 people" in first and "typically 17 min" in first, first
            assert "snooker" in rows.nth(1).inner_text()
            assert "Table 1" in page.locator("#freeing li").nth(0).inner_text()

            # A party joins at the desk: it appears without a reload.
            _in_thread(lambda: services.queue_add_at_desk(hall=hall, user=staff, name="Sam", party_size=3))
            page.wait_for_selector("#parties li:nth-child(3)", timeout=10000)
            assert "Sam" in rows.nth(2).inner_text()

            # Table 1 frees: the first party is told its table is ready.
            _in_thread(lambda: sessions.session_end_by_staff(session_id=games[0].pk, staff_user=staff))
            page.wait_for_selector("#parties li.offered", timeout=10000)
            assert "Your table is ready" in page.locator("#parties li.offered").inner_text()
            assert "Nino" in page.locator("#parties li.offered").inner_text()
            shown = page.content()
            for table in tables:
                assert "@" not in shown  # no e-mail address anywhere
            page.screenshot(path=str(ROOT / "var" / "wait-page.png"))
        finally:
            browser.close()


def test_the_staff_board_shows_the_queue_and_the_offer_on_its_table():
    hall = HallFactory(open_time=time(0), close_time=time(0), time_zone="Asia/Tbilisi")
    tables = [TableFactory(hall=hall, number=n, top=30, left=20 * n) for n in (1, 2)]
    games = [running_game(table, minutes_left=30) for table in tables]
    staff = HallStaffFactory(hall=hall).user
    services.queue_join(hall=hall, player=PlayerFactory(user__username="tamar"), party_size=2, name="Tamar")
    with daphne_server("daphne-board-queue") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/admin/login/?next=/staff/halls/{hall.id}/board/")
            page.fill("#id_username", staff.username)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#status.live", timeout=15000)
            page.wait_for_selector("#queue-list li", timeout=10000)
            listed = page.locator("#queue-list li").inner_text()
            assert "1. Tamar (tamar), 2 people" in listed and "min" in listed, listed

            _in_thread(lambda: sessions.session_end_by_staff(session_id=games[1].pk, staff_user=staff))
            page.wait_for_selector(f'[data-table-id="{tables[1].id}"].offered', timeout=10000)
            on_table = page.locator(f'[data-table-id="{tables[1].id}"]').inner_text()
            assert "offered to Tamar" in on_table, on_table
            assert "offered table 2" in page.locator("#queue-list li").inner_text()
            assert page.locator(".table.offered").count() == 1
        finally:
            browser.close()


def test_the_desk_adds_seats_and_removes_parties_from_the_staff_board_and_the_table_turns_busy_live():
    hall = HallFactory(open_time=time(0), close_time=time(0), time_zone="Asia/Tbilisi")
    free = TableFactory(hall=hall, number=1, top=30, left=20, kind="pool")
    busy = TableFactory(hall=hall, number=2, top=30, left=60, kind="pool")
    running_game(busy, minutes_left=40)
    staff = HallStaffFactory(hall=hall).user
    with (
        daphne_server("daphne-board-desk") as base,
        celery_worker(name="worker-board-desk"),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York")
            page.goto(f"{base}/admin/login/?next=/staff/halls/{hall.id}/board/")
            page.fill("#id_username", staff.username)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#status.live", timeout=15000)
            page.wait_for_selector(f'[data-table-id="{free.id}"].free', timeout=10000)
            assert page.locator("#queue-list li").count() == 0

            # A party at the desk: it is listed, and offered the free table at once.
            page.fill("#queue-add input[name=name]", "Sam")
            page.fill("#queue-add input[name=party_size]", "3")
            page.select_option("#queue-add select[name=table_kind]", "pool")
            page.click("#queue-add button[type=submit]")
            page.wait_for_selector("#queue-list li:has-text('Sam')", timeout=10000)
            listed = page.locator("#queue-list li").inner_text()
            assert "1. Sam (at the desk), 3 people, pool" in listed, listed
            page.wait_for_selector(f'[data-table-id="{free.id}"].offered', timeout=10000)

            # Seated on the first free table: it leaves the queue and its table turns busy, no reload.
            page.click("#queue-list li:has-text('Sam') button.seat")
            page.wait_for_selector("#queue-list li:has-text('Sam')", state="detached", timeout=10000)
            page.wait_for_selector(f'[data-table-id="{free.id}"].busy', timeout=15000)
            assert "walk-in" in page.locator(f'[data-table-id="{free.id}"]').inner_text()
            assert page.locator(".table.offered").count() == 0

            # A second party finds no table free: seating it on the busy table is refused in words, and
            # it is removed when it leaves.
            page.fill("#queue-add input[name=name]", "Lea")
            page.click("#queue-add button[type=submit]")
            page.wait_for_selector("#queue-list li:has-text('Lea')", timeout=10000)
            page.select_option("#queue-list li:has-text('Lea') select.seat-table", "2")
            page.click("#queue-list li:has-text('Lea') button.seat")
            page.wait_for_selector("#queue-error:has-text('Table 2')", timeout=10000)
            page.click("#queue-list li:has-text('Lea') button.remove")
            page.wait_for_selector("#queue-list li:has-text('Lea')", state="detached", timeout=10000)
            assert page.locator("#queue-empty").is_visible()
        finally:
            browser.close()
    sam, lea = QueueEntry.objects.get(name="Sam"), QueueEntry.objects.get(name="Lea")
    assert (sam.status, lea.status) == (QueueEntry.Status.SEATED, QueueEntry.Status.REMOVED)
    assert sam.reservation.table == free and sam.reservation.game_session is not None
