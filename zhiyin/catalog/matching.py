"""Finding a negative-list certificate in free Chinese text, without Django.

Residents rarely write the official name. They ask to "开个证明证明我和我爸是父子关系",
"开无犯罪证明", or only say what happened: "我身份证丢了", "证明我妈还活着". An item is
described by

- *terms*: its name and aliases, found anywhere in the text (父子关系, 无犯罪证明);
- the *core* of a term that ends in 证明 (婚姻状况, 无犯罪) right next to a certificate word
  ("婚姻状况的证明", "证明一下婚姻状况"), never anywhere in the sentence, or
  "我1980年出生，想开居住证明" would hit 出生证明 through its core 出生;
- *cues* (`own_words.CUES`, and admins' aliases with `+`): words that must all appear, each
  on a word boundary found by the jieba segmenter, so 出生 does not match inside 出生地.

An explicit term wins over a cue; among several items' cues, the more specific item wins
(`own_words.PRECEDENCE`). A question that names a matter the village keeps
(`own_words.KEPT` and the catalog's own matter names) is refused only for an explicit term.
A generic word such as 证明 or 开 alone is never a cue.

jieba loads its dictionary once per process, on the first question (about a second; the
segmenter caches its prefix dictionary in the temporary directory), then segments a
question in well under a millisecond.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba

_CERT_SUFFIX = "证明"
#: Words between a core and the certificate word after it: 婚姻状况[的]证明.
_AFTER = r"(?:的|之)?(?:情况|状况)?(?:的)?(?:证明|证明书|证明材料)"
#: Words before a core: 开具[一个]婚姻状况…, 证明[一下]….
_BEFORE = (
    r"(?:开具|出具|开个|开张|开份|开一个|开一张|开一份|办理|办个|证明)"
    r"(?:一下|一个|一份|一张|个|份|张)?(?:我的|他的|她的|我们的|本人的|本人|的)?"
)
_MIN_CORE = 2
#: Ranks: an explicit term beats every cue; cues rank by their item's precedence.
_TERM_RANK = -1

Cue = tuple[tuple[str, ...], ...]  # groups that must all match; any word of a group


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, and no spaces, punctuation or symbols."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def cue_parse(text: str) -> Cue:
    """`A|B+C` → ((A, B), (C,)); words are normalized, empty ones dropped."""
    groups = []
    for part in text.split("+"):
        words = tuple(sorted({normalize(w) for w in part.split("|")} - {""}))
        if words:
            groups.append(words)
    return tuple(groups)


_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_added: set[str] = set()


def _segmenter() -> jieba.Tokenizer:
    """The one jieba tokenizer of the process, loaded on first use."""
    global _tokenizer  # loaded once, lazily
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def segmenter_warm() -> None:
    """Load the segmenter now (a server process calls it in the background at start)."""
    _segmenter()


def words_add(words: Iterable[str]) -> None:
    """Teach the segmenter the cue words, so each is cut as one word."""
    new = [w for w in words if len(w) > 1 and w not in _added]
    if not new:
        return
    tokenizer = _segmenter()
    with _lock:
        for w in new:
            tokenizer.add_word(w, freq=max(tokenizer.suggest_freq(w), 20))
            _added.add(w)


def boundaries(clean: str) -> frozenset[int]:
    """Offsets in `clean` where a word starts or ends."""
    cuts = {0}
    at = 0
    for word in _segmenter().lcut(clean, HMM=False):
        at += len(word)
        cuts.add(at)
    return frozenset(cuts)


def words_of(text: str) -> list[str]:
    """The words of a question, as the segmenter cuts them (normalized first)."""
    clean = normalize(text)
    return _segmenter().lcut(clean, HMM=False) if clean else []


def _has_word(clean: str, cuts: frozenset[int], word: str) -> bool:
    start = clean.find(word)
    while start != -1:
        if start in cuts and start + len(word) in cuts:
            return True
        start = clean.find(word, start + 1)
    return False


@dataclass(frozen=True)
class Pattern:
    """The compiled terms and cues of one negative-list item."""

    key: int
    terms: tuple[str, ...]
    core: re.Pattern[str] | None
    cues: tuple[Cue, ...] = ()
    rank: int = 0  # smaller wins among cue matches


@functools.lru_cache(maxsize=2048)
def pattern_build(
    key: int, name: str, aliases: tuple[str, ...], cues: tuple[str, ...] = (), rank: int = 0
) -> Pattern:
    """Compiled once per (item, wording): the same item is matched on every request.
    An alias containing `+` is a cue."""
    cue_texts = [*cues, *(a for a in aliases if "+" in a)]
    terms = {normalize(t) for t in (name, *aliases) if "+" not in t}
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
    parsed = tuple(c for c in (cue_parse(t) for t in cue_texts) if c)
    words_add(w for cue in parsed for group in cue for w in group)
    return Pattern(
        key=key,
        terms=tuple(sorted(terms, key=len, reverse=True)),
        core=core_re,
        cues=parsed,
        rank=rank,
    )


@functools.lru_cache(maxsize=64)
def kept_build(names: tuple[str, ...]) -> tuple[str, ...]:
    """Normalized kept-matter names, longest first (a bracket such as 居（租）住 dropped)."""
    found = {normalize(n) for n in names} | {normalize(re.sub(r"（.*?）", "", n)) for n in names}
    return tuple(sorted(found - {""}, key=len, reverse=True))


def _cue_matches(cue: Cue, clean: str, cuts: frozenset[int]) -> bool:
    return all(any(_has_word(clean, cuts, w) for w in group) for group in cue)


def pattern_match(patterns: Sequence[Pattern], text: str, kept: Sequence[str] = ()) -> int | None:
    """The key of the best-matching pattern: the longest term found, then a core match,
    then the cue of the highest-ranked item, unless the text names a kept matter."""
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
    if any(k in clean for k in kept):
        return None
    cuts = boundaries(clean)
    for pattern in sorted((p for p in patterns if p.cues), key=lambda p: p.rank):
        if any(_cue_matches(cue, clean, cuts) for cue in pattern.cues):
            return pattern.key
    return None
