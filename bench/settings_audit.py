"""Settings for bench/bench_audit.py only: the project's settings plus django-auditlog, the
baseline the audit log is compared with. The benchmark sets DATABASE_URL to a temporary
SQLite file before importing this."""

from __future__ import annotations

from zhiyin.settings import *  # noqa: F403  # the project's settings, unchanged
from zhiyin.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "auditlog"]
AUDIT_SIGNING_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # a fixed test seed
LOGGING = {"version": 1, "disable_existing_loggers": False}
