"""Statement lines written a shape at a time: the row path's own rendering with holes.

Every order of one *shape* (one combination of block outcomes, see :mod:`.figures`,
with the same capped fees, price components, stale figures and payout outcomes) has
the same statement line but for a few values: the order id, money figures and dates.
The line is rendered once by :func:`shoppolicy.render.statement_line`, on the shape's
representative quote with each such value replaced by a marker; the markers cut it into
fragments, and each order's line is the fragments joined with its own values by one
Arrow kernel.  So the JSON Lines contract has one definition, the row path's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoppolicy.model import Quote

_MARK = re.compile(rb"\xee\x80\x80(\d+)\xee\x80\x81")  # U+E000 number U+E001, as UTF-8


class Hole(str):
    """A value left open in a template: it renders as its marker, as text and as a date."""

    def isoformat(self) -> str:
        return str(self)


@attrs.frozen
class Template:
    """A statement line with holes: ``fragments[0] + hole[0] + fragments[1] + ...``.

    ``holes`` name each value (``("fee_amount", 0)``, ``("net",)``...) and the number of
    decimal places its text has on the representative (None: not a money figure)."""

    fragments: tuple[str, ...]
    holes: tuple[tuple[tuple[Any, ...], int | None], ...]
    order: tuple[int, ...]  # the hole filling each gap between fragments


def places_of(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 0


def template(quote: Quote, line: Callable[[Quote], bytes]) -> Template:
    """The template of ``quote``'s shape; ``line`` renders a quote (full or referenced trail)."""
    holes: list[tuple[tuple[Any, ...], int | None]] = []

    def hole(name: tuple[Any, ...], value: Any) -> Any:  # a Hole, standing where a Decimal or date goes
        holes.append((name, places_of(value) if isinstance(value, Decimal) else None))
        return Hole(f"\ue000{len(holes) - 1}\ue001")

    fees = tuple(attrs.evolve(f, amount=hole(("fee_amount", j), f.amount),
                              base=None if f.base is None else hole(("fee_base", j), f.base))
                 for j, f in enumerate(quote.fees))
    creator = quote.creator
    if creator is not None:
        creator = attrs.evolve(creator, commission=hole(("commission",), creator.commission),
                               platform_take=hole(("take",), creator.platform_take),
                               creator_receives=hole(("receives",), creator.creator_receives))
    gaps = tuple(attrs.evolve(g, on=hole(("gap_date", k), None),
                              low_amount=None if g.low_amount is None else hole(("gap_low", k), g.low_amount),
                              high_amount=None if g.high_amount is None else hole(("gap_high", k), g.high_amount))
                 for k, g in enumerate(quote.gaps))
    total = quote.total_fees
    probe = attrs.evolve(
        quote, order_id=hole(("order_id",), None), amount=hole(("amount",), quote.amount), fees=fees,
        creator=creator, gaps=gaps,
        net=None if quote.net is None else hole(("net",), quote.net),
        fees_sum=hole(("total",), total) if total is not None and quote.fees else quote.fees_sum,
        payout_date=None if quote.payout_date is None else hole(("payout",), None),
        creator_payout_date=(None if quote.creator_payout_date is None
                             else hole(("creator_payout",), None)),
        passthrough={k: hole(("pass", k), v) for k, v in quote.passthrough.items()})
    text = line(probe)
    pieces = _MARK.split(text)
    fragments = tuple(p.decode() for p in pieces[0::2])
    order = tuple(int(p) for p in pieces[1::2])
    return Template(fragments, tuple(holes), order)


def decimals(values: np.ndarray, places: int) -> pa.Array:
    """Integer amounts of ``places`` decimal places as an Arrow decimal128 array."""
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # the high word of a two's complement 128-bit integer
    return pa.Array.from_buffers(pa.decimal128(38, places), len(values), [None, pa.py_buffer(words)])


def money_text(values: np.ndarray, places: int) -> pa.Array:
    """Integer amounts of ``places`` decimal places as ``str(Decimal)`` writes them
    (Arrow writes a decimal128 the same way: ``12.30``, ``-1.50``, ``0.00``)."""
    return pc.cast(decimals(values, places), pa.string())


def date_text(days: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(days.astype("datetime64[D]")), pa.string())


def rescale(values: np.ndarray, places: int, shown: int) -> np.ndarray | None:
    """Minor units of ``places`` as units of ``shown`` places (None: not exact)."""
    if shown == places:
        return values
    if shown > places:
        return np.asarray(values * 10 ** (shown - places))
    factor = 10 ** (places - shown)
    if np.any(values % factor):
        return None
    return np.asarray(values // factor)
