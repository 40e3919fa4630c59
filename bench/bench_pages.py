"""Page weight and Lighthouse scores of the pages people open most, as production serves them.

The demo district is loaded into a temporary SQLite database and served the way `make run`
serves it: gunicorn, `DEBUG=false`, static files through WhiteNoise (hashed names, gzip and
brotli files made by collectstatic). Each page is opened by Debian's Chromium at 360 px
(Playwright), signed in as the person who uses it:

- the resident (sn_resident01): 登录 (anonymous), 首页, 问一问 (a question in their own
  words), a service, its first step, an application's progress, 通知;
- the secretary (sn_secretary): 待办 (the inbox) and a request's page.

Page weight: the bytes that crossed the wire for the page's body and everything it loaded
(HTML, CSS, JS, images, fonts, favicon), compressed as served; limit 100 KB.

Lighthouse (npm `lighthouse`, installed on first run into var/bench-node/; phone profile,
its default simulated slow 4G and CPU slow-down): performance, accessibility and best
practices each at least 0.95. Each page is audited RUNS times (default 3) and the median
score is printed. Without Node or npm the Lighthouse part says so and is skipped.

Run: .venv/bin/python bench/bench_pages.py [runs]     (make bench runs it)
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WEIGHT_LIMIT_KB = 100.0
SCORE_LIMIT = 0.95
CATEGORIES = ("performance", "accessibility", "best-practices")
LIGHTHOUSE_VERSION = "12.8.2"  # the last line that runs on Node 20
NODE_DIR = ROOT / "var" / "bench-node"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def production_env(tmp: Path) -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "zhiyin.settings",
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "MEDIA_ROOT": str(tmp / "media"),
            "STATIC_ROOT": str(tmp / "static"),
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "SEAL_KEK": secrets.token_hex(32),
            "AUDIT_SIGNING_KEY": base64.b64encode(seed).decode(),
            "SECURE_BEHIND_HTTPS": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            # Production refuses the console SMS sender; no worker runs here, so the
            # outbox never reaches this (closed) gateway address.
            "SMS_SENDER": "zhiyin.delivery.sms.HttpSmsSender",
            "PORTAL_CODE_SENDER": "zhiyin.delivery.sms.HttpSmsSender",
            "SMS_GATEWAY_URL": "http://127.0.0.1:9/sms",
            "SMS_GATEWAY_KEY": "bench",
            "SMS_GATEWAY_SECRET": secrets.token_hex(16),
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def sessions_and_pages(env: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, path, session id) for each page; sessions made through Django's own login."""
    os.environ.update(env)
    import django

    django.setup()
    from django.test import Client

    from zhiyin.accounts.testing import client_sign_in
    from zhiyin.approvals.models import SealRequest
    from zhiyin.orgs.models import Person
    from zhiyin.portal.models import Application, Service

    def session(username: str) -> str:
        client = Client()
        client_sign_in(client, Person.objects.get(username=username))
        return str(client.cookies["sessionid"].value)

    resident = Person.objects.get(username="sn_resident01")
    village = resident.home_village
    service = Service.objects.filter(district__villages=village).first() if village else None
    application = Application.objects.filter(resident=resident).first()
    resident_sid = session("sn_resident01")
    other = Application.objects.select_related("resident").first()
    if application is None and other is not None:  # someone else's, seen by its resident
        application = other
        applicant_sid = session(other.resident.username)
    else:
        applicant_sid = resident_sid
    secretary_sid = session("sn_secretary")
    request = SealRequest.objects.filter(village__name="水南村").order_by("-pk").first()
    pages = [
        ("登录", "/portal/login/", ""),
        ("村民首页", "/portal/", resident_sid),
        ("问一问", "/portal/ask/?need=证明我妈还活着", resident_sid),
    ]
    if service is not None:
        pages += [
            ("服务说明", f"/portal/services/{service.code}/", resident_sid),
            ("填写第1步", f"/portal/services/{service.code}/step/1/", resident_sid),
        ]
    if application is not None:
        pages.append(("办理进度", f"/portal/applications/{application.pk}/", applicant_sid))
    pages.append(("通知", "/notifications/", resident_sid))
    pages.append(("待办", "/requests/inbox/", secretary_sid))
    if request is not None:
        pages.append(("用印申请", f"/requests/{request.pk}/", secretary_sid))
    return pages


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  # our own local server
                return
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"{url}: {exc.code} {exc.read()[:500]!r}") from exc
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer at {url}")


class Collected:
    """The requests a page made, as Playwright reports them finished."""

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def add(self, request: Request) -> None:
        self.requests.append(request)


