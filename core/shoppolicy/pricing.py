"""The one pricing path: an order and its market's compiled plan in, a
:class:`~shoppolicy.model.Quote` out, with a :class:`~shoppolicy.model.Gap` for every
figure the policy data cannot determine.

Every entrance (``Engine.quote``, ``payout``, ``settle``, the author kit) prices orders
here.  Each figure depends only on its own inputs: a fee gap does not hide the creator's
commission or payout date, a merchant settlement gap does not hide the creator's, and an
input a figure needs that the order lacks (a category, a seller type) is a gap naming the
field.  ``net`` is ``None`` while a fee or the commission is unknown.  Wrong input (an
:class:`~shoppolicy.errors.InputError`: a value the market does not know) still refuses
the order; an order not delivered (or completed) yet has its payout dates pending.

What does not live here: compiling plans (:mod:`shoppolicy.engine`) and the blocks
themselves (:mod:`shoppolicy.blocks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import cast

from shoppolicy.errors import PolicyGapError, ShopPolicyError
from shoppolicy.model import CreatorShare, FeeLine, Gap, Market, OrderRecord, PayoutLine, Quote, TrailEntry
from shoppolicy.money import ZERO
from shoppolicy.rules import Charge, PayoutRule

PlanOf = Callable[[str, Market, dt.datetime], Sequence[PayoutRule]]
"""``plan_of("payout", market, basis)``: the payout rules in force at a basis instant."""


def price(record: OrderRecord, market: Market, charges: Sequence[Charge], plan_of: PlanOf) -> Quote:
    """Fees, creator commission, net and payout dates of one order (times already local)."""
    fees: list[FeeLine] = []
    gaps: list[Gap] = []
    trail: list[TrailEntry] = []
    creator: CreatorShare | None = None
    total = ZERO
    for charge in charges:
        try:
            priced = charge.apply(record)
        except PolicyGapError as gap:  # a plugin's own charge may raise its gap
            gaps.append(Gap.from_error(getattr(charge, "code", None) or charge.rule, gap))
            continue
        for item in priced:
            kind = type(item)
            if kind is FeeLine:
                fee = cast(FeeLine, item)
                fees.append(fee)
                total += fee.amount
                if fee.trail is not None:
                    trail.append(fee.trail)
            elif kind is Gap:
                gaps.append(cast(Gap, item))
            elif kind is CreatorShare:
                if creator is not None:
                    raise ShopPolicyError(f"{market.id}: two creator commissions on order {record.order_id} "
                                          f"({creator.rule}, {cast(CreatorShare, item).rule})")
                creator = cast(CreatorShare, item)
            else:
                raise TypeError(f"{charge!r} returned {item!r}: expected FeeLine, CreatorShare or Gap")
    net: Decimal | None = None
    if not gaps:
        net = record.amount - total if creator is None else record.amount - total - creator.commission
    if creator is not None and creator.trail is not None:
        trail.append(creator.trail)
    merchant = creator_date = None
    basis = getattr(record, market.payout_basis)
    if basis is None:
        payouts: list[PayoutLine] = []
        pending = [f"payout: the order has no {market.payout_basis} yet"]
    else:
        payouts, pending = _payouts(record, creator, plan_of("payout", market, basis), gaps)
        for line in payouts:
            if line.party == "merchant":
                merchant = merchant or line.date
            elif line.party == "creator":
                creator_date = creator_date or line.date
            if line.trail is not None:
                trail.append(line.trail)
    shown = passthrough(record)
    placed, stale = record.placed_at, []
    for entry in trail:  # freshness: one comparison per figure
        since = entry.stale_from
        if since is not None and placed >= since:
            stale.append(entry.stale_note)
    return Quote(record.order_id, market.id, record.currency, record.amount, tuple(fees), net, creator,
                 merchant, creator_date, tuple(payouts), shown, tuple(pending), tuple(trail), tuple(gaps), total,
                 tuple(stale))


def _payouts(record: OrderRecord, creator: CreatorShare | None, rules: Sequence[PayoutRule],
             gaps: list[Gap]) -> tuple[list[PayoutLine], list[str]]:
    lines: list[PayoutLine] = []
    pending: list[str] = []  # reasons a plugin's own rule gives for leaving a date open
    for rule in rules:
        try:
            found = rule.apply(record, creator)
        except PolicyGapError as gap:
            gaps.append(Gap.from_error(f"payout:{getattr(rule, 'party', rule.rule)}", gap))
            continue
        if found is None:
            continue
        if type(found) is Gap:
            gaps.append(found)
        else:
            lines.append(cast(PayoutLine, found))
    return lines, pending


def passthrough(record: OrderRecord) -> dict[str, Decimal]:
    """The price components that pass through the merchant's net, shown beside it."""
    if not (record.platform_discount or record.buyer_shipping or record.tax or record.refunded):
        return {}
    parts = {"platform_discount": record.platform_discount, "buyer_shipping": record.buyer_shipping,
             "tax": record.tax, "refunded": record.refunded}
    shown = {k: v for k, v in parts.items() if v}
    shown["customer_payment"] = record.customer_payment
    return shown
