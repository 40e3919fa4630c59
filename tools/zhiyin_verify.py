#!/usr/bin/env python3
"""Offline verifier for Zhiyin (智印) audit bundles — Python standard library + cryptography.

    python zhiyin_verify.py bundle.json --vkey 'NAME+KEYID+KEY'

Checks, without any server:
1. every checkpoint is a C2SP signed note carrying a valid Ed25519 signature by the
   verifier key (give the key you received from the district out of band with --vkey;
   the key inside the bundle is only used, with a warning, when you do not);
2. every event's hash is SHA-256(prev_hash || "\\n" || canonical JSON of its fields);
3. a complete bundle (the whole log from seq 1): seq gap-free, each prev_hash the hash
   before it, and the RFC 6962 Merkle root of the events equal to each signed root;
4. inclusion proofs (RFC 9162 §2.1.3.2) of events against a signed checkpoint, and
   consistency proofs (RFC 9162 §2.1.4.2) between checkpoints;
5. with --checkpoint FILE (a note saved earlier): the bundle's checkpoints of that size
   have the same root, or a consistency proof from it is present;
6. key hand-overs: a checkpoint whose note carries `zhiyin-key-handover <old> <new>` and
   is signed by both keys passes trust from either key to the other, so checkpoints
   before it are checked under the old key and after it under the new one, whichever of
   the two --vkey names (the hand-overs must form one chain containing --vkey).

Exit status 0 and "OK: ..." when everything holds; 1 and "FAIL: ..." naming the first
problem otherwise; 2 for unreadable input.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "zhiyin-audit-bundle/1"
GENESIS_HASH = "0" * 64
DASH = "\u2014"
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


class VerifyError(Exception):
    pass


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def event_hash(event: dict[str, Any]) -> str:
    """A district log's events also hash their log's name; the installation log's do not."""
    fields = {name: event[name] for name in HASHED_FIELDS}
    if event.get("log"):
        fields["log"] = event["log"]
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((event["prev_hash"] + "\n" + text).encode("utf-8")).hexdigest()


def leaf_hash(event_hash_hex: str) -> bytes:
    return _sha256(b"\x00" + bytes.fromhex(event_hash_hex))


def merkle_roots(leaves: list[bytes], sizes: set[int]) -> dict[int, bytes]:
    """RFC 6962 MTH of the first n leaves for each n in `sizes`, in one pass.

    Keeps the roots of the perfect subtrees seen so far (at most log2 n of them); the
    root of a prefix folds them from right to left.
    """
    stack: list[tuple[int, bytes]] = []  # (height, hash), left to right
    roots: dict[int, bytes] = {}
    if 0 in sizes:
        roots[0] = _sha256(b"")
    for count, leaf in enumerate(leaves, start=1):
        node, height = leaf, 0
        while stack and stack[-1][0] == height:
            _, left = stack.pop()
            node, height = _sha256(b"\x01" + left + node), height + 1
        stack.append((height, node))
        if count in sizes:
            acc = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                acc = _sha256(b"\x01" + left + acc)
            roots[count] = acc
    return roots


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2; `index` counts from 0."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, path: list[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not path and first_root == second_root
    if not 0 < first < second or not path:
        return False
    if first & (first - 1) == 0:  # a power of two: the first root is the first subtree
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + c + fr)
            sr = _sha256(b"\x01" + c + sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def parse_vkey(vkey: str) -> tuple[str, bytes, Ed25519PublicKey]:
    try:
        name, key_id_hex, encoded = vkey.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise VerifyError(f"verifier key is malformed: {exc}") from exc
    if len(raw) != 33 or raw[0] != 1:
        raise VerifyError("verifier key is not an Ed25519 key")
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4]
    if key_id.hex() != key_id_hex:
        raise VerifyError("verifier key id does not match its name and key")
    return name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(note: str, vkey: tuple[str, bytes, Ed25519PublicKey]) -> tuple[str, int, bytes]:
    """(origin, tree size, root) of a signed checkpoint note; VerifyError if not signed."""
    name, key_id, public = vkey
    body, sep, signatures = note.rpartition("\n\n")
    if not sep:
        raise VerifyError("checkpoint note has no signature")
    body += "\n"
    for line in signatures.splitlines():
        prefix = f"{DASH} {name} "
        if not line.startswith(prefix):
            continue
        try:
            blob = base64.b64decode(line[len(prefix) :], validate=True)
        except ValueError:
            continue
        if blob[:4] != key_id:
            continue
        try:
            public.verify(blob[4:], body.encode("utf-8"))
        except InvalidSignature:
            raise VerifyError("checkpoint signature is invalid") from None
        lines = body.split("\n")
        if len(lines) < 4 or not lines[1].isdigit():
            raise VerifyError("checkpoint body is not origin / size / root")
        return lines[0], int(lines[1]), base64.b64decode(lines[2])
    raise VerifyError(f"checkpoint is not signed by {name}")


