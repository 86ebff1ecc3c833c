"""Refusals the app means are logged as one line; an unexpected error keeps its traceback."""

import io
import logging

import pytest

from tests.factories import HallFactory, HallStaffFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def console():
    """What the configured console handler writes (its own filters and formatter)."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_another_halls_staff_page_is_a_403_logged_on_one_line(client, console):
    staff = StaffUserFactory()
    HallStaffFactory(hall=HallFactory(), user=staff)
    other_hall = HallFactory()
    client.force_login(staff)
    response = client.get(f"/staff/halls/{other_hall.pk}/board/")
    assert response.status_code == 403
    logged = console.getvalue()
    assert "Forbidden" in logged and f"/staff/halls/{other_hall.pk}/board/" in logged
    assert "Traceback" not in logged and len(logged.strip().splitlines()) == 1


def test_an_unexpected_error_keeps_its_traceback(console):
    logger = logging.getLogger("django.request")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.error("Internal Server Error: /x", exc_info=True, extra={"status_code": 500})
    assert "Traceback" in console.getvalue() and "RuntimeError: boom" in console.getvalue()
