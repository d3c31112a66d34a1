"""Learn a seller's own rates from a statement: for each charged fee and its base, the
interval of rates that reproduce it to the minor unit; per (market, fee, rate key, policy
time slice) the intersection over the orders that show it; the rate with the fewest
decimal places in it (nearest the middle among those); an override value for each.

Orders the policy data gives different published rates (a rate change it knows of)
are learned apart: each period gets its own value, ending where the next begins.  A
rate is written only if every order of its group lies in one interval and the
learned file, loaded into the engine, prices each of those orders back to the charged
figure (the one pricing path is the check, not a copy of it).  A group whose orders
disagree is a :class:`RateConflict`, listed with its orders and never written.  What
cannot be learned (no base, an order without the field the key needs) is listed too.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import attrs

from shoppolicy.blocks.fees import RateSlot
from shoppolicy.engine import Engine
from shoppolicy.errors import ShopPolicyError
from shoppolicy.gaps import values_entry
from shoppolicy.model import OrderRecord
from shoppolicy.money import ZERO
from shoppolicy.statements.mapping import FEE_KEYS
from shoppolicy.statements.model import Statement
from shoppolicy.statements.orders import infer_market, pair

ONE = Decimal(1)
_SHOWN = Decimal("1E-8")  # intervals are listed to 8 places, rounded inwards


@attrs.frozen(slots=True)
class Evidence:
    """One order's charged fee, what its rate multiplies, and the rates that reproduce it:
    ``low <= rate < high`` (``high`` ``None``: any rate from ``low``, the fee was capped)."""

    order_id: str
    placed_at: dt.datetime
    charged: Decimal
    base: Decimal
    fixed: Decimal
    low: Decimal
    high: Decimal | None


@attrs.frozen(slots=True)
class LearnedRate:
    """A rate the statement proves, as one override value."""

    market: str
    code: str
    rule: str
    key: str
    value: Decimal
    low: Decimal
    high: Decimal | None
    effective_from: dt.date
    source: str
    evidence: tuple[Evidence, ...]
    effective_to: dt.date | None = None

    @property
    def note(self) -> str:
        high = "" if self.high is None else f", {self.high.quantize(_SHOWN, ROUND_FLOOR).normalize()})"
        interval = f"[{self.low.quantize(_SHOWN, ROUND_CEILING).normalize()}{high or ', 1]'}"
        return (f"every rate in {interval} reproduces the {len(self.evidence)} order(s) to the minor unit; the one "
                f"with the fewest decimal places is written (orders: {', '.join(e.order_id for e in self.evidence)})")


@attrs.frozen(slots=True)
class RateConflict:
    """Orders of one rate key whose charged fees imply different rates: nothing written."""

    market: str
    code: str
    key: str
    reason: str
    evidence: tuple[Evidence, ...]


@attrs.frozen(slots=True)
class NotLearned:
    """A charged fee no rate can be learned from, and why."""

    order_id: str
    code: str
    reason: str


@attrs.frozen(slots=True)
class LearnedRates:
    statement: str
    format: str
    values: tuple[LearnedRate, ...]
    conflicts: tuple[RateConflict, ...]
    not_learned: tuple[NotLearned, ...]

    def toml(self) -> str:
        """The override file: one value per learned rate, conflicts as comments."""
        lines = [f"# Rates learned by `shoppolicy learn-rates {self.statement}` from the seller's own statement",
                 f"# ({self.format}). Each value reproduces every order it came from to the minor unit.",
                 "# Pass this file with --policy; check each value against your Seller Center before relying on it.",
                 ""]
        for conflict in self.conflicts:
            lines.append(f"# not written: {conflict.market} {conflict.key}: {conflict.reason} (orders: "
                         f"{', '.join(f'{e.order_id} {e.charged}/{e.base}' for e in conflict.evidence)})")
        if self.conflicts:
            lines.append("")
        for v in self.values:
            lines += values_entry(market=v.market, rule=v.rule, key=v.key, effective_from=v.effective_from,
                                  effective_to=v.effective_to, value=str(v.value), source=v.source,
                                  confidence="statement", note=v.note)
        return "\n".join(lines)


def learn_rates(statement: Statement, engine: Engine, *,
                orders: Iterable[OrderRecord | Mapping[str, Any]] | None = None,
                market: str | None = None) -> LearnedRates:
    """The rates ``statement`` proves for ``orders`` (built from the statement when ``None``)."""
    market = infer_market(statement, engine, market)
    paired, _ = pair(statement, market, orders)
    groups: dict[tuple[str, str, str, str], tuple[str, list[Evidence]]] = {}
    records: dict[str, OrderRecord | Mapping[str, Any]] = {}
    skipped: list[NotLearned] = []
    for item in paired:
        if item.record is None:
            continue
        order_id = item.line.order_id or item.line.id
        records[order_id] = item.record
        order_market = item.record.market if isinstance(item.record, OrderRecord) else str(item.record.get("market"))
        for code, keys in FEE_KEYS.get(order_market, {}).items():
            present = [k for k in keys if k in item.line.charges]
            if not present:
                continue
            charged = statement.cost_sign * sum((item.line.charges[k] for k in present), ZERO)
            found = _evidence(engine, item.record, order_id, code, charged)
            if isinstance(found, NotLearned):
                if charged:
                    skipped.append(found)
                continue
            slot, evidence = found
            period = str(slot.published)  # orders at one published rate (or one gap) are one period
            groups.setdefault((slot.market, code, slot.key, period), (slot.rule, []))[1].append(evidence)
    values, conflicts = _choose(groups, statement)
    values, failed = _verify(values, engine, records)
    return LearnedRates(statement=statement.source, format=statement.format, values=tuple(_dated(values)),
                        conflicts=(*conflicts, *failed), not_learned=tuple(skipped))


def _evidence(engine: Engine, record: OrderRecord | Mapping[str, Any], order_id: str, code: str,
              charged: Decimal) -> tuple[RateSlot, Evidence] | NotLearned:
    try:
        slot = engine.rate_slot(record, code)
    except ShopPolicyError as exc:
        return NotLearned(order_id, code, f"the order cannot be priced: {exc}")
    if slot is None:
        return NotLearned(order_id, code, "no rate of ours to learn for this order (the fee is not charged to it, "
                                          "is a fixed amount or a share of another fee, or its base is a gap)")
    if not slot.fillable:
        return NotLearned(order_id, code, f"the rate is keyed {slot.key}: the order lacks that field (pass --orders "
                                          "with it)")
    net = charged - slot.fixed
    if slot.base <= 0 or net < 0:
        return NotLearned(order_id, code, f"base {slot.base} and charged {charged} prove no rate")
    half = slot.unit / 2
    low = max((net - half) / slot.base, ZERO)
    high: Decimal | None = (net + half) / slot.base
    if slot.cap is not None and charged >= slot.cap:  # capped: any rate at least this high
        low, high = max((slot.cap - slot.fixed - half) / slot.base, ZERO), None
    return slot, Evidence(order_id, slot.placed_at, charged, slot.base, slot.fixed, low, high)


def _choose(groups: Mapping[tuple[str, str, str, str], tuple[str, list[Evidence]]],
            statement: Statement) -> tuple[list[LearnedRate], list[RateConflict]]:
    values, conflicts = [], []
    ordered = sorted(groups.items(), key=lambda item: (item[0][:3], min(e.placed_at for e in item[1][1])))
    for (market, code, key, _), (rule, evidence) in ordered:
        low = max(e.low for e in evidence)
        highs = [e.high for e in evidence if e.high is not None]
        high = min(highs) if highs else None
        rate = fewest_places(low, high)
        if rate is None:
            implied = sorted({(e.charged - e.fixed) / e.base for e in evidence})
            conflicts.append(RateConflict(market, code, key, (
                f"the orders imply different rates ({implied[0]:.6f} to {implied[-1]:.6f}): no rate reproduces "
                "them all"), tuple(evidence)))
            continue
        first = min(e.placed_at for e in evidence)
        last = max(e.placed_at for e in evidence)
        source = (f"statement {statement.source} ({statement.format}): {len(evidence)} order(s) placed "
                  f"{first.date()} to {last.date()}, learned by shoppolicy learn-rates")
        values.append(LearnedRate(market, code, rule, key, rate, low, high, first.date(), source, tuple(evidence)))
    return values, conflicts


def fewest_places(low: Decimal, high: Decimal | None) -> Decimal | None:
    """The rate in ``[low, high)`` (and in [0, 1]) with the fewest decimal places; among
    those, the one nearest the middle of the interval (the lower on a tie)."""
    if low > ONE or (high is not None and low >= high):
        return None
    middle = low if high is None else (low + min(high, ONE)) / 2
    for places in range(0, 13):
        step = ONE.scaleb(-places)
        value = low.quantize(step, ROUND_CEILING)
        candidates: list[Decimal] = []
        while (high is None or value < high) and value <= ONE and len(candidates) < 20:
            candidates.append(value)
            value += step
        if candidates:
            return min(candidates, key=lambda c: (abs(c - middle), c)).normalize()
    return None


def _verify(values: list[LearnedRate], engine: Engine,
            records: Mapping[str, OrderRecord | Mapping[str, Any]]) -> tuple[list[LearnedRate], list[RateConflict]]:
    """Keep the values that price every order they came from back to its charged figure."""
    if not values:
        return values, []
    text = LearnedRates("check", "", tuple(_dated(values)), (), ()).toml()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "learned.toml"
        path.write_text(text, encoding="utf-8")
        checked = engine.with_overrides(path)
        kept, failed = [], []
        for value in values:
            problem = _reproduces(checked, value, records)
            if problem is None:
                kept.append(value)
            else:
                failed.append(RateConflict(value.market, value.code, value.key, problem, value.evidence))
    return kept, failed


def _reproduces(engine: Engine, value: LearnedRate,
                records: Mapping[str, OrderRecord | Mapping[str, Any]]) -> str | None:
    for e in value.evidence:
        try:
            quote = engine.quote(records[e.order_id])
        except ShopPolicyError as exc:
            return f"{value.value} is refused for order {e.order_id}: {exc}"
        computed = sum((f.amount for f in quote.fees if f.code == value.code), ZERO)
        if computed != e.charged:
            return f"{value.value} prices order {e.order_id} at {computed}, not the {e.charged} charged"
    return None


def _dated(values: list[LearnedRate]) -> list[LearnedRate]:
    """A value ends the day before the next value of the same key starts (one file may
    not hold two values of a key in force at once)."""
    out = []
    for i, value in enumerate(values):
        later = [v for v in values[i + 1:] if (v.market, v.key) == (value.market, value.key)]
        if later and later[0].effective_from > value.effective_from:
            value = attrs.evolve(value, effective_to=later[0].effective_from - dt.timedelta(days=1))
        out.append(value)
    return out