HANDOVER = "zhiyin-key-handover"


def _note_size(note: str) -> int:
    lines = note.split("\n")
    if len(lines) < 2 or not lines[1].isdigit():
        raise VerifyError("checkpoint body is not origin / size / root")
    return int(lines[1])


def _handover(note: str) -> tuple[str, str] | None:
    body = note.rpartition("\n\n")[0]
    for line in body.split("\n")[3:]:
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == HANDOVER:
            return parts[1], parts[2]
    return None


def key_schedule(
    notes: list[str], vkey_text: str
) -> tuple[
    dict[int, tuple[str, bytes, Ed25519PublicKey]], list[tuple[str, bytes, Ed25519PublicKey]]
]:
    """The key each checkpoint (by tree size) must be signed by, following hand-overs from
    the trusted key both ways, and every key of the chain."""
    ordered = sorted(notes, key=_note_size)
    handovers: list[tuple[int, str, str]] = []
    for note in ordered:
        pair = _handover(note)
        if pair is None:
            continue
        size = _note_size(note)
        for each in pair:
            try:
                open_checkpoint(note, parse_vkey(each))
            except VerifyError as exc:
                raise VerifyError(
                    f"checkpoint {size}: key hand-over not signed by both keys: {exc}"
                ) from None
        if handovers and handovers[-1][2] != pair[0]:
            raise VerifyError(f"checkpoint {size}: key hand-over does not follow the one before")
        handovers.append((size, pair[0], pair[1]))
    trusted = vkey_text.strip()
    chain = [handovers[0][1], *(new for _, _, new in handovers)] if handovers else [trusted]
    if trusted not in chain:
        raise VerifyError("the verifier key is none of the keys this log was signed with")
    schedule = {}
    epoch = 0
    for note in ordered:
        size = _note_size(note)
        schedule[size] = parse_vkey(chain[epoch])
        if epoch < len(handovers) and size == handovers[epoch][0]:
            epoch += 1
    return schedule, [parse_vkey(k) for k in chain]


def _walk_chain(events: list[dict[str, Any]]) -> None:
    """Seq gap-free from 1, each hash recomputed, each link to the event before it."""
    position = {event["hash"]: i for i, event in enumerate(events)}
    seq_position = {event["seq"]: i for i, event in enumerate(events)}
    prev = GENESIS_HASH
    for i, event in enumerate(events):
        expected = i + 1
        if event["seq"] != expected:
            if seq_position.get(expected, -1) > i:
                raise VerifyError(f"seq {expected}: reordered — it comes after seq {event['seq']}")
            raise VerifyError(f"seq {expected}: missing — the bundle jumps to {event['seq']}")
        links_later = position.get(event["prev_hash"], -1) > i
        if event_hash(event) != event["hash"]:
            if event["prev_hash"] != prev and links_later:
                raise VerifyError(f"seq {expected}: reordered — it links to a later event")
            raise VerifyError(f"seq {expected}: changed — fields do not give its hash")
        if event["prev_hash"] != prev:
            if links_later:
                raise VerifyError(f"seq {expected}: reordered — it links to a later event")
            raise VerifyError(f"seq {expected}: missing — its link to seq {expected - 1} is broken")
        prev = event["hash"]


def _open_with_any(
    note: str, keys: list[tuple[str, bytes, Ed25519PublicKey]]
) -> tuple[str, int, bytes]:
    for key in keys[:-1]:
        try:
            return open_checkpoint(note, key)
        except VerifyError:
            continue
    return open_checkpoint(note, keys[-1])


