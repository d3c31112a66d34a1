"""A table of orders priced a combination and a shape at a time (see :mod:`.figures`
and :mod:`.lines`): statement lines, Parquet columns and batch totals.

Each shape's representative is quoted by the row path (:meth:`Engine.quote`), and its
line, filled in from the vectors, is compared byte for byte with the row path's own
line: a shape where they differ (which the property tests say never happens) is left to
the row path, so an answer is never the vector path's alone.  Rows the columnar path
does not take are returned (``row_path``) for the caller to settle row by row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoppolicy.columnar.figures import (
    Combination,
    Line,
    NoVectorForm,
    Tax,
    combination,
    combination_ids,
    lines_of,
    payout_answers,
    runs_of,
    scaled_by,
    taxes_of,
)
from shoppolicy.columnar.frame import COMPONENTS, Frame
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
    template: Template | None = None
    sums: dict[tuple[str], int] = attrs.field(factory=dict)  # amount, net, commission: exact, in minor units


@attrs.define
class Priced:
    """What pricing a frame gives: each shape's lines (in shape order), the frame rows
    each line belongs to, the rows left to the row path, and the totals."""

    lines: bool = False  # whether statement lines are to be made (JSON Lines)
    rows: list[np.ndarray] = attrs.field(factory=list)
    shapes: list[Shape] = attrs.field(factory=list)
    row_path: list[np.ndarray] = attrs.field(factory=list)
    summary: Summary = attrs.field(factory=Summary)
    mismatched: int = 0
    missing: dict[tuple[str, str, str], list[np.ndarray]] = attrs.field(factory=dict)
    sums: dict[tuple[str, str, int], Counter[str]] = attrs.field(factory=dict)  # see add()

    def taken(self) -> np.ndarray:
        """The frame rows priced, in frame order."""
        return np.sort(np.concatenate(self.rows)) if self.rows else np.zeros(0, dtype=np.int64)

    def statement_lines(self, frame: Frame, taken: np.ndarray) -> Iterator[pa.Array]:
        """The statement lines of the rows priced (``taken``, from :meth:`taken`), in frame
        order, a slice at a time (:func:`line_slices`)."""
        if not len(taken):
            return iter(())
        if not self.lines:
            raise AssertionError("statement lines were not asked for")
        return line_slices(self.shapes, frame, taken)


@attrs.define
class Known:
    """What a batch has worked out so far, kept from table to table: each combination's
    block outcomes, each shape's template, each payout answer."""

    combinations: dict[tuple[Any, ...], tuple[Found, tuple[Any, ...]] | Exception] = \
        attrs.field(factory=dict)  # block outcomes, and the form they price in
    templates: dict[tuple[Any, ...], tuple[Template, Quote]] = attrs.field(factory=dict)
    answers: dict[object, Any] = attrs.field(factory=dict)


def price_frame(engine: Engine, frame: Frame, line: Callable[[Quote], bytes], known: Known | None = None, *,
                lines: bool = True) -> Priced:
    """Price ``frame``'s rows; ``line`` renders a quote as its statement line (with
    ``lines=False``, for a Parquet statement, only each new shape's representative's,
    to check it: the figures are in ``Priced.shapes``)."""
    out = Priced()
    if not len(frame):
        return out
    known = Known() if known is None else known
    order, starts, key_of = combination_ids(frame, engine)
    forms: dict[tuple[Any, ...], list[tuple[np.ndarray, tuple[Any, ...], Found]]] = {}
    for rows in np.split(order, starts[1:]):
        key = key_of(int(rows[0]))
        entry = known.combinations.get(key)
        if entry is None:
            first = frame.row(int(rows[0]))
            try:
                order_, comb = combination(engine, first)
                quote = engine.quote(first)
            except (NoVectorForm, ShopPolicyError, ArithmeticError, ValueError, TypeError, KeyError) as exc:
                entry = exc
            else:
                stale = sum(e.stale_from is not None for e in quote.trail)
                entry = ((order_, comb, quote), (comb.form(), stale))
            known.combinations[key] = entry
        if isinstance(entry, Exception):
            out.row_path.append(rows)  # the row path prices or refuses them, each with its own words
            continue
        found, form = entry
        forms.setdefault(form, []).append((rows, key, found))
    for members in forms.values():
        try:
            _form(engine, frame, members, line, known, out, lines)
        except (NoVectorForm, ShopPolicyError, ArithmeticError, ValueError, TypeError, KeyError):
            out.row_path.extend(rows for rows, _, _ in members)
    add_sums(out.summary, out.sums)
    count_missing(out.summary, out.missing)
    return out


