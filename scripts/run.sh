#!/usr/bin/env bash
# Migrate, load the demo district if the database is empty, collect static files, then
# serve through gunicorn (or, with `dev`, Django's autoreloading server) and run the
# background worker, both under one supervisor that restarts whichever exits and stops
# both on Ctrl-C (`manage.py serve`).
set -euo pipefail
PORT="${PORT:-8000}"
export PORT
# Links in QR codes and certificates point at the server actually being run.
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:${PORT}}"
# Security keys answer only to the origins listed (WebAuthn needs a host name: localhost).
export WEBAUTHN_ORIGINS="${WEBAUTHN_ORIGINS:-http://localhost:${PORT}}"
PY=.venv/bin/python
$PY manage.py migrate --no-input -v0
$PY manage.py compilemessages -v0 --ignore=.venv 2>/dev/null || true
$PY manage.py collectstatic --no-input -v0
if [ "${LOAD_DEMO:-true}" != "false" ]; then
  $PY manage.py load_demo
fi
for state in var/demo-devices/*.json; do
  [ -e "$state" ] || continue
  echo "模拟智能印章终端 / simulated seal terminal $(basename "$state" .json):"
  echo "  $PY tools/zhiyin_device --state $state --server http://127.0.0.1:${PORT} run"
  echo "  $PY tools/zhiyin_device --state $state --server http://127.0.0.1:${PORT} stamp --code <用印码 one-time code>"
done
if [ "${1:-}" = "dev" ]; then
  exec $PY manage.py serve --dev --port "$PORT"
fi
exec $PY manage.py serve --port "$PORT"