def weigh(base: str, pages: list[tuple[str, str, str]]) -> list[tuple[str, float, int]]:
    """(page, KB on the wire, number of requests) at 360 px in Chromium."""
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        for name, path, sid in pages:
            context = browser.new_context(
                viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
            )
            if sid:
                context.add_cookies([{"name": "sessionid", "value": sid, "url": base}])
            page = context.new_page()
            loaded_now = Collected()
            page.on("requestfinished", loaded_now.add)
            answer = page.goto(base + path, wait_until="networkidle")
            if answer is None or not answer.ok:
                raise SystemExit(f"{path}: {answer.status if answer else 'no answer'}")
            total = sum(max(r.sizes()["responseBodySize"], 0) for r in loaded_now.requests)
            found.append((name, total / 1024, len(loaded_now.requests)))
            context.close()
        browser.close()
    return found


def lighthouse_install() -> Path | None:
    cli = NODE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
    if cli.exists():
        return cli
    if shutil.which("npm") is None or shutil.which("node") is None:
        return None
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
         f"lighthouse@{LIGHTHOUSE_VERSION}"],
        cwd=NODE_DIR, check=True,
    )  # fmt: skip
    return cli if cli.exists() else None


def lighthouse(cli: Path, url: str, sid: str, tmp: Path) -> tuple[dict[str, float], list[str]]:
    """The page's scores, and the weighted audits that scored under 0.9 (what to fix)."""
    out = tmp / "lh.json"
    args = [
        "node", str(cli), url, "--quiet", "--output=json", f"--output-path={out}",
        "--only-categories=" + ",".join(CATEGORIES),
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        "--locale=zh",
    ]  # fmt: skip
    if sid:
        args.append("--extra-headers=" + json.dumps({"Cookie": f"sessionid={sid}"}))
    subprocess.run(
        args,
        check=True,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    scores = {c: float(report["categories"][c]["score"] or 0) for c in CATEGORIES}
    weak = [
        f"{a['id']} {a.get('displayValue', '')}".strip()
        for c in CATEGORIES
        for ref in report["categories"][c]["auditRefs"]
        if ref["weight"] > 0
        for a in [report["audits"][ref["id"]]]
        if a.get("score") is not None and a["score"] < 0.9
    ]
    return scores, weak


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = production_env(tmp)
        print("loading the demo district (migrate, collectstatic, load_demo)…", flush=True)
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "collectstatic", "--no-input", "-v0")
        manage(env, "load_demo")
        pages = sessions_and_pages(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "zhiyin.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", "2", "--log-level", "warning"],
            cwd=ROOT, env={**env, "PUBLIC_BASE_URL": base},
        )  # fmt: skip
        try:
            wait_for(base + "/portal/login/")  # /healthz also wants a worker
            print(f"\npage weight at 360 px, compressed as served (limit {WEIGHT_LIMIT_KB:.0f} KB)")
            for name, kb, count in weigh(base, pages):
                verdict = "OK" if kb <= WEIGHT_LIMIT_KB else "OVER"
                print(
                    f"  {name:<8} {kb:7.1f} KB ({count} requests)  "
                    f"limit {WEIGHT_LIMIT_KB:.0f} KB  {verdict}"
                )
            cli = lighthouse_install()
            if cli is None:
                print("\nLighthouse: skipped (Node.js and npm are needed)")
                return
            loadavg = Path("/proc/loadavg")
            load = loadavg.read_text().split()[0] if loadavg.exists() else "?"
            print(
                f"\nLighthouse {LIGHTHOUSE_VERSION}, phone, median of {runs} (limit {SCORE_LIMIT}); "
                f"load average {load} on {os.cpu_count()} cores (a busy machine lowers performance)"
            )
            for name, path, sid in pages:
                scores: dict[str, list[float]] = {c: [] for c in CATEGORIES}
                weak: set[str] = set()
                for _ in range(runs):
                    found, low = lighthouse(cli, base + path, sid, tmp)
                    weak.update(low)
                    for c, v in found.items():
                        scores[c].append(v)
                medians = {c: statistics.median(v) for c, v in scores.items()}
                verdict = "OK" if min(medians.values()) >= SCORE_LIMIT else "OVER"
                shown = "  ".join(f"{c} {medians[c]:.2f}" for c in CATEGORIES)
                print(f"  {name:<8} {shown}  limit {SCORE_LIMIT}  {verdict}", flush=True)
                if weak:
                    print("           weak audits: " + "; ".join(sorted(weak)), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
