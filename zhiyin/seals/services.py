"""Registering seals and moving them through their lifecycle. Atomic and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.lib import pki, stamp
from zhiyin.orgs.models import Collective, District, Person, Village, VillageGroup
from zhiyin.seals.keys import certificate_load, key_blob_open, seal_kek
from zhiyin.seals.models import (
    SPECIAL_PURPOSE_KINDS,
    DistrictCA,
    ElectronicSeal,
    RevocationReason,
    Seal,
    SealKind,
    SealStatus,
)

_DEFAULT_PURPOSE = {
    SealKind.FINANCE: "财务专用章",
    SealKind.CONTRACT: "合同专用章",
    SealKind.CERTIFICATE: "证明专用章",
}


def _seal_data(seal: Seal) -> dict[str, Any]:
    return {
        "code": seal.code,
        "kind": seal.kind,
        "name": seal.name,
        "purpose": seal.purpose,
        "is_physical": seal.is_physical,
        "is_electronic": seal.is_electronic,
        "status": seal.status,
        "status_reason": seal.status_reason,
    }


def seal_default_name(
    *,
    village: Village,
    kind: str,
    group: VillageGroup | None = None,
    collective: Collective | None = None,
) -> str:
    """The text along the seal's arc: the owner's full name."""
    if group is not None:
        return f"{village.name}{group.name}"
    if collective is not None:
        return collective.name
    if kind == SealKind.PARTY:
        return f"中共{village.district.name}{village.name}支部委员会"
    return village.committee_name


def seal_register_check(
    *,
    village: Village,
    kind: str,
    code: str,
    group: VillageGroup | None = None,
    collective: Collective | None = None,
    is_physical: bool = True,
    is_electronic: bool = False,
) -> str:
    """Refuse a registration the rules do not allow; return the cleaned code."""
    if kind not in SealKind.values:
        raise RuleViolation(_("未知的用章种类。"))
    if not village.is_active:
        raise RuleViolation(_("“%(name)s”已撤销，不能登记新印章。") % {"name": village.name})
    if group is not None and group.village_id != village.pk:
        raise RuleViolation(_("村民小组不属于该村。"))
    if collective is not None and collective.village_id != village.pk:
        raise RuleViolation(_("集体经济组织不属于该村。"))
    if group is not None and collective is not None:
        raise RuleViolation(_("一枚印章只能属于一个单位。"))
    if (kind == SealKind.GROUP) != (group is not None):
        raise RuleViolation(_("村民小组章必须且只能属于一个村民小组。"))
    if (kind == SealKind.COLLECTIVE) and collective is None:
        raise RuleViolation(_("集体经济组织章必须属于一个集体经济组织。"))
    if not (is_physical or is_electronic):
        raise RuleViolation(_("印章至少应为实物印章或电子印章之一。"))
    code = code.strip()
    if not code:
        raise RuleViolation(_("请填写印章编码。"))
    if Seal.objects.filter(code=code).exists():
        raise RuleViolation(_("印章编码“%(code)s”已被使用。") % {"code": code})
    return code


@transaction.atomic
def seal_register(
    *,
    village: Village,
    kind: str,
    code: str,
    by: Person | None,
    name: str = "",
    group: VillageGroup | None = None,
    collective: Collective | None = None,
    is_physical: bool = True,
    is_electronic: bool = False,
) -> Seal:
    """Register a seal of a village (or its group or collective) after `seal_register_check` (kind,
    owner, unique code); atomic, audited in the district's log."""
    code = seal_register_check(
        village=village,
        kind=kind,
        code=code,
        group=group,
        collective=collective,
        is_physical=is_physical,
        is_electronic=is_electronic,
    )
    seal = Seal(
        village=village,
        group=group,
        collective=collective,
        kind=kind,
        name=(
            name.strip()
            or seal_default_name(village=village, kind=kind, group=group, collective=collective)
        ),
        purpose=_DEFAULT_PURPOSE.get(SealKind(kind), "") if kind in SPECIAL_PURPOSE_KINDS else "",
        code=code,
        is_physical=is_physical,
        is_electronic=is_electronic,
    )
    seal.save()
    audit_record(
        actor=by,
        action="seal.register",
        target=seal,
        after=_seal_data(seal),
        scope=village.name,
        log=district_log(seal.village.district_id),
    )
    return seal


_REVOKING_MOVES: dict[str, str] = {
    SealStatus.SUSPENDED: RevocationReason.SUSPENDED,
    SealStatus.RETIRED: RevocationReason.RETIRED,
}


