"""Applying electronic seals to approved documents, and building certificate documents.

Sealing is the custodian step's completion (DESIGN.md, Workflow): it happens only for an
approved request, by a custodian of the village who neither applied for nor decided it,
on exactly the bytes whose SHA-256 was approved. Everything — confirmation, signatures,
the `SealedDocument` rows, the request's completion and the audit events — happens in one
transaction; a refusal leaves nothing behind but, at most, an unreferenced file named by
its own hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.models import (
    ApprovalStep,
    RequestDocument,
    RequestStatus,
    SealRequest,
    StepDecision,
)
from zhiyin.approvals.services import (
    DutiesConflict,
    duties_attempt_record,
    seal_request_complete_checked,
)
from zhiyin.audit.services import audit_record, district_log
from zhiyin.catalog.models import MatterCategory, MatterTier
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import delivery_document_sealed
from zhiyin.lib import pades, pdfdoc, stamp
from zhiyin.orgs.models import Person, Role, RoleGrant
from zhiyin.sealing.models import SealedDocument, SealingConfirmation, verify_code_new
from zhiyin.sealing.preview import page_count, page_size
from zhiyin.sealing.selectors import sealable_documents
from zhiyin.seals.keys import seal_signer
from zhiyin.seals.models import ElectronicSeal, Seal, SealStatus
from zhiyin.seals.selectors import electronic_seal_active

PT_PER_MM = 72 / 25.4
#: Where a seal goes on an uploaded PDF that did not record a place: the last page, right
#: side, high enough for the QR code and number to fit beneath it.
DEFAULT_RIGHT_MARGIN_PT = 72.0
DEFAULT_CENTRE_Y_PT = 230.0
#: Room between seals side by side when several organizations seal one document.
SEAL_SPACING_PT = 12.0
A4_WIDTH_PT = 595.28


class DocumentMismatch(RuleViolation):
    """The stored document no longer hashes to what was approved (blank-seal risk)."""


@dataclass(frozen=True)
class SealingOutcome:
    """What a custodian's sealing did: sealed the documents, or recorded a confirmation
    and waits for the second custodian of a joint-seal matter."""

    confirmations: int
    needed: int
    documents: list[SealedDocument] = field(default_factory=list)

    @property
    def sealed(self) -> bool:
        return bool(self.documents)


def document_number(request: SealRequest, index: int) -> str:
    """The number printed beside the seal: the request number and the document's place."""
    return f"{request.number}-{index}"


def verify_url(code: str) -> str:
    """The QR code's target: the document's verification page, by its secret code."""
    return settings.PUBLIC_BASE_URL + reverse("verify_code", args=[code])


def sealing_refusal(*, request: SealRequest, by: Person) -> str | None:
    """Why `by` may not seal `request` now, in plain Chinese; ``None`` when they may.
    The page uses it to show or hide the form; `document_seal` enforces it."""
    if request.status != RequestStatus.APPROVED:
        if request.status == RequestStatus.COMPLETED:
            return _("该申请已用印。")
        return _("只有已批准的申请才能盖章，该申请当前状态为“%(status)s”。") % {
            "status": request.get_status_display()
        }
    is_custodian, approved = _sealer_standing(request, by)
    if not is_custodian:
        return _("只有本村的印章管理员可以盖章。")
    if by.pk == request.applicant_id:
        return _("申请人不能为自己的申请盖章，请由另一位印章管理员盖章。")
    if approved:
        return _("审批过该申请的人不能为其盖章（审用分离）。")
    if not request.matter.electronic_allowed:
        return _("该事项不允许使用电子印章。")
    return None


def _sealer_standing(request: SealRequest, by: Person) -> tuple[bool, bool]:
    """Whether `by` holds an active village-wide custodian grant of the request's village,
    and whether they decided an approval step of it (`person_approved_request`: a
    custodian step does not count). One plain-SQL query: sealing asks both on every
    seal, and building them with the ORM costs more than the database answering."""
    grant, decision, step = RoleGrant._meta, StepDecision._meta, ApprovalStep._meta
    quote = connection.ops.quote_name
    sql = f"""SELECT
        EXISTS (SELECT 1 FROM {quote(grant.db_table)}
                WHERE person_id = %s AND role = %s AND village_id = %s
                  AND group_id IS NULL AND revoked_at IS NULL),
        EXISTS (SELECT 1 FROM {quote(decision.db_table)} d
                JOIN {quote(step.db_table)} s ON s.id = d.step_id
                WHERE s.request_id = %s AND d.person_id = %s AND s.role <> %s)"""  # noqa: S608  # no user input
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [by.pk, Role.CUSTODIAN, request.village_id, request.pk, by.pk, Role.CUSTODIAN]
        )
        is_custodian, approved = cursor.fetchone()
    return bool(is_custodian), bool(approved)


