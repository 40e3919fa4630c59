"""`audit_record`: the one way anything is written to the log.

Called by domain services inside their own `transaction.atomic()` block, naming the log
the event belongs to: the district's (`district_log`), or the installation log (empty
name) for what belongs to no district. Appends to one log are serialized so its sequence
stays gap-free and its chain linear even with several app processes: PostgreSQL takes a
transaction-scoped advisory lock *for that log only*, so a write in one district never
waits for another district's transaction; SQLite already allows one writer at a time
(the settings open write transactions with BEGIN IMMEDIATE).
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.module_loading import import_string

from zhiyin.audit.context import current_request_context
from zhiyin.audit.models import GENESIS_HASH, AuditEvent, Checkpoint
from zhiyin.core.actors import Actor

logger = logging.getLogger(__name__)
_ADVISORY_LOCK_KEY = 0x7A68_6979  # "zhiy"


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same data always gives the same text."""
    if data is None:
        return ""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


#: The stored fields that enter the canonical text, i.e. every field but the two hashes.
HASHED_FIELDS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_name",
    "role",
    "scope",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "before",
    "after",
    "request_id",
    "client_ip",
)


def canonical_text_of(values: Mapping[str, Any]) -> str:
    """The hash input from a mapping of the stored fields (`created_at` a datetime).

    A district log's events also carry their log's name (so no event can be moved to
    another log unseen); the installation log's do not, which keeps every event stored
    before logs were split hashing exactly as it did."""
    fields = {name: values[name] for name in HASHED_FIELDS}
    fields["created_at"] = fields["created_at"].isoformat()
    if values.get("log"):
        fields["log"] = values["log"]
    return canonical_json(fields)


def event_hash_of(values: Mapping[str, Any]) -> str:
    """The SHA-256 chaining an event: its previous hash and its canonical text; the same for a row
    and for the values about to be one."""
    text = canonical_text_of(values)
    return hashlib.sha256((values["prev_hash"] + "\n" + text).encode("utf-8")).hexdigest()


def event_canonical_text(event: AuditEvent) -> str:
    """Every stored field but the hashes, in a fixed order, as the hash input."""
    return canonical_text_of(event.__dict__)


def event_hash(event: AuditEvent) -> str:
    """The hash a stored event should carry, recomputed from its fields (verification compares it
    with `event.hash`)."""
    return event_hash_of(event.__dict__)


def district_log(district_id: int) -> str:
    """The name of a district's log: its id, which never changes (a district's code may)."""
    return str(district_id)


def log_origin(origin: str, log: str) -> str:
    """The origin line of a log's checkpoints: the installation's origin, plus
    `/district/<log>` for a district's log."""
    return f"{origin}/district/{log}" if log else origin


def _lock_log(log: str) -> None:
    """Serialize appends to one log: one writer at a time holds it until its transaction ends.

    PostgreSQL: a transaction-scoped advisory lock keyed by the log (released at commit or
    rollback); two logs whose names share a CRC-32 share a lock, which is slower, never
    wrong. SQLite: the write transaction itself, opened with BEGIN IMMEDIATE by the
    settings, is the lock — a second writer waits for it (busy timeout).
    """
    if connection.vendor == "postgresql":
        key = zlib.crc32(log.encode()) - 2**31
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_LOCK_KEY, key])


