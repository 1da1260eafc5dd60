# khabar: `make run` serves the demo site, `make test` runs the whole suite (lint included).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run run-prod test test-fast lint bench system-deps system-test-deps demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# gettext compiles the translation catalogues; the rest are what the site itself needs.
system-deps:
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)

demo: install system-deps
	$(BIN)/khabar compilemessages --ignore '.venv/*' -v 0
	$(BIN)/khabar migrate --noinput -v 0
	$(BIN)/khabar load_demo
	$(BIN)/khabar distribution_demo
	$(BIN)/khabar collectstatic --noinput -v 0

# The app server and the background worker (scheduled stories, emails, photos), both stopped
# by Ctrl-C.
run: demo
	@echo "khabar on http://127.0.0.1:$(PORT)/ar/  (desk: /desk/, demo logins in README)"
	$(BIN)/python -m ops.supervise --port $(PORT)

# The production profile on this machine: PostgreSQL, Redis, two app processes, the worker,
# nginx. exec: killing make stops it too (its parent-death signal); README walks it.
run-prod: install system-test-deps
	$(BIN)/khabar compilemessages --ignore '.venv/*' -v 0
	PORT=$${PORT:-8080} exec $(BIN)/python -m ops.topology up

# Chromium (for the browser tests), PostgreSQL (for the search contract) and OpenSSH's server
# (distribution's SFTP test) come from Debian's packages; install them only when missing.
system-test-deps: system-deps
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	test -x /usr/lib/postgresql/15/bin/initdb || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v nginx >/dev/null || missing="$$missing nginx"; \
	test -e /usr/lib/nginx/modules/ngx_http_cache_purge_module.so || missing="$$missing libnginx-mod-http-cache-purge"; \
	test -x /usr/sbin/sshd || missing="$$missing openssh-server"; \
	if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing; fi

lint: install
	$(BIN)/ruff check khabar ops tests bench
	$(BIN)/ruff format --check khabar ops tests bench
	$(BIN)/mypy --strict khabar/lib khabar/wire ops
	$(BIN)/python scripts/mypy_baseline.py

test: install system-test-deps lint
	$(BIN)/khabar compilemessages --ignore '.venv/*' -v 0
	$(BIN)/pytest -n 2 --dist loadgroup

# The inner loop: everything but the browser and production-profile tests, no lint.
test-fast: install system-test-deps
	$(BIN)/khabar compilemessages --ignore '.venv/*' -v 0
	$(BIN)/pytest -n 2 --dist loadgroup -m "not browser and not topology"

bench: install system-test-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var/static var/test-output
