"""The RFC 6962/9162 Merkle tree over the log, built with pymerkle.

Leaf number `seq` (counting from 1) is the event's `hash` as 32 raw bytes; the leaf hash
is SHA-256(0x00 || bytes), an inner node SHA-256(0x01 || left || right) — pymerkle's
default ("security" on) is exactly RFC 6962's hashing, and its tree shape is RFC 6962's.

Proofs are handed out in RFC 9162 form (a list of sibling hashes, bottom up), which any
RFC 9162 verifier — including tools/zhiyin_verify.py — checks without pymerkle. For
inclusion this is pymerkle's own proof without its first element (the leaf itself); for
consistency pymerkle uses a different path layout, so the RFC 9162 path is assembled from
the tree's subtree roots (pymerkle computes and caches them).

`LeafTree` keeps only the leaf hashes in a list: at a million events that is ~70 MB and
a root or proof takes milliseconds thanks to pymerkle's subtree cache, where pymerkle's
node-object tree would take several times the memory.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable

from pymerkle import BaseMerkleTree


def leaf_hash(event_hash_hex: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash_hex)).digest()


class LeafTree(BaseMerkleTree):  # type: ignore[misc]  # pymerkle ships no type hints
    """pymerkle storage backend holding the leaf hashes in a Python list."""

    def __init__(self) -> None:
        self.leaves: list[bytes] = []
        super().__init__("sha256")

    def _encode_entry(self, data: bytes) -> bytes:
        return data

    def _store_leaf(self, data: bytes, digest: bytes) -> int:
        self.leaves.append(digest)
        return len(self.leaves)

    def _get_leaf(self, index: int) -> bytes:
        return self.leaves[index - 1]

    def _get_leaves(self, offset: int, width: int) -> list[bytes]:
        return self.leaves[offset : offset + width]

    def _get_size(self) -> int:
        return len(self.leaves)

    def append_event_hashes(self, hashes_hex: Iterable[str]) -> None:
        """Bulk append: hashes the leaves directly instead of one locked call per leaf."""
        with self.lock:
            self.leaves.extend(leaf_hash(h) for h in hashes_hex)

    def root(self, size: int) -> bytes:
        return bytes(self.get_root(size))

    def range_root(self, start: int, end: int) -> bytes:
        """MTH over leaves [start, end) counting from zero, through pymerkle's cached core."""
        with self.lock:
            return bytes(self._get_root(start, end))

    def inclusion_path(self, seq: int, size: int) -> list[bytes]:
        """RFC 9162 §2.1.3.1 audit path of leaf `seq` (from 1) in the tree of `size` leaves."""
        proof = self.prove_inclusion(seq, size)
        return [bytes(h) for h in proof.path[1:]]

    def consistency_path(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 §2.1.4.1 consistency proof from tree size `first` to `second`."""
        if not 0 < first <= second <= self.get_size():
            raise ValueError("consistency proof sizes out of range")
        if first == second:
            return []
        return self._subproof(first, 0, second, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self.range_root(start, end)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return [*self._subproof(m, start, start + k, whole), self.range_root(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self.range_root(start, start + k)]


def verify_inclusion(*, leaf: bytes, seq: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, for checking our own proofs in tests and on the trace page."""
    if not 0 < seq <= size:
        return False
    fn, sn, r = seq - 1, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


class TreeCache:
    """One tree per process, extended as the log grows.

    Before reuse, the cached tree's last leaf is compared with the stored hash of the
    event at that `seq`: each event hash covers the one before it, so a match means the
    whole cached prefix is still the log's prefix (a rebuilt test database, or a restored
    backup, does not match and the tree is rebuilt). `audit_verify` never uses this cache.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tree = LeafTree()
        self.last_hash = ""

    def reset(self) -> None:
        self.tree = LeafTree()
        self.last_hash = ""
