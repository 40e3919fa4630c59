#!/usr/bin/env bash
# Migrate, load the demo district if the database is empty, then run the background worker
# and the web server together; stopping one (Ctrl-C) stops both.
set -euo pipefail
PORT="${PORT:-8000}"
PY=.venv/bin/python
$PY manage.py migrate --no-input -v0
$PY manage.py compilemessages -v0 --ignore=.venv 2>/dev/null || true
$PY manage.py load_demo
$PY manage.py run_worker &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "智印 Zhiyin: http://127.0.0.1:${PORT}/"
$PY manage.py runserver "127.0.0.1:${PORT}" --noreload
