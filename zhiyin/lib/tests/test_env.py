"""Settings from the environment: `_FILE` secrets win, bad values stop start-up loudly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from zhiyin.lib.env import SettingError, env_bool, env_int, env_list, env_path, env_str


def test_it_reads_a_secret_from_its_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv("ZY_TEST_KEY", "plain")
    monkeypatch.setenv("ZY_TEST_KEY_FILE", str(secret))
    assert env_str("ZY_TEST_KEY", "") == "s3cret"


def test_it_names_the_variable_when_a_value_makes_no_sense(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ZY_TEST_FLAG", "maybe")
    monkeypatch.setenv("ZY_TEST_COUNT", "ten")
    monkeypatch.setenv("ZY_TEST_LOW", "1")
    monkeypatch.setenv("ZY_TEST_PATH", "relative/dir")
    monkeypatch.setenv("ZY_TEST_MISSING_FILE", str(tmp_path / "nope"))
    for call in (
        lambda: env_bool("ZY_TEST_FLAG", False),
        lambda: env_int("ZY_TEST_COUNT", 1),
        lambda: env_int("ZY_TEST_LOW", 5, minimum=2),
        lambda: env_path("ZY_TEST_PATH", Path("/")),
        lambda: env_str("ZY_TEST_MISSING", ""),
    ):
        with pytest.raises(SettingError, match="ZY_TEST_"):
            call()


def test_it_uses_defaults_and_splits_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZY_TEST_UNSET", raising=False)
    monkeypatch.setenv("ZY_TEST_LIST", " a, b ,,c ")
    assert env_bool("ZY_TEST_UNSET", True) is True
    assert env_list("ZY_TEST_LIST", []) == ["a", "b", "c"]


def test_lists_choices_urls_and_json_objects(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from zhiyin.lib.env import env_choice, env_int_list, env_json_object, env_url

    monkeypatch.setenv("ZY_TEST_WAITS", "0, 5,300")
    assert env_int_list("ZY_TEST_WAITS", [1]) == [0, 5, 300]
    assert env_int_list("ZY_TEST_UNSET", [1]) == [1]
    monkeypatch.setenv("ZY_TEST_LEVEL", "WARNING")
    assert env_choice("ZY_TEST_LEVEL", "INFO", ("INFO", "WARNING")) == "WARNING"
    monkeypatch.setenv("ZY_TEST_URL", "https://sms.example/send")
    assert env_url("ZY_TEST_URL", "") == "https://sms.example/send"
    config = tmp_path / "oidc.json"
    config.write_text('{"issuer": "https://id.example", "client_id": "zhiyin"}')
    monkeypatch.setenv("ZY_TEST_OIDC_FILE", str(config))
    assert env_json_object("ZY_TEST_OIDC", required_keys=("issuer",)) == {
        "issuer": "https://id.example",
        "client_id": "zhiyin",
    }
    assert env_json_object("ZY_TEST_NOTHING") is None

    refusals: dict[str, tuple[str, Callable[[], object]]] = {
        "ZY_TEST_WAITS": ("0,5,soon", lambda: env_int_list("ZY_TEST_WAITS", [])),
        "ZY_TEST_NEG": ("5,-1", lambda: env_int_list("ZY_TEST_NEG", [], minimum=0)),
        "ZY_TEST_LEVEL": ("LOUD", lambda: env_choice("ZY_TEST_LEVEL", "INFO", ("INFO",))),
        "ZY_TEST_URL": ("ftp://x", lambda: env_url("ZY_TEST_URL", "")),
        "ZY_TEST_JSON": ("{not json", lambda: env_json_object("ZY_TEST_JSON")),
        "ZY_TEST_LIST": ('["a"]', lambda: env_json_object("ZY_TEST_LIST")),
        "ZY_TEST_LACKS": (
            '{"issuer": "x"}',
            lambda: env_json_object("ZY_TEST_LACKS", required_keys=("issuer", "jwks_uri")),
        ),
    }
    for name, (value, call) in refusals.items():
        monkeypatch.setenv(name, value)
        with pytest.raises(SettingError, match=name):
            call()
