"""Oversight tests sign checkpoints with the audit tests' fixed key."""

from zhiyin.audit.tests.conftest import _audit_key  # noqa: F401  # autouse fixture
