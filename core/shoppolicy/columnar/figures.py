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
from collections.abc import Callable, Mapping
from decimal import Decimal
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
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise NoVectorForm(f"not a finite number: {value}")
    number = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    return (number * 10 ** exponent, 0) if exponent >= 0 else (number, -exponent)


def div_half_up(numerator: np.ndarray, divisor: int) -> np.ndarray:
    """``numerator / divisor`` rounded half away from zero (Python's ROUND_HALF_UP)."""
    if divisor == 1:
        return numerator
    size = np.abs(numerator)
    if size.size and int(size.max()) >= _LIMIT:
        raise NoVectorForm("a product too large for int64")
    whole = (2 * size + divisor) // (2 * divisor)
    return np.asarray(np.where(numerator < 0, -whole, whole))


def times(values: np.ndarray, factor: int) -> np.ndarray:
    """``values × factor`` in int64, refused where it could overflow."""
    if values.size and factor and int(np.abs(values).max()) >= _LIMIT // abs(factor):
        raise NoVectorForm("a product too large for int64")
    return values * factor


def scaled(values: np.ndarray, rate: Decimal) -> np.ndarray:
    """``round_half_up(values × rate)`` on minor units."""
    number, k = fraction(rate)
    return div_half_up(times(values, number), 10 ** k)


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
class FeeOut:
    """A fee line of a combination: how its amount and base follow from the row."""

    code: str
    amount: Callable[[Money, np.ndarray], tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]
    """``(money, quantity) -> (amount, base or None, capped mask or None)``"""


