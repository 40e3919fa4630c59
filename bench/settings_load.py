"""Settings for bench/bench_load.py only: the project's settings, served with one more URL,
the minimal Django view the pages are compared with (bench/urls_load.py)."""

from __future__ import annotations

from zhiyin.settings import *  # noqa: F403  # the project's settings, unchanged

ROOT_URLCONF = "bench.urls_load"
