"""Example Mall's hook implementations: thin, each delegating to :mod:`.mechanics`.

This module is what the entry point loads (``example_mall =
"shoppolicy_example_mall.plugin"``).  Besides the hooks it declares the sample inputs
the conformance kit evaluates (``SAMPLE_ORDERS``, ``SAMPLE_EVENTS``, ``SAMPLE_RECORDS``):
plain data, which pluggy ignores.  EXAMPLE DATA throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from shoppolicy import Market, hookimpl
from shoppolicy.blocks.keys import KeySpec
from shoppolicy.policy import PolicyView
from shoppolicy.rules import Charge, IncentiveProgram, PayoutRule, ViolationHandler
from shoppolicy_example_mall import mechanics

MARKET_ID = mechanics.MARKET.id


@hookimpl
def shoppolicy_markets() -> Sequence[Market]:
    return [mechanics.MARKET]


@hookimpl
def shoppolicy_policy_files() -> Sequence[Any]:
    # The plugin layer (example-mall, which this plugin owns) and a contributed layer
    # for tiktok-us (owned by shoppolicy-tiktok): the file's [policy] market decides.
    folder = files("shoppolicy_example_mall") / "policy"
    return [folder / "example_mall.toml", folder / "tiktok_us_contributed.toml"]


@hookimpl
def shoppolicy_policy_keys() -> Sequence[KeySpec]:
    return mechanics.KEYS


@hookimpl
def shoppolicy_fee_rules(market: Market, policy: PolicyView) -> Sequence[Charge]:
    # The engine asks the owner only: Example Mall, or a variant of it.
    return mechanics.fee_charges(market, policy)


@hookimpl
def shoppolicy_payout_rules(market: Market, policy: PolicyView) -> Sequence[PayoutRule]:
    return mechanics.payout_rules(market, policy)


@hookimpl
def shoppolicy_violation_handlers(market: Market) -> Sequence[ViolationHandler] | None:
    return [mechanics.LateDispatch()] if market.id == MARKET_ID else None


@hookimpl
def shoppolicy_incentive_programs() -> Sequence[IncentiveProgram]:
    return [mechanics.RisingSellers()]


# --- samples for the conformance kit (shoppolicy.testing) -------------------------------

SAMPLE_ORDERS = [
    {"order_id": "sample-books", "market": "example-mall", "category": "books", "amount": "40.00",
     "currency": "EUR", "placed_at": "2025-03-03T10:00:00", "delivered_at": "2025-03-05T16:00:00"},
    {"order_id": "sample-fashion-creator", "market": "example-mall", "category": "fashion", "amount": "120.00",
     "currency": "EUR", "placed_at": "2025-03-03", "delivered_at": "2025-03-06", "buyer_shipping": "4.95",
     "affiliate_plan": "open", "commission_rate": "0.15"},
]

SAMPLE_EVENTS = [
    {"shop_id": "sample-shop", "market": "example-mall", "kind": "late_dispatch", "at": f"2025-03-04T{h:02d}:00:00",
     "order_id": f"late-{h}"} for h in range(9, 15)
]

SAMPLE_RECORDS = {
    "example-mall-rising-sellers": [
        {"shop_id": "sample-a", "market": "example-mall", "month": "2025-03-01", "orders": 140, "rating": "4.8",
         "gmv": "5210.00"},
        {"shop_id": "sample-b", "market": "example-mall", "month": "2025-03-01", "orders": 60, "rating": "4.9",
         "gmv": "2400.00"},
    ],
}
