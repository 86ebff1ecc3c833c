import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_health_reports_every_dependency_ok(api):
    response = api.get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "channel_layer": "ok", "migrations": "ok"},
    }


def test_health_answers_without_trailing_slash_and_without_redirect(api):
    assert api.get("/health").status_code == 200


def test_unknown_hall_gets_the_error_envelope(api):
    response = api.get("/api/poolhouses/999999/")
    assert response.status_code == 404
    assert response.json() == {"error": "HALL_NOT_FOUND", "detail": "No such pool hall."}


def test_protected_endpoint_without_token_is_401_with_envelope(api):
    response = api.get("/users/current-user")
    assert response.status_code == 401
    assert response.json()["error"] == "NOT_AUTHENTICATED"


def test_garbage_token_is_401_token_invalid(api):
    api.credentials(HTTP_AUTHORIZATION="JWT not-a-token")
    response = api.get("/users/current-user")
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "TOKEN_INVALID"
    assert isinstance(body["detail"], str)


def test_malformed_json_is_400_malformed_request(api):
    response = api.post("/auth/jwt/create", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "MALFORMED_REQUEST"


def test_openapi_schema_and_swagger_ui_are_served(api):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/poolhouses/" in schema.content
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/poolhouses/not-a-number/", "/users/nothing-here/", "/auth/x"])
def test_an_unmatched_url_is_a_json_404_envelope(api, settings, debug, path):
    settings.DEBUG = debug  # `make run` runs with DEBUG on; the web client still gets the envelope
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": "NOT_FOUND", "detail": "Not found."}
    # Any method: the route answers before any CSRF check (the API uses tokens, not cookies).
    client = Client(enforce_csrf_checks=True)
    response = client.delete(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": "NOT_FOUND", "detail": "Not found."}