Found = tuple[OrderRecord, Combination, Quote]


def _form(engine: Engine, frame: Frame, members: list[tuple[np.ndarray, tuple[Any, ...], Found]],
          line: Callable[[Quote], bytes], known: Known, out: Priced, want_lines: bool) -> None:
    """Price the rows of combinations of one form together: each combination's rates,
    fixed amounts and caps become per-row parameters of one vector computation."""
    rows = np.concatenate([r for r, _, _ in members])
    combo = np.repeat(np.arange(len(members)), [len(r) for r, _, _ in members])
    combs = [found[1] for _, _, found in members]
    head = combs[0]
    money = {name: values[rows] for name, values in frame.money.items()}
    quantity = frame.quantity[rows]
    values: dict[tuple[Any, ...], np.ndarray] = {}
    bits: list[np.ndarray] = []
    capped_bits: list[np.ndarray] = []
    total = np.zeros(len(rows), dtype=np.int64)
    amounts: list[np.ndarray] = []
    for j, fee in enumerate(head.fees):
        hows = [c.fees[j].how for c in combs]
        if isinstance(fee.how, Line):
            amount, base, capped = lines_of(hows, combo, money, quantity)  # type: ignore[arg-type]
        else:
            amount, base, capped = taxes_of(hows, combo, amounts[fee.how.parent]), amounts[fee.how.parent], None  # type: ignore[arg-type]
        amounts.append(amount)
        values[("fee_amount", j)] = amount
        if base is not None:
            values[("fee_base", j)] = base
        if capped is not None:
            bits.append(capped)
            capped_bits.append(capped)
        total += amount
    values[("total",)] = total
    commission = np.zeros(len(rows), dtype=np.int64)
    if head.creator is not None:
        commission = scaled_by(money["amount"], [c.creator.rate for c in combs], combo)  # type: ignore[union-attr]
        take = scaled_by(commission, [c.take for c in combs], combo)
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
    bounds: list[tuple[np.ndarray, np.ndarray] | None] = []
    for k, gap in enumerate(head.gaps):
        if isinstance(gap.bounds, tuple):
            low = lines_of([c.gaps[k].bounds[0] for c in combs], combo, money, quantity)[0]  # type: ignore[index]
            high = lines_of([c.gaps[k].bounds[1] for c in combs], combo, money, quantity)[0]  # type: ignore[index]
            swap = low > high  # the ends are ordered by amount (each end's own cap may reorder them)
            bounds.append((np.where(swap, high, low), np.where(swap, low, high)))
        elif isinstance(gap.bounds, Tax):
            ends = bounds[gap.bounds.parent]
            assert ends is not None
            taxes = [c.gaps[k].bounds for c in combs]
            bounds.append((taxes_of(taxes, combo, ends[0]), taxes_of(taxes, combo, ends[1])))  # type: ignore[arg-type]
        elif gap.zero:
            zeros = np.zeros(len(rows), dtype=np.int64)
            bounds.append((zeros, zeros))
        else:
            bounds.append(None)
    market = engine.market(head.market)
    basis = frame.delivered[rows] if market.payout_basis == "delivered_at" else frame.completed[rows]
    answers = _payouts(members, combo, basis, market.payout_basis, known)
    for kinds, _ in answers:
        bits += [kinds == 1, kinds == 2]
    placed = frame.placed[rows]
    stale_from = [[e.stale_from for e in found[2].trail if e.stale_from is not None] for _, _, found in members]
    for e in range(len(stale_from[0])):  # figures resting on old knowledge: by the order's date
        since = np.array([np.datetime64(s[e], "s") for s in stale_from])[combo]
        bits.append(placed >= since)
    if len(bits) > 42:
        raise NoVectorForm("too many ways for orders of one combination to differ")
    key = combo.astype(np.int64) << 42
    for i, bit in enumerate(bits):
        key |= bit.astype(np.int64) << i
    if capped_bits:  # a capped fee's note names the order's quantity ("capped at 5.00 × 3 unit(s)")
        key = _with_quantity(key, capped_bits, quantity)
    # The rows in order of shape (one stable sort): each shape's rows, and its values,
    # are then a slice of arrays put in that order once.
    by_shape, starts = runs_of(key)
    first_of = by_shape[starts]  # each shape's first row: its representative
    edges = [*starts.tolist(), len(key)]  # shape s: rows edges[s] to edges[s + 1] in that order
    in_order: dict[int, np.ndarray] = {}

    def ordered(values: np.ndarray) -> np.ndarray:
        """``values`` (one per row of the form) in shape order."""
        found = in_order.get(id(values))
        if found is None:
            found = in_order[id(values)] = values[by_shape]
        return found

    summed = [(name, run_sums(ordered(values[name]), starts)) for name in SUMMED if name in values]

    placed_day = placed.astype("datetime64[D]")
    basis_day = basis.astype("datetime64[D]")
    # What the shapes give is kept aside and added to ``out`` only once every shape is
    # done: a form that raises half way goes to the row path whole, counted once.
    priced: list[Shape] = []
    left: list[np.ndarray] = []
    mismatched = 0
    kept: list[Shape] = []  # shapes of a known template
    new: list[tuple[Shape, tuple[Any, ...], Template]] = []  # shapes of a template yet to be checked
    # Each shape's representative's values, as Python values, read once for all shapes.
    first_combo = combo[first_of].tolist()
    first_bits = list(zip(*(b[first_of].tolist() for b in bits), strict=True)) if bits else [()] * len(starts)
    first_capped = np.any([b[first_of] for b in capped_bits], axis=0).tolist() if capped_bits else \
        [False] * len(starts)
    first_quantity = quantity[first_of].tolist()
    all_values = [(name, ordered(v)) for name, v in values.items()]
    for s, at in enumerate(first_of.tolist()):
        _, combo_key, found = members[first_combo[s]]
        comb = found[1]
        shape_key = (combo_key, first_bits[s], first_quantity[s] if first_capped[s] else 0)
        made = known.templates.get(shape_key)
        quote = made[1] if made is not None else engine.quote(frame.row(int(rows[at])))
        low, high = edges[s], edges[s + 1]
        shape_values = {name: v[low:high] for name, v in all_values}
        merchant = _first(answers, comb.payout_rules, "merchant", at)
        creator = _first(answers, comb.payout_rules, "creator", at)
        if merchant is not None:
            shape_values[("payout",)] = ordered(merchant)[low:high]
        if creator is not None:
            shape_values[("creator_payout",)] = ordered(creator)[low:high]
        k = 0
        for gap, ends in zip(head.gaps, bounds, strict=True):
            shape_values[("gap_date", k)] = ordered(basis_day if gap.basis_dated else placed_day)[low:high]
            if ends is not None:
                shape_values[("gap_low", k)] = ordered(ends[0])[low:high]
                shape_values[("gap_high", k)] = ordered(ends[1])[low:high]
            k += 1
        for kinds, _ in answers:
            if kinds[at] == 2:
                shape_values[("gap_date", k)] = ordered(basis_day)[low:high]
                k += 1
        shape = Shape(ordered(rows)[low:high], quote, shape_values, comb.places,
                      sums={name: v[s] for name, v in summed})
        if k != len(quote.gaps) or len(comb.fees) != len(quote.fees):
            left.append(shape.rows)
            mismatched += 1
            continue
        if made is None:
            new.append((shape, shape_key, template(quote, line)))
        else:
            shape.template = made[0]
            kept.append(shape)
    # A new shape's representative line is checked against the row path's own: the
    # representatives of every new shape made at once, by the code that makes all lines.
    representatives = [Shape(shape.rows[:1], shape.quote, {k: v[:1] for k, v in shape.values.items()}, shape.places,
                             shaped) for shape, _, shaped in new]
    shown = [_shown_exactly(r) for r in representatives]
    checked = [r for r, ok in zip(representatives, shown, strict=True) if ok]
    firsts = np.sort([int(r.rows[0]) for r in checked]).astype(np.int64)  # one row each, all apart
    texts = dict(zip(firsts.tolist(), frame_lines(checked, frame, firsts).to_pylist() if checked else [],
                     strict=True))
    for (shape, shape_key, shaped), representative, ok in zip(new, representatives, shown, strict=True):
        if not ok or texts[int(representative.rows[0])].encode() != line(shape.quote):
            left.append(shape.rows)
            mismatched += 1
            continue
        known.templates[shape_key] = (shaped, shape.quote)
        shape.template = shaped
        kept.append(shape)
    for shape in kept:
        if want_lines and not _shown_exactly(shape):
            left.append(shape.rows)  # a figure with more places than the representative's text shows
            continue
        priced.append(shape)
    out.row_path.extend(left)
    out.mismatched += mismatched
    for shape in priced:
        out.lines = out.lines or want_lines
        out.rows.append(shape.rows)
        out.shapes.append(shape)
        add(out.summary, shape, shape.quote, out.missing, out.sums)


