"""The demo district 崖州区: 32 villages, 276 groups and their leaders, staff,
bureaus and several hundred fictional residents with well-formed ID numbers. The seals
come from `zhiyin.seals.demo` (orgs imports no app above it).

Everything is created through the services, so the demo's log is the same as a real
district's would be. Deterministic: the same seed gives the same people.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from zhiyin.lib.idcard import id_number_make
from zhiyin.orgs.models import Bureau, Collective, District, Person, Role, Village, VillageGroup
from zhiyin.orgs.services import person_create, place_create, role_grant_create

DEMO_PASSWORD = "Zhiyin-demo-2026"  # noqa: S105  # printed on purpose: demo accounts only
DISTRICT_CODE = "460205"

#: (pinyin slug for logins, name). 水南村, 北岭村 and 城西村 come first: the seed story is there.
VILLAGES: list[tuple[str, str]] = [
    ("sn", "水南村"),
    ("bl", "北岭村"),
    ("cx", "城西村"),
    ("cd", "城东村"),
    ("gx", "港西村"),
    ("gm", "港门村"),
    ("bp", "保平村"),
    ("lg", "临高村"),
    ("sx", "水源池村"),
    ("ny", "南滨村"),
    ("dj", "东关社区"),
    ("xg", "西关社区"),
    ("dl", "大蛋村"),
    ("ph", "坡田村"),
    ("yl", "凤岭村"),
    ("ml", "梅联村"),
    ("ms", "梅东村"),
    ("mx", "梅西村"),
    ("bh", "北山村"),
    ("hl", "红旗村"),
    ("sh", "三和村"),
    ("dx", "东孝村"),
    ("ls", "拱北村"),
    ("yy", "抱古村"),
    ("nt", "南山村"),
    ("ct", "赤草村"),
    ("yd", "扎南村"),
    ("jl", "镇海村"),
    ("ql", "槟榔村"),
    ("hx", "海棠村"),
    ("zx", "中和村"),
    ("wj", "望楼村"),
]
COMMUNITIES = {"东关社区", "西关社区"}

BUREAUS: list[tuple[str, str]] = [
    ("nyj", "区农业农村局"),
    ("mzj", "区民政局"),
    ("zrj", "区自然资源和规划局"),
    ("rsj", "区人力资源和社会保障局"),
    ("czj", "区财政局"),
    ("zjj", "区住房和城乡建设局"),
]

_SURNAMES = "陈林黄王李吴张符邢郑周蔡何羊孙钟梁云韩卢曾冯邓许谢麦".replace("", " ").split()
_GIVEN = "海明华军志强秀英丽玉兰芳伟建国平春梅红小文亮桂珍德福成金凤永清宏燕琼霞光辉".replace(
    "", " "
).split()
_GROUP_NUMERALS = "一二三四五六七八九十"
RESIDENTS_PER_VILLAGE = 20


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    real_name: str
    scope: str


def group_counts() -> list[int]:
    """276 groups over 32 villages: the first 20 villages have 9, the other 12 have 8."""
    counts = [9] * 20 + [8] * 12
    assert sum(counts) == 276
    return counts


class _Names:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311  # demo data, not secrets
        self.phone = 13800000000

    def name(self) -> str:
        given = self.rng.choice(_GIVEN) + (
            self.rng.choice(_GIVEN) if self.rng.random() < 0.7 else ""
        )
        return self.rng.choice(_SURNAMES) + given

    def next_phone(self) -> str:
        self.phone += 1
        return str(self.phone)


@transaction.atomic
def demo_load(
    *, seed: int = 2026, residents_per_village: int = RESIDENTS_PER_VILLAGE
) -> list[DemoLogin]:
    """Create the demo district unless it exists. Returns one login per role."""
    if District.objects.filter(code=DISTRICT_CODE).exists():
        return demo_logins()
    names = _Names(seed)
    pw = make_password(DEMO_PASSWORD)

    def person(username: str, **extra: object) -> Person:
        return person_create(
            username=username,
            real_name=str(extra.pop("real_name", None) or names.name()),
            password=None,
            password_hash=pw,
            by=None,
            phone=names.next_phone(),
            **extra,  # type: ignore[arg-type]  # demo-only kwargs
        )

    district = place_create(place=District(name="崖州区", code=DISTRICT_CODE), by=None)
    role_grant_create(
        person=person("admin", real_name="区管理员"), role=Role.ADMIN, district=district, by=None
    )
    # 三员分立: besides the system admin, a security admin and an audit admin.
    role_grant_create(
        person=person("secadmin", real_name="区安全管理员"),
        role=Role.SECURITY_ADMIN,
        district=district,
        by=None,
    )
    role_grant_create(
        person=person("auditor", real_name="区安全审计员"),
        role=Role.AUDIT_ADMIN,
        district=district,
        by=None,
    )
    role_grant_create(person=person("inspector"), role=Role.INSPECTOR, district=district, by=None)
    for slug, bureau_name in BUREAUS:
        bureau = place_create(place=Bureau(name=bureau_name, district=district), by=None)
        role_grant_create(
            person=person(f"{slug}_officer"), role=Role.BUREAU_OFFICER, bureau=bureau, by=None
        )

    serial = 0
    for index, ((slug, village_name), n_groups) in enumerate(
        zip(VILLAGES, group_counts(), strict=True)
    ):
        kind = Village.Kind.COMMUNITY if village_name in COMMUNITIES else Village.Kind.VILLAGE
        village = place_create(
            place=Village(
                name=village_name,
                district=district,
                kind=kind,
                code=f"{DISTRICT_CODE}{101 + index:03d}",
                office_phone=f"0898-8866{1001 + index:04d}",
            ),
            by=None,
        )
        place_create(
            place=Collective(name=f"{village_name}股份经济合作联合社", village=village), by=None
        )
        for role, username in (
            (Role.SECRETARY, f"{slug}_secretary"),
            (Role.CLERK, f"{slug}_clerk"),
            (Role.CUSTODIAN, f"{slug}_custodian1"),
            (Role.CUSTODIAN, f"{slug}_custodian2"),
        ):
            role_grant_create(person=person(username), role=role, village=village, by=None)
        groups = []
        for number in range(1, n_groups + 1):
            group = place_create(
                place=VillageGroup(
                    village=village, number=number, name=f"第{_GROUP_NUMERALS[number - 1]}村民小组"
                ),
                by=None,
            )
            groups.append(group)
            role_grant_create(
                person=person(f"{slug}_leader{number}"),
                role=Role.GROUP_LEADER,
                group=group,
                by=None,
            )
        for n in range(1, residents_per_village + 1):
            serial += 1
            group = groups[(n - 1) % len(groups)]
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=names.rng.randrange(0, 365 * 65))
            female = names.rng.random() < 0.5
            resident = person(
                f"{slug}_resident{n:02d}",
                id_number=id_number_make(
                    region=DISTRICT_CODE, birth=birth, serial=serial, female=female
                ),
                social_security_number=f"H{46020500 + serial:08d}",
                home_village=village,
                home_group=group,
            )
            role_grant_create(person=resident, role=Role.RESIDENT, group=group, by=None)
    return demo_logins()


def demo_logins() -> list[DemoLogin]:
    """One login per role, in 水南村 where the role is village-scoped."""
    wanted = [
        (Role.RESIDENT, "sn_resident01"),
        (Role.CLERK, "sn_clerk"),
        (Role.GROUP_LEADER, "sn_leader1"),
        (Role.SECRETARY, "sn_secretary"),
        (Role.CUSTODIAN, "sn_custodian1"),
        (Role.INSPECTOR, "inspector"),
        (Role.ADMIN, "admin"),
        (Role.SECURITY_ADMIN, "secadmin"),
        (Role.AUDIT_ADMIN, "auditor"),
        (Role.BUREAU_OFFICER, "nyj_officer"),
    ]
    people = {p.username: p for p in Person.objects.filter(username__in=[u for _, u in wanted])}
    logins = []
    for role, username in wanted:
        p = people.get(username)
        if p is None:
            continue
        grant = p.grants.filter(role=role, revoked_at__isnull=True).first()
        logins.append(
            DemoLogin(
                role=str(Role(role).label),
                username=username,
                real_name=p.real_name,
                scope=grant.scope_name if grant else "",
            )
        )
    return logins