def _log_head(log: str) -> tuple[int, str] | None:
    """(seq, hash) of the log's newest event. Plain SQL: this runs on every append, and the
    ORM would spend more time building the query than the database spends answering it."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, hash FROM {table} WHERE log = %s ORDER BY seq DESC LIMIT 1",  # noqa: S608  # no user input
            [log],
        )
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


@cache
def _subscribers(paths: tuple[str, ...]) -> tuple[Callable[[AuditEvent], None], ...]:
    return tuple(import_string(path) for path in paths)


def audit_subscribers() -> tuple[Callable[[AuditEvent], None], ...]:
    """The callables named in `settings.AUDIT_SUBSCRIBERS`, told of every new event.

    This is how the log tells others without knowing them: a subscriber (the warning
    rules of `oversight`) runs inside the same transaction, right after the insert, so
    what it writes commits or rolls back with the change the event records.
    """
    return _subscribers(tuple(getattr(settings, "AUDIT_SUBSCRIBERS", ())))


def log_names() -> list[str]:
    """Every log that holds an event, the installation log first: a loose index scan over
    (log, seq), so it reads one row per log, not every event."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE logs(name) AS (
                    SELECT MIN(log) FROM {table}
                    UNION ALL
                    SELECT (SELECT MIN(log) FROM {table} WHERE log > logs.name)
                    FROM logs WHERE logs.name IS NOT NULL
                ) SELECT name FROM logs WHERE name IS NOT NULL"""  # noqa: S608  # no user input
        )
        return [str(row[0]) for row in cursor.fetchall()]


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    target: Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    role: str = "",
    scope: str = "",
    target_label: str = "",
    log: str = "",
) -> AuditEvent:
    """Append one event to `log` (a district's `district_log`, or "" for the installation
    log). `actor` is an `Actor` (zhiyin.core.actors) or None (the system itself)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    _lock_log(log)
    last = _log_head(log)
    context = current_request_context()
    event = AuditEvent(
        log=log,
        seq=(last[0] + 1) if last else 1,
        created_at=timezone.now(),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.display_name[:100] if actor is not None else "",
        role=role,
        scope=scope[:100],
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:200],
        before=canonical_json(before),
        after=canonical_json(after),
        request_id=context.request_id,
        client_ip=context.client_ip,
        prev_hash=last[1] if last else GENESIS_HASH,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    event.target_object = target
    for subscriber in audit_subscribers():
        subscriber(event)
    return event


def audit_events_chain(
    *, log: str, events: Iterable[Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Chain ready-made events onto the end of `log`, for bulk loaders (`load_province`):
    each gets its `seq`, `prev_hash` and `hash` exactly as `audit_record` would give them.
    Call inside the transaction that writes them; the log stays locked until it ends."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_events_chain must run inside the transaction that stores them")
    _lock_log(log)
    last = _log_head(log)
    seq, prev = last if last else (0, GENESIS_HASH)
    for values in events:
        seq += 1
        event = {**values, "log": log, "seq": seq, "prev_hash": prev}
        event["hash"] = prev = event_hash_of(event)
        yield event


def audit_record_standalone(**kwargs: Any) -> AuditEvent:
    """For events that are not part of a data change (a login, a refused request)."""
    with transaction.atomic():
        return audit_record(**kwargs)


def audit_access_denied(*, actor: Actor | None, path: str, method: str, reason: str) -> AuditEvent:
    """A refused request: who asked for what (`access.denied`). Cheap: one insert."""
    return audit_record_standalone(
        actor=actor,
        action="access.denied",
        target_label=path[:200],
        after={"path": path[:500], "method": method, "reason": reason},
    )


def audit_sensitive_read(
    *, actor: Actor | None, action: str, target: Model, detail: dict[str, Any] | None = None
) -> AuditEvent:
    """For reads the law wants on record: a full view of an ID number
    (`person.id_number_view`), a download of a document holding personal data
    (`<thing>.download`). Call it where the full value or the file is handed out."""
    return audit_record_standalone(actor=actor, action=action, target=target, after=detail)


def checkpoint_create(*, log: str = "") -> Checkpoint | None:
    """Sign the Merkle root over every event of `log` so far, unless the latest checkpoint
    already covers them all. None on an empty log.

    The tree is computed outside any lock (events up to the chosen size never change);
    only the insert is serialized, and a concurrent builder that got there first wins.
    """
    from zhiyin.audit.proofs import tree_for
    from zhiyin.audit.signing import checkpoint_body, note_sign, signing_key

    head = _log_head(log)
    size = head[0] if head else 0
    checkpoints = Checkpoint.objects.filter(log=log).order_by("-tree_size")
    latest = checkpoints.first()
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return latest
    key = signing_key()
    from zhiyin.audit.handover import key_retired

    if key_retired(key):
        logger.warning("audit signing key was handed over: not signing; configure the new key")
        return latest
    origin = log_origin(key.name, log)
    root = tree_for(size, log=log).root(size)
    note = note_sign(checkpoint_body(origin, size, root), key)
    with transaction.atomic():
        _lock_log(log)
        if checkpoints.filter(tree_size__gte=size).exists():
            return checkpoints.first()
        return Checkpoint.objects.create(
            log=log,
            tree_size=size,
            root_hash=root.hex(),
            created_at=timezone.now(),
            origin=origin,
            key_id=key.key_id.hex(),
            note=note,
        )


def checkpoints_create() -> list[Checkpoint]:
    """A checkpoint for every log that has grown since its last one."""
    made = []
    for log in log_names():
        checkpoint = checkpoint_create(log=log)
        if checkpoint is not None:
            made.append(checkpoint)
    return made