def _with_quantity(key: np.ndarray, capped: list[np.ndarray], quantity: np.ndarray) -> np.ndarray:
    """``key`` told apart by quantity where a fee is capped (its note names the quantity)."""
    _, key = np.unique(key, return_inverse=True)
    return np.asarray(key.reshape(-1).astype(np.int64) << 21 | np.where(np.any(capped, axis=0), quantity, 0))


def _payouts(members: list[tuple[np.ndarray, tuple[Any, ...], Found]], combo: np.ndarray, basis: np.ndarray,
             basis_field: str, known: Known) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per payout rule position, ``(kind, date)`` of each row (see :func:`payout_answers`):
    combinations whose answers depend on the same inputs are looked up together."""
    rules = members[0][2][1].payout_rules
    out = []
    for position in range(len(rules)):
        kinds = np.zeros(len(combo), dtype=np.int64)
        dates = np.zeros(len(combo), dtype="datetime64[D]")
        groups: dict[tuple[Any, ...], list[int]] = {}
        for m, (_, _, (order, comb, _)) in enumerate(members):
            rule = comb.payout_rules[position]
            depends = (id(rule), comb.creator is None, order.affiliate_plan is None, order.settlement_tier,
                       *(getattr(order, f) for f in getattr(rule, "keyed_by", ())))
            groups.setdefault(depends, []).append(m)
        for ms in groups.values():
            mine = np.isin(combo, ms) if len(groups) > 1 else slice(None)
            order, comb, _ = members[ms[0]][2]
            found = payout_answers((comb.payout_rules[position],), order, comb.creator, basis_field, basis[mine],
                                   known.answers)[0]
            kinds[mine], dates[mine] = found
        out.append((kinds, dates))
    return out


def _first(answers: list[tuple[np.ndarray, np.ndarray]], rules: tuple[Any, ...], party: str,
           at: int) -> np.ndarray | None:
    """The dates of the first rule paying ``party`` a date (on the representative)."""
    for (kinds, dates), rule in zip(answers, rules, strict=True):
        if getattr(rule, "party", None) == party and kinds[at] == 1:
            return dates
    return None


def _shown_exactly(shape: Shape) -> bool:
    """Whether every hole of the shape's template has its values (in as many places as
    the representative's text shows, without losing a digit)."""
    assert shape.template is not None
    for name, places in shape.template.holes:
        if name == ("order_id",):
            continue
        found = shape.values.get(name)
        if found is None:
            return False
        if found.dtype.kind != "M" and places is not None and rescale(found, shape.places, places) is None:
            return False
    return True


