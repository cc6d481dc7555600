# Sombrilla. `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: help demo test test-sqlite test-postgres lint tools messages lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  echo "python3 -m venv needs Debian's python3-venv: installing it"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
	  && $(PYTHON) -m venv $(VENV); }

$(VENV)/.runtime: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.test: $(VENV)/.runtime requirements-test.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-test.lock
	@touch $@

tools: ## Install Chromium (browser tests), gettext (translation checks), espeak-ng and opus-tools (spoken articles) from the system's packages, if missing
	@missing=""; \
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing="$$missing chromium"; \
	command -v xgettext >/dev/null && command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v opusenc >/dev/null || missing="$$missing opus-tools"; \
	if [ -n "$$missing" ]; then echo "Installing$$missing from the system's packages"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

demo: $(VENV)/.runtime ## Migrate, load the demo organisation and serve on http://127.0.0.1:8000
	SOMBRILLA_DEMO=1 $(BIN)/sombrilla demo

lint: $(VENV)/.test ## ruff format --check and ruff check
	$(BIN)/ruff format --check sombrilla bench
	$(BIN)/ruff check sombrilla bench

test-sqlite: $(VENV)/.test tools
	@echo "== test suite on SQLite"
	DATABASE_URL= REDIS_URL= $(BIN)/pytest

test-postgres: $(VENV)/.test tools
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  echo "== test suite on PostgreSQL (and Redis, if it answers)"; \
	  redis=$$($(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 6379), 2); print('$(REDIS_TEST_URL)')" 2>/dev/null); \
	  DATABASE_URL=$(PG_URL) REDIS_URL=$$redis $(BIN)/pytest; \
	else echo "== no PostgreSQL on 127.0.0.1:5432: suite ran on SQLite only"; fi

test: lint test-sqlite test-postgres ## Install what the tests need and run everything (SQLite, then PostgreSQL)

LOCALES := es ru fr zh_Hans ar
messages: $(VENV)/.test tools ## Extract strings into every language's .po and compile the .mo files
	cd sombrilla && SOMBRILLA_DEMO=1 ../$(BIN)/python -m sombrilla makemessages $(LOCALES:%=-l %) \
	  --no-obsolete --no-location --ignore='*/tests/*' --ignore=conftest.py \
	  && SOMBRILLA_DEMO=1 ../$(BIN)/python -m sombrilla compilemessages

lock: $(BIN)/python ## Re-pin the dependencies from pyproject.toml
	$(BIN)/python -m pip install -q pip-tools
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --extra test -o requirements-test.lock pyproject.toml

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var
