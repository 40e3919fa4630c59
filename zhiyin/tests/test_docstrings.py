"""Every public service and selector says what it guarantees: a function without a
docstring in any app's `services` or `selectors` (module or package) fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import zhiyin

KINDS = ("services", "selectors")


def _modules() -> list[ModuleType]:
    found = []
    for app in pkgutil.iter_modules(zhiyin.__path__):
        for kind in KINDS:
            name = f"zhiyin.{app.name}.{kind}"
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            found.append(module)
            if hasattr(module, "__path__"):  # a package: its modules by purpose
                found += [
                    importlib.import_module(f"{name}.{sub.name}")
                    for sub in pkgutil.iter_modules(module.__path__)
                ]
    return found


def test_services_and_selectors_are_found() -> None:
    names = {m.__name__ for m in _modules()}
    assert {"zhiyin.approvals.services.drafting", "zhiyin.orgs.selectors"} <= names


def test_every_public_service_and_selector_has_a_docstring() -> None:
    missing = [
        f"{module.__name__}.{name}"
        for module in _modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_")
        and function.__module__ == module.__name__
        and not (function.__doc__ or "").strip()
    ]
    assert not missing, "say what each guarantees (scope, audit, locking): " + ", ".join(missing)
