# Two commands set up everything: `make run` (the whole stack on an embedded default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install run test lint format migrate seed clean bench bench-full lambdas-package

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	@# mysqlclient compiles against libmariadb-dev; on a bare machine without it, `make run` still
	@# works on SQLite, so install everything else and say so.
	$(PIP) install --quiet -r requirements.txt -r requirements-dev.txt || { \
	  echo "mysqlclient did not build (install libmariadb-dev and pkg-config for MySQL); continuing with SQLite only"; \
	  grep -iv '^mysqlclient' requirements.txt > $(VENV)/requirements-sqlite.txt; \
	  $(PIP) install --quiet -r $(VENV)/requirements-sqlite.txt -r requirements-dev.txt; }
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed

run: seed
	$(PY) manage.py runstack

test: install
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	VENV=$(VENV) bash deploy/lint.sh
	VENV=$(VENV) bash deploy/audit.sh

# Benchmarks print figures beside a baseline measured in the same run (see bench/ and the README).
BENCHES := bench/rest_hot_path.py bench/push_latency.py bench/socket_capacity.py bench/on_time_sessions.py bench/matchmaking_list.py bench/soak.py

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
