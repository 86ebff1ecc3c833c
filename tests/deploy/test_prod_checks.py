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
