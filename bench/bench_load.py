"""Load test of the production server on a province database.

    BENCH_DATABASE_URL=postgres://…/province .venv/bin/python bench/bench_load.py [seconds]

The database must hold a province (`manage.py load_province`). The script starts gunicorn
exactly as `make run` does (same command line, several workers, static files by
WhiteNoise) on a free loopback port, logs in one person per role by session, and runs
closed-loop users for `seconds` (default 20) at 4 and then 32 concurrent users:

- a mix of what people do: the secretary's inbox (待办) and a request page, the clerk's
  list of their requests (progress), the inspector's trace of a request, the bureau's
  inbox, and the public verification look-up of a sealed document;
- in the same run and on the same server, the same number of users on a minimal Django
  view (`/bench/minimal/`, bench/urls_load.py) — the baseline.

Limits: at 4 users, inbox, request and progress pages p95 ≤ 50 ms; at 32 users, the mix
keeps ≥ 0.4× the minimal view's requests/s with no errors.
"""

from __future__ import annotations

import base64
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

P95_LIMIT_MS = 50.0
RATE_LIMIT = 0.4
LEVELS = (4, 32)
KEY_PAGES = ("inbox", "request", "progress")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("BENCH_DATABASE_URL must name a PostgreSQL database filled by load_province")
    # Production settings; plain HTTP on loopback (no TLS terminator in front), and
    # keys of the bench's own unless given (pages only read, nothing is signed).
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="bench.settings_load",
        DEBUG="false",
        SECURE_BEHIND_HTTPS="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or os.urandom(32).hex(),
        SEAL_KEK=os.environ.get("SEAL_KEK") or os.urandom(32).hex(),
        AUDIT_SIGNING_KEY=os.environ.get("AUDIT_SIGNING_KEY")
        or base64.b64encode(os.urandom(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        # DEBUG=false refuses the console SMS sender; the bench sends no text messages.
        SMS_SENDER="zhiyin.delivery.sms.HttpSmsSender",
        SMS_GATEWAY_URL="http://127.0.0.1:9/sms",
        SMS_GATEWAY_KEY="bench",
        SMS_GATEWAY_SECRET=os.urandom(16).hex(),
    )
    import django

    django.setup()
    targets, cookies = prepare()
    port = free_port()
    server = start_server(port)
    try:
        for users in LEVELS:
            mix = run(port, users, seconds, mix_plan(targets, cookies))
            minimal = run(port, users, seconds, [("minimal", "/bench/minimal/", "", 1)])
            report(users, mix, minimal)
    finally:
        server.terminate()
        server.wait(timeout=30)


def prepare() -> tuple[dict[str, str], dict[str, str]]:
    """Pages to ask for, and a session cookie per role, from the province in the database."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from zhiyin.approvals.models import ApprovalStep, SealRequest
    from zhiyin.orgs.models import Person, RoleGrant
    from zhiyin.sealing.models import SealedDocument

    step = (
        ApprovalStep.objects.filter(status="active", role="secretary")
        .select_related("request")
        .order_by("pk")
        .first()
    )
    if step is None:
        sys.exit("no request waits for a secretary: load a province first")
    village = step.village_id
    secretary = RoleGrant.objects.filter(role="secretary", village_id=village).first()
    clerk = RoleGrant.objects.filter(role="clerk", village_id=village).first()
    inspector = RoleGrant.objects.filter(role="inspector", district_id=step.district_id).first()
    bureau = RoleGrant.objects.filter(role="bureau_officer", district_id=step.district_id).first()
    sealed = SealedDocument.objects.filter(request__village_id=village).order_by("-pk").first()
    assert secretary and clerk and inspector and bureau and sealed
    done = SealRequest.objects.filter(village_id=village, status="completed").order_by("-pk")[0]
    cookies = {}
    for role, grant in (
        ("secretary", secretary),
        ("clerk", clerk),
        ("inspector", inspector),
        ("bureau", bureau),
    ):
        person = Person.objects.get(pk=grant.person_id)
        session = SessionStore()
        session[SESSION_KEY] = str(person.pk)
        # The backend that loads the person (the first may be the lockout guard).
        session[BACKEND_SESSION_KEY] = next(
            b for b in settings.AUTHENTICATION_BACKENDS if "axes" not in b.lower()
        )
        session[HASH_SESSION_KEY] = person.get_session_auth_hash()
        session.save()
        cookies[role] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    targets = {
        "inbox": "/requests/inbox/",
        "request": f"/requests/{step.request_id}/",
        "progress": "/requests/",
        "trace": f"/audit/trace/approvals.sealrequest/{done.pk}/",
        "bureau": "/bureau/",
        "verify": f"/verify/{sealed.number}/",
    }
    print(
        f"province: {SealRequest.objects.count():,} requests; pages of village {village}, "
        f"district {step.district_id}"
    )
    return targets, cookies


def mix_plan(targets: dict[str, str], cookies: dict[str, str]) -> list[tuple[str, str, str, int]]:
    """(name, path, cookie, weight): approvers and clerks most, then residents' look-ups."""
    return [
        ("inbox", targets["inbox"], cookies["secretary"], 4),
        ("request", targets["request"], cookies["secretary"], 3),
        ("progress", targets["progress"], cookies["clerk"], 3),
        ("trace", targets["trace"], cookies["inspector"], 1),
        ("bureau", targets["bureau"], cookies["bureau"], 1),
        ("verify", targets["verify"], "", 2),
    ]


def start_server(port: int) -> subprocess.Popen[bytes]:
    from zhiyin.worker.management.commands.serve import default_web_workers, gunicorn_argv

    # As `make run` does before serving: static files for WhiteNoise.
    subprocess.run(  # our own command line
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=os.environ.copy(),
        check=True,
    )
    argv = gunicorn_argv(bind=f"127.0.0.1:{port}", workers=default_web_workers())
    argv = [a for a in argv if a not in ("--access-logfile", "-")]
    server = subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy())  # our own argv
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/bench/minimal/")
            if connection.getresponse().status == 200:
                print(f"gunicorn: {' '.join(argv[3:7])}")
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not answer within 180 s")


