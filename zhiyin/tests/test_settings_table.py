"""The README's settings table is complete and true: every variable zhiyin/settings.py
reads from the environment has a row, every row names a variable that something reads
(settings.py or the run scripts), and a literal default in the table is the one in
settings.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
#: The lib/env readers; their first argument is the variable's name, the second (when a
#: literal) its default.
READERS = {
    "env_str",
    "env_bool",
    "env_int",
    "env_list",
    "env_path",
    "env_int_list",
    "env_choice",
    "env_url",
    "env_json_object",
}


def _read_by_settings() -> dict[str, object]:
    """Variable name → literal default (or None when computed)."""
    tree = ast.parse((ROOT / "zhiyin" / "settings.py").read_text(encoding="utf-8"))
    found: dict[str, object] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in READERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            default = node.args[1] if len(node.args) > 1 else None
            value = default.value if isinstance(default, ast.Constant) else None
            found[str(node.args[0].value)] = value
    return found


def _readme_rows() -> dict[str, str]:
    """Variable name → the table's default cell, for each name in the first column."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]):
            rows[name] = cells[1]
    return rows


def _read_by_scripts() -> set[str]:
    """Variables the run scripts and management commands read themselves."""
    names: set[str] = set()
    for script in (ROOT / "scripts").glob("*.sh"):
        names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", script.read_text(encoding="utf-8")))
    for command in (ROOT / "zhiyin").glob("*/management/commands/*.py"):
        text = command.read_text(encoding="utf-8")
        names |= set(re.findall(r"os\.environ\.get\(\"([A-Z][A-Z0-9_]+)\"", text))
    return names


def test_every_setting_read_from_the_environment_has_a_row() -> None:
    rows = _readme_rows()
    missing = sorted(set(_read_by_settings()) - set(rows))
    assert not missing, f"add these to the README's settings table: {missing}"


def test_every_row_names_a_variable_something_reads() -> None:
    known = set(_read_by_settings()) | _read_by_scripts()
    # NAME_FILE variants are read by env_str for every NAME.
    stale = sorted(
        name
        for name in _readme_rows()
        if name not in known and name.removesuffix("_FILE") not in known
    )
    assert not stale, f"the README lists variables nothing reads: {stale}"


def test_literal_defaults_match_settings() -> None:
    rows = _readme_rows()
    wrong = []
    for name, default in _read_by_settings().items():
        cell = rows.get(name, "")
        shown = re.fullmatch(r"`([^`]*)`", cell)
        if default is None or shown is None or "," in name:
            continue
        expected = (
            str(default).lower()
            if isinstance(default, bool)
            else ",".join(default)
            if isinstance(default, list)
            else str(default)
        )
        if shown.group(1) != expected:
            wrong.append(f"{name}: README `{shown.group(1)}`, settings {expected!r}")
    assert not wrong, wrong
