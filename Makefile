# piaojue: `make run` to serve, `make test` to check everything on SQLite and PostgreSQL.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PIAOJUE_DATA ?= ./var

.PHONY: setup system-packages migrate run hall test test-sqlite test-postgresql postgres samples bench bundle lock clean

setup: $(VENV)/.installed

# Every machine installs the same versions: requirements.lock pins them with hashes (regenerate both
# locks with `make lock`; --no-strip-extras because pip 23 refuses `fonttools[woff]` in hash mode unless
# the lock pins the extra too, and takes a newer fonttools from the index instead).
$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

system-packages:
	@bash scripts/system-packages.sh

migrate: setup
	$(BIN)/piccolo migrations forwards all

run: setup migrate
	@if [ "$${PIAOJUE_DEMO:-1}" != 0 ]; then $(BIN)/python -m voting demo && $(BIN)/python -m lifecycle demo; fi
	$(BIN)/uvicorn app:app --host 127.0.0.1 --port $(PORT) --no-access-log --timeout-keep-alive 75

# The hall: HTTPS on this machine's LAN addresses for the tablets, with the hall's own certificate
# authority (made once in $(PIAOJUE_DATA)/tls); tablets install it from http://<address>:8080/trust.
hall: setup migrate
	$(BIN)/python -m voting hall

test: setup system-packages test-sqlite test-postgresql

# axe-core for the accessibility test only (never served), pinned by its lock file.
AXE := tests/browser/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/axe/package-lock.json
	npm ci --prefix tests/browser/axe --no-audit --no-fund --loglevel=error
	touch $@

test-sqlite: setup $(AXE)
	PIAOJUE_TEST_DB=sqlite $(BIN)/python -m pytest -p no:cacheprovider

test-postgresql: setup
	PIAOJUE_TEST_PG="$$(bash scripts/postgres-test-server.sh)" PIAOJUE_TEST_DB=postgresql \
	  $(BIN)/python -m pytest -p no:cacheprovider

# One PDF of each printed document for the demo data, in samples/ (its own database in samples/.data).
samples: setup
	rm -rf samples/.data
	PIAOJUE_DATA=samples/.data DATABASE_URL= PIAOJUE_DEMO=1 $(BIN)/piccolo migrations forwards all >/dev/null
	PIAOJUE_DATA=samples/.data DATABASE_URL= $(BIN)/python -m reports.samples samples

# Benchmarks against their targets, each in a fresh process: a table, and bench/results.json (git-ignored).
# `$(BIN)/python -m bench --help` for choosing benchmarks, repeats and the reference's sample.
bench: setup
	$(BIN)/python -m bench

postgres:
	@bash scripts/postgres-test-server.sh

# One archive that installs with no network: the application, wheels for x86_64 and aarch64, install.sh
# (scripts/bundle.sh says what is in it). Written to dist/.
bundle: setup
	@bash scripts/bundle.sh

# Both lock files from pyproject.toml: requirements.lock (with the test tools, for `make setup`) and
# requirements-runtime.lock (what the offline bundle carries), the runtime pins taken from the first.
lock:
	uv pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes --no-strip-extras -o requirements.lock
	grep -oE '^[A-Za-z0-9_.-]+(\[[^]]*\])?==[^ ]+' requirements.lock | sed 's/\[.*\]//' > .lock-pins.txt
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-strip-extras -c .lock-pins.txt \
	  -o requirements-runtime.lock --custom-compile-command "make lock"
	rm -f .lock-pins.txt

clean:
	rm -rf $(VENV) .hypothesis
