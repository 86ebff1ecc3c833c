# Two commands set up everything: `make run` (the whole stack on an embedded default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# uv installs the requirements (seconds where pip took minutes); the venv's own pip installs only uv.
# Bytecode is compiled at install, as pip does: with PYTHONDONTWRITEBYTECODE set (as on some machines)
# every start would otherwise compile Django again (a second `make run` 15 s instead of 7 s here).
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
# One stamp per requirement set: `make run` installs what running needs, `make test`, `make lint` and the
# benches add the test, lint and benchmark tools. A set is installed again only when one of its files changes.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: install run test test-clocks lint format migrate seed clean bench bench-full lambdas-package

# uv reads no pip configuration, so hand it what pip uses on this machine (`pip config list`: the PIP_*
# variables first, then pip.conf): index, extra indexes, find-links, constraints and CA bundle. With extra
# indexes uv takes the best version from any of them, as pip does. On a machine with only PyPI it sets
# nothing, and UV_* variables already set win.
define STRIKEM_PIP_TO_UV
import ast, os, shlex, subprocess, sys
listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
found = {}
for line in listed.splitlines():
    key, _, value = line.partition("=")
    scope, _, name = key.rpartition(".")
    try:
        found[scope, name] = str(ast.literal_eval(value))
    except (SyntaxError, ValueError):
        continue
def option(name):
    return next((found[scope, name] for scope in (":env:", "install", "global") if (scope, name) in found), "")
uv = {
    "UV_DEFAULT_INDEX": option("index-url"),
    "UV_INDEX": " ".join(option("extra-index-url").split()),
    "UV_FIND_LINKS": ",".join(option("find-links").split()),
    "UV_CONSTRAINT": " ".join(option("constraint").split()),
    "SSL_CERT_FILE": option("cert"),
}
if uv["UV_INDEX"]:
    uv["UV_INDEX_STRATEGY"] = "unsafe-best-match"
for name, value in uv.items():
    if value and name not in os.environ:
        print(f"export {name}={shlex.quote(value)}")
endef
export STRIKEM_PIP_TO_UV
UV_INSTALL = eval "$$($(PY) -c "$$STRIKEM_PIP_TO_UV")" && $(UV) pip install --python $(PY) --compile-bytecode

$(UV_STAMP):
	@echo "== $(VENV): a virtualenv with uv $(UV_VERSION) to install the rest"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install uv==$(UV_VERSION)
	touch $@

# What running needs: the runtime pins without mysqlclient (make run uses SQLite; with a MySQL DATABASE_URL
# `make run` adds it) and the embedded Redis.
$(RUN_STAMP): requirements.txt requirements-run.txt $(UV_STAMP)
	@echo "== Installing what running needs: requirements.txt (less mysqlclient) and requirements-run.txt"
	grep -iv '^mysqlclient' requirements.txt > $(VENV)/requirements-sqlite.txt
	$(UV_INSTALL) -r $(VENV)/requirements-sqlite.txt -r requirements-run.txt
	touch $@

# Everything: the runtime pins with mysqlclient and the test, lint and benchmark tools.
$(DEV_STAMP): requirements.txt requirements-run.txt requirements-dev.txt $(UV_STAMP)
	@echo "== Installing requirements.txt and the test, lint and benchmark tools (requirements-dev.txt)"
	@# mysqlclient compiles against libmariadb-dev; on a bare machine without it, `make run` still
	@# works on SQLite, so install everything else and say so.
	$(UV_INSTALL) -r requirements.txt -r requirements-dev.txt || { \
	  echo "mysqlclient did not build (install libmariadb-dev and pkg-config for MySQL); continuing with SQLite only"; \
	  grep -iv '^mysqlclient' requirements.txt > $(VENV)/requirements-sqlite.txt; \
	  $(UV_INSTALL) -r $(VENV)/requirements-sqlite.txt -r requirements-dev.txt; }
	touch $@

install: $(DEV_STAMP)

migrate: $(RUN_STAMP)
	@case "$$DATABASE_URL" in mysql*) $(PY) -c "import MySQLdb" 2>/dev/null || { \
	  echo "== DATABASE_URL is MySQL: installing mysqlclient"; \
	  $(UV_INSTALL) "$$(grep -i '^mysqlclient' requirements.txt)"; };; esac
	@mkdir -p var/static
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed

# `make run VERBOSE=1` (or RUN_VERBOSE=1 in the environment) logs every Celery task too.
run: seed
	$(if $(VERBOSE),RUN_VERBOSE=$(VERBOSE)) $(PY) manage.py runstack

test: install
	@mkdir -p var/static
	@# xdist workers gw0 to gw3, each on its own test database and Redis database (REDIS_URL's number plus
	@# the worker's: 9 to 12 by default; strikem/settings/test.py). Four on two cores: the e2e tests mostly
	@# wait on their servers. `make test TEST_WORKERS=2` where Redis databases 11 and 12 are taken.
	@# `$(VENV)/bin/pytest` alone still runs in one process. Bytecode is written even where the machine sets
	@# PYTHONDONTWRITEBYTECODE: else every worker rewrote the asserts of 400 modules (about 5 s of CPU each)
	@# and every server process an e2e test starts compiled the project again, on every run.
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -n $(or $(TEST_WORKERS),4)

# The suite again with the clock pinned where it once broke (issue 16): 23:30 UTC, just after midnight in a
# hall's zone, both daylight-saving changes of a zone that has them (its round-the-clock test halls in
# that zone), the last day of a month. Real server processes keep the machine's clock: those tests skip.
CLOCK_ARGS ?= -n 2
CLOCKS := 2026-12-01T23:30:00Z@UTC 2026-12-01T20:05:00Z@Asia/Tbilisi 2027-03-28T00:30:00Z@Europe/Berlin \
	2026-10-25T00:30:00Z@Europe/Berlin 2027-02-28T22:30:00Z@UTC

test-clocks: install
	@mkdir -p var/static
	@for spec in $(CLOCKS); do \
	  echo "== the suite at $${spec%@*} (test halls in $${spec#*@})"; \
	  PYTHONDONTWRITEBYTECODE= STRIKEM_TEST_CLOCK=$${spec%@*} STRIKEM_TEST_HALL_ZONE=$${spec#*@} \
	    $(VENV)/bin/pytest -q --ignore=tests/e2e $(CLOCK_ARGS) || exit 1; \
	done

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	VENV=$(VENV) bash deploy/lint.sh
	VENV=$(VENV) bash deploy/audit.sh

# Benchmarks print figures beside a baseline measured in the same run (see bench/ and the README).
BENCHES := bench/rest_hot_path.py bench/push_latency.py bench/socket_capacity.py bench/on_time_sessions.py bench/matchmaking_list.py bench/soak.py \
	bench/tournament_calls.py bench/tournament_snapshot.py bench/walkup_wait.py

bench: install
	@for script in $(BENCHES); do BENCH_MODE=quick $(PY) $$script || exit 1; done

bench-full: install
	@for script in $(BENCHES); do BENCH_MODE=full $(PY) $$script || exit 1; done

# The cleanup Lambdas' code package: lambdas/ with its own pinned requirements (what the pipeline deploys).
lambdas-package:
	rm -rf build/lambdas && mkdir -p build/lambdas
	$(PYTHON) -m pip install --quiet --no-compile -r lambdas/requirements.txt -t build/lambdas
	cp -r lambdas build/lambdas/lambdas
	find build/lambdas -name "__pycache__" -prune -exec rm -rf {} +
	cd build/lambdas && rm -f ../lambdas.zip && $(PYTHON) -m zipfile -c ../lambdas.zip .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles build
