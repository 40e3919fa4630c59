"""The catalog over JSON: matters with their chain steps for staff (same scoping as the
pages), and the public negative list with a text check."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.security import django_auth

from zhiyin.catalog.models import (
    ChainStep,
    Matter,
    MatterCategory,
    MatterTier,
    NegativeListItem,
    OwnerLevel,
    TimeUnit,
)
from zhiyin.catalog.selectors import (
    catalog_district_ids,
    matter_get_for,
    matters_search,
    negative_list_for,
    negative_list_match,
)
from zhiyin.catalog.services import matter_data, negative_list_item_data
from zhiyin.core.api import AUTHENTICATED, ApiError, Id, OneOf, answers
from zhiyin.orgs.auth import ApiTokenAuth
from zhiyin.orgs.models import District, Person, Role
from zhiyin.orgs.selectors import Access, access_for
from zhiyin.seals.models import SealKind

router = Router(tags=["事项目录"])
_staff_auth = [ApiTokenAuth(), django_auth]


class ChainStepOut(Schema):
    """One step of a matter's approval chain: who decides, within what time."""

    position: int
    name: str
    role: Annotated[str, OneOf(Role)]
    scope_level: Annotated[str, OneOf(ChainStep._meta.get_field("scope_level").choices)]
    time_limit: int
    time_unit: Annotated[str, OneOf(TimeUnit)]
    approvers_needed: int


class MatterOut(Schema):
    """A catalog entry (用章事项)."""

    id: int
    code: str
    name: str
    category: Annotated[str, OneOf(MatterCategory)]
    tier: Annotated[str, OneOf(MatterTier)]
    legal_basis: str
    seal_kinds: list[Annotated[str, OneOf(SealKind)]]
    owner_levels: list[Annotated[str, OneOf(OwnerLevel)]]
    required_attachments: list[str]
    electronic_allowed: bool
    target_bureau: str | None
    chain_id: int
    is_active: bool


class MatterDetailOut(MatterOut):
    chain_name: str
    chain_version: int
    steps: list[ChainStepOut]


class NegativeItemOut(Schema):
    id: int
    name: str
    aliases: list[str]
    reason: str
    where_instead: str
    source: str
    district_id: int | None


class CheckIn(Schema):
    text: str = Field(max_length=500)
    district_id: Id | None = None


class CheckOut(Schema):
    matched: bool
    item: NegativeItemOut | None = None


def _access(request: HttpRequest) -> Access:
    person = getattr(request, "auth", None)
    if not isinstance(person, Person):
        person = request.user if isinstance(request.user, Person) else None
    access = access_for(person)
    if not catalog_district_ids(access):
        raise ApiError(403, "forbidden", _("事项目录只对村（社区）和区里的工作人员开放。"))
    return access


def _matter_out(matter: Matter) -> dict[str, object]:
    """What the log records of a matter (`matter_data`), with the API's id, `chain_id`
    and the target bureau by name."""
    data: dict[str, object] = dict(matter_data(matter))
    data["chain_id"] = data.pop("chain")
    data["target_bureau"] = matter.target_bureau.name if matter.target_bureau else None
    return {"id": matter.pk, **data}


def _item_out(item: NegativeListItem) -> dict[str, object]:
    """What the log records of a negative-list item, with the API's id and `district_id`."""
    data: dict[str, object] = dict(negative_list_item_data(item))
    data["district_id"] = data.pop("district")
    return {"id": item.pk, **data}


def _district(district_id: int | None) -> District | None:
    if district_id is None:
        return None
    district = District.objects.filter(pk=district_id).first()
    if district is None:
        raise ApiError(404, "not_found", _("没有这个区。"))
    return district


@router.get("/matters", response=answers({200: list[MatterOut]}, *AUTHENTICATED), auth=_staff_auth)
def matter_list(request: HttpRequest, q: str = "") -> list[dict[str, object]]:
    return [_matter_out(m) for m in matters_search(access=_access(request), query=q[:50])]


@router.get(
    "/matters/{pk}", response=answers({200: MatterDetailOut}, *AUTHENTICATED, 404), auth=_staff_auth
)
def matter_detail(request: HttpRequest, pk: Id) -> dict[str, object]:
    matter = matter_get_for(access=_access(request), pk=pk)
    return {
        **_matter_out(matter),
        "chain_name": matter.chain.name,
        "chain_version": matter.chain.version,
        "steps": list(matter.chain.steps.all()),
    }


@router.get("/negative-list", response=answers({200: list[NegativeItemOut]}, 404, 422), auth=None)
def negative_list(request: HttpRequest, district_id: Id | None = None) -> list[dict[str, object]]:
    return [_item_out(i) for i in negative_list_for(district=_district(district_id))]


@router.post("/negative-list/check", response=answers({200: CheckOut}, 400, 404, 422), auth=None)
def negative_list_check(request: HttpRequest, payload: CheckIn) -> dict[str, object]:
    item = negative_list_match(payload.text, district=_district(payload.district_id))
    return {"matched": item is not None, "item": _item_out(item) if item else None}
