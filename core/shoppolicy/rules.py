"""What hooks return: the protocols the engine calls, and ranking for incentives.

Fee and payout hooks return blocks (:mod:`shoppolicy.blocks`) or any object that
meets :class:`Charge` / :class:`PayoutRule`; violation and incentive hooks return
handlers and programmes.  The shared mechanics themselves live in
:mod:`shoppolicy.blocks`, the explanation trail in :mod:`shoppolicy.trail`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from shoppolicy.model import (
    CreatorShare,
    FeeLine,
    Gap,
    IncentiveResult,
    OrderRecord,
    PayoutLine,
    PenaltyLine,
    ViolationEvent,
)
from shoppolicy.money import ZERO
from shoppolicy.policy import PolicyView
from shoppolicy.trail import trail_for as trail_for  # re-exported: plugins written before shoppolicy.trail

PolicyLookup = Callable[[str, dt.datetime], PolicyView]
"""``lookup(market_id, at)``: the policy of a market in force at a local instant."""


@runtime_checkable
class Charge(Protocol):
    """A compiled fee (or commission) of one market and policy time slice.

    ``apply(order)`` gives the order's fee lines, at most one creator share, and a
    :class:`~shoppolicy.model.Gap` for each figure the data cannot determine (raising
    :class:`~shoppolicy.errors.PolicyGapError` works too: the engine turns it into a
    gap named after ``code``, or ``rule`` where there is no ``code``).
    """

    @property
    def rule(self) -> str: ...

    def apply(self, order: OrderRecord) -> Sequence[FeeLine | CreatorShare | Gap]: ...


@runtime_checkable
class PayoutRule(Protocol):
    """A compiled settlement rule: when one party is paid for an order (``None``: the
    party is not paid on this order; a :class:`~shoppolicy.model.Gap`: no period is
    published for it)."""

    @property
    def rule(self) -> str: ...

    def apply(self, order: OrderRecord, creator: CreatorShare | None) -> PayoutLine | Gap | None: ...


@runtime_checkable
class ViolationHandler(Protocol):
    """Assesses one shop's events of the kinds it names, in time order."""

    @property
    def kinds(self) -> Sequence[str]: ...

    def assess(self, events: Sequence[ViolationEvent], lookup: PolicyLookup) -> Sequence[PenaltyLine]: ...


@runtime_checkable
class IncentiveProgram(Protocol):
    """An incentive programme: eligibility, ranking and award for a set of records."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def record_type(self) -> type: ...

    def evaluate(self, records: Sequence[Any], lookup: PolicyLookup) -> Sequence[IncentiveResult]: ...


def rank_within_groups(results: Sequence[IncentiveResult], top_n: int | None) -> list[IncentiveResult]:
    """Rank eligible results by score (highest first, ties by subject) within each group,
    marking the first ``top_n`` of each group as awarded."""
    ranked: dict[int, tuple[int, bool]] = {}
    groups: dict[str | None, list[int]] = {}
    for i, r in enumerate(results):
        if r.eligible and r.score is not None:
            groups.setdefault(r.group, []).append(i)
    for members in groups.values():
        members.sort(key=lambda i: (-(results[i].score or ZERO), results[i].subject))
        for place, i in enumerate(members, start=1):
            ranked[i] = (place, top_n is None or place <= top_n)
    out = []
    for i, r in enumerate(results):
        if i in ranked:
            place, awarded = ranked[i]
            out.append(attrs.evolve(r, rank=place, awarded=awarded))
        else:
            out.append(attrs.evolve(r, awarded=False) if r.awarded is None else r)
    return out
