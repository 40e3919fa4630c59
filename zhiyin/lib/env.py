"""Reading settings from the environment, failing loudly on values that make no sense.

A district's operator sets these in a service file; a typo must stop start-up with a
message that names the variable, not surface later as a confusing 500.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class SettingError(ValueError):
    """A setting's value makes no sense; the message names the variable. Raised while the
    settings module loads, so start-up stops there."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    """A plain string; `NAME_FILE` (a path to a secret file) wins over `NAME`."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingError(
                f"{name}_FILE points to {file_path!r}, which cannot be read: {exc.strerror}"
            ) from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(
        f"{name}={raw!r} is not a yes/no value; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingError(f"{name}={raw!r} is not a whole number.") from exc
    if value < minimum:
        raise SettingError(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise SettingError(f"{name}={raw!r} must be an absolute path.")
    return path


def env_int_list(name: str, default: list[int], *, minimum: int = 0) -> list[int]:
    """Comma-separated whole numbers, e.g. `0,5,300`; at least one."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    values: list[int] = []
    for item in (part.strip() for part in raw.split(",")):
        try:
            value = int(item)
        except ValueError as exc:
            raise SettingError(
                f"{name}={raw!r}: {item!r} is not a whole number; give comma-separated "
                f"whole numbers, e.g. 0,5,300."
            ) from exc
        if value < minimum:
            raise SettingError(f"{name}={raw!r}: {value} is below the minimum of {minimum}.")
        values.append(value)
    return values


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of a closed set of words (compared case-sensitively)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    if value not in choices:
        raise SettingError(f"{name}={raw!r} is not one of {', '.join(choices)}.")
    return value


def env_url(name: str, default: str) -> str:
    """An http(s) URL, or empty (off)."""
    value = env_str(name, default).strip()
    if value and not value.startswith(("https://", "http://")):
        raise SettingError(f"{name}={value!r} must be an http:// or https:// URL (or empty).")
    return value


def env_json_object(name: str, *, required_keys: tuple[str, ...] = ()) -> dict[str, str] | None:
    """A JSON object of strings (also from `NAME_FILE`), or None when unset or empty;
    each of `required_keys` must be present and non-empty."""
    raw = env_str(name, "").strip()
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise SettingError(f"{name} is not valid JSON: {exc}.") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SettingError(f'{name} must be a JSON object of strings, e.g. {{"issuer": "…"}}.')
    missing = [key for key in required_keys if not value.get(key)]
    if missing:
        raise SettingError(f"{name} lacks {', '.join(missing)}.")
    return value
