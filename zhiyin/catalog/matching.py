"""Finding a negative-list certificate in free Chinese text, without Django.

Residents do not write the official name: they ask to "开个证明证明我和我爸是父子关系" or
"开无犯罪证明". So an item is described by terms (its name and its aliases), and text
matches when, after normalization, it

1. contains a term as a substring (父子关系, 无犯罪证明, 亲属关系证明), or
2. contains the *core* of a term that ends in 证明 (亲属关系, 婚姻状况, 无犯罪) right next to a
   certificate word: "婚姻状况的证明", "证明一下婚姻状况", "开具无犯罪的证明".

"Right next to" is strict on purpose: a core is only accepted when the certificate word
touches it (allowing 的/情况/一下/一个 in between), never anywhere in the sentence. Otherwise
"我1980年出生，想开居住证明" would hit 出生证明 through its core 出生. Kept matters such as
居住证明, 经营场所证明, 贫困学生证明 and 养老金手续 are tested against every item.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_CERT_SUFFIX = "证明"
#: Words between a core and the certificate word after it: 婚姻状况[的]证明.
_AFTER = r"(?:的|之)?(?:情况|状况)?(?:的)?(?:证明|证明书|证明材料)"
#: Words before a core: 开具[一个]婚姻状况…, 证明[一下]….
_BEFORE = (
    r"(?:开具|出具|开个|开张|开份|开一个|开一张|开一份|办理|办个|证明)"
    r"(?:一下|一个|一份|一张|个|份|张)?(?:我的|他的|她的|我们的|本人的|本人|的)?"
)
_MIN_CORE = 2


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, and no spaces, punctuation or symbols."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


@dataclass(frozen=True)
class Pattern:
    """The compiled terms of one negative-list item."""

    key: int
    terms: tuple[str, ...]
    core: re.Pattern[str] | None


@functools.lru_cache(maxsize=2048)
def pattern_build(key: int, name: str, aliases: tuple[str, ...]) -> Pattern:
    """Compiled once per (item, wording): the same item is matched on every request."""
    terms = {normalize(t) for t in (name, *aliases)}
    terms.discard("")
    cores = sorted(
        {t[: -len(_CERT_SUFFIX)] for t in terms if t.endswith(_CERT_SUFFIX)} - {""},
        key=len,
        reverse=True,
    )
    cores = [c for c in cores if len(c) >= _MIN_CORE]
    core_re = None
    if cores:
        alternatives = "|".join(re.escape(c) for c in cores)
        core_re = re.compile(f"(?:(?:{alternatives}){_AFTER})|(?:{_BEFORE}(?:{alternatives}))")
    return Pattern(key=key, terms=tuple(sorted(terms, key=len, reverse=True)), core=core_re)


def pattern_match(patterns: Sequence[Pattern], text: str) -> int | None:
    """The key of the best-matching pattern: the longest term found, then a core match."""
    clean = normalize(text)
    if not clean:
        return None
    best: tuple[int, int] | None = None  # (length of the matched text, key)
    for pattern in patterns:
        for term in pattern.terms:
            if term in clean:
                if best is None or len(term) > best[0]:
                    best = (len(term), pattern.key)
                break
    if best is not None:
        return best[1]
    for pattern in patterns:
        if pattern.core is not None and pattern.core.search(clean):
            return pattern.key
    return None