#: Lines are joined this many at a time: each slot's text is a whole column while it is
#: joined, so the text of a slot's values takes the memory of a slice, not of the table.
LINES_AT_ONCE = 1 << 14


def frame_lines(shapes: list[Shape], frame: Frame, rows: np.ndarray) -> pa.ChunkedArray:
    """The statement lines of the frame ``rows`` (sorted: the rows of ``shapes``), in
    that order (a chunk for
    each slice of :func:`line_slices`)."""
    return pa.chunked_array(list(line_slices(shapes, frame, rows)), pa.string())


def line_slices(shapes: list[Shape], frame: Frame, rows: np.ndarray) -> Iterator[pa.Array]:
    """The statement lines of the frame ``rows`` (sorted: the rows of ``shapes``, every
    one of them), in that order, made and given
    :data:`LINES_AT_ONCE` at a time: slot ``j`` of every line is its shape's ``j``-th
    fragment, then its ``j``-th value.  Each slot's values are gathered shape by shape
    once, for every slice."""
    at = np.full(len(frame), -1, dtype=np.int64)
    at[rows] = np.arange(len(rows))
    placed = [(shape, at[shape.rows]) for shape in shapes]  # each shape, its lines' positions
    shape_of = np.zeros(len(rows), dtype=np.int64)
    for k, (_, where) in enumerate(placed):
        shape_of[where] = k
    slots = max(len(shape.template.order) for shape, _ in placed if shape.template is not None)
    fragments: list[str | tuple[pa.Array, np.ndarray]] = []
    values: list[list[_Values]] = []
    for j in range(slots + 1):
        texts = [s.template.fragments[j] if s.template is not None and j < len(s.template.fragments) else ""
                 for s, _ in placed]
        distinct = sorted(set(texts))
        if len(distinct) == 1:
            fragments.append(distinct[0])
        else:
            number = {t: i for i, t in enumerate(distinct)}
            fragments.append((pa.array(distinct), np.array([number[t] for t in texts])[shape_of]))
        if j < slots:
            values.append(_slot_values(placed, j, rows, frame))

    def lines(low: int) -> pa.Array:
        high = min(low + LINES_AT_ONCE, len(rows))
        joined: list[Any] = []
        for j, fragment in enumerate(fragments):
            joined.append(fragment if isinstance(fragment, str) else fragment[0].take(pa.array(fragment[1][low:high])))
            if j < slots:
                joined.append(_slot_text(values[j], low, high))
        return pc.binary_join_element_wise(*joined, "")

    for low in range(0, len(rows), LINES_AT_ONCE):
        yield lines(low)


