"""The hook implementations of the Douyin Shop (抖店) plugin, registered through the
``shoppolicy`` entry-point group as ``douyin``.

Only wiring lives here: the market, the policy data file, and the compile hooks that
hand the policy of a time slice to :mod:`.fees`, :mod:`.payout` and
:mod:`.violations`.  Douyin has no incentive programme in the catalogue, so that hook
is not implemented.
"""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

from shoppolicy import Market, hookimpl
from shoppolicy.policy import PolicyView
from shoppolicy_douyin import fees, payout, violations
from shoppolicy_douyin.market import MARKET, owns

if TYPE_CHECKING:
    from importlib.abc import Traversable  # importlib.resources.abc from 3.11; 3.10 has only this


@hookimpl
def shoppolicy_markets() -> list[Market]:
    return [MARKET]


@hookimpl
def shoppolicy_policy_files() -> list[Traversable]:
    return [files("shoppolicy_douyin") / "policy" / "douyin.toml"]


@hookimpl
def shoppolicy_fee_rules(market: Market, policy: PolicyView) -> list[fees.Fee] | None:
    return fees.compile_fees(market, policy) if owns(market) else None


@hookimpl
def shoppolicy_payout_rules(market: Market, policy: PolicyView) -> list[payout.SettlementPeriod] | None:
    return payout.compile_payouts(market, policy) if owns(market) else None


@hookimpl
def shoppolicy_violation_handlers(market: Market) -> list[violations.Handler] | None:
    return violations.handlers(market) if owns(market) else None
