"""Delivery throughput to a local receiver, and the outbox's added cost to a sealing-like
transaction (same run, with and without the outbox insert).

    .venv/bin/python bench/bench_delivery.py [deliveries]

Limits: ≥ 20 deliveries/s on one worker; the outbox adds < 5 ms to a transaction. The
worker kick stays on, as in production: each delivery enqueues the worker task after commit,
and that cost is part of the figure.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="zhiyin-bench-delivery-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyin.settings")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{TMP / 'db.sqlite3'}")
os.environ["MEDIA_ROOT"] = str(TMP / "media")

import django  # noqa: E402  # settings first

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from zhiyin.audit.services import audit_record  # noqa: E402
from zhiyin.delivery.outbox import outbox_run  # noqa: E402
from zhiyin.delivery.receiver import Receiver  # noqa: E402
from zhiyin.delivery.services import (  # noqa: E402
    delivery_document_sealed,
    endpoint_register,
    endpoint_secret_generate,
)
from zhiyin.orgs.models import Bureau, District  # noqa: E402

ADDED_LIMIT_MS = 5.0
RATE_LIMIT = 20.0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    call_command("migrate", verbosity=0)
    district = District.objects.create(name="崖州区", code="460205")
    bureau = Bureau.objects.create(district=district, name="区农业农村局")
    pdf = b"%PDF-1.7\n" + os.urandom(40_000)
    path = default_storage.save("sealed/bench.pdf", ContentFile(pdf))
    sha = hashlib.sha256(pdf).hexdigest()
    receiver = Receiver(secret=endpoint_secret_generate()).start()
    endpoint_register(
        bureau=bureau, url=receiver.url, by=None, allow_private=True, secret=receiver.secret
    )

    def sealing_like(with_outbox: bool, i: int) -> float:
        started = time.perf_counter()
        with transaction.atomic():
            audit_record(actor=None, action="bench.seal", target_label=f"req {i}")
            if with_outbox:
                delivery_document_sealed(
                    bureau=bureau,
                    event_payload={"request": {"number": f"B-{i}"}},
                    document_path=path,
                    document_sha256=sha,
                    source_type="bench",
                    source_id=i,
                )
        return (time.perf_counter() - started) * 1000

    base, with_outbox = [], []
    for i in range(n):
        base.append(sealing_like(False, i))
        with_outbox.append(sealing_like(True, i))
    started = time.perf_counter()
    handled = outbox_run(max_messages=n * 2)
    elapsed = time.perf_counter() - started
    receiver.stop()
    assert len(receiver.messages) == n, (len(receiver.messages), n)
    b, w = statistics.median(base), statistics.median(with_outbox)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, n={n}")
    added, rate = w - b, handled / elapsed
    print(
        f"transaction median: baseline {b:.2f} ms, with outbox and worker kick {w:.2f} ms, "
        f"added {added:.2f} ms (limit < {ADDED_LIMIT_MS:.0f} ms) "
        f"{'OK' if added < ADDED_LIMIT_MS else 'OVER'}"
    )
    print(
        f"deliveries: {handled} in {elapsed:.2f} s = {rate:.1f}/s on one worker "
        f"(limit ≥ {RATE_LIMIT:.0f}/s) {'OK' if rate >= RATE_LIMIT else 'OVER'}"
    )


if __name__ == "__main__":
    main()
