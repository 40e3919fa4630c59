# Zhiyin: the two commands the README shows, and a few more.
#   make run    install, migrate, load the demo district, serve through gunicorn + worker (PORT=8000)
#   make dev    the same with Django's autoreloading development server
#   make test   install (incl. Debian packages the tests use), ruff, mypy, the whole suite
#   make bench  the benchmarks in bench/

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
PORT   ?= 8000

.PHONY: install system-deps run dev test lint typecheck pytest bench messages clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(UV): | $(PY)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

install: $(UV)
	$(UV) sync --frozen --inexact --quiet

system-deps:
	bash scripts/system-deps.sh

run: install
	PORT=$(PORT) bash scripts/run.sh

dev: install
	PORT=$(PORT) bash scripts/run.sh dev

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: install
	$(VENV)/bin/mypy .

pytest: install system-deps
	$(VENV)/bin/pytest

test: install system-deps lint typecheck pytest

bench: install system-deps
	bash scripts/bench.sh

messages: install
	cd zhiyin && ../$(PY) ../manage.py makemessages -l en --no-obsolete && ../$(PY) ../manage.py compilemessages

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
