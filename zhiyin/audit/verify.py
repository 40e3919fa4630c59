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
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring

from django.db import connection

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


#: The canonical text's keys in their sorted order (a district log's events add `log`).
_NUMBERS = ("seq", "actor_id")


def _formatter(with_log: bool) -> tuple[tuple[str, ...], Callable[..., str]]:
    """The text fields in fetch order, and `canonical_json` of the hashed fields as one
    format string over (texts..., seq, actor_id): every stored value is a string, an
    integer or NULL, so each is written as JSON by itself (strings escaped by the json
    module's own C escaper) and the keys never need sorting again."""
    names = sorted((*HASHED_FIELDS, "log") if with_log else HASHED_FIELDS)
    texts = tuple(name for name in names if name not in _NUMBERS)
    order = (*texts, *_NUMBERS)
    template = "{{" + ",".join(f'"{name}":{{{order.index(name)}}}' for name in names) + "}}"
    return texts, template.format


_CHUNK = 10_000


def _event_rows(log: str = "") -> Iterator[tuple[int, str, str, str]]:
    """(seq, canonical text, prev_hash, hash) of every event of `log` in order, streamed
    in chunks straight from the cursor: no model objects, no per-row dicts.

    The canonical text is exactly what `canonical_text_of` gives (a test compares them).
    SQLite stores `created_at` as `str(datetime)` in UTC, so its ISO form is that text
    with a `T` and `+00:00`, made in SQL; PostgreSQL hands out aware UTC datetimes.
    """
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    names, fmt = _formatter(bool(log))

    def column(name: str) -> str:
        if name == "created_at" and sqlite:
            return f"replace({quote(name)}, ' ', 'T') || '+00:00'"
        if name == "actor_id":
            return f"COALESCE(CAST({quote(name)} AS TEXT), 'null')"
        return quote(name)

    table = quote(AuditEvent._meta.db_table)
    sql = (
        f"SELECT {', '.join(column(name) for name in (*names, *_NUMBERS))}, prev_hash, hash "  # noqa: S608  # no user input
        f"FROM {table} WHERE log = %s ORDER BY seq"
    )
    texts, created_at = len(names), names.index("created_at")
    escape = encode_basestring
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [log])
        while rows := cursor.fetchmany(_CHUNK):
            if sqlite:
                for row in rows:
                    yield (
                        row[texts],
                        fmt(*map(escape, row[:texts]), *row[texts : texts + 2]),
                        row[-2],
                        row[-1],
                    )
            else:
                for row in rows:
                    values = list(row[:texts])
                    values[created_at] = values[created_at].isoformat()
                    yield (
                        row[texts],
                        fmt(*map(escape, values), *row[texts : texts + 2]),
                        row[-2],
                        row[-1],
                    )


def log_verify(*, vkey: str, log: str = "", check_triggers: bool = True) -> VerifyReport:
    """Re-walk one log (a district's, or the installation log "")."""
    checkpoints = list(Checkpoint.objects.filter(log=log).order_by("tree_size"))
    pending = iter(checkpoints)
    next_checkpoint = next(pending, None)
    tree = LeafTree()
    expected, prev, good_size = 1, GENESIS_HASH, 0
    batch: list[str] = []
    sha256 = hashlib.sha256

    def flush_and_check(size: int) -> Problem | None:
        nonlocal next_checkpoint, good_size
        tree.append_event_hashes(batch)
        batch.clear()
        while next_checkpoint is not None and next_checkpoint.tree_size <= size:
            problem = _check_checkpoint(next_checkpoint, tree, vkey, good_size)
            if problem is not None:
                return problem
            good_size = next_checkpoint.tree_size
            next_checkpoint = next(pending, None)
        return None

    def report(problem: Problem | None) -> VerifyReport:
        root = tree.root(tree.get_size()).hex() if tree.get_size() else ""
        return VerifyReport(expected - 1, len(checkpoints), root, problem)

    for seq, text, prev_hash, stored_hash in _event_rows(log):
        if seq != expected:
            flush_and_check(expected - 1)
            return report(Problem(expected, MISSING, f"第 {expected} 号记录不存在"))
        if sha256(f"{prev_hash}\n{text}".encode()).hexdigest() != stored_hash:
            flush_and_check(expected - 1)
            if prev_hash != prev:
                linked = _link_problem(log, seq, prev_hash)
                if linked.kind == REORDERED:
                    return report(linked)
            return report(Problem(seq, CHANGED, "存储的内容与它的哈希不符：记录被篡改"))
        if prev_hash != prev:
            flush_and_check(expected - 1)
            return report(_link_problem(log, seq, prev_hash))
        batch.append(stored_hash)
        prev, expected = stored_hash, expected + 1
        if next_checkpoint is not None and next_checkpoint.tree_size == seq:
            problem = flush_and_check(seq)
            if problem is not None:
                return report(problem)
        elif len(batch) >= _CHUNK:
            tree.append_event_hashes(batch)
            batch.clear()
    problem = flush_and_check(expected - 1)
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
