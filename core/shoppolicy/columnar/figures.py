"""The figures of a frame of orders, a vector at a time, from the core blocks.

Rows are grouped by *combination*: the market, the policy time slices of the order's
placement and of its payout basis, and every order field a block may choose by
(category, seller and store type, tier, plan and commission rate, flags).  For each
combination the blocks themselves say, on one representative order, what applies —
which fee lines, at which rate, which gaps, the creator's share, the payout rules
(``Payers.skip``, ``RateTable.choose``, ``CreatorCommission.apply``, ``PayoutDays.apply``:
the row path's own code, once per combination).  What varies from row to row within a
combination is only arithmetic on money, done here on integer minor units with the
rounding of :func:`shoppolicy.blocks.fees.money` (half away from zero, on exact
integers), and the payout dates, looked up per basis day.

A plan holding a block this module has no vector form for (a plugin's own rule), and a
combination whose representative raises (an input the market refuses), are left to the
row path (``Figures.rejected``).  What does not live here: reading (:mod:`.frame`) and
statement lines (:mod:`.lines`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from decimal import Decimal, DecimalTuple
from typing import Any

import attrs
import numpy as np
import pyarrow.compute as pc

from shoppolicy.blocks import bases
from shoppolicy.blocks.commission import CommissionGap, CreatorCommission
from shoppolicy.blocks.fees import GapFee, PercentFee, RefundShareFee, TaxOnFee
from shoppolicy.blocks.payouts import PayoutDays
from shoppolicy.columnar.frame import CHOICE_FIELDS, FLAG_FIELDS, Frame
from shoppolicy.engine import FEES, PAYOUTS, Engine, Unpriced
from shoppolicy.errors import PolicyGapError
from shoppolicy.model import CreatorShare, Gap, OrderRecord, PayoutLine
from shoppolicy.money import MINOR_UNITS
from shoppolicy.orders import structure_order

Money = dict[str, np.ndarray]
BASE_VECTORS: Mapping[Callable[[OrderRecord], Decimal], Callable[[Money], np.ndarray]] = {
    # The bases of blocks/bases.py on rows without a refund (rows with one are the row path's).
    bases.amount: lambda m: m["amount"],
    bases.amount_plus_shipping: lambda m: m["amount"] + m["buyer_shipping"],
    bases.amount_plus_shipping_less_refund: lambda m: m["amount"] + m["buyer_shipping"],
    bases.customer_payment_less_refund: lambda m: m["amount"] - m["platform_discount"] + m["buyer_shipping"] + m["tax"],
    bases.customer_payment_plus_discount: lambda m: m["amount"] + m["buyer_shipping"] + m["tax"],
    bases.no_base: lambda m: np.zeros_like(m["amount"]),
}
_LIMIT = 1 << 61  # products stay below this in int64 (twice it, for the rounding, too)


class NoVectorForm(Exception):
    """A block, a value or a size the vector path does not price: the row path does."""


def fraction(value: Decimal) -> tuple[int, int]:
    """``value`` as ``(numerator, k)`` with value = numerator / 10**k."""
    return _fraction(value.as_tuple())


@functools.lru_cache(maxsize=4096)  # a batch meets a few dozen rates, each in every table
def _fraction(parts: DecimalTuple) -> tuple[int, int]:
    sign, digits, exponent = parts
    if not isinstance(exponent, int):
        raise NoVectorForm(f"not a finite number (its exponent is {exponent!r})")
    number = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    return (number * 10 ** exponent, 0) if exponent >= 0 else (number, -exponent)


def div_half_up(numerator: np.ndarray, divisor: int | np.ndarray) -> np.ndarray:
    """``numerator / divisor`` rounded half away from zero (Python's ROUND_HALF_UP)."""
    if isinstance(divisor, int) and divisor == 1:
        return numerator
    size = np.abs(numerator)
    if size.size and int(size.max()) >= _LIMIT:
        raise NoVectorForm("a product too large for int64")
    whole = (2 * size + divisor) // (2 * divisor)
    return np.asarray(np.where(numerator < 0, -whole, whole))


def times(values: np.ndarray, factor: int | np.ndarray) -> np.ndarray:
    """``values × factor`` in int64, refused where it could overflow."""
    most = int(np.abs(factor).max()) if isinstance(factor, np.ndarray) and factor.size else abs(int(factor))
    if values.size and most and int(np.abs(values).max()) >= _LIMIT // most:
        raise NoVectorForm("a product too large for int64")
    return np.asarray(values * factor)


def minor(value: Decimal, places: int) -> int:
    """A policy amount (a fixed fee, a cap) in minor units; refused when it is finer."""
    number, k = fraction(value)
    if k > places:
        if number % 10 ** (k - places):
            raise NoVectorForm(f"{value} is finer than the currency's minor unit")
        return int(number // 10 ** (k - places))
    return int(number * 10 ** (places - k))


# --- what applies to a combination -------------------------------------------------------


@attrs.frozen
class Line:
    """``round_half_up(base × rate) + fixed``, at most ``cap × quantity``: a fee line, or
    one end of a missing rate's bounds.  ``base_of`` None: a fixed amount, no base."""

    base_of: Callable[[Money], np.ndarray] | None
    rate: Decimal
    fixed: int
    cap: int | None

    def form(self) -> tuple[Any, ...]:
        return ("line", self.base_of, self.cap is not None)


@attrs.frozen
class Tax:
    """``round_half_up(fee × factor / divisor)`` of the fee line ``parent`` (a tax on a
    fee, TT-FEE-10: ``numerator × rate / denominator`` as one exact fraction)."""

    parent: int
    factor: int
    divisor: int

    def form(self) -> tuple[Any, ...]:
        return ("tax", self.parent)


@attrs.frozen
class FeeOut:
    """A fee line of a combination: its code and how its amount follows from the row."""

    code: str
    how: Line | Tax


@attrs.frozen
class GapOut:
    """A gap of a combination, dated at the placement or the payout basis; ``bounds``:
    the two ends of a missing rate's published range (``Line``s), a tax on another
    gap's bounds (``Tax``, ``parent`` the gap's index), or zero both ways (``None``
    with ``zero``)."""

    gap: Gap
    basis_dated: bool
    bounds: tuple[Line, Line] | Tax | None = None
    zero: bool = False

    def form(self) -> tuple[Any, ...]:
        if isinstance(self.bounds, tuple):
            return ("range", *self.bounds[0].form(), *self.bounds[1].form())
        return ("tax", self.bounds.parent) if self.bounds is not None else ("zero" if self.zero else "none",)


@attrs.frozen
class Combination:
    fees: tuple[FeeOut, ...]
    gaps: tuple[GapOut, ...]
    creator: CreatorShare | None
    take: Decimal
    payout_rules: tuple[Any, ...]
    market: str
    currency: str
    places: int

    def form(self) -> tuple[Any, ...]:
        """What the vectors of the combination's orders are computed by: combinations of one
        form are priced together, their rates and amounts as per-row parameters."""
        return (self.market, tuple((f.code, *f.how.form()) for f in self.fees), tuple(g.form() for g in self.gaps),
                self.creator is not None, tuple((type(r), getattr(r, "party", None)) for r in self.payout_rules))


def _percent(fee: PercentFee, order: OrderRecord, places: int, out: list[FeeOut], gaps: list[GapOut]) -> None:
    if fee.payers is not None:
        skipped = fee.payers.skip(order, fee.code)
        if skipped is not None:
            gaps.extend(GapOut(g, False) for g in skipped)
            return
    base_of = BASE_VECTORS.get(fee.base)
    if base_of is None:
        raise NoVectorForm(f"{fee.code}: a base with no vector form")
    fixed = minor(fee.fixed, places)
    if fee.table is None:
        out.append(FeeOut(fee.code, Line(None, Decimal(0), fixed, None)))
        return
    try:
        choice = fee.table.choose(order)
    except PolicyGapError as gap:
        shown = fee._gaps(order, gap)
        if gap.low is None or gap.high is None:
            gaps.extend(GapOut(g, False) for g in shown)
            return
        caps = fee.range_caps or (fee.cap_per_unit, fee.cap_per_unit)
        low, high = (Line(base_of, rate, fixed, minor(cap, places) if cap is not None else None)
                     for rate, cap in zip((gap.low, gap.high), caps, strict=True))
        at = len(gaps)
        gaps.append(GapOut(shown[0], False, (low, high)))
        for addon, shown_gap in zip(fee.gap_addons, shown[1:], strict=True):
            if isinstance(addon, TaxOnFee):
                gaps.append(GapOut(shown_gap, False, _tax(addon, at)))
            elif isinstance(addon, RefundShareFee):  # nothing without a refund: bounds 0 and 0
                gaps.append(GapOut(shown_gap, False, None, zero=True))
            else:
                raise NoVectorForm(f"{addon.code}: an add-on with no vector form") from None
        return
    cap = fee.cap_per_unit
    at = len(out)
    out.append(FeeOut(fee.code, Line(base_of, choice.rate, fixed, minor(cap, places) if cap is not None else None)))
    for addon in choice.addons:
        if isinstance(addon, TaxOnFee):
            out.append(FeeOut(addon.code, _tax(addon, at)))
        elif not isinstance(addon, RefundShareFee):  # a refund share is nothing without a refund
            raise NoVectorForm(f"{addon.code}: an add-on with no vector form")


def _tax(addon: TaxOnFee, parent: int) -> Tax:
    # money(fee × numerator × rate / denominator): exact integers, one rounding at the end
    # (the Decimal path's 28 digits hold these products whole).
    (n, kn), (r, kr), (d, kd) = fraction(addon.numerator), fraction(addon.rate), fraction(addon.denominator)
    return Tax(parent, n * r * 10 ** kd, d * 10 ** (kn + kr))


def lines_of(lines: list[Line], combo: np.ndarray, money: Money, quantity: np.ndarray,
             ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(amount, base or None, capped or None)`` of rows whose combination (an index
    into ``lines``, all of one form) is ``combo``."""
    first = lines[0]
    fixed = np.array([x.fixed for x in lines], dtype=np.int64)[combo]
    if first.base_of is None:
        return fixed, None, None
    base = first.base_of(money)
    value = scaled_by(base, [x.rate for x in lines], combo) + fixed
    if first.cap is None:
        return value, base, None
    ceiling = times(quantity, np.array([x.cap for x in lines], dtype=np.int64)[combo])
    capped = value > ceiling
    return np.where(capped, ceiling, value), base, capped


def taxes_of(taxes: list[Tax], combo: np.ndarray, fee: np.ndarray) -> np.ndarray:
    factor = np.array([t.factor for t in taxes], dtype=np.int64)[combo]
    divisor = np.array([t.divisor for t in taxes], dtype=np.int64)[combo]
    return div_half_up(times(fee, factor), divisor)


def scaled_by(values: np.ndarray, rates: list[Decimal], combo: np.ndarray) -> np.ndarray:
    """``round_half_up(values × rate)`` with each row's rate ``rates[combo]``."""
    fractions = [fraction(r) for r in rates]
    k = max(k for _, k in fractions)
    numerators = [n * 10 ** (k - kx) for n, kx in fractions]
    if any(abs(n) >= _LIMIT for n in numerators):
        raise NoVectorForm("a rate with too many digits")
    return div_half_up(times(values, np.array(numerators, dtype=np.int64)[combo]), 10 ** k)


def combination(engine: Engine, row: dict[str, Any]) -> tuple[OrderRecord, Combination]:
    """What applies to the orders like ``row`` (raises NoVectorForm, or the row path's
    own error for an input the market refuses)."""
    order = structure_order(row)
    market = engine.market(order.market)
    if market.abstract or order.currency != market.currency:
        raise NoVectorForm("the row path names the market's problem")
    places = MINOR_UNITS[order.currency]
    fees: list[FeeOut] = []
    gaps: list[GapOut] = []
    creator: CreatorShare | None = None
    take = Decimal(0)
    for charge in engine.plan(FEES, market, order.placed_at):
        kind = type(charge)
        if kind is PercentFee:
            _percent(charge, order, places, fees, gaps)
        elif kind is GapFee or kind is CommissionGap or kind is Unpriced:
            gaps.extend(GapOut(g, False) for g in charge.apply(order))
        elif kind is CreatorCommission:
            found = charge.apply(order)
            if found:
                creator, take = found[0], charge.platform_take
        else:
            raise NoVectorForm(f"{type(charge).__name__}: a block with no vector form")
    basis = getattr(order, market.payout_basis)
    rules: tuple[Any, ...] = ()
    if basis is not None:
        rules = tuple(engine.plan(PAYOUTS, market, basis))
        for rule in rules:
            if type(rule) is not PayoutDays and type(rule) is not Unpriced:
                raise NoVectorForm(f"{type(rule).__name__}: a payout rule with no vector form")
    return order, Combination(tuple(fees), tuple(gaps), creator, take, rules, market.id, market.currency, places)


# --- the combinations of a frame ----------------------------------------------------------


def runs_of(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, starts)``: the positions sorted by ``key`` (stable: equal keys keep their
    order), and where in ``order`` each run of one key begins."""
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    change = np.ones(len(key), dtype=bool)
    change[1:] = ordered[1:] != ordered[:-1]
    return order, np.flatnonzero(change)


def combination_ids(frame: Frame, engine: Engine) -> tuple[np.ndarray, np.ndarray,
                                                             Callable[[int], tuple[Any, ...]]]:
    """``(the rows ordered by combination, where each combination's rows begin in that
    order, the key of row i's combination)`` (see :func:`runs_of`): the key holds the
    row's values of :data:`CHOICE_FIELDS` (``""`` read as not given) and the policy time
    slices of its placement and payout basis, so it names the combination in any table."""
    n = len(frame)
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    parts: list[np.ndarray] = []
    names: list[list[Any]] = []
    for name in CHOICE_FIELDS:
        if name in FLAG_FIELDS:
            parts.append(frame.flags[name].astype(np.int64))
            names.append([False, True])
        else:
            encoded = pc.dictionary_encode(frame.text[name], null_encoding="encode")
            parts.append(np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64))
            names.append([value or None for value in encoded.dictionary.to_pylist()])
    epochs = slices(frame, engine)
    parts.extend(epochs)
    for part in parts:
        size = int(part.max()) + 1 if n else 1
        if radix * size >= 1 << 62:  # too many combinations to number in one integer: renumber so far
            _, key = np.unique(key, return_inverse=True)
            radix = int(key.max()) + 1
        key = key + part * radix
        radix *= size
    order, starts = runs_of(key)

    def key_of(i: int) -> tuple[Any, ...]:
        return (*(values[int(codes[i])] for values, codes in zip(names, parts, strict=False)),
                *(int(e[i]) for e in epochs))

    return order, starts, key_of


def slices(frame: Frame, engine: Engine) -> list[np.ndarray]:
    """The policy time slice of each row's placement and of its payout basis (-1: none yet)."""
    placed = np.zeros(len(frame), dtype=np.int64)
    paid = np.full(len(frame), -1, dtype=np.int64)
    markets = frame.text["market"]
    for market_id in pc.unique(markets).to_pylist():
        mine = np.asarray(pc.equal(markets, market_id).to_numpy(zero_copy_only=False), dtype=bool)
        market = engine.market(market_id)
        edges = np.array(engine.policy(market_id).boundaries, dtype="datetime64[s]")
        placed[mine] = np.searchsorted(edges, frame.placed[mine], side="right")
        basis = frame.delivered if market.payout_basis == "delivered_at" else frame.completed
        known = mine & ~np.isnat(basis)
        paid[known] = np.searchsorted(edges, basis[known], side="right")
    return [placed, paid + 1]


def payout_answers(rules: tuple[Any, ...], order: OrderRecord, creator: CreatorShare | None, basis_field: str,
                   moments: np.ndarray, memo: dict[object, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per payout rule, for rows like ``order`` whose basis instants are ``moments``:
    ``(kind, date)`` of each row, kind 0 (nothing), 1 (a date) or 2 (a gap, dated at the
    row's basis day).

    A rule's answer depends on the basis day, the tier and the fields it is keyed by, and
    whether a creator is on the order (``PayoutDays``): ``memo`` keeps, for each such
    combination, the answers of a run of days as arrays indexed by day, so the rows of a
    table are looked up a vector at a time and the rule is asked once per new day."""
    days = moments.astype("datetime64[D]").astype(np.int64)
    low, high = int(days.min()), int(days.max())
    out = []
    for rule in rules:
        depends = (id(rule), creator is None, order.affiliate_plan is None, order.settlement_tier,
                   *(getattr(order, f) for f in getattr(rule, "keyed_by", ())))
        known = memo.get(depends)
        if known is None or low < known[0] or high >= known[0] + len(known[1]):
            known = memo[depends] = _answer_days(rule, order, creator, basis_field, low, high, known)
        at = days - known[0]
        kinds = known[1][at]
        if (kinds < 0).any():  # days not answered yet inside the run
            known = memo[depends] = _answer_days(rule, order, creator, basis_field, low, high, known,
                                                 np.unique(days[kinds < 0]))
            kinds = known[1][at]
        out.append((kinds, known[2][at]))
    return out


def _answer_days(rule: Any, order: OrderRecord, creator: CreatorShare | None, basis_field: str, low: int,
                 high: int, known: tuple[int, np.ndarray, np.ndarray] | None, days: np.ndarray | None = None,
                 ) -> tuple[int, np.ndarray, np.ndarray]:
    """``(first day, kind per day, date per day)`` covering ``low..high`` and the run
    ``known`` covered, with the rule asked for ``days`` (default: each day of the
    table's rows not known yet is asked when first met; kind -1: not asked)."""
    start, end = low, high + 1
    if known is not None:
        start, end = min(start, known[0]), max(end, known[0] + len(known[1]))
    kinds = np.full(end - start, -1, dtype=np.int64)
    dates = np.zeros(end - start, dtype="datetime64[D]")
    if known is not None:
        kinds[known[0] - start:known[0] - start + len(known[1])] = known[1]
        dates[known[0] - start:known[0] - start + len(known[1])] = known[2]
    for day in (days.tolist() if days is not None else []):
        when = (np.datetime64(day, "D").astype(dt.date))
        moved = attrs.evolve(order, **{basis_field: dt.datetime(when.year, when.month, when.day)})  # type: ignore[arg-type]
        found = rule.apply(moved, creator)
        if type(found) is PayoutLine:
            kinds[day - start], dates[day - start] = 1, np.datetime64(found.date, "D")
        elif type(found) is Gap:
            kinds[day - start] = 2
        elif found is None:
            kinds[day - start] = 0
        else:
            raise NoVectorForm(f"{type(rule).__name__} gave {type(found).__name__}")
    return start, kinds, dates
