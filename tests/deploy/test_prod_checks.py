"""Production settings pass Django's deployment checks, and the published schema builds without a warning."""

import secrets
import subprocess
import sys

from tests.processes import ROOT


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_with_prod_settings_prints_no_warning() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "mysql://root@127.0.0.1:3306/strikem",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "ALLOWED_HOSTS": "strikem.example",
        "CSRF_TRUSTED_ORIGINS": "https://strikem.example",
    }
    run = _manage("check", "--deploy", "--settings=strikem.settings.prod", **env)
    assert run.returncode == 0, run.stderr
    assert "System check identified no issues (0 silenced)." in run.stdout, run.stdout + run.stderr


def test_prod_settings_refuse_to_start_without_a_secret() -> None:
    run = _manage("check", "--settings=strikem.settings.prod", PATH="/usr/bin:/bin")
    assert run.returncode != 0
    assert "DJANGO_SECRET_KEY" in run.stderr and "Missing required environment variables" in run.stderr


def test_openapi_schema_builds_valid_and_without_warnings(tmp_path) -> None:
    out = tmp_path / "schema.yaml"
    run = _manage(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(out),
        DJANGO_SETTINGS_MODULE="strikem.settings.test",
        PATH="/usr/bin:/bin",
    )
    assert run.returncode == 0, run.stderr
    text = out.read_text()
    assert "jwtAuth" in text and "/api/poolhouses/{hall_id}/tables/" in text


def _settings_value(module: str, expression: str, **env: str) -> str:
    code = f"import django; from django.conf import settings; django.setup(); print({expression})"
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_base_settings_are_safe_by_default_and_development_is_its_own_module(tmp_path) -> None:
    static = tmp_path / "static-root"
    assert _settings_value("strikem.settings.base", "settings.DEBUG", STATIC_ROOT=str(static)) == "False"
    assert not static.exists(), "importing the settings created a folder"
    assert _settings_value("strikem.settings.dev", "settings.DEBUG") == "True"
    assert _settings_value("strikem.settings.dev", "settings.DEBUG", DEBUG="false") == "False"
    assert _settings_value("strikem.settings.base", "settings.SERVE_MEDIA") == "False"
