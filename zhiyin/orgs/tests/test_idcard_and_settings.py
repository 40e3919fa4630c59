from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings

from zhiyin.lib.idcard import id_number_is_valid, id_number_make, id_number_mask

#: base64 of a 32-byte Ed25519 seed, for settings checks only.
AUDIT_SEED = "zZ3Qe8rjV0mOqkq0Kr8sJ9m2uKXn8lXxT2JmO3kT3Ls="


def test_it_accepts_a_number_with_the_right_check_digit() -> None:
    assert id_number_is_valid("11010519491231002X")


def test_it_rejects_a_wrong_check_digit_or_impossible_date() -> None:
    assert not id_number_is_valid("110105194912310021")
    assert not id_number_is_valid("110105194902300020")
    assert not id_number_is_valid("1101051949123100")


def test_it_masks_all_but_the_first_and_last_four() -> None:
    assert id_number_mask("460205199001011238") == "4602**********1238"


def test_generated_demo_numbers_are_well_formed() -> None:
    for serial in range(1, 200):
        number = id_number_make(
            region="460205", birth=dt.date(1960, 5, 17), serial=serial, female=serial % 2 == 0
        )
        assert id_number_is_valid(number)
        assert int(number[16]) % 2 == (0 if serial % 2 == 0 else 1)


def test_production_hasher_is_argon2() -> None:
    from zhiyin import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**full, "DJANGO_SETTINGS_MODULE": "zhiyin.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a yes/no value"),
        ({"DEBUG": "false"}, "SECRET_KEY (or SECRET_KEY_FILE) must be set"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "Zhiyin supports sqlite:// and postgres://"),
        (
            {"DEBUG": "false", "SECRET_KEY": "k" * 50, "AUDIT_SIGNING_KEY": AUDIT_SEED},
            "SEAL_KEK (or SEAL_KEK_FILE) must be set",
        ),
        ({"SEAL_KEK": "too-short"}, "SEAL_KEK (or SEAL_KEK_FILE) must be 32 bytes"),
        (
            {"DEBUG": "false", "SECRET_KEY": "k" * 50, "SEAL_KEK": "ab" * 32},
            "AUDIT_SIGNING_KEY (or AUDIT_SIGNING_KEY_FILE) must be set",
        ),
        ({"SECRET_KEY_FILE": "/nonexistent/secret"}, "SECRET_KEY_FILE points to"),
        ({"SESSION_COOKIE_AGE": "ten"}, "SESSION_COOKIE_AGE='ten' is not a whole number"),
    ],
)
def test_it_refuses_to_start_with_a_bad_setting(env: dict[str, str], message: str) -> None:
    result = _start(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path: object) -> None:
    from pathlib import Path

    secret = Path(str(tmp_path)) / "secret"
    secret.write_text("s" * 60 + "\n")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "zhiyin.settings",
            "DEBUG": "false",
            "SECRET_KEY_FILE": str(secret),
            "ALLOWED_HOSTS": "zhiyin.example",
            "SEAL_KEK": "ab" * 32,
            "AUDIT_SIGNING_KEY": AUDIT_SEED,
        },
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "s" * 60