@attrs.frozen
class _Values:
    """The values of one kind in a slot of the lines: ``kind`` "money" (of ``places``),
    "date" or "order_id"; ``given``: the lines whose slot holds one (None: every line);
    ``values``: one per line (numpy), or the order ids (Arrow)."""

    kind: str
    places: int
    given: np.ndarray | None
    values: Any


def _slot_values(placed: list[tuple[Shape, np.ndarray]], j: int, rows: np.ndarray,
                 frame: Frame) -> list[_Values]:
    """The ``j``-th value of every line: money (by its places), a date, the order id, or
    nothing (a line with fewer values); gathered shape by shape into lists, put in place
    by one numpy assignment each."""
    n = len(rows)
    ids: list[np.ndarray] = []
    date_at: list[np.ndarray] = []
    date_values: list[np.ndarray] = []
    money_at: dict[int, list[np.ndarray]] = {}
    money_values: dict[int, list[np.ndarray]] = {}
    for shape, where in placed:
        made = shape.template
        assert made is not None
        if j >= len(made.order):
            continue
        name, places = made.holes[made.order[j]]
        if name == ("order_id",):
            ids.append(where)
            continue
        found = shape.values[name]
        if found.dtype.kind == "M":
            date_at.append(where)
            date_values.append(found)
            continue
        digits = places if places is not None else shape.places
        exact = found if digits == shape.places else rescale(found, shape.places, digits)
        assert exact is not None  # checked when the shape was made (_shown_exactly)
        money_at.setdefault(digits, []).append(where)
        money_values.setdefault(digits, []).append(exact)
    kinds: list[_Values] = []
    for digits, wheres in money_at.items():
        money = np.zeros(n, dtype=np.int64)
        where = np.concatenate(wheres)
        money[where] = np.concatenate(money_values[digits])
        kinds.append(_Values("money", digits, _given(n, where), money))
    if date_at:
        dates = np.zeros(n, dtype="datetime64[D]")
        where = np.concatenate(date_at)
        dates[where] = np.concatenate(date_values)
        kinds.append(_Values("date", 0, _given(n, where), dates))
    if ids:
        where = np.concatenate(ids)
        text = frame.text["order_id"] if len(rows) == len(frame) else frame.text["order_id"].take(pa.array(rows))
        kinds.append(_Values("order_id", 0, _given(n, where), text))
    return kinds


