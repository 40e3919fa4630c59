"""The one definition of what an applicant fills in on a seal request: the services take
it (`**fields`), the pages and the API build it, the edit form starts from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from zhiyin.approvals.models import SealRequest
from zhiyin.catalog.models import Matter
from zhiyin.orgs.models import Person, VillageGroup
from zhiyin.seals.models import Seal


class RequestFields(TypedDict):
    """A request's editable fields; `on_behalf_of` and `group` may be left out (None)."""

    matter: Matter
    seal: Seal
    stamp_count: int
    place_of_use: str
    purpose: str
    on_behalf_of: NotRequired[Person | None]
    group: NotRequired[VillageGroup | None]


#: Their names, in the order the form shows them.
EDITABLE_FIELDS = tuple(RequestFields.__annotations__)


def request_fields_from(data: Mapping[str, Any]) -> RequestFields:
    """The fields out of a form's cleaned data (or any mapping holding them by name)."""
    return RequestFields(
        matter=data["matter"],
        seal=data["seal"],
        stamp_count=data["stamp_count"],
        place_of_use=data["place_of_use"],
        purpose=data["purpose"],
        on_behalf_of=data.get("on_behalf_of"),
        group=data.get("group"),
    )


def request_fields_of(request: SealRequest) -> RequestFields:
    """The fields as the request holds them now."""
    return request_fields_from({name: getattr(request, name) for name in EDITABLE_FIELDS})


def request_fields_initial(request: SealRequest) -> dict[str, Any]:
    """The edit form's initial values: objects by primary key, the rest as stored."""
    return {name: getattr(value, "pk", value) for name, value in request_fields_of(request).items()}
