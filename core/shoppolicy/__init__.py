"""shoppolicy: marketplace seller policy (fees, payouts, violations, incentives) as plugins.

The public API: :class:`Engine` (quote, payout, penalties, incentive, rules, settle),
the value types of :mod:`shoppolicy.model`, :class:`Money`, the errors of
:mod:`shoppolicy.errors`, and :data:`hookimpl` for plugin authors.
"""

from shoppolicy.engine import Engine
from shoppolicy.errors import (
    InputError,
    MarketError,
    PluginError,
    PolicyFileError,
    PolicyGapError,
    ShopPolicyError,
)
from shoppolicy.hookspecs import hookimpl
from shoppolicy.model import (
    CreatorShare,
    FeeLine,
    Gap,
    IncentiveResult,
    Market,
    OrderRecord,
    PayoutLine,
    PenaltyLine,
    Quote,
    RuleState,
    ShopPenalties,
    TrailEntry,
    ViolationEvent,
)
from shoppolicy.money import Money, allocate, round_money

__version__ = "0.1.0"

__all__ = [
    "CreatorShare", "Engine", "FeeLine", "Gap", "IncentiveResult", "InputError", "Market", "MarketError",
    "Money", "OrderRecord", "PayoutLine", "PenaltyLine", "PluginError", "PolicyFileError",
    "PolicyGapError", "Quote", "RuleState", "ShopPenalties", "ShopPolicyError", "TrailEntry",
    "ViolationEvent", "__version__", "allocate", "hookimpl", "round_money",
]
