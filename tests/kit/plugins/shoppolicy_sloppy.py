"""A plugin that loads cleanly but lets inexact money through: a fee it never rounds (on
the cent for the sample's amount, off it for most others), and for category "floats" a
float fee and a creator split that does not add back.

Test data only (never installed): see README.md beside this file.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from shoppolicy import CreatorShare, FeeLine, Market, OrderRecord, hookimpl


@attrs.frozen
class SloppyFees:
    rule: str = "TEST-FEE-1"

    def apply(self, order: OrderRecord) -> Iterable[FeeLine | CreatorShare]:
        yield FeeLine(code="rate_fee", amount=order.amount * Decimal("0.05"), rule=self.rule, source="TEST-FEE-1")
        if order.category != "floats":
            return
        yield FeeLine(code="float_fee", amount=float(order.amount) * 0.1, rule=self.rule,  # type: ignore[arg-type]
                      source="TEST-FEE-1")
        if order.commission_rate is not None:
            commission = (order.amount * order.commission_rate).quantize(Decimal("0.01"))
            yield CreatorShare(plan="open", rate=order.commission_rate, commission=commission,
                               platform_take=Decimal("0.01"), creator_receives=commission, rule="TEST-AFF-1",
                               source="TEST-AFF-1")


@hookimpl
def shoppolicy_markets() -> list[Market]:
    return [Market(id="sloppy-mall", name="Sloppy Mall", currency="USD", timezone="America/Chicago"),
            Market(id="sloppy-annex", name="Sloppy Annex (no samples)", currency="USD", timezone="America/Chicago")]


@hookimpl
def shoppolicy_fee_rules(market: Market, policy: Any) -> list[Any] | None:
    return [SloppyFees()] if market.id == "sloppy-mall" else None


SAMPLE_ORDERS = [
    {"order_id": "s1", "market": "sloppy-mall", "amount": "10.00", "currency": "USD", "placed_at": "2025-01-02"},
    {"order_id": "s2", "market": "sloppy-mall", "category": "floats", "amount": "10.00", "currency": "USD",
     "placed_at": "2025-01-02", "affiliate_plan": "open", "commission_rate": "0.10"},
]
