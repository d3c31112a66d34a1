"""Columnar settlement on Apache Arrow: many orders priced at once, with the same
figures, gaps and statement lines as the row path (:mod:`shoppolicy.pricing`).

- :mod:`.frame` reads JSON Lines into Arrow tables and picks the rows this path takes;
- :mod:`.figures` works out, per combination of order fields, what the core blocks
  apply, and the money figures as integer vectors;
- :mod:`.lines` fills the row path's own statement line, rendered once per shape;
- :mod:`.shapes` puts them together for a table, with the batch totals.

pyarrow and numpy come with the ``columnar`` extra; without them :func:`available` is
false and ``settle`` runs the row path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from shoppolicy.engine import Engine
    from shoppolicy.settle import Rejected


def available() -> bool:
    """Whether pyarrow and numpy are installed (and not disabled by ``SHOPPOLICY_NO_ARROW``)."""
    import os

    if os.environ.get("SHOPPOLICY_NO_ARROW"):
        return False
    try:
        import numpy  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def settle_batches(engine: Engine, batches: Iterable[pa.RecordBatch],
                   rejected: list[Rejected] | None = None) -> Iterator[pa.RecordBatch]:
    """Settle a stream of Arrow record batches of orders into statement record batches
    (the schema of the Parquet statement, :mod:`.statement`): the function Spark's
    ``mapInArrow`` or any Arrow pipeline calls.

    Values may be text throughout (Spark's ``primitivesAsString``); rows the columnar
    path does not take are quoted by the row path.  ``line`` counts rows from 1 across
    the batches given.  A row that cannot be settled is left out of the statement and,
    when ``rejected`` is a list, appended to it with its line and reason (an order_id
    repeated within the batches given is refused, as ``settle`` refuses it).
    """
    from shoppolicy.columnar.batches import settle_batches as settle

    return settle(engine, batches, rejected)
