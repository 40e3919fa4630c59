"""`make run` and the production docs run the same web server command line."""

from __future__ import annotations

import shlex
from pathlib import Path

from django.conf import settings

from zhiyin.worker.management.commands.serve import gunicorn_argv

ROOT = Path(settings.BASE_DIR)


def test_the_readme_and_the_operator_guide_show_the_command_line_make_run_uses() -> None:
    argv = gunicorn_argv(bind="127.0.0.1:8000", workers=5)
    assert argv[1:4] == ["-m", "gunicorn", "zhiyin.wsgi:application"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    operator = (ROOT / "docs" / "operator.md").read_text(encoding="utf-8")
    assert shlex.join([".venv/bin/python", *argv[1:]]) in readme
    assert shlex.join(["/srv/zhiyin/.venv/bin/python", *argv[1:]]) in operator
    assert "Restart=on-failure" in operator and "manage.py run_worker" in operator


def test_make_run_serves_through_gunicorn_and_make_dev_through_runserver() -> None:
    run = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert "manage.py serve --port" in run and "serve --dev" in run
    assert "runserver" not in run
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "run.sh dev" in makefile
