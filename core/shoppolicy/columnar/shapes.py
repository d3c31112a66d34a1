"""A table of orders priced a combination and a shape at a time (see :mod:`.figures`
and :mod:`.lines`): statement lines, Parquet columns and batch totals.

Each shape's representative is quoted by the row path (:meth:`Engine.quote`), and its
line, filled in from the vectors, is compared byte for byte with the row path's own
line: a shape where they differ (which the property tests say never happens) is left to
the row path, so an answer is never the vector path's alone.  Rows the columnar path
does not take are returned (``row_path``) for the caller to settle row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from shoppolicy.columnar.figures import (
    Answer,
    Combination,
    NoVectorForm,
    combination,
    combination_ids,
    payout_answers,
    scaled,
)
from shoppolicy.columnar.frame import CHOICE_FIELDS, COMPONENTS, Frame
from shoppolicy.columnar.lines import Template, date_text, money_text, rescale, template
from shoppolicy.engine import Engine
from shoppolicy.errors import ShopPolicyError
from shoppolicy.model import OrderRecord, Quote
from shoppolicy.settle import Missing, Summary, Totals


@attrs.define
class Shape:
    """The rows of one shape and what fills its template."""

    rows: np.ndarray  # positions in the frame
    quote: Quote  # the representative's (the first row's) quote
    values: dict[tuple[Any, ...], np.ndarray]  # hole name -> ints (money) or datetime64[D] (dates)
    places: int


@attrs.define
class Priced:
    """What pricing a frame gives: each shape's lines (in shape order), the frame rows
    each line belongs to, the rows left to the row path, and the totals."""

    lines: list[pa.Array] = attrs.field(factory=list)
    rows: list[np.ndarray] = attrs.field(factory=list)
    shapes: list[Shape] = attrs.field(factory=list)
    row_path: list[np.ndarray] = attrs.field(factory=list)
    summary: Summary = attrs.field(factory=Summary)
    mismatched: int = 0

    def ordered_lines(self) -> tuple[np.ndarray, pa.Array | None]:
        """``(frame rows priced, their lines or None when not made)`` in frame order."""
        if not self.rows:
            return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
        rows = np.concatenate(self.rows)
        order = np.argsort(rows, kind="stable")
        if not self.lines:
            return rows[order], None
        return rows[order], pa.concat_arrays(self.lines).take(pa.array(order))


@attrs.define
class Known:
    """What a batch has worked out so far, kept from table to table: each combination's
    block outcomes, each shape's template, each payout answer."""

    combinations: dict[tuple[Any, ...], tuple[OrderRecord, Combination, Quote] | Exception] = \
        attrs.field(factory=dict)
    templates: dict[tuple[Any, ...], tuple[Template, Quote]] = attrs.field(factory=dict)
    answers: dict[object, Answer] = attrs.field(factory=dict)


def price_frame(engine: Engine, frame: Frame, line: Callable[[Quote], bytes], known: Known | None = None, *,
                lines: bool = True) -> Priced:
    """Price ``frame``'s rows; ``line`` renders a quote as its statement line (with
    ``lines=False``, for a Parquet statement, only each new shape's representative's,
    to check it: the figures are in ``Priced.shapes``)."""
    out = Priced()
    if not len(frame):
        return out
    known = Known() if known is None else known
    combo_of, epochs = combination_ids(frame, engine)
    order = np.argsort(combo_of, kind="stable")
    cuts = np.flatnonzero(np.diff(combo_of[order])) + 1
    for rows in np.split(order, cuts):
        first = frame.row(int(rows[0]))
        key = (*(first.get(name) for name in CHOICE_FIELDS), *(int(e[rows[0]]) for e in epochs))
        found = known.combinations.get(key)
        if found is None:
            try:
                order_, comb = combination(engine, first)
                found = (order_, comb, engine.quote(first))
            except (NoVectorForm, ShopPolicyError, ArithmeticError, ValueError, TypeError, KeyError) as exc:
                found = exc
            known.combinations[key] = found
        if isinstance(found, Exception):
            out.row_path.append(rows)  # the row path prices or refuses them, each with its own words
            continue
        try:
            _combination(engine, frame, rows, key, found, line, known, out, lines)
        except (NoVectorForm, ShopPolicyError, ArithmeticError, ValueError, TypeError, KeyError):
            out.row_path.append(rows)
    return out


