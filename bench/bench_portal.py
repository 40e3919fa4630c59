"""Weight and server time of each resident page of the portal.

For every page a resident opens in the seed story: the gzip-compressed size of the HTML
plus the CSS and JavaScript it loads (target ≤ 100 KB per page, for a weak rural
connection), and the median server time of the page over N requests through Django's
test client (in process: middleware, views, templates, SQLite). Baseline in the same
run: the password login page of the foundation.

Run: .venv/bin/python bench/bench_portal.py [requests per page]
Uses a temporary SQLite database, never var/.
"""

from __future__ import annotations

import gzip
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_KB = 100.0
PASSWORD = os.environ.get("BENCH_PASSWORD", "Bench-" + "password-2026")


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["MEDIA_ROOT"] = str(Path(tmp) / "media")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyin.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        run(repeats)


def world() -> tuple[object, object, int]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhiyin.catalog.demo import negative_list_demo_load
    from zhiyin.catalog.models import Matter
    from zhiyin.orgs.models import Role
    from zhiyin.orgs.services import person_create, role_grant_create
    from zhiyin.portal.demo import portal_services_load, register_entries_load
    from zhiyin.portal.models import Service
    from zhiyin.portal.services.applications import application_submit
    from zhiyin.portal.services.handling import application_accept
    from zhiyin.seals.models import SealKind
    from zhiyin.seals.services import seal_register
    from zhiyin.tests.factories import (
        PORTAL_LEADER_THEN_SECRETARY,
        chain_make,
        district_make,
        group_make,
        staff_make,
        village_make,
    )

    district = district_make()
    village = village_make(district, "水南村", "460205101")
    group = group_make(village)
    resident = person_create(
        username="resident", real_name="黎英俊", password=PASSWORD, by=None,
        phone="13900000001", id_number="460205199001011238", social_security_number="H46020501",
        home_village=village, home_group=group,
    )  # fmt: skip
    role_grant_create(person=resident, role=Role.RESIDENT, group=group, by=None)
    clerk = staff_make("clerk", Role.CLERK, "经办", village=village)
    staff_make("leader", Role.GROUP_LEADER, "组长", group=group)
    seal_register(
        village=village, kind=SealKind.COMMITTEE, code="SN-CW", by=None, is_electronic=True
    )
    chain, _ = chain_make(district, "小组长-书记", PORTAL_LEADER_THEN_SECRETARY)
    for code, name in [
        ("SB-1", "冬季瓜菜种植补贴申请"),
        ("SB-2", "加厚地膜补助申请"),
        ("ZM-1", "居（租）住证明"),
    ]:
        Matter.objects.create(district=district, code=code, name=name, category="report",
                              tier="director_signs", legal_basis="区实施方案",
                              seal_kinds=["committee"], owner_levels=["village"], chain=chain)  # fmt: skip
    negative_list_demo_load()
    portal_services_load(district)
    register_entries_load(district)
    Service.objects.update(eligibility={})
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 40)).save(buffer, format="JPEG")
    photo = buffer.getvalue()
    application = application_submit(
        service=Service.objects.get(code="vegetable-subsidy"), resident=resident, by=resident,
        answers={"crop": "豇豆", "crops": "2", "area": "3.5"},
        files={"photo": [SimpleUploadedFile("a.jpg", photo, content_type="image/jpeg")]},
    )  # fmt: skip
    application_accept(application=application, by=clerk)
    return resident, clerk, application.pk


def assets(html: bytes) -> int:
    """Compressed bytes of the same-origin CSS and JS a page loads."""
    from django.contrib.staticfiles import finders

    total = 0
    for ref in re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html):
        path = finders.find(ref.decode())
        if path:
            total += gz(Path(str(path)).read_bytes())
    return total


def run(repeats: int) -> None:
    from django.test import Client

    resident, _clerk, application_pk = world()
    anonymous = Client(HTTP_HOST="localhost")
    client = Client(HTTP_HOST="localhost")
    client.force_login(resident)  # type: ignore[arg-type]  # a Person
    base = "/portal/services/vegetable-subsidy/"
    client.post(base)
    for page, data in [(1, {}), (2, {"crop": "豇豆"}), (3, {"crops": "2"}), (4, {"area": "3.5"})]:
        if data:
            client.post(f"{base}step/{page}/", data)
    pages = [
        ("baseline: password login", anonymous, "/accounts/login/"),
        ("phone login", anonymous, "/portal/login/"),
        ("services and my applications", client, "/portal/"),
        ("service page", client, base),
        ("step 1 (prefilled details)", client, f"{base}step/1/"),
        ("step 2 (crop)", client, f"{base}step/2/"),
        ("step 3 (crops)", client, f"{base}step/3/"),
        ("step 4 (area, live amount)", client, f"{base}step/4/"),
        ("confirm and upload", client, f"{base}confirm/"),
        ("progress timeline", client, f"/portal/applications/{application_pk}/"),
        ("ask (negative list)", client, "/portal/ask/?need=无犯罪记录证明"),
    ]
    print(f"Portal pages: {repeats} requests each; target ≤ {TARGET_KB:.0f} KB compressed per page")
    print(f"{'page':34} {'html gz':>9} {'+css/js':>9} {'total':>9} {'median ms':>10}  verdict")
    for name, who, url in pages:
        answer = who.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        html = answer.content
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            who.get(url)
            times.append((time.perf_counter() - start) * 1000)
        page_kb = gz(html) / 1024
        asset_kb = assets(html) / 1024
        total = page_kb + asset_kb
        verdict = "ok" if total <= TARGET_KB else "OVER"
        print(
            f"{name:34} {page_kb:8.1f}K {asset_kb:8.1f}K {total:8.1f}K "
            f"{statistics.median(times):10.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
