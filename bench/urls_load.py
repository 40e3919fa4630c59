"""The project's URLs plus `/bench/minimal/`: a Django view that does nothing, served by the
same server through the same middleware, as the baseline of bench/bench_load.py. It answers
with its process id, so the bench can tell that every server process has started."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.urls import path

from zhiyin.urls import urlpatterns as project_urls


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(os.getpid()).encode(), content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal), *project_urls]
