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
import functools
import hashlib
import io
import weakref
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import qrcode
from asn1crypto import x509 as asn1_x509  # type: ignore[import-untyped]  # no stubs
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from fontTools.pens.basePen import BasePen  # type: ignore[import-untyped]  # no stubs
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp.base import BaseStamp, BaseStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from zhiyin.lib import stamp
from zhiyin.lib.signer import SealSigner

PT_PER_MM = 72 / 25.4
QR_MM = 18.0
CAPTION_PT = 6.0
GAP_PT = 3.0
# Room in the CMS blob beyond the embedded certificates: signed attributes, the
# signature itself and the CMS structure come to well under 1.5 kB for ECDSA or RSA-4096.
_CMS_OVERHEAD = 3072


class SealError(ValueError):
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


# --- appearance pieces, cached where the input repeats ----------------------------------


@dataclass(frozen=True)
class _EncodedImage:
    width: int
    height: int
    rgb: bytes
    alpha: bytes


@functools.lru_cache(maxsize=32)
def _encoded_stamp(png: bytes) -> _EncodedImage:
    """The seal PNG split into colour and soft mask, Flate-compressed once per image."""
    with Image.open(io.BytesIO(png)) as opened:
        image = opened.convert("RGBA")
    alpha = image.getchannel("A")
    return _EncodedImage(
        width=image.width,
        height=image.height,
        rgb=zlib.compress(image.convert("RGB").tobytes(), 6),
        alpha=zlib.compress(alpha.tobytes(), 6),
    )


class _PdfPathPen(BasePen):  # type: ignore[misc]  # fontTools is untyped
    """Glyph outlines as PDF path operators, so captions need no embedded font."""

    def __init__(self) -> None:
        super().__init__(glyphSet=None)
        self.ops: list[str] = []

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(f"{pt[0]:g} {pt[1]:g} m")

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(f"{pt[0]:g} {pt[1]:g} l")

    def _curveToOne(
        self, pt1: tuple[float, float], pt2: tuple[float, float], pt3: tuple[float, float]
    ) -> None:
        self.ops.append(f"{pt1[0]:g} {pt1[1]:g} {pt2[0]:g} {pt2[1]:g} {pt3[0]:g} {pt3[1]:g} c")

    def _closePath(self) -> None:
        self.ops.append("h")


@functools.lru_cache(maxsize=2048)
def _glyph_outline(path: str, index: int, char: str) -> tuple[bytes, float]:
    """Outline in font units and advance as a fraction of the em."""
    with stamp.FONT_LOCK:
        font = stamp.font_tables(path, index)
        glyph_name = font.getBestCmap()[ord(char)]
        pen = _PdfPathPen()
        font.getGlyphSet()[glyph_name].draw(pen)
        units = font["head"].unitsPerEm
        advance = font["hmtx"][glyph_name][0] / units
    ops = " ".join(pen.ops)
    return (f"{1 / units:g} 0 0 {1 / units:g} 0 0 cm {ops} f" if ops else "").encode(), advance


def _text_width(text: str, size: float, font_path: str | None) -> float:
    path, index = stamp.font_locate(font_path)
    return sum(_glyph_outline(path, index, char)[1] for char in text) * size


def _text_ops(text: str, size: float, x: float, y: float, font_path: str | None) -> bytes:
    path, index = stamp.font_locate(font_path)
    parts = []
    cursor = x
    for char in text:
        outline, advance = _glyph_outline(path, index, char)
        if outline:
            parts.append(b"q %g 0 0 %g %g %g cm %s Q" % (size, size, cursor, y, outline))
        cursor += advance * size
    return b" ".join(parts)


