"""Putting an electronic seal on a PDF, and checking seals already on one.

A seal is a PAdES signature (B-B, or B-T with a timestamp authority) whose visible
appearance is the red seal face, with a QR code and the document number beneath it so a
paper print-out can still be checked online. Every seal is an incremental update: a
certificate sealed by the village committee and then by the economic cooperative keeps
the committee's signature valid.

Sealing is on the request path of a clerk at the counter, so the costly parts are done
once per process: the seal image is decoded and compressed once per PNG, glyph outlines
once per character, and the pyHanko signer once per ``SealSigner`` object.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from zhiyin.lib import stamp
from zhiyin.lib.messages import PersonFacingError, gettext_noop
from zhiyin.lib.pades_appearance import (
    CAPTION_PT,
    GAP_PT,
    PT_PER_MM,
    QR_MM,
    SealStampStyle,
    encoded_stamp,
    seal_layout,
)
from zhiyin.lib.signer import SealSigner

__all__ = [
    "CAPTION_PT",
    "GAP_PT",
    "PT_PER_MM",
    "QR_MM",
    "SealError",
    "SignatureReport",
    "VerificationResult",
    "seal_pdf",
    "signature_bytes_reserved",
    "verify_pdf",
]

# Room in the CMS blob beyond the embedded certificates: signed attributes, the
# signature itself and the CMS structure come to well under 1.5 kB for ECDSA or RSA-4096.
_CMS_OVERHEAD = 3072


class SealError(PersonFacingError):
    """The seal cannot be applied as asked; the message is for the person asking."""


# --- pyHanko signer built once per SealSigner -------------------------------------------


class _SealSignerAdapter(signers.Signer):
    """Lets pyHanko sign through a ``SealSigner``, which only ever sees a digest."""

    def __init__(self, seal_signer: SealSigner) -> None:
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # unannotated
        registry.register_multiple([_asn1(cert) for cert in seal_signer.chain])
        super().__init__(
            signing_cert=_asn1(seal_signer.certificate),
            cert_registry=registry,
            embed_roots=True,
        )
        self._seal_signer = seal_signer
        certs_size = sum(
            len(cert.public_bytes(serialization.Encoding.DER))
            for cert in (seal_signer.certificate, *seal_signer.chain)
        )
        # Reserving a fixed size skips pyHanko's dry-run signature (a second CMS build
        # per seal); the placeholder is hex, hence twice the DER size.
        self.bytes_reserved = 2 * (_CMS_OVERHEAD + certs_size)
        self._signature_size = _max_signature_size(seal_signer.certificate)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(self._signature_size)
        digest = hashlib.new(digest_algorithm, data).digest()
        return self._seal_signer.sign_digest(digest, algorithm=digest_algorithm)


def _max_signature_size(cert: x509.Certificate) -> int:
    """Largest signature the key can produce, for pyHanko's size estimate: an HSM or a
    remote service may well hold an RSA key rather than P-256."""
    public_key = cert.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        return (public_key.key_size + 7) // 8
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return 2 * ((public_key.curve.key_size + 7) // 8) + 9  # DER SEQUENCE of two INTEGERs
    return 512


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


_adapters: weakref.WeakKeyDictionary[SealSigner, _SealSignerAdapter] = weakref.WeakKeyDictionary()


def _adapter_for(seal_signer: SealSigner) -> _SealSignerAdapter:
    """The adapter lives as long as the signer; keep the signer to keep the cache warm."""
    try:
        adapter = _adapters.get(seal_signer)
        if adapter is None:
            adapter = _adapters[seal_signer] = _SealSignerAdapter(seal_signer)
    except TypeError:  # a signer that cannot be hashed or weakly referenced
        adapter = _SealSignerAdapter(seal_signer)
    return adapter


def signature_bytes_reserved(signer: SealSigner) -> int:
    """The fixed room ``seal_pdf`` reserves for this signer's signature (without a
    timestamp): a fair baseline for raw pyHanko reserves the same."""
    return _adapter_for(signer).bytes_reserved


# --- sealing -----------------------------------------------------------------------------


def seal_pdf(
    pdf_bytes: bytes,
    *,
    signer: SealSigner,
    stamp_png: bytes,
    page: int,
    x: float,
    y: float,
    size_mm: float,
    document_number: str,
    verify_url: str,
    field_name: str,
    timestamp_url: str | None = None,
    font_path: str | None = None,
) -> bytes:
    """The PDF with one more seal, appended as an incremental update.

    ``(x, y)`` is the centre of the seal on page ``page`` in PDF points; the QR code and
    document number go below it (or to its left near the bottom edge). ``field_name``
    must be new in this document; use one per seal (e.g. ``Seal-<seal id>``) so a second
    organization can seal the same document. pyHanko runs its own event loop here, so
    call this from synchronous code (a task or a sync view), not inside an event loop.
    """
    captions = (document_number, "扫码核验真伪")
    missing = stamp.font_missing(*captions, font_path=font_path)
    if missing:
        raise SealError(
            gettext_noop("字体中没有文号里的这些字：%(chars)s，无法盖章。"),
            chars=stamp.missing_listed(missing),
        )
    # One parse serves both the checks and the incremental writer.
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    reader_check = writer.prev
    if any(sig.field_name == field_name for sig in reader_check.embedded_signatures):
        raise SealError(
            gettext_noop("该文件已有名为“%(field)s”的印章，请换一个签名域名称。"), field=field_name
        )
    if not 0 <= page < int(reader_check.root["/Pages"]["/Count"]):
        raise SealError(gettext_noop("盖章页码超出范围：第%(page)d页不存在。"), page=page + 1)

    layout, box = seal_layout(x=x, y=y, size_mm=size_mm, captions=captions, font_path=font_path)
    style = SealStampStyle(
        image=encoded_stamp(stamp_png),
        layout=layout,
        verify_url=verify_url,
        font_path=font_path,
    )
    # pyHanko annotates the box as ints but writes any number into /Rect.
    field_box: Any = tuple(round(v, 2) for v in box)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"加盖电子印章 {document_number}",
        contact_info=verify_url,
    )
    timestamper = HTTPTimeStamper(timestamp_url) if timestamp_url else None
    adapter = _adapter_for(signer)
    pdf_signer = signers.PdfSigner(
        meta,
        signer=adapter,
        timestamper=timestamper,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=field_box),
    )
    # With a timestamp the token's size is unknown, so let pyHanko measure a dry run.
    out = pdf_signer.sign_pdf(
        writer, bytes_reserved=None if timestamper else adapter.bytes_reserved
    )
    result: bytes = out.getvalue()
    return result


# --- verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureReport:
    """One seal on a document, as a verifier at the counter would need to see it."""

    field_name: str
    signer_cn: str
    serial: int
    signing_time: dt.datetime | None
    timestamped: bool
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_document: bool
    modified_after_signing: bool
    revoked: bool
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.valid
            and self.trusted
            and not self.revoked
            and not self.modified_after_signing
        )


@dataclass(frozen=True)
class VerificationResult:
    signatures: list[SignatureReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and all(sig.ok for sig in self.signatures)

    def __iter__(self) -> Iterator[SignatureReport]:
        return iter(self.signatures)


_ALLOWED_AFTER_SEALING = {
    None,
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
}


def verify_pdf(
    pdf_bytes: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    revoked_serials: set[int],
) -> VerificationResult:
    """Check every seal on a document against the district roots and the revoked list.

    A seal counts as modified after signing when anything but further seals was
    appended: the last seal must cover the whole file, and for earlier seals pyHanko's
    difference analysis must find nothing beyond form filling (adding a seal is that).
    Revocation comes from Zhiyin's own records, so nothing is fetched from the network.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # any parse failure means "not a readable PDF"
        raise SealError(gettext_noop("无法读取该 PDF 文件，文件可能已损坏。")) from exc
    roots = [_asn1(cert) for cert in trust_roots]
    checked: list[tuple[Any, Any, str]] = []
    for sig in embedded:
        context = ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
        )
        try:
            checked.append(
                (sig, validate_pdf_signature(sig, signer_validation_context=context), "")
            )
        except Exception as exc:  # a CMS blob that cannot be parsed is a failed seal
            checked.append((sig, None, f"签名数据无法解析：{exc}"))
    last_status = checked[-1][1] if checked else None
    last_covers_all = (
        last_status is not None and last_status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    )
    reports = []
    for position, (sig, status, error) in enumerate(checked):
        cert = sig.signer_cert
        serial = int(cert.serial_number) if cert is not None else 0
        revoked = serial in revoked_serials
        if status is None:
            reports.append(
                SignatureReport(
                    field_name=sig.field_name,
                    signer_cn=_common_name(cert),
                    serial=serial,
                    signing_time=None,
                    timestamped=False,
                    intact=False,
                    valid=False,
                    trusted=False,
                    covers_whole_document=False,
                    modified_after_signing=True,
                    revoked=revoked,
                    problems=(error,),
                )
            )
            continue
        covers_all = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        if position == len(checked) - 1:
            modified = not covers_all
        else:
            modified = (
                not last_covers_all
                or status.modification_level not in _ALLOWED_AFTER_SEALING
                or status.docmdp_ok is False
            )
        timestamp = status.timestamp_validity
        report = SignatureReport(
            field_name=sig.field_name,
            signer_cn=_common_name(cert),
            serial=serial,
            signing_time=timestamp.timestamp if timestamp else status.signer_reported_dt,
            timestamped=timestamp is not None,
            intact=bool(status.intact),
            valid=bool(status.valid),
            # The chain on its own: pyHanko's `trusted` also requires the content to be
            # intact, which would report an altered file's genuine seal as untrusted.
            trusted=status.trust_problem_indic is None and status.validation_path is not None,
            covers_whole_document=covers_all,
            modified_after_signing=modified,
            revoked=revoked,
        )
        reports.append(replace(report, problems=_problems(report)))
    return VerificationResult(signatures=reports)


def _common_name(cert: asn1_x509.Certificate | None) -> str:
    if cert is None:
        return ""
    loaded = x509.load_der_x509_certificate(cert.dump())
    names = loaded.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def _problems(report: SignatureReport) -> tuple[str, ...]:
    """Plain-Chinese reasons a seal does not hold, in the order a verifier should read."""
    problems = []
    if not report.intact:
        problems.append("文件内容在盖章后被改动，签名与内容不符。")
    elif not report.valid:
        problems.append("签名数据无效。")
    if not report.trusted:
        problems.append("印章证书不是由受信任的签发机构签发的。")
    if report.revoked:
        problems.append("该印章证书已被注销。")
    if report.modified_after_signing:
        problems.append("盖章之后文件又被追加修改，盖章时的版本之后的内容不受此印章保护。")
    return tuple(problems)
