"""Load test of the production server on a province database.

    BENCH_DATABASE_URL=postgres://…/province .venv/bin/python bench/bench_load.py [seconds]

The database must hold a province (`manage.py load_province`). The script starts gunicorn
exactly as `make run` does (same command line: threaded workers, static files by
WhiteNoise) on a free loopback port, waits until every server process answers, signs one
person per role in by session (staff who need a second factor as if they had just passed
it), warms the server up, and runs closed-loop users for `seconds` (default 20) at 4 and
then 32 concurrent users:

- a mix of what people do: the secretary's inbox (待办) and a request page, the clerk's
  list of their requests (progress), the inspector's trace of a request, the bureau's
  inbox, and the public verification look-up of a sealed document;
- in the same run and on the same server, the same number of users on a minimal Django
  view (`/bench/minimal/`, bench/urls_load.py) — the baseline — and, for reference, the
  same view signed in (what every signed-in page pays before its own work).

Before the server runs, each page once more through Django's test client in this process:
median milliseconds, CPU milliseconds and queries — less sensitive to other load on the
machine than the server figures.

Limits: at 4 users, inbox, request and progress pages p95 ≤ 50 ms; at 32 users, the mix
keeps ≥ 0.4× the minimal view's requests/s with no errors. What `prepare` adds to the
database (its sessions; an authenticator for staff who have none) is removed at the end.
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
    try:
        targets, cookies = prepare()
        # As `make run` does before serving: static files for WhiteNoise (the pages
        # name them through the manifest, in process too).
        subprocess.run(  # our own command line
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=ROOT,
            env=os.environ.copy(),
            check=True,
        )
        in_process(mix_plan(targets, cookies))
        port = free_port()
        server = start_server(port)
        try:
            # A server runs for days: every process answers each page once before the
            # measured runs (templates compiled, pool connections open).
            run(port, LEVELS[-1], min(seconds, 5.0), mix_plan(targets, cookies))
            for users in LEVELS:
                mix = run(port, users, seconds, mix_plan(targets, cookies))
                minimal = run(port, users, seconds, [("minimal", "/bench/minimal/", "", 1)])
                signed_in = run(
                    port,
                    users,
                    seconds,
                    [("minimal", "/bench/minimal/", cookies["secretary"], 1)],
                )
                report(users, mix, minimal, signed_in)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        cleanup()


#: What `prepare` added to the database (its sessions, the authenticators it had to give),
#: removed again by `cleanup` so a run leaves the province as it found it.
CREATED: dict[str, list[Any]] = {"sessions": [], "devices": []}


def prepare() -> tuple[dict[str, str], dict[str, str]]:
    """Pages to ask for, and a session cookie per role, from the province in the database.
    Staff who sign in with two factors get a session that passed it (with an authenticator
    of the bench's own if they have none), as after a real sign-in."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from zhiyin.accounts.testing import totp_known_device
    from zhiyin.accounts.twofactor import VERIFIED_AT_SESSION_KEY, second_factor_required
    from zhiyin.approvals.models import ApprovalStep, SealRequest
    from zhiyin.orgs.models import Person, RoleGrant
    from zhiyin.orgs.selectors import access_for
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
        if second_factor_required(access_for(person)):
            had_device = TOTPDevice.objects.filter(user=person, confirmed=True).exists()
            device = totp_known_device(person)
            if not had_device:
                CREATED["devices"].append(device.pk)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session[VERIFIED_AT_SESSION_KEY] = int(time.time())
        session.save()
        CREATED["sessions"].append(session.session_key)
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


def cleanup() -> None:
    """Remove the sessions and authenticators `prepare` added."""
    from django.contrib.sessions.models import Session
    from django_otp.plugins.otp_totp.models import TOTPDevice

    Session.objects.filter(session_key__in=CREATED["sessions"]).delete()
    TOTPDevice.objects.filter(pk__in=CREATED["devices"]).delete()


def in_process(plan: list[tuple[str, str, str, int]], rounds: int = 15) -> None:
    """Each page through Django's test client in this process (no server, no HTTP): median
    wall and CPU milliseconds and the queries, figures that depend less on the machine's load."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    print(f"in process (median of {rounds}):")
    for name, path, cookie, _ in [*plan, ("minimal", "/bench/minimal/", "", 1)]:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_COOKIE=cookie)
        client.get(path)  # warm
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path).status_code
        statements = len(queries.captured_queries)
        walls, cpus = [], []
        for _ in range(rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            client.get(path)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        print(
            f"  {name:9} {statistics.median(walls):6.1f} ms (CPU {statistics.median(cpus):5.1f} ms)"
            f"  {statements} queries  HTTP {status}"
        )


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
    from zhiyin.worker.management.commands.serve import (
        default_web_threads,
        default_web_workers,
        gunicorn_argv,
    )

    argv = gunicorn_argv(
        bind=f"127.0.0.1:{port}", workers=default_web_workers(), threads=default_web_threads()
    )
    argv = [a for a in argv if a not in ("--access-logfile", "-")]
    server = subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy())  # our own argv
    # Every process must have started (imported the project) before the runs: the
    # minimal view answers with its process id; new connections land on idle processes.
    workers = default_web_workers()
    answered: set[bytes] = set()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(answered) < workers:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/bench/minimal/")
            response = connection.getresponse()
            if response.status == 200:
                answered.add(response.read())
            connection.close()
        except OSError:
            time.sleep(0.3)
    if len(answered) < workers:
        server.terminate()
        sys.exit(f"gunicorn: {len(answered)} of {workers} processes answered within 300 s")
    print(f"gunicorn: {' '.join(argv[5:13])}")
    return server


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
    return {"times": times, "errors": errors, "rate": done / elapsed, "elapsed": elapsed}


def report(
    users: int, mix: dict[str, Any], minimal: dict[str, Any], signed_in: dict[str, Any]
) -> None:
    print(f"{users} concurrent users:")
    for name, values in mix["times"].items():
        if not values:
            print(f"  {name:9} no answers")
            continue
        line = (
            f"  {name:9} n={len(values):5}  {len(values) / mix['elapsed']:6.1f} req/s  "
            f"p50 {statistics.median(values):7.1f} ms  p95 {p95(values):7.1f} ms"
        )
        if users == LEVELS[0] and name in KEY_PAGES:
            line += f"  (limit p95 ≤ {P95_LIMIT_MS:.0f} ms) {'OK' if p95(values) <= P95_LIMIT_MS else 'OVER'}"
        print(line)
    base = minimal["times"]["minimal"]
    print(
        f"  minimal view: {minimal['rate']:.0f} req/s, p50 {statistics.median(base):.1f} ms "
        f"p95 {p95(base):.1f} ms"
    )
    signed = signed_in["times"]["minimal"]
    print(
        f"  minimal view signed in (session, person, second factor, grants; "
        f"not the limit's baseline): {signed_in['rate']:.0f} req/s, "
        f"p50 {statistics.median(signed):.1f} ms = "
        f"{signed_in['rate'] / minimal['rate']:.2f}× the minimal view; mix "
        f"{mix['rate'] / signed_in['rate']:.2f}× this one"
    )
    ratio = mix["rate"] / minimal["rate"]
    errors = mix["errors"] + minimal["errors"] + signed_in["errors"]
    line = f"  mix: {mix['rate']:.0f} req/s = {ratio:.2f}× the minimal view; errors {len(errors)}"
    if users == LEVELS[-1]:
        ok = ratio >= RATE_LIMIT and not errors
        line += f" (limit ≥ {RATE_LIMIT}× and no errors) {'OK' if ok else 'OVER'}"
    print(line)
    for error in sorted(set(errors))[:5]:
        print(f"    error: {error}")


if __name__ == "__main__":
    main()
