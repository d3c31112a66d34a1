"""Hook specifications: the contract between the core and every market plugin.

A plugin is a module (or object) with functions named like the specs below, decorated
with :data:`hookimpl`.  It is found through the ``shoppolicy`` entry-point group or
registered from Python with ``Engine(plugins=[module])``.

The fee and payout hooks are *compile* hooks: the engine calls them once per market and
policy time slice (the span between two dated changes in the market's data) and applies
what they return to every order in that slice as plain arithmetic, so no hook is called
per order.  Violation and incentive hooks return handlers that receive a policy lookup,
because one shop's events and one programme's shops span several dates.

Fee and payout hooks are asked of the plugin that owns the market (then of the owner of
its parent, up the chain, while the answer is ``None``); violation hooks may return
``None`` for a market they do not handle.  Callers never use ``pm.hook`` directly: the
plugin host (:class:`shoppolicy.plugins.PluginHost`) has one typed method per hook.
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

    from shoppolicy.blocks.keys import KeyCheck, KeySpec, RuleSpec
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
def shoppolicy_policy_keys() -> Sequence[KeySpec | RuleSpec | KeyCheck]:
    """Declare the policy keys this plugin's blocks read, with their types and rules
    (and, as :class:`~shoppolicy.blocks.keys.RuleSpec`, the catalogue rules it
    implements with no number of their own, so ``coverage`` lists them too; as
    :class:`~shoppolicy.blocks.keys.KeyCheck`, the constraints on key values that the
    types cannot say, such as one period longer than another).

    Called once, when the plugin is registered.  Return
    :class:`~shoppolicy.blocks.keys.KeySpec` values (``fee_keys`` declares every key of
    a composed fee at once).  Every value and gap of a policy file, shipped or
    override, for a market whose owner declares keys must match one: a misspelt key, a
    rule id not declared with the key, or a value of the wrong type refuses the file at
    load with one line naming the file, the key and the nearest declared key.  A
    ``KeyCheck`` is run on every time slice of a market's policy in which all its keys
    have a value in force, when that policy is built (at load for a market an override
    file touches); a value it refuses stops the load with one line naming the files,
    the keys and the problem.  A plugin that returns nothing leaves its markets' data
    unchecked (the conformance kit reports it).
    """


@hookspec
def shoppolicy_fee_rules(market: Market, policy: PolicyView) -> Sequence[Charge] | None:
    """Compose the fee schedule of ``market`` for the policy time slice of ``policy``.

    Called once per market and time slice, the first time an order placed in that slice
    is quoted, on the plugin that owns ``market`` — or, when the owner implements no such
    hook or returns ``None`` (a variant registered with data only), on the owner of its
    parent, up the chain — and on the plugins that own no market (so their wrappers can
    adjust the answer); never on the owners of other markets.  ``market`` is the order's
    market (the variant); ``policy`` gives the values in force (parent, variant and
    override layers merged).

    :param market: the market whose orders will be priced.
    :param policy: the values in force for this time slice.
    :returns: the blocks (:mod:`shoppolicy.blocks`) or other
        :class:`~shoppolicy.rules.Charge` objects to apply to each order.  A number the
        data does not give belongs *inside* a block (a gap for the orders that need it).
        ``None`` means "not mine": when every owner up the chain returns ``None`` the
        market has no fee rules, and every order reports that gap — never zero fees.
        Raising :class:`~shoppolicy.errors.PolicyGapError` makes the whole schedule a
        gap on every order of the slice; any other exception is a bug in the plugin.
    """


@hookspec
def shoppolicy_payout_rules(market: Market, policy: PolicyView) -> Sequence[PayoutRule] | None:
    """Compose the payout (settlement) rules of ``market`` for one policy time slice.

    Called once per market and time slice of the payout basis date (the delivery date,
    or completion date where a market pays on completion), dispatched like
    :func:`shoppolicy_fee_rules`.

    :param market: the market whose orders will be dated.
    :param policy: the values in force on the basis date's slice.
    :returns: rules whose ``apply(order, creator)`` gives a
        :class:`~shoppolicy.model.PayoutLine` for one party (merchant or creator),
        ``None`` when the party is not paid on this order, or a
        :class:`~shoppolicy.model.Gap` when no period is published.  ``None`` from every
        owner up the chain: the market has no payout rules, a gap on every order.
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
