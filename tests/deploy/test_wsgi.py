"""What a Gunicorn worker has ready once it has loaded the WSGI application, before its first request."""

import subprocess
import sys

from tests.processes import ROOT

_PROBE = """
import sys
import strikem.wsgi
from django.urls import get_resolver
print("strikem.urls" in sys.modules, get_resolver()._populated)
"""


def test_loading_the_wsgi_application_imports_and_compiles_the_url_tree() -> None:
    run = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True"], run.stdout + run.stderr
