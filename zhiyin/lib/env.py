"""Reading settings from the environment, failing loudly on values that make no sense.

A district's operator sets these in a service file; a typo must stop start-up with a
message that names the variable, not surface later as a confusing 500.
"""

from __future__ import annotations

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