def _combination(engine: Engine, frame: Frame, rows: np.ndarray, combo: tuple[Any, ...],
                 found: tuple[OrderRecord, Combination, Quote], line: Callable[[Quote], bytes], known: Known,
                 out: Priced, want_lines: bool) -> None:
    order, comb, first_quote = found
    money = {name: values[rows] for name, values in frame.money.items()}
    quantity = frame.quantity[rows]
    values: dict[tuple[Any, ...], np.ndarray] = {}
    bits: list[np.ndarray] = []
    capped_bits: list[np.ndarray] = []
    total = np.zeros(len(rows), dtype=np.int64)
    for j, fee in enumerate(comb.fees):
        amount, base, capped = fee.amount(money, quantity)
        values[("fee_amount", j)] = amount
        if base is not None:
            values[("fee_base", j)] = base
        if capped is not None:
            bits.append(capped)
            capped_bits.append(capped)
        total += amount
    values[("total",)] = total
    commission = np.zeros(len(rows), dtype=np.int64)
    if comb.creator is not None:
        commission = scaled(money["amount"], comb.creator.rate)
        take = scaled(commission, comb.take)
        values[("commission",)], values[("take",)], values[("receives",)] = commission, take, commission - take
    values[("net",)] = money["amount"] - total - commission
    values[("amount",)] = money["amount"]
    for name in COMPONENTS:
        bits.append(money[name] != 0)
    if any(money[name].any() for name in COMPONENTS):
        values[("pass", "customer_payment")] = (money["amount"] - money["platform_discount"]
                                               + money["buyer_shipping"] + money["tax"])
        for name in COMPONENTS:
            values[("pass", name)] = money[name]
    fee_gaps: list[tuple[Any, np.ndarray | None, np.ndarray | None]] = []
    for gap in comb.gaps:
        low, high = gap.bounds(money, quantity) if gap.bounds is not None else (None, None)
        fee_gaps.append((gap, low, high))
    market = engine.market(comb.market)
    basis = frame.delivered[rows] if market.payout_basis == "delivered_at" else frame.completed[rows]
    answers = payout_answers(comb.payout_rules, order, comb.creator, market.payout_basis, basis, known.answers) \
        if comb.payout_rules else []
    for kinds, _ in answers:
        bits += [kinds == 1, kinds == 2]
    placed = frame.placed[rows]
    for entry in first_quote.trail:  # figures resting on old knowledge: by the order's date
        if entry.stale_from is not None:
            bits.append(placed >= np.datetime64(entry.stale_from, "s"))
    if len(bits) > 42:
        raise NoVectorForm("too many ways for orders of one combination to differ")
    key = np.zeros(len(rows), dtype=np.int64)
    for i, bit in enumerate(bits):
        key |= bit.astype(np.int64) << i
    if capped_bits:  # a capped fee's note names the order's quantity ("capped at 5.00 × 3 unit(s)")
        key |= np.where(np.any(capped_bits, axis=0), quantity, 0).astype(np.int64) << 42
    shapes, first_of, shape_of = np.unique(key, return_index=True, return_inverse=True)
    shape_of = shape_of.reshape(-1)
    placed_day = placed.astype("datetime64[D]")
    basis_day = basis.astype("datetime64[D]")
    for s in range(len(shapes)):
        mine = np.flatnonzero(shape_of == s) if len(shapes) > 1 else np.arange(len(rows))
        at = int(first_of[s])
        made = known.templates.get((combo, int(shapes[s])))
        quote = made[1] if made is not None else engine.quote(frame.row(int(rows[at])))
        shape_values = {name: v[mine] for name, v in values.items()}
        rules = comb.payout_rules
        merchant = _first(answers, rules, "merchant", at)
        creator = _first(answers, rules, "creator", at)
        if merchant is not None:
            shape_values[("payout",)] = merchant[mine]
        if creator is not None:
            shape_values[("creator_payout",)] = creator[mine]
        k = 0
        for gap, low, high in fee_gaps:
            shape_values[("gap_date", k)] = placed_day[mine] if not gap.basis_dated else basis_day[mine]
            if low is not None and high is not None:
                shape_values[("gap_low", k)], shape_values[("gap_high", k)] = low[mine], high[mine]
            k += 1
        for kinds, _ in answers:
            if kinds[at] == 2:
                shape_values[("gap_date", k)] = basis_day[mine]
                k += 1
        shape = Shape(rows[mine], quote, shape_values, comb.places)
        if k != len(quote.gaps) or len(comb.fees) != len(quote.fees):
            out.row_path.append(shape.rows)
            out.mismatched += 1
            continue
        shaped = made[0] if made is not None else template(quote, line)
        if made is None:  # a new shape: its representative's line is checked against the row path's own
            first_only = Shape(shape.rows[:1], quote, {k: v[:1] for k, v in shape_values.items()}, comb.places)
            probe = fill(first_only, frame, shaped)
            if probe is None or probe[0].as_py().encode() != line(quote):
                out.row_path.append(shape.rows)
                out.mismatched += 1
                continue
            known.templates[(combo, int(shapes[s]))] = (shaped, quote)
        if want_lines:
            lines = fill(shape, frame, shaped)
            if lines is None:  # a figure with more places than the representative's text shows
                out.row_path.append(shape.rows)
                continue
            out.lines.append(lines)
        out.rows.append(shape.rows)
        out.shapes.append(shape)
        add(out.summary, shape, comb)


