"""Re-walking the whole log: the chain, then every checkpoint against the recomputed tree.

Used by `manage.py audit_verify`. It trusts nothing cached: each event's hash is
recomputed from its stored fields, each link to the event before it checked, the Merkle
tree rebuilt from scratch and each checkpoint's signature and root compared. The first
problem found is reported with its sequence number and one of these kinds:

- `changed`: the event's stored fields no longer give its stored hash;
- `missing`: a sequence number is absent, a link points to an event that is not there,
  or a checkpoint covers more events than are stored (the tail was cut off);
- `reordered`: the event links to an event stored *after* it (two events swapped);
- `checkpoint mismatch`: a checkpoint's signature fails, or the log rebuilt from the
  stored events gives another root than the one signed — history was rewritten and the
  chain recomputed to hide it; the report names the range of events it lies in.
"""

from __future__ import annotations

import base64
import gc
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring

from django.db import connection

from zhiyin.audit.handover import HandoverError, checkpoint_vkeys
from zhiyin.audit.merkle import LeafTree
from zhiyin.audit.models import GENESIS_HASH, AuditEvent, Checkpoint
from zhiyin.audit.services import HASHED_FIELDS
from zhiyin.audit.signing import note_verify

CHANGED = "changed"
MISSING = "missing"
REORDERED = "reordered"
CHECKPOINT_MISMATCH = "checkpoint mismatch"
TRIGGERS_MISSING = "triggers missing"

