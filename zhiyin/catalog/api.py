"""The catalog over JSON: matters with their chain steps for staff (same scoping as the
pages), and the public negative list with a text check."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from zhiyin.catalog.models import Matter, NegativeListItem
from zhiyin.catalog.selectors import (
    catalog_district_ids,
    matter_get_for,
    matters_search,
    negative_list_for,
    negative_list_match,
)
from zhiyin.orgs.auth import ApiTokenAuth
from zhiyin.orgs.models import District, Person
from zhiyin.orgs.selectors import Access, access_for

router = Router(tags=["事项目录"])
_staff_auth = [ApiTokenAuth(), django_auth]


class StepOut(Schema):
    position: int
    name: str
    role: str
    scope_level: str
    time_limit: int
    time_unit: str
    approvers_needed: int


class MatterOut(Schema):
    id: int
    code: str
    name: str
    category: str
    tier: str
    legal_basis: str
    seal_kinds: list[str]
    owner_levels: list[str]
    required_attachments: list[str]
    electronic_allowed: bool
    target_bureau: str | None
    chain_id: int
    is_active: bool


class MatterDetailOut(MatterOut):
    chain_name: str
    chain_version: int
    steps: list[StepOut]


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
    district_id: int | None = None


class CheckOut(Schema):
    matched: bool
    item: NegativeItemOut | None = None


def _access(request: HttpRequest) -> Access:
    person = getattr(request, "auth", None)
    if not isinstance(person, Person):
        person = request.user if isinstance(request.user, Person) else None
    access = access_for(person)
    if not catalog_district_ids(access):
        raise HttpError(403, _("事项目录只对村（社区）和区里的工作人员开放。"))
    return access


def _matter_out(matter: Matter) -> dict[str, object]:
    return {
        "id": matter.pk,
        "code": matter.code,
        "name": matter.name,
        "category": matter.category,
        "tier": matter.tier,
        "legal_basis": matter.legal_basis,
        "seal_kinds": matter.seal_kinds,
        "owner_levels": matter.owner_levels,
        "required_attachments": matter.required_attachments,
        "electronic_allowed": matter.electronic_allowed,
        "target_bureau": matter.target_bureau.name if matter.target_bureau else None,
        "chain_id": matter.chain_id,
        "is_active": matter.is_active,
    }


def _item_out(item: NegativeListItem) -> dict[str, object]:
    return {
        "id": item.pk,
        "name": item.name,
        "aliases": item.aliases,
        "reason": item.reason,
        "where_instead": item.where_instead,
        "source": item.source,
        "district_id": item.district_id,
    }


def _district(district_id: int | None) -> District | None:
    if district_id is None:
        return None
    district = District.objects.filter(pk=district_id).first()
    if district is None:
        raise HttpError(404, _("没有这个区。"))
    return district


@router.get("/matters", response=list[MatterOut], auth=_staff_auth)
def matter_list(request: HttpRequest, q: str = "") -> list[dict[str, object]]:
    return [_matter_out(m) for m in matters_search(access=_access(request), query=q[:50])]


@router.get("/matters/{pk}", response=MatterDetailOut, auth=_staff_auth)
def matter_detail(request: HttpRequest, pk: int) -> dict[str, object]:
    matter = matter_get_for(access=_access(request), pk=pk)
    return {
        **_matter_out(matter),
        "chain_name": matter.chain.name,
        "chain_version": matter.chain.version,
        "steps": list(matter.chain.steps.all()),
    }


@router.get("/negative-list", response=list[NegativeItemOut], auth=None)
def negative_list(request: HttpRequest, district_id: int | None = None) -> list[dict[str, object]]:
    return [_item_out(i) for i in negative_list_for(district=_district(district_id))]


@router.post("/negative-list/check", response=CheckOut, auth=None)
def negative_list_check(request: HttpRequest, payload: CheckIn) -> dict[str, object]:
    item = negative_list_match(payload.text, district=_district(payload.district_id))
    return {"matched": item is not None, "item": _item_out(item) if item else None}
