"""The merchant's settlement date — 结算账期 / 回款 — (TT-PAY-1, TT-PAY-2), and the payout hook.

The merchant is paid ``days`` after delivery, where ``days`` is the policy value
``settlement.<seller_type>.<tier>.days`` in force on the delivery date (the engine
compiles these rules per policy slice of ``delivered_at``, which is the TT-PAY-1
interpretation).  Tiers (TT-PAY-2): ``normal`` (普通账期), ``accelerated`` (加速账期),
``short`` (短账期), ``long`` (长账期); an order without ``settlement_tier`` is on the
normal tier.  The seeds publish one period only, US cross-border POP sellers'
(``seller_type = "cross_border_pop"``) normal tier: 15 days, 8 days from 2024-11-01.
Every other tier, seller type and market is a policy gap an override file fills.

The creator's payout date (TT-AFF-3/4) is compiled in affiliate.py; this module returns
both rules to the hook.  Fees are not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from shoppolicy import CreatorShare, InputError, Market, OrderRecord, PayoutLine, PolicyGapError, TrailEntry
from shoppolicy.errors import PolicyFileError
from shoppolicy.policy import PolicyView
from shoppolicy.rules import FastPayout, PayoutRule, trail_for
from shoppolicy_tiktok import affiliate

TIERS = ("normal", "accelerated", "short", "long")
DEFAULT_TIER = "normal"
PREFIX = "settlement."


@attrs.frozen(slots=True)
class Period:
    """A published settlement period of one seller type and tier."""

    days: int
    rule: str
    source: str
    trail: TrailEntry | None = None


@attrs.frozen(slots=True)
class Missing:
    """Why a seller type and tier has no period now (a declared gap, ended, not yet...)."""

    rule: str
    state: str
    detail: str | None


@attrs.frozen(slots=True)
class MerchantSettlement:
    """The merchant is paid ``days`` after delivery, by seller type and settlement tier."""

    market: str
    periods: Mapping[tuple[str, str], Period]
    missing: Mapping[tuple[str, str], Missing]
    fallback: Missing
    rule: str = "TT-PAY-2"
    # Payouts already worked out, by delivery day, seller type and tier: a month of orders
    # has a few dozen delivery days.  An order that has no period is not remembered: it
    # raises every time.
    _paid: dict[tuple[dt.date, str | None, str | None], FastPayout] = attrs.field(
        factory=dict, init=False, eq=False, repr=False)

    def fast(self, order: OrderRecord, commissioned: bool) -> FastPayout:
        delivered = order.delivered_at
        key = (delivered.date(), order.seller_type, order.settlement_tier) if delivered is not None else None
        found = self._paid.get(key) if key is not None else None
        if found is None:
            _, day, period = self._period(order)  # raises for the order that has no period
            assert key is not None  # _period refuses an undelivered order
            if len(self._paid) >= 4096:  # bounded, for deliveries spanning years
                self._paid.clear()
            found = self._paid[key] = ("merchant", day + dt.timedelta(days=period.days), period.trail)
        return found

    def apply(self, order: OrderRecord, creator: CreatorShare | None) -> PayoutLine | None:
        tier, delivered, period = self._period(order)
        return PayoutLine(party="merchant", date=delivered + dt.timedelta(days=period.days), rule=period.rule,
                          source=period.source, tier=tier, basis="delivered_at", basis_date=delivered,
                          days=period.days, trail=period.trail)

    def _period(self, order: OrderRecord) -> tuple[str, dt.date, Period]:
        """The order's tier, delivery date and settlement period (or the error saying why not)."""
        tier = order.settlement_tier or DEFAULT_TIER
        if tier not in TIERS:
            raise InputError(f"expected one of {', '.join(TIERS)} (default {DEFAULT_TIER}), got {tier!r}",
                             field="settlement_tier")
        seller_type = order.seller_type
        if seller_type is None:
            published = sorted({st for st, _ in self.periods})
            known = f"periods are published for: {', '.join(published)}" if published else \
                "no seller type has a published period here; an override file supplies " \
                f"{PREFIX}<seller_type>.<tier>.days"
            raise InputError(f"required for the merchant settlement period on {self.market} (TT-PAY-2); {known}",
                             field="seller_type")
        if order.delivered_at is None:
            raise InputError("required for the merchant settlement date (TT-PAY-1): the order must be delivered",
                             field="delivered_at")
        delivered = order.delivered_at.date()  # local: the engine hands rules wall-clock times
        period = self.periods.get((seller_type, tier))
        if period is None:
            why = self.missing.get((seller_type, tier), self.fallback)
            raise PolicyGapError(market=self.market, rule=why.rule, key=f"{PREFIX}{seller_type}.{tier}.days",
                                 on=delivered, state=why.state, detail=why.detail)
        return tier, delivered, period


def _parse_key(key: str, path: str) -> tuple[str, str]:
    parts = key.split(".")
    if len(parts) != 4 or parts[3] != "days" or parts[2] not in TIERS or not parts[1]:
        raise PolicyFileError(path, f"{key}: expected a key settlement.<seller_type>.<tier>.days with tier one of "
                              f"{', '.join(TIERS)}")
    return parts[1], parts[2]


def merchant_settlement(market: Market, policy: PolicyView) -> MerchantSettlement:
    """Read every ``settlement.*`` key in force (or not) for one policy slice."""
    periods: dict[tuple[str, str], Period] = {}
    missing: dict[tuple[str, str], Missing] = {}
    for state in policy.all_states():
        if not state.key.startswith(PREFIX) or state.key.endswith("*"):
            continue
        entry = state.entry
        where = entry.path if entry is not None else state.key
        combo = _parse_key(state.key, where)
        if state.state == "in_force" and entry is not None:
            days = entry.value
            if isinstance(days, bool) or not isinstance(days, int) or days < 0:
                raise PolicyFileError(entry.path, f"{state.key}: expected a whole number of days >= 0, got {days!r}")
            seller_type, tier = combo
            periods[combo] = Period(days=days, rule=entry.rule, source=entry.source,
                                    trail=trail_for(entry.rule, "merchant settlement after delivery", [entry],
                                                    seller_type=seller_type, tier=tier, days=days))
        else:
            rule = entry.rule if entry is not None else "TT-PAY-2"
            missing[combo] = Missing(rule=rule, state=state.state, detail=state.detail)
    wildcard = policy.state(PREFIX + "*")
    fallback = Missing(rule=wildcard.entry.rule if wildcard.entry is not None else "TT-PAY-2", state="gap",
                       detail=wildcard.detail)
    return MerchantSettlement(market=market.id, periods=periods,
                              missing=missing, fallback=fallback)


def payout_rules(market: Market, policy: PolicyView) -> list[PayoutRule]:
    """Merchant settlement and creator payout rules of one policy slice of the delivery date."""
    if market.abstract:
        return []
    return [merchant_settlement(market, policy), *affiliate.creator_payout_rules(market, policy)]
