"""Chinese text uses Chinese punctuation: no half-width ?, :, , , (, ), ! or ; right next to
a Chinese character in any message id of the catalogs or any template's text.

"您要办什么?" reads as a typo to a Chinese reader and breaks lines badly on a phone. The
scan covers every message the project translates (the msgids of each `django.po`, which
`makemessages` collects from the Python sources and the templates) and the text of every
template, including text outside translation tags. Template tags, variables, comments and
HTML tags are left out, and so are format placeholders such as `%(name)s`.
"""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CJK = r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f“”‘’—…]"
HALF = r"[?:,();!]"
# A half-width mark touching a Chinese character (or Chinese punctuation) on either side.
MIXED = re.compile(f"(?:{CJK}{HALF})|(?:{HALF}(?={CJK}))")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdf]|\{[^{}]*\}")
TEMPLATE_CODE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}|<[^>]*>", re.S)
SKIP_DIRS = {".venv", "node_modules", "test-artifacts", "var", ".git", "migrations"}
# The argument of the `yesno` template filter: its comma is the filter's separator.
NOT_TEXT = {"是,否"}


def _files(pattern: str) -> list[Path]:
    return [p for p in ROOT.rglob(pattern) if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)]


def _msgids(po: Path) -> list[str]:
    ids: list[str] = []
    current: list[str] | None = None
    for line in po.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current = [line[len("msgid ") :].strip().strip('"')]
            ids.append("")
        elif line.startswith('"') and current is not None:
            current.append(line.strip().strip('"'))
        else:
            if current is not None and ids:
                ids[-1] = "".join(current)
            current = None
    if current is not None and ids:
        ids[-1] = "".join(current)
    return [i for i in ids if i]


def _mixed(text: str) -> list[str]:
    if text in NOT_TEXT:
        return []
    text = PLACEHOLDER.sub("", text)
    return [text[max(0, m.start() - 6) : m.end() + 6] for m in MIXED.finditer(text)]


def test_catalog_messages_use_chinese_punctuation() -> None:
    found = [
        f"{po.relative_to(ROOT)}: {hit!r}"
        for po in _files("django.po")
        if "/en/" in str(po) or "\\en\\" in str(po)
        for msgid in _msgids(po)
        for hit in _mixed(msgid)
    ]
    assert not found, "\n".join(found)


def test_templates_use_chinese_punctuation() -> None:
    found = [
        f"{t.relative_to(ROOT)}: {hit!r}"
        for t in _files("*.html")
        if "templates" in t.parts
        for hit in _mixed(TEMPLATE_CODE.sub(" ", t.read_text(encoding="utf-8")))
    ]
    translated = re.compile(r"\{%\s*(?:translate|trans|blocktranslate)[^%]*?\"([^\"]*)\"")
    for t in _files("*.html"):
        for text in translated.findall(t.read_text(encoding="utf-8")):
            found += [f"{t.relative_to(ROOT)}: {hit!r}" for hit in _mixed(text)]
    assert not found, "\n".join(found)


def _chinese_literal(literal: str) -> bool:
    """A Chinese string: not a regular expression (r"…", or one with [ ] | \\ ^ $ *), not
    English prose with Chinese terms in brackets (docstrings explaining a 名词)."""
    prefix = literal[: literal.index(literal[-1])].lower()
    body = PLACEHOLDER.sub("", literal)
    body = body.strip("\"'fbru")
    looks_like_regex = re.search(r"[\[\]|\\^$*]", body)
    return "r" not in prefix and not looks_like_regex and not re.search(r"[A-Za-z]{3,}", body)


def test_python_strings_use_chinese_punctuation() -> None:
    """String literals in the sources, translated or not (demo data, messages)."""
    found: list[str] = []
    for source in _files("*.py"):
        if source.name == "test_punctuation.py":
            continue
        with source.open("rb") as f:
            for token in tokenize.tokenize(f.readline):
                if token.type == tokenize.STRING and _chinese_literal(token.string):
                    found += [
                        f"{source.relative_to(ROOT)}:{token.start[0]}: {hit!r}"
                        for hit in _mixed(token.string)
                    ]
    assert not found, "\n".join(found)


def test_the_scan_finds_what_it_is_for() -> None:
    assert _mixed("您要办什么?")
    assert _mixed("面积:3亩")
    assert _mixed("种植(亩)")
    assert not _mixed("您要办什么？")
    assert not _mixed("“%(name)s”：%(reason)s")
    assert not _mixed("PDF, PNG (A4)")
