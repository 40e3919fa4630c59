"""Every route the project serves: Django's URL resolver walked to the end, and the
django-ninja routers with each path's methods."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from zhiyin.api import api


@dataclass(frozen=True)
class Route:
    key: str  # the URL name (with its namespace), or "METHOD /api/path" for the JSON API
    pattern: str


def _walk(patterns: list[URLPattern | URLResolver], prefix: str, ns: str) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), namespace)
        elif entry.name is not None:
            if getattr(entry.callback, "__module__", "").startswith("ninja."):
                continue  # the JSON API's operations: listed from the routers, with methods
            yield Route(key=f"{ns}{entry.name}", pattern="/" + prefix + str(entry.pattern))
        else:
            yield Route(key=f"{ns}<unnamed {prefix}{entry.pattern}>", pattern=prefix)


def django_routes() -> list[Route]:
    """Every named page of the URL configuration (the admin's too), not the API's."""
    return list(_walk(get_resolver().url_patterns, "", ""))


def api_routes() -> list[Route]:
    """Every operation of the JSON API as "METHOD /api/path"."""
    routes: list[Route] = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            full = "/api" + ("/" + prefix.strip("/") if prefix.strip("/") else "") + path
            full = full.replace("//", "/")
            for operation in view.operations:
                for method in operation.methods:
                    routes.append(Route(key=f"{method} {full}", pattern=full))
    return routes