@attrs.frozen
class GapOut:
    """A gap of a combination: dated at the placement or the payout basis, with its
    bounds where the missing rate has a published range."""

    gap: Gap
    basis_dated: bool
    bounds: Callable[[Money, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None


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
        out.append(FeeOut(fee.code, lambda m, q: (np.full(len(q), fixed), None, None)))
        return
    try:
        choice = fee.table.choose(order)
    except PolicyGapError as gap:
        shown = fee._gaps(order, gap)
        if gap.low is None or gap.high is None:
            gaps.extend(GapOut(g, False) for g in shown)
            return
        caps = fee.range_caps or (fee.cap_per_unit, fee.cap_per_unit)
        ends = [_line(base_of, rate, fixed, cap, places) for rate, cap in zip((gap.low, gap.high), caps, strict=True)]

        def fee_bounds(m: Money, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            low, high = (end(m, q)[0] for end in ends)
            swap = low > high  # the ends are ordered by amount (each end's own cap may reorder them)
            return np.where(swap, high, low), np.where(swap, low, high), swap

        gaps.append(GapOut(shown[0], False, lambda m, q: fee_bounds(m, q)[:2]))
        for addon, shown_gap in zip(fee.gap_addons, shown[1:], strict=True):
            gaps.append(GapOut(shown_gap, False, _addon_bounds(addon, fee_bounds, places)))
        return
    cap = fee.cap_per_unit
    out.append(FeeOut(fee.code, _line(base_of, choice.rate, fixed, cap, places)))
    for addon in choice.addons:
        if isinstance(addon, TaxOnFee):
            out.append(FeeOut(addon.code, _tax(addon, _main(out, fee.code))))
        elif not isinstance(addon, RefundShareFee):  # a refund share is nothing without a refund
            raise NoVectorForm(f"{addon.code}: an add-on with no vector form")


def _main(out: list[FeeOut], code: str) -> Callable[[Money, np.ndarray], tuple[np.ndarray, Any, Any]]:
    return next(f.amount for f in reversed(out) if f.code == code)


def _line(base_of: Callable[[Money], np.ndarray], rate: Decimal, fixed: int, cap: Decimal | None,
          places: int) -> Callable[[Money, np.ndarray], tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
    cap_minor = minor(cap, places) if cap is not None else None

    def amount(m: Money, q: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        base = base_of(m)
        value = scaled(base, rate) + fixed
        if cap_minor is None:
            return value, base, None
        ceiling = times(q, cap_minor)
        capped = value > ceiling
        return np.where(capped, ceiling, value), base, capped

    return amount


def _tax(addon: TaxOnFee, parent: Callable[[Money, np.ndarray], tuple[np.ndarray, Any, Any]],
         ) -> Callable[[Money, np.ndarray], tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
    # money(fee × numerator × rate / denominator): exact integers, one rounding at the end
    # (the Decimal path's 28 digits hold these products whole).
    (n, kn), (r, kr), (d, kd) = fraction(addon.numerator), fraction(addon.rate), fraction(addon.denominator)

    def amount(m: Money, q: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        fee = parent(m, q)[0]
        return div_half_up(times(fee, n * r * 10 ** kd), d * 10 ** (kn + kr)), fee, None

    return amount


def _addon_bounds(addon: Any, fee_bounds: Callable[[Money, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
                  places: int) -> Callable[[Money, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    if isinstance(addon, RefundShareFee):
        return lambda m, q: (np.zeros(len(q), dtype=np.int64), np.zeros(len(q), dtype=np.int64))
    if not isinstance(addon, TaxOnFee):
        raise NoVectorForm(f"{addon.code}: an add-on with no vector form")

    def bounds(m: Money, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        low, high, _ = fee_bounds(m, q)
        tax = _tax(addon, lambda m2, q2: (low, None, None))(m, q)[0]
        tax_high = _tax(addon, lambda m2, q2: (high, None, None))(m, q)[0]
        return tax, tax_high

    return bounds


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


def combination_ids(frame: Frame, engine: Engine) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(combination of each row, the policy time slices of each row)``."""
    n = len(frame)
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    parts: list[np.ndarray] = []
    for name in CHOICE_FIELDS:
        if name in FLAG_FIELDS:
            parts.append(frame.flags[name].astype(np.int64))
        else:
            codes = pc.dictionary_encode(frame.text[name], null_encoding="encode").indices
            parts.append(np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64))
    epochs = slices(frame, engine)
    parts.extend(epochs)
    for part in parts:
        size = int(part.max()) + 1 if n else 1
        if radix * size >= 1 << 62:  # too many combinations to number in one integer: renumber so far
            _, key = np.unique(key, return_inverse=True)
            radix = int(key.max()) + 1
        key = key + part * radix
        radix *= size
    _, inverse = np.unique(key, return_inverse=True)
    return inverse.reshape(-1), epochs


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


def payout_day(frame: Frame, market_basis: str) -> np.ndarray:
    basis = frame.delivered if market_basis == "delivered_at" else frame.completed
    return basis.astype("datetime64[D]")


Answer = PayoutLine | Gap | None


def payout_answers(rules: tuple[Any, ...], order: OrderRecord, creator: CreatorShare | None, basis_field: str,
                   moments: np.ndarray, memo: dict[object, Answer],
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per payout rule, for rows like ``order`` whose basis instants are ``moments``:
    ``(kind, date)`` of each row, kind 0 (nothing), 1 (a date) or 2 (a gap, dated at the
    row's basis day).  ``memo`` keeps each rule's answer by what it depends on (the basis day,
    the tier and the fields it is keyed by, whether a creator is on the order)."""
    days = moments.astype("datetime64[D]")
    distinct, inverse = np.unique(days, return_inverse=True)
    inverse = inverse.reshape(-1)
    out = []
    for rule in rules:
        kinds = np.zeros(len(distinct), dtype=np.int64)
        dates = np.zeros(len(distinct), dtype="datetime64[D]")
        depends = (id(rule), creator is None, order.affiliate_plan is None, order.settlement_tier,
                   *(getattr(order, f) for f in getattr(rule, "keyed_by", ())))
        for i, day in enumerate(distinct.tolist()):
            found = memo.get((depends, day), memo)
            if found is memo:
                when = dt.datetime(day.year, day.month, day.day)
                moved = attrs.evolve(order, **{basis_field: when})  # type: ignore[arg-type]
                found = memo[(depends, day)] = rule.apply(moved, creator)
            if type(found) is PayoutLine:
                kinds[i], dates[i] = 1, np.datetime64(found.date, "D")
            elif type(found) is Gap:
                kinds[i] = 2
            elif found is not None:
                raise NoVectorForm(f"{type(rule).__name__} gave {type(found).__name__}")
        out.append((kinds[inverse], dates[inverse]))
    return out
