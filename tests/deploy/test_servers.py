"""The servers the tests and benchmarks start are the ones deployed."""

import shlex

from deploy.servers import DAPHNE_OPTIONS
from tests.processes import ROOT


def _entrypoint_command(role: str) -> list[str]:
    """The command deploy/entrypoint.sh runs for `role`, its continuation lines joined."""
    script = (ROOT / "deploy" / "entrypoint.sh").read_text().replace("\\\n", " ")
    lines = script.split(f"\n  {role})\n", 1)[1].splitlines()
    return shlex.split(next(line for line in lines if line.strip().startswith("exec ")))


def test_the_asgi_role_runs_daphne_with_the_options_the_benchmarks_use() -> None:
    command = _entrypoint_command("asgi")
    assert command[:2] == ["exec", "daphne"]
    options = command[command.index("${port}") + 1 : command.index("strikem.asgi:application")]
    assert tuple(options) == DAPHNE_OPTIONS