def _request_locked(request: SealRequest) -> SealRequest:
    """The request under its row lock (its row only: the seals are locked on their own),
    with what sealing and completion read of it."""
    return (
        SealRequest.objects.select_for_update(of=("self",))
        .select_related("village", "matter", "seal", "applicant")
        .get(pk=request.pk)
    )


def _check_seals(request: SealRequest, seals: Sequence[Seal]) -> list[tuple[Seal, ElectronicSeal]]:
    """The chosen seals, each locked, with its certificate in force; the requested seal first.

    One query reads (and locks) every chosen seal with its certificate in force; when a
    seal is missing from it, `_check_seals_one_by_one` finds which and says why."""
    pks = sorted({seal.pk for seal in seals})
    now = timezone.now()
    found: dict[int, ElectronicSeal] = {}
    # Read again, locked: the caller's objects may predate a suspension.
    for electronic in (
        ElectronicSeal.objects.select_for_update(of=("seal",))
        .select_related("seal", "ca")
        .filter(
            seal_id__in=pks,
            seal__is_electronic=True,
            revoked_at__isnull=True,
            not_before__lte=now,
            not_after__gt=now,
        )
        .order_by("seal_id", "-issued_at")
    ):
        found.setdefault(electronic.seal_id, electronic)
    if not pks or sorted(found) != pks:
        return _check_seals_one_by_one(request, seals)
    usable = [(found[pk].seal, found[pk]) for pk in pks]
    if request.seal_id not in found:
        raise RuleViolation(
            _("所选印章中必须包括申请的印章“%(name)s”。") % {"name": request.seal.name}
        )
    for seal, _electronic in usable:
        _check_seal(request, seal)
    # The requested seal first: the first signature is the organization that issues it.
    return sorted(usable, key=lambda pair: pair[0].pk != request.seal_id)


def _check_seal(request: SealRequest, seal: Seal) -> None:
    if seal.village_id != request.village_id:
        raise RuleViolation(_("“%(name)s”不是本村的印章。") % {"name": seal.name})
    if seal.status != SealStatus.ACTIVE:
        raise RuleViolation(
            _("“%(name)s”当前状态为“%(status)s”，不能使用。")
            % {"name": seal.name, "status": seal.get_status_display()}
        )


def _check_seals_one_by_one(
    request: SealRequest, seals: Sequence[Seal]
) -> list[tuple[Seal, ElectronicSeal]]:
    unique = list(
        Seal.objects.select_for_update().filter(pk__in=[seal.pk for seal in seals]).order_by("pk")
    )
    if not unique:
        raise RuleViolation(_("请至少选择一枚电子印章。"))
    if request.seal_id not in {seal.pk for seal in unique}:
        raise RuleViolation(
            _("所选印章中必须包括申请的印章“%(name)s”。") % {"name": request.seal.name}
        )
    usable = []
    for seal in unique:
        _check_seal(request, seal)
        electronic = electronic_seal_active(seal=seal) if seal.is_electronic else None
        if electronic is None:
            raise RuleViolation(
                _("“%(name)s”没有有效的电子印章证书，请先由管理员签发。") % {"name": seal.name}
            )
        usable.append((seal, electronic))
    return sorted(usable, key=lambda pair: pair[0].pk != request.seal_id)


def seal_position_default(*, pdf: bytes, size_mm: float) -> pdfdoc.SealPosition:
    """Where the seal goes unless the custodian moves it: the place a certificate built
    here recorded, else the lower right of the last page. The sealing page starts the
    seal's outline here."""
    return _default_position(pdf, size_mm)


def _default_position(pdf: bytes, size_mm: float) -> pdfdoc.SealPosition:
    recorded = pdfdoc.seal_position_read(pdf)
    if recorded is not None:
        return recorded
    last = page_count(pdf) - 1
    width, _height = page_size(pdf, last)
    radius = size_mm * PT_PER_MM / 2
    return pdfdoc.SealPosition(
        page=last, x=width - DEFAULT_RIGHT_MARGIN_PT - radius, y=DEFAULT_CENTRE_Y_PT
    )