def _first(answers: list[tuple[np.ndarray, np.ndarray]], rules: tuple[Any, ...], party: str,
           at: int) -> np.ndarray | None:
    """The dates of the first rule paying ``party`` a date (on the representative)."""
    for (kinds, dates), rule in zip(answers, rules, strict=True):
        if getattr(rule, "party", None) == party and kinds[at] == 1:
            return dates
    return None


def fill(shape: Shape, frame: Frame, made: Template) -> pa.Array | None:
    texts: dict[tuple[Any, ...], pa.Array] = {}
    for name, places in made.holes:
        if name in texts:
            continue
        if name == ("order_id",):
            texts[name] = frame.text["order_id"].take(pa.array(shape.rows))
            continue
        found = shape.values.get(name)
        if found is None:
            return None
        if found.dtype.kind == "M":
            texts[name] = date_text(found)
            continue
        exact = rescale(found, shape.places, places if places is not None else shape.places)
        if exact is None:
            return None
        texts[name] = money_text(exact, places if places is not None else shape.places)
    return made.fill(lambda name, places: texts[name])


def add(summary: Summary, shape: Shape, comb: Combination) -> None:
    """Count a shape's orders as :meth:`Summary.add` counts each."""
    quote, values, n = shape.quote, shape.values, len(shape.rows)
    unit = Decimal(1).scaleb(-shape.places)
    summary.accepted += n
    totals = summary.totals.get((comb.market, comb.currency))
    if totals is None:
        totals = summary.totals[(comb.market, comb.currency)] = Totals()
    amount = int(values[("amount",)].sum())
    totals.orders += n
    totals.amount += amount * unit
    if quote.net is not None:
        commission = int(values[("commission",)].sum()) if ("commission",) in values else 0
        net = int(values[("net",)].sum())
        totals.priced += n
        totals.priced_amount += amount * unit
        totals.net += net * unit
        totals.fees += (amount - net - commission) * unit
        totals.creator_commission += commission * unit
    if not quote.gaps:
        totals.complete += n
        return
    summary.incomplete += n
    last: dict[tuple[str, str, str], int] = {}
    for k, gap in enumerate(quote.gaps):
        last[(gap.market, gap.rule, gap.key)] = k
    for where, k in last.items():
        found = summary.missing.get(where)
        if found is None:
            found = summary.missing[where] = Missing()
        days, counts = np.unique(values[("gap_date", k)], return_counts=True)
        for day, count in zip(days.tolist(), counts.tolist(), strict=True):
            found.count(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)), count)
