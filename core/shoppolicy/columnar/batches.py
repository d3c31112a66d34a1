"""Settling a stream of Arrow record batches (Spark's ``mapInArrow``, any Arrow
pipeline): :func:`shoppolicy.columnar.settle_batches`.  Reading files is
:mod:`shoppolicy.batch`'s; both settle a table with :func:`shoppolicy.batch.settle_table`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from shoppolicy.batch import _Formatter, _made, settle_table
from shoppolicy.columnar.frame import as_orders
from shoppolicy.columnar.ids import OrderIds
from shoppolicy.columnar.shapes import Known
from shoppolicy.columnar.statement import fee_codes, schema
from shoppolicy.engine import Engine
from shoppolicy.settle import Rejected


def settle_batches(engine: Engine, batches: Iterable[pa.RecordBatch],
                   rejected: list[Rejected] | None = None) -> Iterator[pa.RecordBatch]:
    fmt = _Formatter("parquet")
    known = Known()
    seen: dict[str, int] = {}
    order_ids = OrderIds(seen)
    target = schema(fee_codes(engine))
    first = 1
    for batch in batches:
        raw = pa.Table.from_batches([batch])
        table, usable = as_orders(raw)
        if not order_ids.add(table.column("order_id"), first):  # a repeat: the row path names the earlier line
            usable[:] = False
            order_ids.make_exact()

        def rows_at(positions: list[int], raw: pa.Table = raw, first: int = first) -> list[tuple[int, Any]]:
            picked = raw.take(pa.array(positions)).to_pylist()
            return [(first + i, {k: v for k, v in row.items() if v is not None})
                    for i, row in zip(positions, picked, strict=True)]

        parts, refused, _, count = settle_table(engine, table, usable, first, fmt, known, seen, rows_at)
        if rejected is not None:
            rejected.extend(refused)
        for part in _made(parts):  # the statement, made now
            yield from part.cast(target).to_batches()
        first += count
