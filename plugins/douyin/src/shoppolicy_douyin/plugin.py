"""The hook implementations of the Douyin Shop (抖店) plugin, registered through the
``shoppolicy`` entry-point group as ``douyin``.

Only wiring lives here: the market, the policy data file, and the compile hooks that
hand the policy of a time slice to :mod:`.fees`, :mod:`.payout` and
:mod:`.violations`.  Douyin has no incentive programme in the catalogue, so that hook
is not implemented.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from typing import TYPE_CHECKING

from shoppolicy import Market, hookimpl
from shoppolicy.blocks.keys import KeyCheck, KeySpec
from shoppolicy.policy import PolicyView
from shoppolicy.rules import Charge, PayoutRule
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
def shoppolicy_policy_keys() -> Sequence[KeySpec | KeyCheck]:
    return [*fees.KEYS, *payout.KEYS, *violations.KEYS]


@hookimpl
def shoppolicy_fee_rules(market: Market, policy: PolicyView) -> list[Charge]:
    # The engine asks only for markets this plugin owns, or their variants.
    return fees.compile_fees(market, policy)


@hookimpl
def shoppolicy_payout_rules(market: Market, policy: PolicyView) -> list[PayoutRule]:
    return payout.compile_payouts(market, policy)


@hookimpl
def shoppolicy_violation_handlers(market: Market) -> list[violations.Handler] | None:
    return violations.handlers(market) if owns(market) else None