def _seal_move(
    *, seal: Seal, to: str, allowed_from: set[str], reason: str, by: Person | None, action: str
) -> Seal:
    seal = Seal.objects.select_for_update().get(pk=seal.pk)
    if seal.status not in allowed_from:
        raise RuleViolation(
            _("印章当前状态为“%(status)s”，不能执行此操作。")
            % {"status": seal.get_status_display()}
        )
    reason = reason.strip()
    if not reason:
        raise RuleViolation(_("请说明原因。"))
    before = _seal_data(seal)
    seal.status = to
    seal.status_reason = reason[:200]
    seal.status_changed_at = timezone.now()
    seal.save(update_fields=["status", "status_reason", "status_changed_at"])
    if to in _REVOKING_MOVES:
        _electronic_seal_revoke(seal=seal, reason=_REVOKING_MOVES[to], by=by)
    audit_record(
        actor=by,
        action=action,
        target=seal,
        before=before,
        after=_seal_data(seal),
        scope=seal.village.name,
        log=district_log(seal.village.district_id),
    )
    return seal


@transaction.atomic
def seal_suspend(*, seal: Seal, reason: str, by: Person | None) -> Seal:
    """Stop all use of a seal for now (lost, under investigation, custodian change)."""
    return _seal_move(
        seal=seal,
        to=SealStatus.SUSPENDED,
        allowed_from={SealStatus.ACTIVE},
        reason=reason,
        by=by,
        action="seal.suspend",
    )


@transaction.atomic
def seal_reinstate(*, seal: Seal, reason: str, by: Person | None) -> Seal:
    """Bring a suspended seal back into use, with a reason; the row is locked, audited."""
    return _seal_move(
        seal=seal,
        to=SealStatus.ACTIVE,
        allowed_from={SealStatus.SUSPENDED},
        reason=reason,
        by=by,
        action="seal.reinstate",
    )


@transaction.atomic
def seal_retire(*, seal: Seal, reason: str, by: Person | None) -> Seal:
    """Retire a seal for good; it stays in the registry with its history."""
    return _seal_move(
        seal=seal,
        to=SealStatus.RETIRED,
        allowed_from={SealStatus.ACTIVE, SealStatus.SUSPENDED},
        reason=reason,
        by=by,
        action="seal.retire",
    )


# --- electronic seals: the district CA, seal certificates, revocation ------------------

#: How long a published CRL stays valid; it is rebuilt a day before it runs out.
CRL_VALIDITY = dt.timedelta(days=7)
CRL_REFRESH_BEFORE = dt.timedelta(days=1)


def _ca_key(ca: DistrictCA) -> ec.EllipticCurvePrivateKey:
    return key_blob_open(bytes(ca.key_blob))


def crl_url(district: District) -> str:
    """The stable public address written into every seal certificate of the district."""
    return settings.PUBLIC_BASE_URL + reverse("pki_crl", args=[district.code])


def _crl_build(ca: DistrictCA, now: dt.datetime) -> None:
    revoked = ElectronicSeal.objects.filter(ca=ca, revoked_at__isnull=False).values_list(
        "serial", "revoked_at"
    )
    ca.crl_number += 1
    ca.crl_next_update = now + CRL_VALIDITY
    ca.crl_der = pki.crl_build(
        _ca_key(ca),
        certificate_load(ca.certificate_pem),
        [(int(serial), revoked_at) for serial, revoked_at in revoked if revoked_at is not None],
        ca.crl_next_update,
        crl_number=ca.crl_number,
        this_update=now,
    )
    ca.save(update_fields=["crl_number", "crl_next_update", "crl_der"])


def _ca_store(
    *,
    district: District,
    key: ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    by: Person | None,
    action: str,
) -> DistrictCA:
    ca = DistrictCA.objects.create(
        district=district,
        certificate_pem=pki.cert_pem(certificate).decode("ascii"),
        key_blob=pki.key_encrypt(key, seal_kek()),
    )
    _crl_build(ca, timezone.now())
    audit_record(
        actor=by,
        action=action,
        target=ca,
        after={"district": district.code, "serial": str(certificate.serial_number)},
        scope=district.name,
        log=district_log(ca.district_id),
    )
    return ca


def district_ca_get_or_create(*, district: District, by: Person | None = None) -> DistrictCA:
    """The district's root CA, created (and audited) the first time a seal needs one.

    Two workers creating it at once: the one-to-one constraint lets one win and the
    other reads the winner's row.
    """
    existing = DistrictCA.objects.filter(district=district).first()
    if existing is not None:
        return existing
    key, certificate = pki.ca_create(district_name=district.name)
    try:
        with transaction.atomic():
            return _ca_store(
                district=district,
                key=key,
                certificate=certificate,
                by=by,
                action="district_ca.create",
            )
    except IntegrityError:
        return DistrictCA.objects.get(district=district)


