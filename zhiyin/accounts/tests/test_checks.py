"""The security-key settings are checked at start-up."""

from __future__ import annotations

from django.test import override_settings

from zhiyin.accounts.checks import webauthn_settings_check


def _ids(**overrides: object) -> list[str]:
    with override_settings(**overrides):
        return [problem.id or "" for problem in webauthn_settings_check()]


def test_origins_under_the_relying_party_id_pass() -> None:
    assert (
        _ids(
            DEBUG=False,
            OTP_WEBAUTHN_RP_ID="zhiyin.example.gov.cn",
            OTP_WEBAUTHN_ALLOWED_ORIGINS=[
                "https://zhiyin.example.gov.cn",
                "https://sanya.zhiyin.example.gov.cn",
            ],
        )
        == []
    )


def test_an_origin_on_another_host_is_an_error() -> None:
    assert _ids(
        OTP_WEBAUTHN_RP_ID="zhiyin.example.gov.cn",
        OTP_WEBAUTHN_ALLOWED_ORIGINS=["https://evilzhiyin.example.gov.cn.attacker.cn"],
    ) == ["zhiyin.E003"]
    # A host that merely ends with the same letters is not under the id.
    assert _ids(
        OTP_WEBAUTHN_RP_ID="example.gov.cn",
        OTP_WEBAUTHN_ALLOWED_ORIGINS=["https://badexample.gov.cn"],
    ) == ["zhiyin.E003"]


def test_localhost_in_production_is_a_warning_and_fine_in_development() -> None:
    local = {"OTP_WEBAUTHN_RP_ID": "localhost",
             "OTP_WEBAUTHN_ALLOWED_ORIGINS": ["http://localhost:8000"]}  # fmt: skip
    assert _ids(DEBUG=False, **local) == ["zhiyin.W001"]
    assert _ids(DEBUG=True, **local) == []
