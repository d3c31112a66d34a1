"""Platform fees (TT-FEE-*): to be built (issue 8)."""

from __future__ import annotations

from shoppolicy import Market
from shoppolicy.policy import PolicyView
from shoppolicy.rules import Charge


def fee_charges(market: Market, policy: PolicyView) -> list[Charge]:
    return []