TRIGGERS = {
    "sqlite": {
        "audit_auditevent_no_update",
        "audit_auditevent_no_delete",
        "audit_checkpoint_no_update",
        "audit_checkpoint_no_delete",
    },
    "postgresql": {"audit_auditevent_append_only", "audit_checkpoint_append_only"},
}


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind} — {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    events: int
    checkpoints: int
    root_hash: str
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _check_checkpoint(
    checkpoint: Checkpoint, tree: LeafTree, vkey: str, good_size: int
) -> Problem | None:
    size = checkpoint.tree_size
    try:
        body = note_verify(checkpoint.note, vkey)
    except ValueError as exc:
        return Problem(size, CHECKPOINT_MISMATCH, f"检查点（树大小 {size}）签名无效：{exc}")
    lines = body.split("\n")
    signed_root = base64.b64decode(lines[2]).hex() if len(lines) > 2 else ""
    if lines[:2] != [checkpoint.origin, str(size)] or signed_root != checkpoint.root_hash:
        return Problem(size, CHECKPOINT_MISMATCH, f"检查点（树大小 {size}）的记录与其签名文本不符")
    if tree.root(size).hex() != checkpoint.root_hash:
        where = (
            f"第 {size} 号记录被改写"
            if good_size + 1 == size
            else f"第 {good_size + 1} 至 {size} 号之间的记录被改写（上一个相符的检查点之后）"
        )
        return Problem(
            good_size + 1,
            CHECKPOINT_MISMATCH,
            f"按现存记录重算的默克尔根与已签名检查点（树大小 {size}）不符：{where}",
        )
    return None


def _link_problem(log: str, seq: int, prev_hash: str) -> Problem:
    later = (
        AuditEvent.objects.filter(log=log, hash=prev_hash, seq__gt=seq)
        .values_list("seq", flat=True)
        .first()
    )
    if later is not None:
        return Problem(seq, REORDERED, f"它链接的前一条记录排在其后（第 {later} 号）：顺序被调换")
    return Problem(seq, MISSING, f"它链接的前一条记录不存在：第 {seq - 1} 号之前有记录被删除或改写")


_CHUNK = 10_000


def _hash_input_sql(with_log: bool) -> str:
    """SQL giving, per event, the exact bytes its hash was made from:
    ``prev_hash + "\n" + canonical_json(hashed fields)``, UTF-8.

    The canonical text is assembled by the database in C instead of per row in Python:
    every stored value is a string, an integer or NULL, so each is written as JSON by
    itself — strings quoted by the database's JSON quoting (SQLite's ``json_quote`` and
    PostgreSQL's ``to_json`` escape exactly as Python's ``json`` module does with
    ``ensure_ascii=False``; a test checks every code point) — and the keys are already in
    sorted order. ``created_at`` becomes ``datetime.isoformat()`` in UTC: SQLite stores
    ``str(datetime)`` in UTC (a ``T`` for the space, ``+00:00`` added), PostgreSQL's
    timestamp is formatted, the fraction of a second only when there is one.
    """
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    names = sorted((*HASHED_FIELDS, "log") if with_log else HASHED_FIELDS)

    def value(name: str) -> str:
        column = quote(name)
        if name == "seq":
            return f"CAST({column} AS TEXT)"
        if name == "actor_id":
            return f"COALESCE(CAST({column} AS TEXT), 'null')"
        if name == "created_at":
            if sqlite:
                return f"json_quote(replace({column}, ' ', 'T') || '+00:00')"
            utc = f"({column} AT TIME ZONE 'UTC')"
            return (
                f"'\"' || to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
                f"CASE WHEN date_trunc('second', {column}) = {column} THEN '' "
                f"ELSE to_char({utc}, '.US') END || '+00:00\"'"
            )
        return f"json_quote({column})" if sqlite else f"to_json({column})::text"

    parts = [f"'{{\"{names[0]}\":' || {value(names[0])}"]
    parts.extend(f"',\"{name}\":' || {value(name)}" for name in names[1:])
    text = f"{quote('prev_hash')} || {'char(10)' if sqlite else 'chr(10)'} || " + (
        " || ".join(parts) + " || '}'"
    )
    return f"CAST({text} AS BLOB)" if sqlite else f"convert_to({text}, 'UTF8')"


def _event_chunks(log: str = "") -> Iterator[list[tuple[int, str, str, bytes]]]:
    """(seq, prev_hash, hash, hash input bytes) of every event of `log` in order, in
    chunks straight from a streaming cursor (server-side on PostgreSQL): no model objects.

    PostgreSQL builds the hash input itself (`_hash_input_sql`), which measured twice as
    fast as doing it here; SQLite's JSON functions are slower than Python's formatting,
    so on SQLite the raw columns come out and one format string per row makes the text."""
    quote = connection.ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    where = f"FROM {table} WHERE {quote('log')} = %s ORDER BY {quote('seq')}"
    if connection.vendor == "sqlite":
        yield from _sqlite_chunks(log, where)
        return
    sql = (
        f"SELECT {quote('seq')}, {quote('prev_hash')}, {quote('hash')}, "  # no user input
        f"{_hash_input_sql(bool(log))} {where}"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [log])
        while rows := cursor.fetchmany(_CHUNK):
            yield rows


_NUMBERS = ("seq", "actor_id")


def _sqlite_chunks(log: str, where: str) -> Iterator[list[tuple[int, str, str, bytes]]]:
    """SQLite: the hashed fields as stored (`created_at` is `str(datetime)` in UTC, so its
    ISO form is that text with a `T` and `+00:00`, made in SQL), then `canonical_json` of
    them as one format string over (texts..., seq, actor_id) — every stored value is a
    string, an integer or NULL, so each is written as JSON by itself (strings escaped by
    the json module's own C escaper) and the keys never need sorting again."""
    quote = connection.ops.quote_name
    names = sorted((*HASHED_FIELDS, "log") if log else HASHED_FIELDS)
    texts = tuple(name for name in names if name not in _NUMBERS)
    order = (*texts, *_NUMBERS)
    fmt = ("{{" + ",".join(f'"{name}":{{{order.index(name)}}}' for name in names) + "}}").format

    def column(name: str) -> str:
        if name == "created_at":
            return f"replace({quote(name)}, ' ', 'T') || '+00:00'"
        if name == "actor_id":
            return f"COALESCE(CAST({quote(name)} AS TEXT), 'null')"
        return quote(name)

    sql = f"SELECT {', '.join(column(name) for name in order)}, prev_hash, hash {where}"  # no user input
    count = len(texts)
    escape = encode_basestring
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [log])
        while rows := cursor.fetchmany(_CHUNK):
            yield [
                (
                    row[count],
                    row[-2],
                    row[-1],
                    f"{row[-2]}\n{fmt(*map(escape, row[:count]), row[count], row[count + 1])}".encode(),
                )
                for row in rows
            ]


def _event_rows(log: str = "") -> Iterator[tuple[int, str, str, str]]:
    """(seq, canonical text, prev_hash, hash) of every event of `log` in order, as the
    verifier sees them (the text is exactly what `canonical_text_of` gives)."""
    for rows in _event_chunks(log):
        for seq, prev_hash, stored_hash, hash_input in rows:
            text = bytes(hash_input).decode()
            yield seq, text[len(prev_hash) + 1 :], prev_hash, stored_hash


