"""Reads of the seals registry, scoped to the asking person's grants."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography import x509
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyin.audit.models import AuditEvent
from zhiyin.audit.selectors import audit_events_for_target
from zhiyin.orgs.models import Village
from zhiyin.orgs.selectors import Access
from zhiyin.seals.keys import certificate_load
from zhiyin.seals.models import DistrictCA, ElectronicSeal, Seal, SealStatus


def seals_for(*, access: Access) -> QuerySet[Seal]:
    """Village-wide roles see all the village's seals; a group leader sees their group's."""
    if access.person_id is None:
        return Seal.objects.none()
    return Seal.objects.filter(
        Q(village__district_id__in=access.district_ids)
        | Q(village_id__in=access.village_ids)
        | Q(group_id__in=access.group_ids)
    ).select_related("village", "group", "collective")


def seals_of_village(*, access: Access, village: Village) -> QuerySet[Seal]:
    """The seals of `village` that the person may see."""
    return seals_for(access=access).filter(village=village)


def seal_get_for(*, access: Access, pk: int) -> Seal:
    """One seal within the person's scope; any other is `Http404`."""
    seal = seals_for(access=access).filter(pk=pk).first()
    if seal is None:
        raise Http404
    return seal


_ACTION_LABELS = {
    "seal.register": _("登记"),
    "seal.suspend": _("暂停使用"),
    "seal.reinstate": _("恢复使用"),
    "seal.retire": _("停用"),
    "electronic_seal.issue": _("签发电子印章证书"),
    "electronic_seal.revoke": _("注销电子印章证书"),
}


@dataclass(frozen=True)
class SealHistoryRow:
    event: AuditEvent
    label: str
    reason: str


def seal_history(*, seal: Seal) -> list[SealHistoryRow]:
    """The seal's recorded changes, oldest first, with a readable action and the reason given."""
    rows = []
    for event in audit_events_for_target(target=seal):
        after = json.loads(event.after) if event.after else {}
        rows.append(
            SealHistoryRow(
                event=event,
                label=str(_ACTION_LABELS.get(event.action, event.action)),
                reason=str(after.get("status_reason", ""))
                if event.action != "seal.register"
                else "",
            )
        )
    return rows


def electronic_seal_active(*, seal: Seal) -> ElectronicSeal | None:
    """The seal's certificate in force: not revoked and within its validity period."""
    now = timezone.now()
    return (
        ElectronicSeal.objects.filter(
            seal=seal, revoked_at__isnull=True, not_before__lte=now, not_after__gt=now
        )
        .select_related("ca")
        .first()
    )


def seals_to_sign_with(*, village_id: int) -> QuerySet[Seal]:
    """A village's active electronic seals that still hold an unrevoked certificate: the
    choices a custodian has when sealing one of the village's requests."""
    return Seal.objects.filter(
        village_id=village_id,
        is_electronic=True,
        status=SealStatus.ACTIVE,
        electronic_seals__revoked_at__isnull=True,
    ).distinct()


def electronic_seals_of(*, seal: Seal) -> QuerySet[ElectronicSeal]:
    """Every electronic seal (certificate) issued for a seal, newest first; the caller has scoped
    the seal."""
    return ElectronicSeal.objects.filter(seal=seal).order_by("-issued_at")


def trust_roots() -> list[x509.Certificate]:
    """Every district root this installation runs: a document sealed in any of them is
    checked on the same public page."""
    return [
        certificate_load(pem)
        for pem in DistrictCA.objects.values_list("certificate_pem", flat=True)
    ]


def revoked_serials() -> set[int]:
    """Serial numbers of every revoked electronic seal (what the CRL lists; public by design)."""
    return {
        int(serial)
        for serial in ElectronicSeal.objects.filter(revoked_at__isnull=False).values_list(
            "serial", flat=True
        )
    }


def district_ca_for(*, code: str) -> DistrictCA:
    """Public: the root of a district by its code (published for anyone to trust)."""
    ca = DistrictCA.objects.filter(district__code=code).select_related("district").first()
    if ca is None:
        raise Http404
    return ca


def electronic_seal_by_serial(*, serial: int) -> ElectronicSeal | None:
    """The electronic seal with this certificate serial, with its seal and village, or None (public
    verification)."""
    return (
        ElectronicSeal.objects.filter(serial=str(serial))
        .select_related("seal", "seal__village")
        .first()
    )
