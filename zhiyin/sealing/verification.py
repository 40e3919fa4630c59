"""What the public verification page says about a file or a document number.

The answer is built from the checks of `zhiyin.lib.pades.verify_pdf` against every
district root this installation runs and its own revocation records, plus the archive of
sealed documents. It names only what is printed on the document (organization, matter,
number, date of sealing) — never the applicant or anyone else — because the page is
public and reached by anyone holding the paper.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyin.lib import pades
from zhiyin.lib.pdfactive import ACTIVE_LABELS, PdfUnreadable, active_content_find
from zhiyin.sealing.models import SealedDocument
from zhiyin.seals.selectors import electronic_seal_by_serial, revoked_serials, trust_roots


class VerdictStatus(TextChoices):
    VALID = "valid", gettext_lazy("真实有效")
    ALTERED = "altered", gettext_lazy("文件在盖章后被修改")
    APPENDED = "appended", gettext_lazy("盖章后被追加修改")
    UNTRUSTED = "untrusted", gettext_lazy("签发机构不受信任")
    REVOKED = "revoked", gettext_lazy("印章已注销")
    UNKNOWN = "unknown", gettext_lazy("没有该文件的记录")
    UNSIGNED = "unsigned", gettext_lazy("没有电子印章")
    UNREADABLE = "unreadable", gettext_lazy("无法读取")
    ACTIVE = "active", gettext_lazy("含有可执行的主动内容")
    EXISTS = "exists", gettext_lazy("编号存在")


@dataclass(frozen=True)
class SealFinding:
    organization: str
    signed_at: dt.datetime | None
    ok: bool
    problems: tuple[str, ...]


@dataclass(frozen=True)
class PaperText:
    """What the paper of a genuine sealed document should say, to compare line by line:
    what is printed on it, nothing about the applicant."""

    organization: str
    matter: str
    number: str
    date: dt.date

    def rows(self) -> tuple[tuple[str, str], ...]:
        return (
            (_("盖章单位"), self.organization),
            (_("事项"), self.matter),
            (_("文件编号"), self.number),
            (_("盖章日期"), self.date.isoformat()),
        )


@dataclass(frozen=True)
class Verdict:
    status: str
    headline: str
    reasons: tuple[str, ...] = ()
    document: SealedDocument | None = None
    seals: tuple[SealFinding, ...] = ()
    #: What the paper should say — only for a genuine document whose asker holds the file
    #: or the QR code's secret, never for a number typed by hand.
    paper: PaperText | None = None
    #: Whether page 1 may be shown (the asker holds the file or the QR code's secret).
    thumbnail: bool = False

    @property
    def compare(self) -> tuple[tuple[str, str], ...]:
        """The paper's lines as (label, value), for the page's table."""
        return self.paper.rows() if self.paper is not None else ()

    @property
    def ok(self) -> bool:
        return self.status == VerdictStatus.VALID

    @property
    def label(self) -> str:
        return str(VerdictStatus(self.status).label)


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return _("时间不详")
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _revocation_note(serial: int, signed_at: dt.datetime | None) -> str:
    electronic = electronic_seal_by_serial(serial=serial)
    if electronic is None or electronic.revoked_at is None:
        return _("该印章证书已被注销。")
    note = _("该印章证书已于 %(when)s 注销（%(reason)s）。") % {
        "when": _local(electronic.revoked_at),
        "reason": electronic.get_revocation_reason_display(),
    }
    if signed_at is not None and signed_at < electronic.revoked_at:
        note += _("盖章时证书尚未注销，请向盖章单位核实该文件现在是否仍然有效。")
    return note


def _valid_headline(document: SealedDocument) -> str:
    return _(
        "这是%(organization)s于 %(when)s 为“%(matter)s”加盖电子印章的文件（编号 %(number)s），"
        "盖章后未被改动。"
    ) % {
        "organization": document.organization_name,
        "when": _local(document.sealed_at),
        "matter": document.matter_name,
        "number": document.number,
    }


def _paper(document: SealedDocument) -> PaperText:
    return PaperText(
        organization=document.organization_name,
        matter=document.matter_name,
        number=document.number,
        date=timezone.localtime(document.sealed_at).date(),
    )


def document_verify_bytes(*, pdf: bytes) -> Verdict:
    """The verdict on a file someone uploaded (or the archived copy of a number)."""
    try:
        result = pades.verify_pdf(pdf, trust_roots=trust_roots(), revoked_serials=revoked_serials())
    except pades.SealError:
        return Verdict(
            status=VerdictStatus.UNREADABLE,
            headline=_("无法读取该文件：它不是完整的 PDF 文件，或已损坏。"),
        )
    if not result.signatures:
        return Verdict(
            status=VerdictStatus.UNSIGNED,
            headline=_("该文件上没有电子印章签名，无法证明其由哪个单位盖章。"),
        )
    document = SealedDocument.objects.filter(sha256=hashlib.sha256(pdf).hexdigest()).first()
    findings = []
    for report in result.signatures:
        problems = list(report.problems)
        if report.revoked:
            problems = [p for p in problems if p != "该印章证书已被注销。"]
            problems.append(_revocation_note(report.serial, report.signing_time))
        findings.append(
            SealFinding(
                organization=report.signer_cn or _("未知单位"),
                signed_at=report.signing_time,
                ok=report.ok,
                problems=tuple(problems),
            )
        )
    reasons = tuple(p for finding in findings for p in finding.problems)
    try:
        active = active_content_find(pdf).kinds
    except PdfUnreadable:
        active = ()
    if active:
        reasons += (
            _("文件中含有：%(kinds)s。盖章文件不应带有这些内容，请勿在PDF阅读器中允许其运行。")
            % {"kinds": "、".join(_(ACTIVE_LABELS[k]) for k in active)},
        )
    signatures = result.signatures
    if not all(report.intact and report.valid for report in signatures):
        status, headline = (
            VerdictStatus.ALTERED,
            _(
                "文件在盖章后被修改：现在的内容与盖章时不同，不能作为盖章原件使用。"
                "印章本身不一定是假的，请向盖章单位索取原件。"
            ),
        )
    elif not all(report.trusted for report in signatures):
        status, headline = (
            VerdictStatus.UNTRUSTED,
            _("该文件上的印章不是由本平台的区电子印章根证书签发的，无法确认盖章单位的身份。"),
        )
    elif any(report.revoked for report in signatures):
        status, headline = (
            VerdictStatus.REVOKED,
            _("该文件上的印章证书已被注销，不能再凭此证明文件有效。"),
        )
    elif any(report.modified_after_signing for report in signatures):
        status, headline = (
            VerdictStatus.APPENDED,
            _("该文件在盖章之后又被追加修改过，修改部分不受印章保护，不是盖章时的原件。"),
        )
    elif active:
        status, headline = (
            VerdictStatus.ACTIVE,
            _(
                "文件上的印章签名完好，但文件中含有会自动运行、打开网址或附带其他文件的内容，"
                "不能作为可信的盖章文件使用，请向盖章单位核实。"
            ),
        )
    elif document is None:
        status, headline = (
            VerdictStatus.UNKNOWN,
            _("文件上的印章签名完好，但本平台没有这份文件的盖章记录，请向盖章单位核实。"),
        )
    else:
        status, headline = VerdictStatus.VALID, _valid_headline(document)
    valid = status == VerdictStatus.VALID and document is not None
    return Verdict(
        status=status,
        headline=headline,
        reasons=reasons,
        document=document if valid else None,
        seals=tuple(findings),
        paper=_paper(document) if valid and document is not None else None,
        thumbnail=valid,
    )


def document_verify_number(*, number: str) -> Verdict:
    """A number typed by hand: only whether a sealed document has it. Numbers are
    sequential, so anything more (organization, matter, day) would let anyone list every
    sealed document; what the paper should say stays behind the QR code's secret code or
    the file itself."""
    document = SealedDocument.objects.filter(number=number.strip()).only("id").first()
    if document is None:
        return Verdict(
            status=VerdictStatus.UNKNOWN,
            headline=_("没有编号为“%(number)s”的盖章文件，请核对编号。") % {"number": number[:60]},
        )
    return Verdict(
        status=VerdictStatus.EXISTS,
        headline=_(
            "本平台有编号为“%(number)s”的盖章文件。要核对盖章单位、事项、日期和第一页的样子，"
            "请扫描文件上的二维码，或在下面上传文件。"
        )
        % {"number": number[:60]},
    )


def document_verify_code(*, code: str) -> Verdict | None:
    """The QR code's target: the archived copy is checked again (so a seal revoked since
    is reported). None when no document has this code."""
    document = SealedDocument.objects.filter(verify_code=code).first() if code else None
    if document is None:
        return None
    try:
        data = document.read_bytes()
    except OSError:
        return Verdict(
            status=VerdictStatus.UNREADABLE,
            headline=_("该编号的存档文件暂时无法读取，请稍后再试。"),
        )
    verdict = document_verify_bytes(pdf=data)
    if verdict.status == VerdictStatus.VALID:
        return verdict
    # Name the document anyway: the number is printed on it, and the holder needs to
    # know which document the problem concerns.
    return Verdict(
        status=verdict.status,
        headline=verdict.headline,
        reasons=verdict.reasons,
        document=document,
        seals=verdict.seals,
    )