def log_verify(*, vkey: str, log: str = "", check_triggers: bool = True) -> VerifyReport:
    """Re-walk one log (a district's, or the installation log "").

    Each chunk of events is checked in bulk — its hashes recomputed, its sequence numbers
    and links compared as whole lists — and only a chunk with a problem is walked event
    by event to name the first one. The cyclic garbage collector is paused meanwhile: the
    walk makes millions of short-lived tuples and no cycles, and each collection would
    scan them all again."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _log_verify(vkey=vkey, log=log, check_triggers=check_triggers)
    finally:
        if collecting:
            gc.enable()


def _log_verify(*, vkey: str, log: str, check_triggers: bool) -> VerifyReport:
    checkpoints = list(Checkpoint.objects.filter(log=log).order_by("tree_size"))
    try:  # each checkpoint's key, following signed key hand-overs from the trusted one
        vkeys = checkpoint_vkeys(checkpoints, vkey)
    except HandoverError as exc:
        return VerifyReport(0, len(checkpoints), "", Problem(0, CHECKPOINT_MISMATCH, str(exc)))
    pending = iter(checkpoints)
    next_checkpoint = next(pending, None)
    tree = LeafTree()
    expected, prev, good_size = 1, GENESIS_HASH, 0
    sha256 = hashlib.sha256

    def check_up_to(size: int) -> Problem | None:
        nonlocal next_checkpoint, good_size
        while next_checkpoint is not None and next_checkpoint.tree_size <= size:
            problem = _check_checkpoint(
                next_checkpoint, tree, vkeys[next_checkpoint.tree_size], good_size
            )
            if problem is not None:
                return problem
            good_size = next_checkpoint.tree_size
            next_checkpoint = next(pending, None)
        return None

    def report(problem: Problem | None) -> VerifyReport:
        root = tree.root(tree.get_size()).hex() if tree.get_size() else ""
        return VerifyReport(expected - 1, len(checkpoints), root, problem)

    for rows in _event_chunks(log):
        seqs, prev_hashes, stored_hashes, inputs = zip(*rows, strict=True)
        digests = [computed.digest() for computed in map(sha256, inputs)]
        count = len(rows)
        if (
            seqs == tuple(range(expected, expected + count))
            and prev_hashes[0] == prev
            and prev_hashes[1:] == stored_hashes[:-1]
            and b"".join(digests).hex() == "".join(stored_hashes)
        ):
            tree.append_event_digests(digests)
            expected, prev = expected + count, stored_hashes[-1]
            problem = check_up_to(expected - 1)
            if problem is not None:
                return report(problem)
            continue
        # Something is wrong in this chunk: walk it event by event to name the first.
        for seq, prev_hash, stored_hash, digest in zip(
            seqs, prev_hashes, stored_hashes, digests, strict=True
        ):
            if seq != expected:
                check_up_to(expected - 1)
                return report(Problem(expected, MISSING, f"第 {expected} 号记录不存在"))
            if digest.hex() != stored_hash:
                check_up_to(expected - 1)
                if prev_hash != prev:
                    linked = _link_problem(log, seq, prev_hash)
                    if linked.kind == REORDERED:
                        return report(linked)
                return report(Problem(seq, CHANGED, "存储的内容与它的哈希不符：记录被篡改"))
            if prev_hash != prev:
                check_up_to(expected - 1)
                return report(_link_problem(log, seq, prev_hash))
            tree.append_event_digests([digest])
            prev, expected = stored_hash, expected + 1
            problem = check_up_to(seq)
            if problem is not None:
                return report(problem)
    problem = check_up_to(expected - 1)
    if problem is not None:
        return report(problem)
    if next_checkpoint is not None:
        return report(
            Problem(
                expected,
                MISSING,
                f"已签名检查点覆盖 {next_checkpoint.tree_size} 条记录，现存只有 {expected - 1} 条：末尾记录被删除",
            )
        )
    if check_triggers:
        missing = triggers_missing()
        if missing:
            return report(
                Problem(0, TRIGGERS_MISSING, f"数据库缺少只增触发器：{', '.join(missing)}")
            )
    return report(None)


def triggers_missing() -> list[str]:
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        present = {row[0] for row in cursor.fetchall()}
    return sorted(TRIGGERS.get(vendor, set()) - present)
