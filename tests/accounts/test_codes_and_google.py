import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core import mail
from django.utils import timezone

from apps.accounts import google
from apps.accounts.models import User, VerificationCode
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "brand-new-pass-77"


@pytest.fixture
def send_code(api, django_capture_on_commit_callbacks):
    def post(email=None, client=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api).post("/users/get-code-forget/", {"email": email} if email else {}, format="json")

    return post


def _code_from_mail() -> str:
    match = re.search(r"code is (\d{6})", mail.outbox[-1].body)
    assert match
    return match[1]


def test_unknown_email_gets_the_same_answer_and_no_mail(send_code, player):
    unknown = send_code("nobody@example.com")
    known = send_code(player.user.email)
    assert unknown.status_code == known.status_code == 200
    assert unknown.json() == known.json()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [player.user.email]


def test_forgot_password_flow_sets_a_new_password(api, send_code, player):
    send_code(player.user.email)
    verified = api.post("/users/verify-code-forget/", {"email": player.user.email, "code": _code_from_mail()})
    assert verified.status_code == 200
    key = verified.json()["key"]
    done = api.post("/users/set-forget-password/", {"email": player.user.email, "key": key, "password": NEW_PASSWORD})
    assert done.status_code == 200
    login = api.post("/auth/jwt/create", {"username": player.user.username, "password": NEW_PASSWORD})
    assert login.status_code == 200
    replay = api.post("/users/set-forget-password/", {"email": player.user.email, "key": key, "password": "x" * 20})
    assert replay.status_code == 400
    assert replay.json()["error"] == "INVALID_KEY"


def test_wrong_guesses_are_limited_and_then_even_the_right_code_fails(api, send_code, player, settings):
    send_code(player.user.email)
    code = _code_from_mail()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.VERIFICATION_CODE_MAX_ATTEMPTS):
        response = api.post("/users/verify-code-forget/", {"email": player.user.email, "code": wrong})
        assert response.status_code == 400
        assert response.json()["error"] == "INVALID_CODE"
    assert VerificationCode.objects.get(user=player.user).attempts == settings.VERIFICATION_CODE_MAX_ATTEMPTS
    late = api.post("/users/verify-code-forget/", {"email": player.user.email, "code": code})
    assert late.status_code == 400


def test_expired_code_is_refused(api, send_code, player):
    send_code(player.user.email)
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post("/users/verify-code-forget/", {"email": player.user.email, "code": _code_from_mail()})
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_CODE"


def test_only_the_newest_code_works(api, send_code, player):
    send_code(player.user.email)
    first = _code_from_mail()
    send_code(player.user.email)
    second = _code_from_mail()
    if first != second:
        stale = api.post("/users/verify-code-forget/", {"email": player.user.email, "code": first})
        assert stale.status_code == 400
    assert api.post("/users/verify-code-forget/", {"email": player.user.email, "code": second}).status_code == 200


def test_code_for_unknown_email_fails_like_a_wrong_code(api):
    response = api.post("/users/verify-code-forget/", {"email": "ghost@example.com", "code": "123456"})
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_CODE"


# --- Google sign-in, verified against a local key set served on loopback -----------------------


class _Jwks:
    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        public.update({"kid": "test-key", "use": "sig", "alg": "RS256"})
        document = json.dumps({"keys": [public]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, audience: str, email: str = "g.player@gmail.com", verified: bool = True, **extra) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://accounts.google.com",
            "aud": audience,
            "sub": "1234567890",
            "email": email,
            "email_verified": verified,
            "iat": now,
            "exp": now + 600,
            "given_name": "Gia",
            "family_name": "P",
            **extra,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": "test-key"})


@pytest.fixture(scope="module")
def jwks():
    keys = _Jwks()
    yield keys
    keys.server.shutdown()


@pytest.fixture
def google_keys(jwks, settings):
    settings.GOOGLE_JWKS_URL = jwks.url
    google._jwks_client.cache_clear()
    return jwks


def test_google_sign_in_creates_an_active_account_without_password(api, google_keys, settings):
    token = google_keys.token(settings.GOOGLE_CLIENT_ID)
    response = api.post("/users/google-auth/", {"id_token": token, "from": "register"}, format="json")
    assert response.status_code == 200
    access = response.json()["access_token"]
    user = User.objects.get(email="g.player@gmail.com")
    assert user.is_active and not user.has_usable_password()
    api.credentials(HTTP_AUTHORIZATION=f"JWT {access}")
    me = api.get("/users/current-user").json()
    assert me["password_is_null"] is True
    assert me["user"]["username"] == "g.player"


def test_google_sign_in_logs_into_the_existing_account_with_that_email(api, google_keys, settings):
    existing = PlayerFactory(user__email="g.player@gmail.com")
    response = api.post("/users/google-auth/", {"id_token": google_keys.token(settings.GOOGLE_CLIENT_ID)})
    assert response.status_code == 200
    assert User.objects.filter(email="g.player@gmail.com").count() == 1
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    assert api.get("/users/current-user").json()["id"] == existing.id


@pytest.mark.parametrize(
    "make_token",
    [
        lambda keys, aud: keys.token("someone-else.apps.googleusercontent.com"),
        lambda keys, aud: keys.token(aud, verified=False),
        lambda keys, aud: keys.token(aud, exp=int(time.time()) - 10),
        lambda keys, aud: keys.token(aud, iss="https://evil.example.com"),
        lambda keys, aud: jwt.encode(
            {"aud": aud, "email": "x@y.z"}, "not-googles-key-but-long-enough-for-hs256!", algorithm="HS256"
        ),
        lambda keys, aud: "not-a-jwt",
    ],
    ids=["wrong-audience", "unverified-email", "expired", "wrong-issuer", "wrong-signature", "garbage"],
)
def test_bad_google_tokens_are_refused(api, google_keys, settings, make_token):
    response = api.post("/users/google-auth/", {"id_token": make_token(google_keys, settings.GOOGLE_CLIENT_ID)})
    assert response.status_code == 401
    assert response.json()["error"] == "GOOGLE_TOKEN_INVALID"
    assert not User.objects.filter(email="g.player@gmail.com").exists()


def test_google_user_sets_a_first_password_with_a_code_from_get_code_forget(api, google_keys, settings, send_code):
    access = api.post("/users/google-auth/", {"id_token": google_keys.token(settings.GOOGLE_CLIENT_ID)}).json()
    api.credentials(HTTP_AUTHORIZATION=f"JWT {access['access_token']}")
    assert send_code(email="g.player@gmail.com", client=api).status_code == 200
    key = api.post("/users/verify-code/", {"code": _code_from_mail()})
    assert key.status_code == 200
    done = api.post("/users/set-g-password/", {"key": key.json()["key"], "password": NEW_PASSWORD})
    assert done.status_code == 200
    assert api.get("/users/current-user").json()["password_is_null"] is False
    api.credentials()
    assert api.post("/auth/jwt/create", {"username": "g.player", "password": NEW_PASSWORD}).status_code == 200
