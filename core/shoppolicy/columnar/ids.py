"""A batch's order ids, to refuse a repeat as the row path refuses it (the first line
of an ``order_id`` wins; a later row with it is rejected, naming that line).

The row path keeps ``{order_id: first line}`` (about 150 bytes an order).  Tables whose
ids all have one length (the usual case: marketplace order numbers) are checked here by
a 64-bit hash of each id instead, against sorted arrays of the hashes so far, and their
ids are kept as Arrow arrays (a few bytes an order).  A hash met before, a repeat or a
collision, turns the check exact: the dictionary is built from the kept arrays and the
table goes through the row path, which names the earlier line.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_FNV_OFFSET, _FNV_PRIME = np.uint64(14695981039346656037), np.uint64(1099511628211)


class OrderIds:
    """The order ids met so far; ``seen`` is the row path's ``{order_id: first line}``."""

    def __init__(self, seen: dict[str, int]) -> None:
        self.seen = seen
        self.exact = False
        self._hashes = np.zeros(0, dtype=np.uint64)
        self._kept: list[tuple[int, pa.Array]] = []

    def add(self, ids: pa.Array, first: int) -> bool:
        """Register the ids of a table whose first row is line ``first``; ``False`` when
        one of them may repeat an earlier id (or another of the table): the caller then
        settles the table by the row path, with :attr:`seen` exact."""
        if not self.exact:
            hashes = _hashes(ids)
            if hashes is not None:
                ordered = np.sort(hashes)
                if not (ordered[1:] == ordered[:-1]).any() and not _meets(self._hashes, ordered):
                    # One sorted array of every hash so far: two sorted runs merge in linear time.
                    self._hashes = np.sort(np.concatenate([self._hashes, ordered]), kind="stable")
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
        self._kept, self._hashes, self.exact = [], np.zeros(0, dtype=np.uint64), True

    def make_exact(self) -> dict[str, int]:
        if not self.exact:
            self._make_exact()
        return self.seen


def _meets(ordered: np.ndarray, probe: np.ndarray) -> bool:
    at = np.searchsorted(ordered, probe)
    at[at == len(ordered)] = 0
    return bool(len(ordered)) and bool((ordered[at] == probe).any())


def _hashes(ids: pa.Array) -> np.ndarray | None:
    """FNV-1a hashes of ids that all have one length (None otherwise, or with a null)."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if ids.null_count or not len(ids):
        return None
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32, count=len(ids) + 1, offset=ids.offset * 4)
    size = int(offsets[1] - offsets[0])
    if size == 0 or int(offsets[-1] - offsets[0]) != size * len(ids) or np.any(np.diff(offsets) != size):
        return None
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8, count=size * len(ids), offset=int(offsets[0]))
    matrix = data.reshape(len(ids), size)
    hashes = np.full(len(ids), _FNV_OFFSET, dtype=np.uint64)
    for j in range(size):
        hashes ^= matrix[:, j]
        hashes *= _FNV_PRIME
    return hashes