def _store(data: bytes, sha256: str) -> str:
    name = f"sealed/{sha256[:2]}/{sha256}.pdf"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:
            default_storage.delete(saved)
    return name


def _approved_bytes(document: RequestDocument) -> bytes:
    """The stored bytes, provided they still hash to what the approvers saw."""
    pdf = document.read_bytes()
    if hashlib.sha256(pdf).hexdigest() != document.sha256:
        raise DocumentMismatch(
            _(
                "文件“%(name)s”与审批通过时的文件不一致（SHA-256 不符），不能盖章。"
                "请联系管理员核查存储。"
            )
            % {"name": document.original_name}
        )
    return pdf


def _seal_one(
    *,
    request: SealRequest,
    document: RequestDocument,
    pdf: bytes,
    index: int,
    seals: list[tuple[Seal, ElectronicSeal]],
    by: Person,
    position: pdfdoc.SealPosition | None,
    now: dt.datetime,
) -> SealedDocument:
    number = document_number(request, index)
    code = verify_code_new()
    link = verify_url(code)
    for offset, (seal, electronic) in enumerate(seals):
        size_mm = float(seal.diameter_mm)
        place = position or _default_position(pdf, size_mm)
        step = offset * (size_mm * PT_PER_MM + SEAL_SPACING_PT)
        try:
            pdf = pades.seal_pdf(
                pdf,
                signer=seal_signer(electronic),
                stamp_png=stamp.stamp_render(
                    name=seal.name, purpose=seal.purpose, diameter_mm=size_mm, dpi=600
                ),
                page=place.page,
                x=place.x - step,
                y=place.y,
                size_mm=size_mm,
                document_number=number,
                verify_url=link,
                field_name=f"Seal-{seal.pk}",
                timestamp_url=settings.SEAL_TIMESTAMP_URL or None,
            )
        except (pades.SealError, stamp.StampError) as exc:
            raise RuleViolation.from_error(exc) from exc
    sha256 = hashlib.sha256(pdf).hexdigest()
    sealed = SealedDocument.objects.create(
        number=number,
        sha256=sha256,
        file=_store(pdf, sha256),
        size=len(pdf),
        request=request,
        source_document=document,
        matter_name=request.matter.name,
        organization_name="、".join(seal.name for seal, _electronic in seals),
        sealed_at=now,
        sealed_by=by,
        signatures=len(seals),
        verify_code=code,
    )
    audit_record(
        actor=by,
        action="sealed_document.create",
        target=sealed,
        after={
            "number": number,
            "sha256": sha256,
            "source_sha256": document.sha256,
            "request": request.number,
            "seals": [seal.code for seal, _electronic in seals],
        },
        role=Role.CUSTODIAN,
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )
    return sealed


def document_seal(
    *,
    request: SealRequest,
    seals: Sequence[Seal],
    by: Person,
    position: pdfdoc.SealPosition | None = None,
) -> SealingOutcome:
    """Seal every current PDF of an approved request and complete the request.

    `position` is the seal centre chosen on the page preview; without it each document
    gets its template's recorded place, or the lower right of its last page. Further
    seals go to the left of the first, each an incremental signature of its own. For a
    joint-seal matter the first custodian's call only records a confirmation. An
    approver's attempt to seal is refused and recorded (审用分离).
    """
    try:
        return _document_seal(request=request, seals=seals, by=by, position=position)
    except DutiesConflict:
        duties_attempt_record(request=request, by=by)
        raise