def _given(n: int, where: np.ndarray) -> np.ndarray | None:
    return None if len(where) == n else _mask(n, where)


def _slot_text(kinds: list[_Values], low: int, high: int) -> Any:
    """The text of a slot's values for the lines ``low`` to ``high``."""
    texts: Any = ""
    for kind in kinds:
        if kind.kind == "money":
            text = money_text(kind.values[low:high], kind.places)
        elif kind.kind == "date":
            text = date_text(kind.values[low:high])
        else:
            text = kind.values.slice(low, high - low)
        if kind.given is None:
            texts = text
        else:
            given = kind.given[low:high]
            texts = text if given.all() else pc.if_else(pa.array(given), text, texts)
    return texts


def _mask(n: int, where: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[where] = True
    return mask


def add(summary: Summary, shape: Shape, quote: Quote, pending: dict[tuple[str, str, str], list[np.ndarray]],
        sums: dict[tuple[str, str, int], Counter[str]]) -> None:
    """Count a shape's orders as :meth:`Summary.add` counts each: the counts in
    ``summary``; the :class:`Totals` of its market and currency in ``sums``, money in
    minor units (for :func:`add_sums`); the days each missing key is needed in
    ``pending`` (for :func:`count_missing`)."""
    values, n = shape.values, len(shape.rows)
    summary.accepted += n
    found = sums.setdefault((quote.market, quote.currency, shape.places), Counter())
    amount = shape.sums[("amount",)]
    found["orders"] += n
    found["amount"] += amount
    if quote.net is not None:
        commission = shape.sums.get(("commission",), 0)
        net = shape.sums[("net",)]
        found["priced"] += n
        found["priced_amount"] += amount
        found["net"] += net
        found["fees"] += amount - net - commission
        found["creator_commission"] += commission
    if not quote.gaps:
        found["complete"] += n
        return
    summary.incomplete += n
    last: dict[tuple[str, str, str], int] = {}
    for k, gap in enumerate(quote.gaps):
        last[(gap.market, gap.rule, gap.key)] = k
    for where, k in last.items():
        pending.setdefault(where, []).append(values[("gap_date", k)])


#: The money a shape's orders add to the batch totals (:func:`add`), summed per shape.
SUMMED = (("amount",), ("net",), ("commission",))


def run_sums(values: np.ndarray, starts: np.ndarray) -> list[int]:
    """The sums of int64 ``values`` over the runs beginning at ``starts`` (ascending, the
    first 0), as Python ints, exact however large: the high and low 32 bits of each
    value are summed apart (neither sum can reach 2^63 below 2^31 values)."""
    high = np.add.reduceat(values >> 32, starts).tolist()
    low = np.add.reduceat(values & 0xFFFFFFFF, starts).tolist()
    return [(h << 32) + lo for h, lo in zip(high, low, strict=True)]


def add_sums(summary: Summary, sums: dict[tuple[str, str, int], Counter[str]]) -> None:
    """Add the shapes' counts and money (minor units of ``places``) to the totals, each
    sum turned into a Decimal once."""
    for (market, currency, places), found in sums.items():
        totals = summary.totals.get((market, currency))
        if totals is None:
            totals = summary.totals[(market, currency)] = Totals()
        unit = Decimal(1).scaleb(-places)
        for name, value in found.items():
            setattr(totals, name, getattr(totals, name) + (value if name in _COUNTS else value * unit))


_COUNTS = frozenset({"orders", "complete", "priced"})  # the Totals fields that count orders, not money


def count_missing(summary: Summary, pending: dict[tuple[str, str, str], list[np.ndarray]]) -> None:
    """Count the orders each missing key blocks, by day, from the days the shapes gathered."""
    for where, days in pending.items():
        found = summary.missing.get(where)
        if found is None:
            found = summary.missing[where] = Missing()
        distinct, counts = np.unique(np.concatenate(days), return_counts=True)
        for day, count in zip(distinct.tolist(), counts.tolist(), strict=True):
            found.count(day, count)
