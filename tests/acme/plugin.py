"""The acme test plugin: a market, a regional variant, and one rule per hook family."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from importlib.resources import files
from typing import Any

import attrs

from shoppolicy import IncentiveResult, Market, PenaltyLine, ViolationEvent, hookimpl
from shoppolicy.blocks import CreatorCommission, from_policy
from shoppolicy.money import quantum
from shoppolicy.policy import PolicyView
from shoppolicy.rules import PolicyLookup, rank_within_groups


@hookimpl
def shoppolicy_markets() -> list[Market]:
    return [
        Market(id="acme", name="Acme Mall", currency="USD", timezone="America/New_York"),
        Market(id="acme-west", name="Acme Mall West", currency="USD", timezone="America/Los_Angeles",
               parent="acme"),
    ]


@hookimpl
def shoppolicy_policy_files() -> list[Any]:
    here = files("tests.acme")
    return [here / "acme.toml", here / "acme_west.toml"]


@hookimpl
def shoppolicy_fee_rules(market: Market, policy: PolicyView) -> list[Any] | None:
    if not market.id.startswith("acme"):
        return None
    take = policy.entry("creator.platform_take", "TEST-AFF-1")
    return [
        from_policy.fee(market, policy, code="platform_fee", prefix="platform_fee.", rule="TEST-FEE-1"),
        CreatorCommission(rule="TEST-AFF-1", source="TEST-AFF-1", unit=quantum(market.currency or ""),
                          plans=frozenset({"open", "targeted", "shop"}), platform_take=from_policy.rate(take)),
    ]


@hookimpl
def shoppolicy_payout_rules(market: Market, policy: PolicyView) -> list[Any] | None:
    if not market.id.startswith("acme"):
        return None
    return [from_policy.payout_table(market, policy, party="merchant", prefix="payout.days", suffix="", keyed_by=(),
                                     rule="TEST-PAY-1", basis="delivered_at", what="merchant payout")]


@attrs.frozen
class LateShipping:
    kinds: Sequence[str] = ("late_shipping",)

    def assess(self, events: Sequence[ViolationEvent], lookup: PolicyLookup) -> list[PenaltyLine]:
        out = []
        for e in events:
            amount = lookup(e.market, e.at).decimal("violation.late_shipping", "TEST-VIO-1")
            out.append(PenaltyLine(shop_id=e.shop_id, market=e.market, kind=e.kind, at=e.at, deduction=amount,
                                   rule="TEST-VIO-1", source="TEST-VIO-1", order_id=e.order_id))
        return out


@hookimpl
def shoppolicy_violation_handlers(market: Market) -> list[Any] | None:
    return [LateShipping()] if market.id.startswith("acme") else None


@attrs.frozen
class ShopRecord:
    shop_id: str
    market: str
    gmv: Decimal
    reviews: int


@attrs.frozen
class TopSellers:
    id: str = "acme-top-sellers"
    name: str = "Acme top sellers"
    record_type: type = ShopRecord

    def evaluate(self, records: Sequence[ShopRecord], lookup: PolicyLookup) -> list[IncentiveResult]:
        results = []
        for r in records:
            reasons = [] if r.reviews > 20 else [f"reviews: {r.reviews} is not more than 20"]
            results.append(IncentiveResult(program=self.id, subject=r.shop_id, market=r.market,
                                           eligible=not reasons, reasons=tuple(reasons), score=r.gmv,
                                           group=r.market))
        return rank_within_groups(results, top_n=1)


@hookimpl
def shoppolicy_incentive_programs() -> list[Any]:
    return [TopSellers()]