@transaction.atomic
def district_ca_import(
    *, district: District, certificate_pem: bytes, key_pem: bytes, by: Person | None
) -> DistrictCA:
    """Take over a root made elsewhere (e.g. by the district's existing CA operator)."""
    if DistrictCA.objects.filter(district=district).exists():
        raise RuleViolation(_("“%(name)s”已有电子印章根证书。") % {"name": district.name})
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
    except ValueError as exc:
        raise RuleViolation(_("证书或私钥文件不是有效的 PEM 格式。")) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise RuleViolation(_("根证书私钥必须是椭圆曲线（P-256）密钥。"))
    if key.public_key() != certificate.public_key():
        raise RuleViolation(_("私钥与根证书不匹配。"))
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound as exc:
        raise RuleViolation(_("根证书缺少必要的扩展（基本约束或密钥标识符）。")) from exc
    if not constraints.value.ca:
        raise RuleViolation(_("该证书不是 CA 证书，不能作为根证书。"))
    return _ca_store(
        district=district, key=key, certificate=certificate, by=by, action="district_ca.import"
    )


def _electronic_seal_revoke(*, seal: Seal, reason: str, by: Person | None) -> ElectronicSeal | None:
    """Revoke the seal's active certificate, if any, and republish the district's CRL.
    Runs inside the caller's transaction, so a refused status change revokes nothing."""
    active = ElectronicSeal.objects.select_for_update().filter(seal=seal, revoked_at__isnull=True)
    electronic_seal = active.select_related("ca").first()
    if electronic_seal is None:
        return None
    now = timezone.now()
    electronic_seal.revoked_at = now
    electronic_seal.revocation_reason = reason
    electronic_seal.save(update_fields=["revoked_at", "revocation_reason"])
    ca = DistrictCA.objects.select_for_update().get(pk=electronic_seal.ca_id)
    _crl_build(ca, now)
    audit_record(
        actor=by,
        action="electronic_seal.revoke",
        target=electronic_seal,
        after={"seal": seal.code, "serial": electronic_seal.serial, "reason": reason},
        scope=seal.village.name,
        log=district_log(electronic_seal.seal.village.district_id),
    )
    return electronic_seal


def seal_stamp_png(*, seal: Seal) -> bytes:
    """The seal face as PNG, drawn once per process (``stamp_render`` is cached)."""
    return stamp.stamp_render(
        name=seal.name, purpose=seal.purpose, diameter_mm=float(seal.diameter_mm), dpi=600
    )


@transaction.atomic
def electronic_seal_issue(*, seal: Seal, by: Person | None) -> ElectronicSeal:
    """Give a seal a new key and certificate (the previous one, if any, is revoked as
    superseded). The key is generated here and stored encrypted; it never leaves."""
    seal = Seal.objects.select_for_update().select_related("village__district").get(pk=seal.pk)
    if not seal.is_electronic:
        raise RuleViolation(_("该印章未登记为电子印章，不能签发证书。"))
    if seal.status != SealStatus.ACTIVE:
        raise RuleViolation(
            _("印章当前状态为“%(status)s”，不能签发电子印章证书。")
            % {"status": seal.get_status_display()}
        )
    try:
        seal_stamp_png(seal=seal)
    except stamp.StampError as exc:
        raise RuleViolation.from_error(exc) from exc
    district = seal.village.district
    ca = district_ca_get_or_create(district=district, by=by)
    _electronic_seal_revoke(seal=seal, reason=RevocationReason.SUPERSEDED, by=by)
    key, certificate = pki.seal_cert_issue(
        ca_key=_ca_key(ca),
        ca_cert=certificate_load(ca.certificate_pem),
        organization_name=seal.name,
        district_name=district.name,
        crl_url=crl_url(district),
    )
    electronic_seal = ElectronicSeal.objects.create(
        seal=seal,
        ca=ca,
        certificate_pem=pki.cert_pem(certificate).decode("ascii"),
        serial=str(certificate.serial_number),
        key_blob=pki.key_encrypt(key, seal_kek()),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )
    audit_record(
        actor=by,
        action="electronic_seal.issue",
        target=electronic_seal,
        after={
            "seal": seal.code,
            "serial": electronic_seal.serial,
            "not_after": electronic_seal.not_after.isoformat(),
        },
        scope=seal.village.name,
        log=district_log(electronic_seal.seal.village.district_id),
    )
    return electronic_seal


def district_crl_current(*, district: District) -> bytes | None:
    """The district's CRL in DER, rebuilt when it is about to run out; ``None`` when the
    district has no CA yet. Usually a plain read; the rebuild is a short locked write."""
    ca = DistrictCA.objects.filter(district=district).first()
    if ca is None:
        return None
    now = timezone.now()
    if ca.crl_der and ca.crl_next_update and ca.crl_next_update - now > CRL_REFRESH_BEFORE:
        return bytes(ca.crl_der)
    with transaction.atomic():
        ca = DistrictCA.objects.select_for_update().get(pk=ca.pk)
        if not (ca.crl_next_update and ca.crl_next_update - now > CRL_REFRESH_BEFORE):
            _crl_build(ca, now)
        return bytes(ca.crl_der)
