"""Livestream stops — 停播 — and the security deposit — 保证金 — (TT-VIO-1).

A livestream stop (event kind ``livestream_stop``) does not by itself cost a deposit
deduction (扣除保证金).  The event's ``reason`` says who stopped the stream and why:

=====================  ======================================================  ==========
``reason``             meaning                                                 deduction
=====================  ======================================================  ==========
``voluntary``          the seller stopped the stream                           none
``platform_other``     the platform ordered the stop, for no violation and     none
                       with no contract clause naming a deduction
``platform_violation`` the platform ordered the stop for a violation           ``amount``
``contract``           the contract names a deduction for this stop            ``amount``
=====================  ======================================================  ==========

The seed gives no amount: where a deduction applies it comes from the violation rule or
the contract, so the event must carry it (``amount``, in the market's currency, on its
minor unit — whole units for IDR and VND).  An amount on a stop that deducts nothing is
refused rather than ignored.  Other violation kinds are not here: the seeds give TikTok
Shop none.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from shoppolicy import InputError, Market, PenaltyLine, TrailEntry, ViolationEvent
from shoppolicy.money import ZERO, quantum
from shoppolicy.rules import PolicyLookup, ViolationHandler

KIND = "livestream_stop"
RULE = "TT-VIO-1"
SOURCE = "TT-VIO-1 (seed 000)"
#: reason → whether the stop costs a deposit deduction (the amount then comes from the event).
REASONS: dict[str, bool] = {
    "voluntary": False,
    "platform_other": False,
    "platform_violation": True,
    "contract": True,
}
_WHY = {
    "voluntary": "a voluntary stop costs no deposit deduction",
    "platform_other": "a platform-ordered stop for no violation, with no contract clause, costs no deduction",
    "platform_violation": "the platform ordered the stop for a violation: the violation rule's amount",
    "contract": "the contract names a deduction for this stop: the contract's amount",
}


@attrs.frozen(slots=True)
class LivestreamStops:
    """Assesses livestream stops (TT-VIO-1) of one shop, in time order."""

    currency: str | None
    market: str
    kinds: Sequence[str] = (KIND,)

    def _line(self, event: ViolationEvent) -> PenaltyLine:
        if self.currency is None:
            raise InputError(f"{self.market} is a regional parent with no currency of its own; record the event "
                             "on one of its markets (e.g. tiktok-id)", field="market")
        reason = event.reason
        if reason is None or reason not in REASONS:
            got = "nothing" if reason is None else repr(reason)
            raise InputError(f"a {KIND} event needs a reason, one of {', '.join(REASONS)}; got {got} "
                             f"(shop {event.shop_id}, {event.at.isoformat()})", field="reason")
        deducts = REASONS[reason]
        amount = event.amount
        where = f"(shop {event.shop_id}, {event.at.isoformat()})"
        if deducts:
            if amount is None:
                raise InputError(f"required for a {KIND} with reason {reason!r}: TT-VIO-1 gives no amount, it comes "
                                 f"from the violation rule or the contract {where}", field="amount")
        elif amount is not None and amount != ZERO:
            raise InputError(f"a {KIND} with reason {reason!r} deducts nothing (TT-VIO-1); remove the amount or "
                             f"use reason platform_violation or contract {where}", field="amount")
        deduction = amount if deducts and amount is not None else ZERO.quantize(quantum(self.currency))
        flags = ("platform_ordered",) if reason.startswith("platform") else ()
        trail = TrailEntry(rule=RULE, what=f"livestream stop, reason {reason}",
                           params={"reason": reason, "deduction": str(deduction)},
                           source=SOURCE + ("; amount from the event" if deducts else ""))
        return PenaltyLine(shop_id=event.shop_id, market=event.market, kind=event.kind, at=event.at,
                           deduction=deduction, rule=RULE, source=SOURCE, order_id=event.order_id,
                           severity=event.severity, flags=flags, note=_WHY[reason], trail=trail)

    def assess(self, events: Sequence[ViolationEvent], lookup: PolicyLookup) -> list[PenaltyLine]:
        return [self._line(e) for e in events]


def handlers(market: Market) -> list[ViolationHandler]:
    """The violation handlers of a TikTok market (a regional parent's refuse its events)."""
    return [LivestreamStops(currency=market.currency, market=market.id)]
