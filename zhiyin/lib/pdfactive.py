"""Active content in a PDF: what a reader may run, open or fetch on its own.

A sealed government document vouches for what is printed on it. A script that rewrites a
field when the file is opened, a launch action that starts a program, a link that opens
an address, an attached file or an XFA form (which a reader renders instead of the page
content) all let the file show or do something the approvers never saw. Such files are
refused at upload and named on the verification page.

The walk follows the object graph from the trailer of the newest revision (what a reader
shows), decoding names the way the parser does, so `/J#61vaScript` is still JavaScript
and objects inside compressed object streams are seen too. Stream contents are never
decoded: the keys of a stream's dictionary are enough to find an action.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from zhiyin.lib.messages import gettext_noop


class ActiveKind:
    """The kinds of active content, with the words a person reads for each."""

    JAVASCRIPT = "javascript"
    LAUNCH = "launch"
    URI = "uri"
    REMOTE = "remote"
    SUBMIT = "submit"
    MEDIA = "media"
    EMBEDDED_FILE = "embedded_file"
    XFA = "xfa"


#: Chinese first; translated where shown (`gettext(ACTIVE_LABELS[kind])`).
ACTIVE_LABELS = {
    ActiveKind.JAVASCRIPT: gettext_noop("JavaScript 脚本"),
    ActiveKind.LAUNCH: gettext_noop("启动外部程序的动作"),
    ActiveKind.URI: gettext_noop("自动或点击打开网址的动作"),
    ActiveKind.REMOTE: gettext_noop("打开其他文件的动作"),
    ActiveKind.SUBMIT: gettext_noop("提交或导入表单数据的动作"),
    ActiveKind.MEDIA: gettext_noop("多媒体或富媒体内容"),
    ActiveKind.EMBEDDED_FILE: gettext_noop("嵌入的附件文件"),
    ActiveKind.XFA: gettext_noop("XFA 动态表单"),
}

_ACTION_KINDS = {
    "/JavaScript": ActiveKind.JAVASCRIPT,
    "/Launch": ActiveKind.LAUNCH,
    "/URI": ActiveKind.URI,
    "/GoToR": ActiveKind.REMOTE,
    "/GoToE": ActiveKind.REMOTE,
    "/SubmitForm": ActiveKind.SUBMIT,
    "/ImportData": ActiveKind.SUBMIT,
    "/Rendition": ActiveKind.MEDIA,
    "/Movie": ActiveKind.MEDIA,
    "/Sound": ActiveKind.MEDIA,
    "/RichMediaExecute": ActiveKind.MEDIA,
}
_TYPE_KINDS = {
    "/EmbeddedFile": ActiveKind.EMBEDDED_FILE,
    "/Filespec": ActiveKind.EMBEDDED_FILE,
}
_SUBTYPE_KINDS = {
    "/FileAttachment": ActiveKind.EMBEDDED_FILE,
    "/RichMedia": ActiveKind.MEDIA,
    "/Movie": ActiveKind.MEDIA,
    "/Sound": ActiveKind.MEDIA,
    "/Screen": ActiveKind.MEDIA,
    "/3D": ActiveKind.MEDIA,
}
_KEY_KINDS = {
    "/JS": ActiveKind.JAVASCRIPT,
    "/EmbeddedFiles": ActiveKind.EMBEDDED_FILE,
    "/EF": ActiveKind.EMBEDDED_FILE,
    "/XFA": ActiveKind.XFA,
}
#: Objects beyond this many are not walked; a file that big is refused as unreadable.
MAX_OBJECTS = 200_000


class PdfUnreadable(Exception):
    """The file could not be parsed as a PDF."""


@dataclass(frozen=True)
class ActiveContent:
    """What was found, in the order of `ACTIVE_LABELS`, each kind once."""

    kinds: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.kinds)


def _children(value: Any) -> Iterator[Any]:
    from pyhanko.pdf_utils import generic

    if isinstance(value, generic.DictionaryObject):
        for key in value:
            yield value.raw_get(key)
    elif isinstance(value, generic.ArrayObject):
        for index in range(len(value)):
            yield value.raw_get(index)


def _kinds_of(value: Any) -> set[str]:
    from pyhanko.pdf_utils import generic

    found: set[str] = set()
    if not isinstance(value, generic.DictionaryObject):
        return found
    for key in value:
        kind = _KEY_KINDS.get(str(key))
        if kind is not None:
            found.add(kind)
    action = value.raw_get("/S") if "/S" in value else None
    if isinstance(action, generic.NameObject) and str(action) in _ACTION_KINDS:
        found.add(_ACTION_KINDS[str(action)])
    kind_type = value.raw_get("/Type") if "/Type" in value else None
    # A file specification is active only when it carries the file itself (/EF).
    if (
        isinstance(kind_type, generic.NameObject)
        and str(kind_type) in _TYPE_KINDS
        and (str(kind_type) != "/Filespec" or "/EF" in value)
    ):
        found.add(_TYPE_KINDS[str(kind_type)])
    subtype = value.raw_get("/Subtype") if "/Subtype" in value else None
    if isinstance(subtype, generic.NameObject) and str(subtype) in _SUBTYPE_KINDS:
        # Images and fonts also have a /Subtype; only annotation subtypes are listed.
        found.add(_SUBTYPE_KINDS[str(subtype)])
    return found


def active_content_find(data: bytes) -> ActiveContent:
    """Every kind of active content reachable from the newest revision's trailer.

    Raises PdfUnreadable when the file cannot be parsed or is too large to walk.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        trailer = reader.trailer_view
    except Exception as exc:  # any parser failure means "not a readable PDF"
        raise PdfUnreadable(str(exc)) from exc
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [trailer.raw_get(key) for key in trailer if str(key) != "/Encrypt"]
    walked = 0
    while stack:
        value = stack.pop()
        if isinstance(value, generic.IndirectObject):
            ref = (value.idnum, value.generation)
            if ref in seen:
                continue
            seen.add(ref)
            try:
                value = value.get_object()  # type: ignore[no-untyped-call]  # unannotated in pyHanko
            except Exception as exc:  # a dangling or broken reference
                raise PdfUnreadable(str(exc)) from exc
        walked += 1
        if walked > MAX_OBJECTS:
            raise PdfUnreadable("too many objects")
        found |= _kinds_of(value)
        stack.extend(_children(value))
    order = list(ACTIVE_LABELS)
    return ActiveContent(kinds=tuple(sorted(found, key=order.index)))