@transaction.atomic
def _document_seal(
    *,
    request: SealRequest,
    seals: Sequence[Seal],
    by: Person,
    position: pdfdoc.SealPosition | None,
) -> SealingOutcome:
    request = _request_locked(request)
    refusal = sealing_refusal(request=request, by=by)
    if refusal:
        if request.status == RequestStatus.APPROVED and _sealer_standing(request, by)[1]:
            raise DutiesConflict(refusal)
        raise RuleViolation(refusal)
    ordered = _check_seals(request, seals)
    documents = sealable_documents(request)
    if not documents:
        raise RuleViolation(_("该申请没有可加盖电子印章的 PDF 文件。"))
    sources = {document.pk: _approved_bytes(document) for document in documents}
    if position is not None:
        pages = min(page_count(data) for data in sources.values())
        if not 0 <= position.page < pages:
            raise RuleViolation(
                _("盖章页码超出范围：第%(page)d页不存在。") % {"page": position.page + 1}
            )

    needed = 2 if request.matter.tier == MatterTier.JOINT_SEAL else 1
    confirmations = 1
    if needed > 1:
        # Only joint seals need a record of who confirmed: otherwise the sealing custodian
        # is already on the request (completed_by) and in the audit log.
        SealingConfirmation.objects.get_or_create(request=request, person=by)
        confirmations = SealingConfirmation.objects.filter(request=request).count()
    if confirmations < needed:
        audit_record(
            actor=by,
            action="sealing.confirm",
            target=request,
            after={"confirmations": confirmations, "needed": needed},
            role=Role.CUSTODIAN,
            scope=request.village.name,
            log=district_log(request.village.district_id),
        )
        return SealingOutcome(confirmations=confirmations, needed=needed)

    now = timezone.now()
    sealed = [
        _seal_one(
            request=request,
            document=document,
            pdf=sources[document.pk],
            index=index,
            seals=ordered,
            by=by,
            position=position,
            now=now,
        )
        for index, document in enumerate(documents, start=1)
    ]
    # Locked and checked above, in this transaction: completion need not do either again.
    request = seal_request_complete_checked(request=request, by=by)
    if request.matter.target_bureau is not None:
        for sealed_document in sealed:
            delivery_document_sealed(
                bureau=request.matter.target_bureau,
                event_payload=sealed_delivery_payload(request, sealed_document),
                document_path=sealed_document.file.name,
                document_sha256=sealed_document.sha256,
                source_type="approvals.sealrequest",
                source_id=request.pk,
                title=f"{request.number} {request.matter.name}",
                filename=f"{sealed_document.number}.pdf",
                audit_log=district_log(request.village.district_id),
            )
    return SealingOutcome(confirmations=confirmations, needed=needed, documents=sealed)


def sealed_delivery_payload(request: SealRequest, document: SealedDocument) -> dict[str, Any]:
    """What the receiving bureau learns about a sealed document (docs/integration.md)."""
    return {
        "request": {
            "number": request.number,
            "matter": request.matter.name,
            "village": request.village.name,
            "purpose": request.purpose,
            "stamp_count": request.stamp_count,
            "on_behalf_of": str(request.on_behalf_of) if request.on_behalf_of_id else "",
            "completed_at": request.completed_at.isoformat() if request.completed_at else "",
        },
        "sealed_document": {
            "number": document.number,
            "organization": document.organization_name,
            "sealed_at": document.sealed_at.isoformat(),
            "verify_url": verify_url(document.verify_code),
        },
    }


def certificate_document_build(*, request: SealRequest) -> bytes:
    """The PDF of a certificate matter (证明类), from the request's data.

    The document number printed is the one the sealed file will carry
    (``<request number>-1``: a certificate request has this one document), and the seal
    place is recorded inside the PDF for `document_seal` to find. The person is named
    with their ID number masked, as on every page of Zhiyin.
    """
    matter = request.matter
    if matter.category != MatterCategory.CERTIFICATE:
        raise RuleViolation(_("只有证明类事项才能按模板生成文件。"))
    village = request.village
    paragraphs = []
    subject = request.on_behalf_of
    if subject is not None:
        home = village.name + (subject.home_group.name if subject.home_group else "")
        identity = (
            _("（身份证号 %(id)s）") % {"id": subject.id_number_masked} if subject.id_number else ""
        )
        paragraphs.append(
            _("兹证明%(name)s%(identity)s系%(home)s村民。")
            % {"name": subject.real_name, "identity": identity, "home": home}
        )
    purpose = request.purpose.strip().rstrip("。")
    paragraphs.append(_("%(purpose)s，情况属实。") % {"purpose": purpose})
    paragraphs.append(_("特此证明。"))
    title = matter.name if matter.name.endswith("证明") else _("证明")
    addressee = matter.target_bureau.name if matter.target_bureau else ""
    try:
        built = pdfdoc.certificate_pdf_build(
            title=title,
            paragraphs=paragraphs,
            document_number=document_number(request, 1),
            organization_name=request.seal.name,
            issued_on=timezone.localdate(),
            addressee=addressee,
        )
    except (pdfdoc.DocumentError, stamp.StampError) as exc:
        raise RuleViolation.from_error(exc) from exc
    return built.pdf