def run(
    port: int, users: int, seconds: float, plan: list[tuple[str, str, str, int]]
) -> dict[str, Any]:
    """Closed-loop users for `seconds`: each sends its next request when the last returns."""
    times: dict[str, list[float]] = {name: [] for name, *_ in plan}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    weights = [weight for *_, weight in plan]

    def user(seed: int) -> None:
        rng = random.Random(seed)  # a load mix, not a secret
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            name, path, cookie, _ = rng.choices(plan, weights)[0]
            headers = {"Cookie": cookie, "Host": "127.0.0.1"} if cookie else {"Host": "127.0.0.1"}
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except OSError as exc:
                status = 0
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    errors.append(f"{name}: {exc}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == 200:
                    times[name].append(elapsed)
                else:
                    errors.append(f"{name}: HTTP {status}")
        connection.close()

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    done = sum(len(v) for v in times.values())
    return {"times": times, "errors": errors, "rate": done / elapsed}


def report(users: int, mix: dict[str, Any], minimal: dict[str, Any]) -> None:
    print(f"{users} concurrent users:")
    for name, values in mix["times"].items():
        if not values:
            print(f"  {name:9} no answers")
            continue
        line = (
            f"  {name:9} n={len(values):5}  p50 {statistics.median(values):7.1f} ms  "
            f"p95 {p95(values):7.1f} ms"
        )
        if users == LEVELS[0] and name in KEY_PAGES:
            line += f"  (limit p95 ≤ {P95_LIMIT_MS:.0f} ms) {'OK' if p95(values) <= P95_LIMIT_MS else 'OVER'}"
        print(line)
    base = minimal["times"]["minimal"]
    print(
        f"  minimal view: {minimal['rate']:.0f} req/s, p50 {statistics.median(base):.1f} ms "
        f"p95 {p95(base):.1f} ms"
    )
    ratio = mix["rate"] / minimal["rate"]
    errors = mix["errors"] + minimal["errors"]
    line = f"  mix: {mix['rate']:.0f} req/s = {ratio:.2f}× the minimal view; errors {len(errors)}"
    if users == LEVELS[-1]:
        ok = ratio >= RATE_LIMIT and not errors
        line += f" (limit ≥ {RATE_LIMIT}× and no errors) {'OK' if ok else 'OVER'}"
    print(line)
    for error in sorted(set(errors))[:5]:
        print(f"    error: {error}")


if __name__ == "__main__":
    main()
