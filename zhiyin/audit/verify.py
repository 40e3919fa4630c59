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


def _event_chunks(
    log: str = "", after: int = 0, limit: int | None = None
) -> Iterator[list[tuple[int, str, str, bytes]]]:
    """(seq, prev_hash, hash, hash input bytes) of the events of `log` after seq `after`
    (at most `limit`) in order, each input built by itself, in chunks straight from a
    streaming (server-side on PostgreSQL) cursor: the exact way, which `_chunks` falls back
    to for a chunk it cannot read in bulk.

    PostgreSQL builds the hash input itself (`_hash_input_sql`); on SQLite the raw columns
    come out and one format string per row makes the text."""
    quote = connection.ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    where = (
        f"FROM {table} WHERE {quote('log')} = %s AND {quote('seq')} > %s "
        f"ORDER BY {quote('seq')}{'' if limit is None else f' LIMIT {int(limit)}'}"
    )
    if connection.vendor == "sqlite":
        yield from _sqlite_chunks(log, after, where)
        return
    sql = (
        f"SELECT {quote('seq')}, {quote('prev_hash')}, {quote('hash')}, "  # no user input
        f"{_hash_input_sql(bool(log))} {where}"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [log, after])
        while rows := cursor.fetchmany(10_000):
            yield rows


_NUMBERS = ("seq", "actor_id")


def _sqlite_chunks(log: str, after: int, where: str) -> Iterator[list[tuple[int, str, str, bytes]]]:
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
        cursor.execute(sql, [log, after])
        while rows := cursor.fetchmany(10_000):
            yield [
                (
                    row[count],
                    row[-2],
                    row[-1],
                    f"{row[-2]}\n{fmt(*map(escape, row[:count]), row[count], row[count + 1])}".encode(),
                )
                for row in rows
            ]


_CHUNK = 20_000

# Stand-ins the bulk query writes for the JSON structure's quote, for the newline after the
# previous hash, and between events: control characters, which JSON always escapes, so a
# stored value holding one is told by the count of them (its chunk is then read the exact
# way); a single byte each, so Python finds and replaces them at memory speed.
_QUOTE, _NEWLINE, _NEXT = "\x01", "\x02", "\x03"
_CONTROLS = bytes(range(32))


def _field_value_sql(name: str) -> str:
    """A hashed field's stored value as the text its JSON carries, before any escaping."""
    column = connection.ops.quote_name(name)
    if name == "seq":
        return f"CAST({column} AS TEXT)"
    if name == "actor_id":
        return f"COALESCE(CAST({column} AS TEXT), 'null')"
    if name == "created_at":
        if connection.vendor == "sqlite":
            return f"replace({column}, ' ', 'T') || '+00:00'"
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            f"CASE WHEN date_trunc('second', {column}) = {column} THEN '' "
            f"ELSE to_char({utc}, '.US') END || '+00:00'"
        )
    return column


def _bulk_sql(with_log: bool) -> tuple[str, int]:
    """One query per chunk of events giving, as a handful of long values, the chunk's
    sequence numbers, previous hashes, hashes and hash inputs, the last with stand-ins
    for the JSON quotes (see `_bulk_inputs`); and how many quotes one event's input has.

    The database only concatenates (one `printf` per event on SQLite, `||` on PostgreSQL,
    which measured faster there than `format`; one aggregate per chunk); the escaping is
    done in Python over the whole chunk, so no Python object is made per event before
    hashing. The aggregates take the rows in the order the subquery gives them (an
    `ORDER BY` inside PostgreSQL's would sort each chunk again, four times): every
    aggregate of one row sees them in the same order, and the verifier checks that the
    sequence numbers come out in order, reading the chunk the exact way if not."""
    quote = connection.ops.quote_name
    names = sorted((*HASHED_FIELDS, "log") if with_log else HASHED_FIELDS)
    q = _QUOTE
    pieces, glue = [quote("prev_hash")], f"{_NEWLINE}{{"
    for index, name in enumerate(names):
        around = "" if name in _NUMBERS else q
        pieces += [f"'{glue}{',' if index else ''}{q}{name}{q}:{around}'", _field_value_sql(name)]
        glue = around
    pieces.append(f"'{glue}}}'")
    quotes = "".join(pieces[1::2]).count(q)
    if connection.vendor == "sqlite":
        template = "".join(piece[1:-1] if piece.startswith("'") else "%%s" for piece in pieces)
        text = f"printf('{template}', {', '.join(pieces[::2])})"
    else:
        text = " || ".join(f"({piece})" for piece in pieces)
    table = quote(AuditEvent._meta.db_table)
    seq, prev_hash, hash_ = quote("seq"), quote("prev_hash"), quote("hash")
    inner = (
        f"SELECT {seq} AS s, {prev_hash} AS p, {hash_} AS h, {text} AS t "  # noqa: S608  # no user input
        f"FROM {table} WHERE {quote('log')} = %s AND {seq} > %s ORDER BY {seq} LIMIT %s"
    )
    well_formed = "SUM(CASE WHEN length(p) = 64 AND length(h) = 64 THEN 1 ELSE 0 END)"
    if connection.vendor == "sqlite":
        aggregate = (
            f"group_concat(s, ','), group_concat(p, ''), group_concat(h, ''), "
            f"CAST(group_concat(t, '{_NEXT}') AS BLOB)"
        )
    else:
        aggregate = (
            f"string_agg(s::text, ','), string_agg(p, ''), string_agg(h, ''), "
            f"convert_to(string_agg(t, '{_NEXT}'), 'UTF8')"
        )
    sql = f"SELECT COUNT(*), MAX(s), {well_formed}, {aggregate} FROM ({inner}) chunk"  # noqa: S608  # no user input
    return sql, quotes