def verify_bundle(
    bundle: dict[str, Any], vkey_text: str, saved_notes: list[str] | None = None
) -> str:
    """Returns a one-line summary; raises VerifyError naming the first problem."""
    if bundle.get("format") != BUNDLE_FORMAT:
        raise VerifyError(f"not a {BUNDLE_FORMAT} bundle")
    vkey = parse_vkey(vkey_text)
    roots: dict[int, bytes] = {}
    log = str(bundle.get("log") or "")
    # Each district's log signs its checkpoints under its own origin.
    origin = f"{vkey[0]}/district/{log}" if log else vkey[0]
    strays = [e["seq"] for e in bundle["events"] if str(e.get("log") or "") != log]
    if strays:
        raise VerifyError(f"seq {strays[0]}: belongs to another log than the bundle's")
    schedule, chain = key_schedule([cp["note"] for cp in bundle["checkpoints"]], vkey_text)
    for cp in bundle["checkpoints"]:
        note_origin, size, root = open_checkpoint(cp["note"], schedule[_note_size(cp["note"])])
        if note_origin != origin:
            raise VerifyError(f"checkpoint {size}: origin {note_origin!r} is not {origin!r}")
        if roots.get(size, root) != root:
            raise VerifyError(f"two different signed roots for tree size {size}")
        roots[size] = root

    events = bundle["events"]
    by_seq: dict[int, dict[str, Any]] = {event["seq"]: event for event in events}
    if bundle.get("complete"):
        _walk_chain(events)
    else:
        for event in events:
            if event_hash(event) != event["hash"]:
                raise VerifyError(f"seq {event['seq']}: changed — fields do not give its hash")

    if bundle.get("complete"):
        too_big = [size for size in roots if size > len(events)]
        if too_big:
            raise VerifyError(
                f"seq {len(events) + 1}: missing — checkpoint {max(too_big)} covers more events"
            )
        computed = merkle_roots([leaf_hash(e["hash"]) for e in events], set(roots))
        for size in sorted(roots):
            if computed[size] != roots[size]:
                raise VerifyError(f"checkpoint {size}: mismatch — the events give another root")

    proven: set[int] = set()
    for proof in bundle["inclusion_proofs"]:
        seq, size = proof["seq"], proof["tree_size"]
        if seq not in by_seq:
            raise VerifyError(f"seq {seq}: inclusion proof for an event not in the bundle")
        if size not in roots:
            raise VerifyError(f"seq {seq}: inclusion proof against an unsigned tree size {size}")
        path = [bytes.fromhex(h) for h in proof["path"]]
        if not verify_inclusion(leaf_hash(by_seq[seq]["hash"]), seq - 1, size, path, roots[size]):
            raise VerifyError(f"seq {seq}: inclusion proof does not lead to the signed root")
        proven.add(seq)
    if not bundle.get("complete"):
        unproven = sorted(set(by_seq) - proven)
        if unproven:
            raise VerifyError(f"seq {unproven[0]}: no inclusion proof against a signed checkpoint")

    consistent: set[tuple[int, int]] = set()
    for proof in bundle["consistency_proofs"]:
        first, second = proof["first"], proof["second"]
        if first not in roots or second not in roots:
            raise VerifyError(f"consistency proof {first}→{second} names an unsigned checkpoint")
        path = [bytes.fromhex(h) for h in proof["path"]]
        if not verify_consistency(first, second, path, roots[first], roots[second]):
            raise VerifyError(f"checkpoint {second}: not an extension of checkpoint {first}")
        consistent.add((first, second))

    for note in saved_notes or []:
        _, size, root = _open_with_any(note, chain)
        if size in roots and roots[size] != root:
            raise VerifyError(f"checkpoint {size}: differs from the one you saved — log forked")
        if size not in roots and not any(first == size for first, _ in consistent):
            raise VerifyError(f"saved checkpoint {size}: the bundle has no proof connecting to it")

    latest = max(roots) if roots else 0
    return (
        f"{len(events)} events verified"
        f"{' (complete chain)' if bundle.get('complete') else ''}, "
        f"{len(roots)} signed checkpoints (latest tree size {latest}), "
        f"{len(bundle['inclusion_proofs'])} inclusion and "
        f"{len(bundle['consistency_proofs'])} consistency proofs hold"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Zhiyin audit bundle offline.")
    parser.add_argument("bundle", help="bundle JSON file exported by Zhiyin")
    parser.add_argument("--vkey", help="the district's verifier key, received out of band")
    parser.add_argument(
        "--checkpoint", action="append", default=[], help="a checkpoint note you saved earlier"
    )
    args = parser.parse_args(argv)
    try:
        with open(args.bundle, encoding="utf-8") as f:
            bundle = json.load(f)
        saved = []
        for path in args.checkpoint:
            with open(path, encoding="utf-8") as f:
                saved.append(f.read())
    except (OSError, ValueError) as exc:
        print(f"ERROR: cannot read input: {exc}", file=sys.stderr)
        return 2
    vkey = args.vkey
    if not vkey:
        vkey = str(bundle.get("vkey", ""))
        print("WARNING: no --vkey given; trusting the key inside the bundle", file=sys.stderr)
    try:
        summary = verify_bundle(bundle, vkey, saved)
    except VerifyError as exc:
        print(f"FAIL: {exc}")
        return 1
    except (KeyError, TypeError, ValueError) as exc:
        print(f"FAIL: malformed bundle ({exc!r})")
        return 1
    print(f"OK: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
