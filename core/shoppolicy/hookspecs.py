"""Hook specifications: the contract between the core and every market plugin.

A plugin is a module (or object) with functions named like the specs below, decorated
with :data:`hookimpl`.  It is found through the ``shoppolicy`` entry-point group or
registered from Python with ``Engine(plugins=[module])``.

The fee and payout hooks are *compile* hooks: the engine calls them once per market and
policy time slice (the span between two dated changes in the market's data) and applies
what they return to every order in that slice as plain arithmetic, so no hook is called
per order.  Violation and incentive hooks return handlers that receive a policy lookup,
because one shop's events and one programme's shops span several dates.

Every hook may return ``None`` for a market it does not handle.  Callers never use
``pm.hook`` directly: :class:`shoppolicy.engine.Engine` is the typed facade.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import sys
    from pathlib import Path

    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

    from shoppolicy.model import Market
    from shoppolicy.policy import PolicyView
    from shoppolicy.rules import Charge, IncentiveProgram, PayoutRule, ViolationHandler

PROJECT = "shoppolicy"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def shoppolicy_markets() -> Sequence[Market]:
    """Declare the markets this plugin owns.

    Called once, when the plugin is registered.  Return :class:`~shoppolicy.model.Market`
    values: id, name, currency, time zone, and ``parent`` for a regional variant (the
    parent may belong to another plugin).  Each market id has exactly one owner: a
    second plugin claiming it makes the market unavailable, with an error naming both.
    """


@hookspec
def shoppolicy_policy_files() -> Sequence[Traversable | Path]:
    """Return the policy data files (TOML) this plugin ships.

    Called once, when the plugin is registered.  Each file names the market of its
    values (``[policy] market = ...`` or per value).  Files for markets the plugin owns
    form the plugin layer; files for another plugin's market form a contributed layer
    above it.  A file that does not validate unregisters the plugin with a message.
    """


@hookspec
def shoppolicy_fee_rules(market: Market, policy: PolicyView) -> Sequence[Charge] | None:
    """Compile the fee schedule of ``market`` for the policy time slice of ``policy``.

    Called once per market and time slice, the first time an order placed in that slice
    is quoted.  ``market`` is the market of the order (a variant, for a regional variant);
    ``policy`` gives the values in force (parent, variant and override layers merged).
    Return the charges to apply to each order: each charge's ``apply(order)`` yields
    :class:`~shoppolicy.model.FeeLine` values (platform fees) and at most one
    :class:`~shoppolicy.model.CreatorShare` (the creator commission).  Raise
    :class:`~shoppolicy.errors.PolicyGapError` for a value no source gives: the engine
    reports it for every order of the slice.  Return ``None`` for a market you do not
    handle.
    """


@hookspec
def shoppolicy_payout_rules(market: Market, policy: PolicyView) -> Sequence[PayoutRule] | None:
    """Compile the payout (settlement) rules of ``market`` for one policy time slice.

    Called once per market and time slice of the payout basis date (the delivery date,
    or completion date where a market pays on completion).  Return rules whose
    ``apply(order, creator)`` gives a :class:`~shoppolicy.model.PayoutLine` for one party
    (merchant or creator) or ``None`` when the party is not paid on this order.  A tier
    with no published day count raises :class:`~shoppolicy.errors.PolicyGapError`.
    """


@hookspec
def shoppolicy_violation_handlers(market: Market) -> Sequence[ViolationHandler] | None:
    """Return the violation handlers of ``market``.

    Called once per market, the first time events of that market are applied.  Each
    handler names the event ``kinds`` it handles and assesses one shop's events of those
    kinds in time order, looking up the policy in force at each event through the
    lookup it is given.  An event whose kind no handler names is refused with a message
    listing the kinds the market knows.
    """


@hookspec
def shoppolicy_incentive_programs() -> Sequence[IncentiveProgram] | None:
    """Return the incentive programmes this plugin evaluates.

    Called once, the first time an incentive is evaluated.  Each programme has an
    ``id`` (used on the command line), a ``record_type`` (an attrs class the engine
    structures each input record into) and ``evaluate(records, lookup)`` returning one
    :class:`~shoppolicy.model.IncentiveResult` per record.
    """
