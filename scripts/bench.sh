#!/usr/bin/env bash
# Runs every benchmark in bench/ in turn; each prints its figures beside its limit.
# bench_load.py needs a province in PostgreSQL (manage.py load_province): it runs when
# BENCH_DATABASE_URL names that database. bench_pages.py installs Lighthouse (npm) into
# var/bench-node/ on its first run and drives /usr/bin/chromium (CHROME_PATH to change it).
set -euo pipefail
for b in bench/bench_*.py; do
  if [ "$b" = bench/bench_load.py ] && [ -z "${BENCH_DATABASE_URL:-}" ]; then
    echo "== $b: set BENCH_DATABASE_URL to a database filled by manage.py load_province"
    continue
  fi
  echo "== $b"
  .venv/bin/python "$b"
done