@functools.lru_cache(maxsize=256)
def _qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """Kept for the next seal on the same document, which carries the same link.

    Encoding takes most of the appearance's time, nearly all of it in choosing the mask
    with the lowest penalty, which the QR standard asks for and is kept.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def _qr_ops(data: str, side: float, x: float, y: float) -> bytes:
    """QR code as filled rectangles on a white quiet zone, one rectangle per dark run."""
    matrix = _qr_matrix(data)
    modules = len(matrix)
    quiet = 2
    cell = side / (modules + 2 * quiet)
    rects = []
    for row_index, row in enumerate(matrix):
        row_y = y + side - (quiet + row_index + 1) * cell
        col = 0
        while col < modules:
            if row[col]:
                start = col
                while col < modules and row[col]:
                    col += 1
                rects.append(
                    b"%.3f %.3f %.3f %.3f re"
                    % (x + (quiet + start) * cell, row_y, (col - start) * cell, cell)
                )
            else:
                col += 1
    white = b"1 g %.3f %.3f %.3f %.3f re f" % (x, y, side, side)
    return white + b" 0 g " + b" ".join(rects) + b" f"


@dataclass(frozen=True)
class _Layout:
    """Where the pieces sit inside the signature widget, in points from its lower left."""

    width: float
    height: float
    seal_x: float
    seal_y: float
    seal_side: float
    qr_x: float
    qr_y: float
    qr_side: float
    captions: tuple[tuple[str, float, float], ...]


def _layout(
    *, x: float, y: float, size_mm: float, captions: Sequence[str], font_path: str | None
) -> tuple[_Layout, tuple[float, float, float, float]]:
    """Seal centred on (x, y); QR code and captions below it, or to its left when the seal
    sits too close to the bottom edge of the page for them to fit below."""
    seal = size_mm * PT_PER_MM
    qr_side = QR_MM * PT_PER_MM
    line = CAPTION_PT * 1.4
    widths = [_text_width(text, CAPTION_PT, font_path) for text in captions]
    column = max([qr_side, *widths])
    column_height = qr_side + GAP_PT + line * len(captions)
    below_height = seal + GAP_PT + column_height
    if y + seal / 2 - below_height >= 0:
        width, height = max(seal, column), below_height
        seal_x, seal_y = (width - seal) / 2, height - seal
        column_x, column_top = (width - column) / 2, height - seal - GAP_PT
    else:
        width, height = column + GAP_PT + seal, max(seal, column_height)
        seal_x, seal_y = column + GAP_PT, 0.0
        column_x, column_top = 0.0, column_height
    qr_y = column_top - qr_side
    placed = tuple(
        (text, column_x + (column - text_width) / 2, qr_y - GAP_PT - line * (i + 1) + 1.5)
        for i, (text, text_width) in enumerate(zip(captions, widths, strict=True))
    )
    layout = _Layout(
        width=width,
        height=height,
        seal_x=seal_x,
        seal_y=seal_y,
        seal_side=seal,
        qr_x=column_x + (column - qr_side) / 2,
        qr_y=qr_y,
        qr_side=qr_side,
        captions=placed,
    )
    left = x - seal_x - seal / 2
    bottom = y - seal_y - seal / 2
    return layout, (left, bottom, left + width, bottom + height)


@dataclass(frozen=True)
class _SealStampStyle(BaseStampStyle):
    image: _EncodedImage | None = None
    layout: _Layout | None = None
    verify_url: str = ""
    font_path: str | None = None
    border_width: int = 0

    def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> _SealStamp:
        return _SealStamp(writer=writer, style=self, box=box)


class _SealStamp(BaseStamp):
    def _render_inner_content(self) -> list[bytes]:
        style: _SealStampStyle = self.style
        image, layout = style.image, style.layout
        assert image is not None
        assert layout is not None
        writer = self.writer
        assert writer is not None
        soft_mask = writer.add_object(
            generic.StreamObject(
                _image_dict(image, "/DeviceGray"),
                encoded_data=image.alpha,
            )
        )
        image_dict = _image_dict(image, "/DeviceRGB")
        image_dict[pdf_name("/SMask")] = soft_mask
        image_ref = writer.add_object(generic.StreamObject(image_dict, encoded_data=image.rgb))
        self.set_resource(
            category=ResourceType.XOBJECT, name=pdf_name("/SealFace"), value=image_ref
        )
        # Multiply, as ink does: the name and date under the seal stay legible.
        self.set_resource(category=ResourceType.EXT_G_STATE, name=pdf_name("/Ink"), value=_MULTIPLY)
        commands = [
            b"q /Ink gs %g 0 0 %g %g %g cm /SealFace Do Q"
            % (layout.seal_side, layout.seal_side, layout.seal_x, layout.seal_y),
            b"q " + _qr_ops(style.verify_url, layout.qr_side, layout.qr_x, layout.qr_y) + b" Q",
        ]
        commands.extend(
            b"q 0 g " + _text_ops(text, CAPTION_PT, cx, cy, style.font_path) + b" Q"
            for text, cx, cy in layout.captions
        )
        return commands


_MULTIPLY = generic.DictionaryObject(  # type: ignore[no-untyped-call]  # unannotated in pyHanko
    {pdf_name("/Type"): pdf_name("/ExtGState"), pdf_name("/BM"): pdf_name("/Multiply")}
)


def _number(value: int) -> generic.NumberObject:
    return generic.NumberObject(value)  # type: ignore[no-untyped-call]  # unannotated in pyHanko


def _image_dict(image: _EncodedImage, colour_space: str) -> generic.DictionaryObject:
    return generic.DictionaryObject(  # type: ignore[no-untyped-call]  # unannotated in pyHanko
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): _number(image.width),
            pdf_name("/Height"): _number(image.height),
            pdf_name("/ColorSpace"): pdf_name(colour_space),
            pdf_name("/BitsPerComponent"): _number(8),
            pdf_name("/Filter"): pdf_name("/FlateDecode"),
        }
    )


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
        raise SealError(f"字体中没有文号里的这些字：{stamp.missing_listed(missing)}，无法盖章。")
    # One parse serves both the checks and the incremental writer.
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    reader_check = writer.prev
    if any(sig.field_name == field_name for sig in reader_check.embedded_signatures):
        raise SealError(f"该文件已有名为“{field_name}”的印章，请换一个签名域名称。")
    if not 0 <= page < int(reader_check.root["/Pages"]["/Count"]):
        raise SealError(f"盖章页码超出范围：第{page + 1}页不存在。")

    layout, box = _layout(x=x, y=y, size_mm=size_mm, captions=captions, font_path=font_path)
    style = _SealStampStyle(
        image=_encoded_stamp(stamp_png),
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
        raise SealError("无法读取该 PDF 文件，文件可能已损坏。") from exc
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
            trusted=bool(status.trusted),
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
