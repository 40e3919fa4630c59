"""Settings from the environment: `_FILE` secrets win, bad values stop start-up loudly."""

from __future__ import annotations

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
