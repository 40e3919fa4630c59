"""The portal's demo: three services of the district and register entries for the demo
residents. `portal_demo_load()` runs after the orgs and catalog demos (it needs the
district, its residents and the catalog's matters) and is idempotent.
`resident_application_demo_load()` runs after the approvals and sealing demos (they do
nothing once 水南村 has requests): the demo resident's own application, so 办理进度 shows
a story."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from zhiyin.catalog.models import Matter
from zhiyin.orgs.models import District, Person, Role
from zhiyin.portal.models import (
    Application,
    RegisterEntry,
    Service,
    ServiceKind,
    Subsidy,
    SubsidyRule,
)

#: From the Sanya 2023–24 winter/spring vegetable scheme (REFERENCE.md).
CROPS = [
    "豇豆",
    "四季豆",
    "茄子",
    "青瓜",
    "苦瓜",
    "丝瓜",
    "冬瓜",
    "辣椒",
    "黄秋葵",
    "西瓜",
    "哈密瓜",
]

IDENTITY_FIELDS: list[dict[str, Any]] = [
    {"key": "real_name", "label": "姓名", "type": "text", "prefill": "real_name", "max_length": 50},
    {"key": "id_number", "label": "身份证号", "type": "id_number", "prefill": "id_number"},
    {"key": "social_security_number", "label": "社会保障卡号", "type": "text",
     "prefill": "social_security_number", "max_length": 20},
    {"key": "phone", "label": "手机号", "type": "phone", "prefill": "phone"},
    {"key": "village", "label": "所在村", "type": "text", "prefill": "village"},
    {"key": "group", "label": "村民小组", "type": "text", "prefill": "group", "required": False},
]  # fmt: skip

VEGETABLE = "vegetable-subsidy"
FILM = "film-subsidy"
RESIDENCE = "residence-certificate"


def service_specs() -> list[dict[str, Any]]:
    """The three demo services: (code, matter name, fields …) as plain data."""
    return [
        {
            "code": VEGETABLE,
            "name": "冬季瓜菜种植补贴",
            "matter": "冬季瓜菜种植补贴申请",
            "kind": ServiceKind.SUBSIDY,
            "description": (
                "每年10月1日至次年4月30日种植冬季瓜菜、面积不少于1亩的实际种植者可申请"
                "（外地种植户、合作社、企业也可申请；补给实际种植人，不补给出租土地的人）。"
                "已作为核心基地获得奖励的不再补贴。"
            ),
            "form": {
                "fields": [
                    *IDENTITY_FIELDS,
                    {
                        "key": "crop",
                        "label": "种植品种",
                        "type": "choice",
                        "choices": CROPS,
                        "page": 2,
                    },
                    {
                        "key": "crops",
                        "label": "种植茬数",
                        "type": "choice",
                        "choices": ["1", "2"],
                        "unit": "茬",
                        "page": 3,
                        "help": "本季第一茬200元/亩，第二茬再加300元/亩。",
                    },
                    {
                        "key": "area",
                        "label": "种植面积",
                        "type": "decimal",
                        "unit": "亩",
                        "min": "1",
                        "max": "100000",
                        "page": 4,
                        "help": "第一茬（或只种一茬）的面积。",
                    },
                    {
                        "key": "area2",
                        "label": "第二茬种植面积",
                        "type": "decimal",
                        "unit": "亩",
                        "min": "0.01",
                        "max": "100000",
                        "page": 4,
                        "required": False,
                        "help": "只种一茬不用填；第二茬种在别的地块、面积不同时填写，不填按第一茬面积计算。",
                    },
                    {
                        "key": "plot",
                        "label": "种植地块位置",
                        "type": "text",
                        "max_length": 100,
                        "page": 4,
                        "required": False,
                    },
                ]
            },
            "attachments": [
                {"key": "photo", "label": "种植现场照片", "required": True, "photo": True},
                {"key": "survey", "label": "种植面积核实表", "required": False},
            ],
            "eligibility": {"season_start": "10-01", "season_end": "04-30"},
            "subsidy": {
                "rule": SubsidyRule.PER_CROP_AREA,
                "area_field": "area",
                "count_field": "crops",
                "rates": ["200.00", "300.00"],
                "crop_area_fields": ["area", "area2"],
                "min_area": Decimal("1.00"),
            },
        },
        {
            "code": FILM,
            "name": "加厚地膜补助",
            "matter": "加厚地膜补助申请",
            "kind": ServiceKind.SUBSIDY,
            "description": "使用加厚高强度地膜或全生物降解地膜的种植者可申请，标准由区里公布。",
            "form": {
                "fields": [
                    *IDENTITY_FIELDS,
                    {
                        "key": "film",
                        "label": "地膜类型",
                        "type": "choice",
                        "choices": ["加厚高强度地膜", "全生物降解地膜"],
                        "page": 2,
                    },
                    {
                        "key": "area",
                        "label": "铺设面积",
                        "type": "decimal",
                        "unit": "亩",
                        "min": "1",
                        "max": "100000",
                        "page": 2,
                    },
                ]
            },
            "attachments": [
                {"key": "receipt", "label": "地膜购买凭证", "required": True},
                {"key": "photo", "label": "铺设现场照片", "required": True, "photo": True},
            ],
            "eligibility": {},
            "subsidy": {
                "rule": SubsidyRule.PER_CHOICE_AREA,
                "area_field": "area",
                "choice_field": "film",
                "rates": {"加厚高强度地膜": "30.00", "全生物降解地膜": "72.00"},
                "min_area": Decimal("1.00"),
            },
        },
        {
            "code": RESIDENCE,
            "name": "居住证明",
            "matter": "居（租）住证明",
            "kind": ServiceKind.CERTIFICATE,
            "description": "证明您在本村居住，由村委会核实后出具电子证明。",
            "form": {
                "fields": [
                    *IDENTITY_FIELDS,
                    {
                        "key": "address",
                        "label": "居住地址",
                        "type": "text",
                        "max_length": 100,
                        "page": 2,
                    },
                    {
                        "key": "since",
                        "label": "居住起始年份",
                        "type": "integer",
                        "min": "1950",
                        "max": "2100",
                        "page": 2,
                    },
                    {
                        "key": "use",
                        "label": "证明用途",
                        "type": "text",
                        "max_length": 60,
                        "page": 2,
                    },
                ]
            },
            "attachments": [
                {"key": "idcard", "label": "申请人身份证照片", "required": True, "photo": True},
                {"key": "housing", "label": "房屋租赁合同或房屋权属材料", "required": False},
            ],
            "eligibility": {},
            "certificate": {
                "purpose": "自{since}年起居住在{village}{address}，本证明用于{use}",
                "title": "居住证明",
                "paragraphs": [
                    "兹证明{real_name}（身份证号{id_number}）自{since}年起居住在{village}{address}。",
                    "本证明用于{use}。",
                    "特此证明。",
                ],
            },
        },
    ]


@transaction.atomic
def portal_services_load(district: District) -> int:
    """Create the demo services that do not exist yet (matched by code); returns how many."""
    created = 0
    for position, spec in enumerate(service_specs()):
        if Service.objects.filter(district=district, code=spec["code"]).exists():
            continue
        matter = Matter.objects.filter(district=district, name=spec["matter"]).first()
        if matter is None:
            continue
        service = Service(
            district=district,
            code=spec["code"],
            name=spec["name"],
            description=spec["description"],
            kind=spec["kind"],
            matter=matter,
            form=spec["form"],
            attachments=spec["attachments"],
            eligibility=spec["eligibility"],
            certificate=spec.get("certificate", {}),
            position=position,
        )
        service.full_clean()
        service.save()
        if "subsidy" in spec:
            Subsidy.objects.create(service=service, **spec["subsidy"])
        created += 1
    return created


@transaction.atomic
def register_entries_load(district: District) -> int:
    """A register entry for every resident of the district who has an ID number; name and
    ID number fixed, as a real register would have them."""
    created = 0
    people = Person.objects.filter(home_village__district=district, id_number__isnull=False)
    for person in people.select_related("home_village", "home_group"):
        _entry, made = RegisterEntry.objects.get_or_create(
            district=district,
            id_number=person.id_number,
            defaults={
                "real_name": person.real_name,
                "social_security_number": person.social_security_number
                or f"H{(person.id_number or '')[-8:]}",
                "village": person.home_village,
                "group": person.home_group,
                "phone": person.phone or "",
                "fixed_fields": ["real_name", "id_number", "social_security_number"],
            },
        )
        created += int(made)
    return created


def portal_demo_load() -> dict[str, int]:
    """Services and register entries for every district (the demo has one)."""
    counts = {"services": 0, "register_entries": 0}
    for district in District.objects.all():
        counts["services"] += portal_services_load(district)
        counts["register_entries"] += register_entries_load(district)
    return counts


#: The demo resident whose application 办理进度 shows (the README's resident login).
DEMO_RESIDENT = "sn_resident01"


def _demo_photo(name: str, colour: tuple[int, int, int]) -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG", quality=90)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def resident_application_demo_load() -> int:
    """The demo resident applies for the 加厚地膜补助 (no season, so any day of the year)
    with its two photos, and the village clerk accepts it (a seal request in approval),
    through the ordinary services; nothing when the resident already has an application or
    the demo has no such service or clerk. Returns how many."""
    from zhiyin.portal.services.applications import application_submit
    from zhiyin.portal.services.handling import application_accept

    resident = Person.objects.filter(username=DEMO_RESIDENT).select_related("home_village").first()
    if resident is None or resident.home_village is None:
        return 0
    if Application.objects.filter(resident=resident).exists():
        return 0
    village = resident.home_village
    service = Service.objects.filter(district_id=village.district_id, code=FILM).first()
    clerk = (
        Person.objects.filter(
            grants__role=Role.CLERK, grants__village=village, grants__revoked_at__isnull=True
        )
        .order_by("pk")
        .first()
    )
    if service is None or clerk is None:
        return 0
    application = application_submit(
        service=service,
        resident=resident,
        by=resident,
        answers={"film": "全生物降解地膜", "area": "2.5"},
        files={
            "receipt": [_demo_photo("地膜购买凭证.jpg", (235, 235, 225))],
            "photo": [_demo_photo("铺设现场.jpg", (40, 130, 50))],
        },
    )
    application_accept(application=application, by=clerk)
    return 1
