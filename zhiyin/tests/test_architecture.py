"""The allowed arrows between apps hold (import-linter), every app is placed in them, and
docs/architecture.md describes what the contracts check."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "zhiyin"


def _linter() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    linter: dict[str, object] = config["tool"]["importlinter"]
    return linter


def _layered_apps() -> set[str]:
    contracts = _linter()["contracts"]
    assert isinstance(contracts, list)
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    names: set[str] = set()
    for layer in layers:
        names |= {part.strip().strip("()") for part in re.split(r"[|:]", layer)}
    return names


def _apps() -> set[str]:
    return {
        path.name
        for path in PACKAGE.iterdir()
        if (path / "__init__.py").exists() and path.name != "tests"
    }


def test_the_import_contracts_hold() -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_app_has_its_place_in_the_layers() -> None:
    missing = sorted(_apps() - _layered_apps())
    assert not missing, (
        f"zhiyin/{missing[0]} is in no layer: add it to the `layers` list of the layers "
        "contract in pyproject.toml ([tool.importlinter]) — above every app it imports, below "
        "every app that imports it — and give it a `### `"
        f"{missing[0]}`` paragraph in docs/architecture.md (what it owns, what it may import)."
    )


def test_the_architecture_page_describes_every_app_and_contract() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for app in sorted(_apps()):
        assert f"### `{app}`" in page, f"docs/architecture.md has no `### `{app}`` paragraph"
    contracts = _linter()["contracts"]
    assert isinstance(contracts, list)
    for contract in contracts:
        assert contract["name"] in page, (
            f"docs/architecture.md does not name the contract {contract['name']!r}"
        )
