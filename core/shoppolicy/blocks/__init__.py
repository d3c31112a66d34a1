"""The shared mechanics of marketplace policy, each written once: the building blocks.

Plugins compose these from their policy data (:mod:`shoppolicy.blocks.from_policy`
reads the data and builds the blocks); every entrance (quote, payout, settle, the
author kit) prices orders through them and through nothing else.

- :mod:`.bases` — fee bases built from an order's price components.
- :mod:`.fees` — a percentage of a base with a fixed part and caps, a rate table by
  category (and store or seller type), exemptions, a tax on another fee, a share of
  another fee on refund, and a fee with no published number (a gap).
- :mod:`.commission` — the creator commission with the platform's take.
- :mod:`.payouts` — payout dates N days after delivery or completion, or the first of
  given days of the month after N days.
- :mod:`.keys` — the policy keys the blocks read, declared with their types.

A block gives each figure and its explanation from one computation; a figure the data
cannot determine comes back as a :class:`~shoppolicy.model.Gap`, so every other figure
of the order stands.
"""

from shoppolicy.blocks.bases import BASES, base_named
from shoppolicy.blocks.commission import CreatorCommission
from shoppolicy.blocks.fees import GapFee, GapSpec, Payers, PercentFee, RateChoice, RateTable, RefundShareFee, TaxOnFee
from shoppolicy.blocks.payouts import PayoutDays, Period

__all__ = [
    "BASES", "CreatorCommission", "GapFee", "GapSpec", "Payers", "PayoutDays", "PercentFee", "Period", "RateChoice",
    "RateTable", "RefundShareFee", "TaxOnFee", "base_named",
]
