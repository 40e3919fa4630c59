"""Which database errors a worker waits out, and which mean the installation is wrong.

A busy SQLite file, a PostgreSQL restart, a dropped connection, a serialization failure or
deadlock: all pass, so the worker backs off and tries again. A missing table, a database
that does not exist, a wrong password or an unreadable file do not pass by waiting: the
worker stops and says what to fix.
"""

from __future__ import annotations

from django.db import utils as db_utils

# PostgreSQL SQLSTATE classes/codes that waiting will not fix.
_CONFIG_SQLSTATES = {
    "28000": "the database refused the login (invalid authorization)",
    "28P01": "the database refused the password",
    "3D000": "the database named in DATABASE_URL does not exist",
    "42P01": "a table is missing: run `manage.py migrate`",
    "42703": "a column is missing: run `manage.py migrate`",
}
_CONFIG_SQLITE = {
    "no such table": "a table is missing: run `manage.py migrate`",
    "no such column": "a column is missing: run `manage.py migrate`",
    "unable to open database file": "the SQLite file in DATABASE_URL cannot be opened",
    "attempt to write a readonly database": "the SQLite file is read-only for this user",
    "file is not a database": "DATABASE_URL points to a file that is not SQLite",
}


class WorkerConfigurationError(Exception):
    """Raised out of the worker loop: nothing but an operator can fix this."""


def _sqlstate(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return str(
        getattr(cause, "sqlstate", "")
        or getattr(getattr(cause, "diag", None), "sqlstate", "")
        or ""
    )


def configuration_problem(exc: BaseException) -> str:
    """What to fix, if `exc` is a database error that waiting will not cure; else ""."""
    if not isinstance(exc, db_utils.Error):
        return ""
    state = _sqlstate(exc)
    if state in _CONFIG_SQLSTATES:
        return _CONFIG_SQLSTATES[state]
    text = str(exc).lower()
    for needle, problem in _CONFIG_SQLITE.items():
        if needle in text:
            return problem
    if "password authentication failed" in text or (
        "database" in text and "does not exist" in text
    ):
        return "the database refused the connection: check DATABASE_URL"
    return ""


def is_transient(exc: BaseException) -> bool:
    """A database error that passes by waiting and reconnecting."""
    if configuration_problem(exc):
        return False
    return isinstance(exc, db_utils.OperationalError | db_utils.InterfaceError)
