"""The RFC 6962/9162 Merkle tree over the log, built with pymerkle.

Leaf number `seq` (counting from 1) is the event's `hash` as 32 raw bytes; the leaf hash
is SHA-256(0x00 || bytes), an inner node SHA-256(0x01 || left || right) — pymerkle's
default ("security" on) is exactly RFC 6962's hashing, and its tree shape is RFC 6962's.

Proofs are handed out in RFC 9162 form (a list of sibling hashes, bottom up), which any
RFC 9162 verifier — including tools/zhiyin_verify.py — checks without pymerkle. For
inclusion this is pymerkle's own proof without its first element (the leaf itself); for
consistency pymerkle uses a different path layout, so the RFC 9162 path is assembled from
the tree's subtree roots (pymerkle computes and caches them).

`LeafTree` keeps the hashes in flat lists, one per tree level: at a million events that
is about 140 MB and a root or a proof takes well under a millisecond, where pymerkle's
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
    """pymerkle storage backend keeping every perfect subtree's root in level lists.

    `levels[h][i]` is the root of leaves [i·2^h, (i+1)·2^h): appending a leaf completes at
    most log2(n) of them, so building is O(n) hashes once, and pymerkle's root and proof
    computations (which ask only for aligned perfect subtrees) become list lookups.
    """

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]
        super().__init__("sha256")

    @property
    def leaves(self) -> list[bytes]:
        return self.levels[0]

    def _encode_entry(self, data: bytes) -> bytes:
        return data

    def _store_leaf(self, data: bytes, digest: bytes) -> int:
        self._extend([digest])
        return len(self.levels[0])

    def _extend(self, digests: list[bytes]) -> None:
        """Append leaf hashes, then complete the parents level by level (bulk, no per-leaf loop)."""
        levels, sha256 = self.levels, hashlib.sha256
        levels[0].extend(digests)
        height = 0
        while len(levels[height]) >= 2:
            row = levels[height]
            if len(levels) == height + 1:
                levels.append([])
            parents = levels[height + 1]
            start = 2 * len(parents)
            parents.extend(
                sha256(b"\x01" + row[i] + row[i + 1]).digest()
                for i in range(start, len(row) - 1, 2)
            )
            height += 1

    def _get_leaf(self, index: int) -> bytes:
        return self.levels[0][index - 1]

    def _get_leaves(self, offset: int, width: int) -> list[bytes]:
        return self.levels[0][offset : offset + width]

    def _get_size(self) -> int:
        return len(self.levels[0])

    def _get_subroot(self, offset: int, width: int) -> bytes:
        height = width.bit_length() - 1
        if offset % width == 0 and height < len(self.levels):
            row = self.levels[height]
            if offset >> height < len(row):
                return row[offset >> height]
        return bytes(super()._get_subroot_uncached(offset, width))

    def append_event_digests(self, digests: Iterable[bytes]) -> None:
        """Bulk append of events' hashes as raw digests (the verifier has them so)."""
        sha256 = hashlib.sha256
        leaves = [sha256(b"\x00" + digest).digest() for digest in digests]
        with self.lock:
            self._extend(leaves)

    def append_event_hashes(self, hashes_hex: Iterable[str]) -> None:
        """Bulk append without one locked library call per leaf."""
        digests = [leaf_hash(h) for h in hashes_hex]
        with self.lock:
            self._extend(digests)

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
