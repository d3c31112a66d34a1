"""Settlement (TT-PAY-*, TT-AFF-3): to be built (issue 4)."""

from __future__ import annotations

from shoppolicy import Market
from shoppolicy.policy import PolicyView
from shoppolicy.rules import PayoutRule


def payout_rules(market: Market, policy: PolicyView) -> list[PayoutRule]:
    return []
