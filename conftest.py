"""Shared test fixtures: a small district with two villages and a persona for each role.

Personas (after the healthchecks habit): in 水南村 — clerk 小林 (clerk), 书记 老陈
(secretary), custodians 符姐 and 王哥, group leader 羊组长 of group 1, resident 阿梅;
in 北岭村 — its secretary, clerk and admin, who must never see 水南村's records; for the
district — inspector 纪委小周 and the three administrators (三员): system admin 区管理员,
security admin 安全员小吴 and audit admin 审计员小沈; and 农业农村局's officer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from zhiyin.orgs.models import Bureau, Collective, District, Person, Role, Village, VillageGroup
from zhiyin.orgs.services import person_create, place_create, role_grant_create
from zhiyin.seals.models import Seal, SealKind
from zhiyin.seals.services import seal_register

PASSWORD = "Test-password-2026"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """SQLite tests run on a file of their own, not on shared-cache memory: that is how the
    app runs, and tests with concurrent writers need SQLite's file locking (busy timeout),
    which shared-cache memory databases do not honour."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(tempfile.gettempdir()) / f"zhiyin-test-{os.getpid()}.sqlite3"
        db.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(autouse=True)
def _chinese_first() -> Iterator[None]:
    """Every test starts in Chinese. A request in English leaves English active in the
    thread, and tests that call services directly would then read English messages."""
    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    """Argon2 is the production hasher (tested on its own); tests use a fast one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    district: District
    shuinan: Village
    beiling: Village
    sn_group1: VillageGroup
    sn_group2: VillageGroup
    bl_group1: VillageGroup
    sn_collective: Collective
    bureau: Bureau
    sn_clerk: Person
    sn_secretary: Person
    sn_custodian1: Person
    sn_custodian2: Person
    sn_leader1: Person
    sn_leader2: Person
    sn_resident: Person
    sn_admin: Person
    bl_secretary: Person
    bl_clerk: Person
    bl_admin: Person
    bl_resident: Person
    inspector: Person
    district_admin: Person
    officer: Person
    security_admin: Person
    audit_admin: Person
    sn_committee_seal: Seal
    sn_group1_seal: Seal
    bl_committee_seal: Seal


_phone = [13900000000]


def make_person(username: str, real_name: str, **extra: object) -> Person:
    _phone[0] += 1
    return person_create(
        username=username,
        real_name=real_name,
        password=PASSWORD,
        by=None,
        phone=str(_phone[0]),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def world(db: None) -> World:
    district = place_create(place=District(name="崖州区", code="460205"), by=None)
    shuinan = place_create(
        place=Village(name="水南村", district=district, code="460205101"), by=None
    )
    beiling = place_create(
        place=Village(name="北岭村", district=district, code="460205102"), by=None
    )
    sn_group1 = place_create(
        place=VillageGroup(village=shuinan, number=1, name="第一村民小组"), by=None
    )
    sn_group2 = place_create(
        place=VillageGroup(village=shuinan, number=2, name="第二村民小组"), by=None
    )
    bl_group1 = place_create(
        place=VillageGroup(village=beiling, number=1, name="第一村民小组"), by=None
    )
    sn_collective = place_create(
        place=Collective(village=shuinan, name="水南村股份经济合作联合社"), by=None
    )
    bureau = place_create(place=Bureau(district=district, name="区农业农村局"), by=None)

    def staff(username: str, name: str, role: str, **scope: object) -> Person:
        p = make_person(username, name)
        role_grant_create(person=p, role=role, by=None, **scope)  # type: ignore[arg-type]
        return p

    sn_resident = make_person(
        "sn_resident",
        "阿梅",
        id_number="460205199001011238",
        social_security_number="H46020501",
        home_village=shuinan,
        home_group=sn_group1,
    )
    role_grant_create(person=sn_resident, role=Role.RESIDENT, group=sn_group1, by=None)
    bl_resident = make_person(
        "bl_resident",
        "阿强",
        id_number="460205198507070011",
        home_village=beiling,
        home_group=bl_group1,
    )
    role_grant_create(person=bl_resident, role=Role.RESIDENT, group=bl_group1, by=None)
    return World(
        district=district,
        shuinan=shuinan,
        beiling=beiling,
        sn_group1=sn_group1,
        sn_group2=sn_group2,
        bl_group1=bl_group1,
        sn_collective=sn_collective,
        bureau=bureau,
        sn_clerk=staff("sn_clerk", "小林", Role.CLERK, village=shuinan),
        sn_secretary=staff("sn_secretary", "老陈", Role.SECRETARY, village=shuinan),
        sn_custodian1=staff("sn_custodian1", "符姐", Role.CUSTODIAN, village=shuinan),
        sn_custodian2=staff("sn_custodian2", "王哥", Role.CUSTODIAN, village=shuinan),
        sn_leader1=staff("sn_leader1", "羊组长", Role.GROUP_LEADER, group=sn_group1),
        sn_leader2=staff("sn_leader2", "何组长", Role.GROUP_LEADER, group=sn_group2),
        sn_resident=sn_resident,
        sn_admin=staff("sn_admin", "水南管理员", Role.ADMIN, village=shuinan),
        bl_secretary=staff("bl_secretary", "北岭书记", Role.SECRETARY, village=beiling),
        bl_clerk=staff("bl_clerk", "北岭经办", Role.CLERK, village=beiling),
        bl_admin=staff("bl_admin", "北岭管理员", Role.ADMIN, village=beiling),
        bl_resident=bl_resident,
        inspector=staff("inspector", "纪委小周", Role.INSPECTOR, district=district),
        district_admin=staff("district_admin", "区管理员", Role.ADMIN, district=district),
        officer=staff("officer", "农业局小郑", Role.BUREAU_OFFICER, bureau=bureau),
        security_admin=staff(
            "security_admin", "安全员小吴", Role.SECURITY_ADMIN, district=district
        ),
        audit_admin=staff("audit_admin", "审计员小沈", Role.AUDIT_ADMIN, district=district),
        sn_committee_seal=seal_register(
            village=shuinan, kind=SealKind.COMMITTEE, code="SN-CW", by=None, is_electronic=True
        ),
        sn_group1_seal=seal_register(
            village=shuinan, kind=SealKind.GROUP, group=sn_group1, code="SN-G1", by=None
        ),
        bl_committee_seal=seal_register(
            village=beiling, kind=SealKind.COMMITTEE, code="BL-CW", by=None
        ),
    )


ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (Playwright's own browser download is not used).

    One per test, not per session: Playwright's sync API keeps an event loop running while
    it is open, and code under test that calls `asyncio.run` (pyHanko does) must not find one.
    """
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A cheap phone: 360 px wide, touch, Chinese locale."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    yield context
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def client_for(person: Person | None) -> Client:
    client = Client()
    if person is not None:
        from zhiyin.accounts.testing import client_sign_in

        # Privileged staff sign in with two factors; tests sign in as if just passed.
        client_sign_in(client, person)
    return client
