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
        ({"DELIVERY_RETRY_SCHEDULE": "0,5m"}, "DELIVERY_RETRY_SCHEDULE='0,5m': '5m' is not"),
        ({"DELIVERY_KICK_WORKER": "sometimes"}, "DELIVERY_KICK_WORKER='sometimes' is not a yes/no"),
        ({"PORTAL_OIDC": '{"issuer": "https://id.example"}'}, "PORTAL_OIDC lacks client_id"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not one of"),
        ({"SMS_GATEWAY_URL": "sms.example"}, "SMS_GATEWAY_URL='sms.example' must be an http"),
        ({"WORKING_HOURS": "08:00-25:00"}, "WORKING_HOURS='08:00-25:00' must look like"),
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
            # DEBUG=false refuses development SMS senders: a configured gateway.
            "SMS_SENDER": "zhiyin.delivery.sms.HttpSmsSender",
            "SMS_GATEWAY_URL": "https://sms.example/send",
            "SMS_GATEWAY_KEY": "zhiyin",
            "SMS_GATEWAY_SECRET": "s" * 32,
        },
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "s" * 60


def test_portal_and_delivery_settings_come_from_the_environment() -> None:
    oidc = '{"name": "海易办", "issuer": "https://id.example", "client_id": "zhiyin", "client_secret": "s", "authorization_endpoint": "https://id.example/a", "token_endpoint": "https://id.example/t", "jwks_uri": "https://id.example/k"}'
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PORTAL_OIDC['name'], s.PORTAL_PREFILL_SOURCES, s.PORTAL_CODE_SENDER, "
        "s.DELIVERY_KICK_WORKER, s.DELIVERY_RETRY_SCHEDULE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "zhiyin.settings",
            "PORTAL_OIDC": oidc,
            "PORTAL_PREFILL_SOURCES": "zhiyin.portal.prefill.ProfilePrefillSource",
            "SMS_SENDER": "zhiyin.delivery.sms.LogSmsSender",
            "DELIVERY_KICK_WORKER": "off",
            "DELIVERY_RETRY_SCHEDULE": "0,60",
        },
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == (
        "海易办 ['zhiyin.portal.prefill.ProfilePrefillSource'] "
        "zhiyin.delivery.sms.LogSmsSender False [0, 60]"
    )
