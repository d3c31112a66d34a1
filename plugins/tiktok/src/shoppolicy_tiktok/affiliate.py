"""Creator commission (TT-AFF-*): to be built (issue 4)."""

from __future__ import annotations

from shoppolicy import Market
from shoppolicy.policy import PolicyView
from shoppolicy.rules import Charge


def commission_charges(market: Market, policy: PolicyView) -> list[Charge]:
    return []