@dataclass
class _Chunk:
    after: int
    count: int
    rows: list[tuple[int, str, str, bytes]] | None  # exact rows, when read the exact way
    seqs: str = ""
    prev_hashes: str = ""
    hashes: str = ""
    inputs: list[bytes] | None = None


def _bulk_inputs(raw: bytes, count: int, quotes: int) -> list[bytes] | None:
    """The chunk's hash inputs from its aggregated UTF-8 text. Its only control characters
    must be the stand-ins, exactly as many as the structure has: then no stored value holds
    one, the JSON escaping of each value is its backslashes and quotes escaped (done over
    the whole chunk at once: escaping is per character), and the stand-ins become the
    quotes and newlines. None otherwise: the caller reads that chunk the exact way."""
    quote, newline, following = (c.encode() for c in (_QUOTE, _NEWLINE, _NEXT))
    if (
        raw.count(quote) != count * quotes
        or raw.count(newline) != count
        or len(raw) - len(raw.translate(None, _CONTROLS)) != count * (quotes + 2) - 1
    ):
        return None
    escaped = raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    return escaped.replace(quote, b'"').replace(newline, b"\n").split(following)


def _chunks(log: str) -> Iterator[_Chunk]:
    """The log's events in order, a chunk at a time, each read in bulk (`_bulk_sql`) or,
    when the bulk text cannot be split safely, row by row the exact way."""
    sql, quotes = _bulk_sql(bool(log))
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [log, after, _CHUNK])
            count, last_seq, well_formed, seqs, prev_hashes, hashes, raw = cursor.fetchone()
        if not count:
            return
        bulk = well_formed == count and raw is not None
        inputs = _bulk_inputs(bytes(raw), count, quotes) if bulk else None
        if inputs is None or len(inputs) != count:
            yield _Chunk(after, count, _exact_rows(log, after, count))
        else:
            yield _Chunk(after, count, None, seqs, prev_hashes, hashes, inputs)
        after = last_seq


def _exact_rows(log: str, after: int, limit: int) -> list[tuple[int, str, str, bytes]]:
    """(seq, prev_hash, hash, hash input bytes) of up to `limit` events of `log` after
    `after`, each input built by itself (`_sqlite_chunks` / `_hash_input_sql`)."""
    return [row for rows in _event_chunks(log, after, limit) for row in rows]


def _event_rows(log: str = "") -> Iterator[tuple[int, str, str, str]]:
    """(seq, canonical text, prev_hash, hash) of every event of `log` in order, as the
    verifier sees them (the text is exactly what `canonical_text_of` gives)."""
    for rows in _event_chunks(log):
        for seq, prev_hash, stored_hash, hash_input in rows:
            text = bytes(hash_input).decode()
            yield seq, text[len(prev_hash) + 1 :], prev_hash, stored_hash


def log_verify(*, vkey: str, log: str = "", check_triggers: bool = True) -> VerifyReport:
    """Re-walk one log (a district's, or the installation log "").

    Each chunk of events is read as a few long values (`_chunks`: no Python object per
    event until its hash input) and checked in bulk — its hashes recomputed, its sequence
    numbers, links and hashes compared as whole strings — and only a chunk with a problem
    is read again event by event to name the first one. The cyclic garbage collector is
    paused meanwhile: the walk makes millions of short-lived objects and no cycles, and
    each collection would scan them all again."""
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

    for chunk in _chunks(log):
        rows = chunk.rows
        if rows is None:
            assert chunk.inputs is not None
            digests = [computed.digest() for computed in map(sha256, chunk.inputs)]
            count, hashes = chunk.count, chunk.hashes
            if (
                chunk.seqs == ",".join(map(str, range(expected, expected + count)))
                and chunk.prev_hashes[:64] == prev
                and chunk.prev_hashes[64:] == hashes[:-64]
                and b"".join(digests).hex() == hashes
            ):
                tree.append_event_digests(digests)
                expected, prev = expected + count, hashes[-64:]
                problem = check_up_to(expected - 1)
                if problem is not None:
                    return report(problem)
                continue
            # Something is wrong in this chunk: read it again event by event.
            rows = _exact_rows(log, chunk.after, count)
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
