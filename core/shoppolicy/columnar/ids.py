"""A batch's order ids, to refuse a repeat as the row path refuses it (the first line
of an ``order_id`` wins; a later row with it is rejected, naming that line).

The row path keeps ``{order_id: first line}`` (about 150 bytes an order).  Tables whose
ids all have one length (the usual case: marketplace order numbers) are checked here by
a 64-bit key of each id (the id itself up to 8 bytes, a hash beyond), in sorted runs
searched a table at a time (8 bytes an order).  A key met before turns the check
exact: the dictionary is built from the runs' tables and the table goes through the
row path, which names the earlier line (or, for two ids of one hash, finds none).
"""

from __future__ import annotations

import secrets

import numpy as np
import pyarrow as pa


class OrderIds:
    """The order ids met so far; ``seen`` is the row path's ``{order_id: first line}``."""

    def __init__(self, seen: dict[str, int]) -> None:
        self.seen = seen
        self.exact = False
        self._runs: dict[int, list[np.ndarray]] = {}  # id length -> sorted runs of the ids so far
        self._kept: list[tuple[int, pa.Array]] = []

    def add(self, ids: pa.Array, first: int) -> bool:
        """Register the ids of a table whose first row is line ``first``; ``False`` when
        one of them repeats an earlier id (or another of the table): the caller then
        settles the table by the row path, with :attr:`seen` exact."""
        if not self.exact:
            fixed = _fixed_width(ids)
            if fixed is not None:
                ordered = np.sort(_keys(fixed))
                runs = self._runs.setdefault(fixed.dtype.itemsize, [])
                if not (ordered[1:] == ordered[:-1]).any() and not any(_meets(run, ordered) for run in runs):
                    runs.append(ordered)
                    # Runs of similar size merge (as a binary counter carries): a few sorted
                    # runs to search, each id copied about log2(tables) times in all.
                    while len(runs) > 1 and len(runs[-2]) <= 2 * len(runs[-1]):
                        last = runs.pop()
                        runs[-1] = np.sort(np.concatenate([runs[-1], last]))
                    self._kept.append((first, ids))
                    return True
            self._make_exact()
        values = ids.to_pylist()
        found: dict[str, int] = {}
        given = 0
        for i, order_id in enumerate(values):
            if order_id:
                given += 1
                found.setdefault(order_id, first + i)
        if len(found) != given or not self.seen.keys().isdisjoint(found):
            return False
        self.seen.update(found)
        return True

    def _make_exact(self) -> None:
        """From now on, every id in :attr:`seen` with its first line."""
        seen = self.seen
        for first, ids in self._kept:
            for i, order_id in enumerate(ids.to_pylist()):
                if seen.get(order_id, first + i) >= first + i:
                    seen[order_id] = first + i
        self._kept, self._runs, self.exact = [], {}, True

    def make_exact(self) -> dict[str, int]:
        if not self.exact:
            self._make_exact()
        return self.seen


def _meets(ordered: np.ndarray, probe: np.ndarray) -> bool:
    at = np.searchsorted(ordered, probe)
    at[at == len(ordered)] = 0
    return bool(len(ordered)) and bool((ordered[at] == probe).any())


def _fixed_width(ids: pa.Array) -> np.ndarray | None:
    """The ids as fixed-width raw bytes (numpy void: compared byte for byte), when they
    all have one length and none is null; None otherwise."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if ids.null_count or not len(ids):
        return None
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32, count=len(ids) + 1, offset=ids.offset * 4)
    size = int(offsets[1] - offsets[0])
    if size == 0 or int(offsets[-1] - offsets[0]) != size * len(ids) or np.any(np.diff(offsets) != size):
        return None
    return np.frombuffer(ids.buffers()[2], dtype=f"V{size}", count=len(ids), offset=int(offsets[0]))


# The hash is keyed by a number drawn for each process, so that ids cannot be chosen to
# collide; two ids that do only make the check exact (slower, never wrong).
_SEED = np.uint64(secrets.randbits(64))
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it spreads a word's bits upward


def _keys(fixed: np.ndarray) -> np.ndarray:
    """A 64-bit key of each fixed-width id: the id itself up to 8 bytes, a keyed hash of
    its 8-byte words beyond."""
    size = fixed.dtype.itemsize
    raw = fixed.view(np.uint8).reshape(len(fixed), size)
    width = -(-size // 8) * 8
    if width != size:
        padded = np.zeros((len(fixed), width), dtype=np.uint8)
        padded[:, :size] = raw
        raw = padded
    words = np.ascontiguousarray(raw).view(np.uint64)
    if words.shape[1] == 1:
        return np.asarray(words[:, 0].copy())
    key = np.full(len(fixed), _SEED, dtype=np.uint64)
    for k in range(words.shape[1]):
        key ^= words[:, k]
        key *= _MIX
        key ^= key >> np.uint64(29)
    return key
