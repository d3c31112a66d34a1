"""Reputation Recommended Goods — 口碑推荐好货 — (TT-INC-2), programme id ``recommended-goods``.

One input record per creator collaboration session (达人合作场次, :class:`CollaborationSession`).
A session takes either the goods subsidy (货品补贴, ``goods_subsidy = true``) or the
commission incentive (佣金激励, ``commission_incentive = true``), never both: a record
with both, or neither, is refused, as is a field that belongs to the other incentive.

- Goods subsidy: the purchase limit (限购) set on the subsidised product is at most
  5 orders for a ``regular`` product and at most 1 for a ``high_value`` one
  (``recommended_goods.purchase_limit.<tier>``); a higher limit is a reason.
- Commission incentive: the agreed rate must meet the platform's required rate (the
  record gives both; the seed gives no figure), and the creator receives an extra 5%
  (``recommended_goods.extra_commission_rate``) of the session's sales.  When the open
  or targeted plan's rate is cancelled or set below the agreed rate, the extra 5% is
  revoked: the session is ineligible with that reason.

Values are read as of ``session_date`` in the market's time zone.  The values are
shipped for Southeast Asia and the UK (the regions of the 口碑经营 programme); tiktok-us
is a policy gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from shoppolicy import IncentiveResult, InputError, MarketError
from shoppolicy.convert import field_error
from shoppolicy.money import ZERO, round_money
from shoppolicy.policy import PolicyView
from shoppolicy.rules import PolicyLookup, trail_for

PROGRAM_ID = "recommended-goods"
RULE = "TT-INC-2"
PRODUCT_TIERS = ("regular", "high_value")
PLANS = ("open", "targeted")
SUBSIDY_FIELDS = ("product_tier", "purchase_limit")
COMMISSION_FIELDS = ("plan", "agreed_rate", "required_rate", "plan_rate", "sales_amount", "currency")


def _optional_rate(instance: object, attribute: attrs.Attribute[Any], value: Decimal | None) -> None:
    if value is not None and not ZERO <= value <= 1:
        raise field_error(attribute, f"expected a rate between \"0\" and \"1\" (e.g. \"0.15\"), got {value}")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 1:
        raise field_error(attribute, f"expected a whole number of orders >= 1, got {value}")


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: Decimal | None) -> None:
    if value is not None and value < 0:
        raise field_error(attribute, f"expected a decimal string >= 0, got {value}")


@attrs.frozen(slots=True)
class CollaborationSession:
    """One creator collaboration session of a product and its chosen incentive."""

    session_id: str
    shop_id: str
    market: str
    product_id: str
    creator_id: str
    session_date: dt.date
    goods_subsidy: bool = False
    commission_incentive: bool = False
    # goods subsidy
    product_tier: str | None = None
    purchase_limit: int | None = attrs.field(default=None, validator=_positive)
    # commission incentive
    plan: str | None = None
    agreed_rate: Decimal | None = attrs.field(default=None, validator=_optional_rate)
    required_rate: Decimal | None = attrs.field(default=None, validator=_optional_rate)
    plan_rate: Decimal | None = attrs.field(default=None, validator=_optional_rate)
    plan_cancelled: bool = False
    sales_amount: Decimal | None = attrs.field(default=None, validator=_non_negative)
    currency: str | None = None


def _refuse_other(s: CollaborationSession, fields: Sequence[str], chosen: str) -> None:
    for name in fields:
        if getattr(s, name) is not None:
            raise InputError(f"belongs to the other incentive; session {s.session_id} takes the {chosen} "
                             "(one of the two per session, TT-INC-2)", field=name)


def _require(s: CollaborationSession, name: str, why: str) -> Any:
    value = getattr(s, name)
    if value is None:
        raise InputError(f"required for {why} (session {s.session_id})", field=name)
    return value


def _view(lookup: PolicyLookup, s: CollaborationSession) -> PolicyView:
    try:
        view = lookup(s.market, dt.datetime(s.session_date.year, s.session_date.month, s.session_date.day))
    except MarketError as exc:
        raise InputError(str(exc), field="market") from None
    if view.market.abstract:
        raise InputError(f"{s.market} is a regional parent; name the session's market (e.g. tiktok-id)",
                         field="market")
    return view


@attrs.frozen(slots=True)
class RecommendedGoods:
    """TT-INC-2: one incentive per session, subsidy purchase limits, the extra 5% and its revocation."""

    id: str = PROGRAM_ID
    name: str = "Reputation Recommended Goods (口碑推荐好货)"
    record_type: type = CollaborationSession

    def evaluate(self, records: Sequence[CollaborationSession], lookup: PolicyLookup) -> list[IncentiveResult]:
        seen: set[str] = set()
        out = []
        for s in records:
            if s.session_id in seen:
                raise InputError(f"session {s.session_id} appears twice; give one record per session",
                                 field="session_id")
            seen.add(s.session_id)
            if s.goods_subsidy and s.commission_incentive:
                raise InputError(f"session {s.session_id} takes both the goods subsidy and the commission incentive; "
                                 "a creator collaboration session takes one of the two, never both (TT-INC-2)",
                                 field="commission_incentive")
            if not (s.goods_subsidy or s.commission_incentive):
                raise InputError(f"session {s.session_id} takes no incentive; set goods_subsidy or "
                                 "commission_incentive to true", field="goods_subsidy")
            view = _view(lookup, s)
            out.append(self._subsidy(s, view) if s.goods_subsidy else self._commission(s, view))
        return out

    def _subsidy(self, s: CollaborationSession, view: PolicyView) -> IncentiveResult:
        _refuse_other(s, COMMISSION_FIELDS, "goods subsidy")
        if s.plan_cancelled:
            raise InputError("belongs to the commission incentive; this session takes the goods subsidy",
                             field="plan_cancelled")
        tier = _require(s, "product_tier", "the goods subsidy")
        if tier not in PRODUCT_TIERS:
            raise InputError(f"expected one of {', '.join(PRODUCT_TIERS)}, got {tier!r}", field="product_tier")
        limit = _require(s, "purchase_limit", "the goods subsidy")
        key = f"recommended_goods.purchase_limit.{tier}"
        most = view.integer(key, RULE)
        entry = view.entry(key, RULE)
        reasons = []
        if limit > most:
            reasons.append(f"purchase limit: {limit} orders set on a {tier.replace('_', '-')} product, at most {most} "
                           "with the goods subsidy")
        details = {"incentive": "goods_subsidy", "product_tier": tier, "purchase_limit": str(limit),
                   "max_purchase_limit": str(most), "product_id": s.product_id, "creator_id": s.creator_id}
        return IncentiveResult(program=self.id, subject=s.session_id, market=s.market, eligible=not reasons,
                               reasons=tuple(reasons), details=details,
                               trail=(trail_for(RULE, "goods subsidy purchase limit", [entry], product_tier=tier,
                                                max_purchase_limit=most),))

    def _commission(self, s: CollaborationSession, view: PolicyView) -> IncentiveResult:
        _refuse_other(s, SUBSIDY_FIELDS, "commission incentive")
        why = "the commission incentive"
        plan = _require(s, "plan", why)
        if plan not in PLANS:
            raise InputError(f"expected one of {', '.join(PLANS)} (the plans whose rate the incentive is tied to), "
                             f"got {plan!r}", field="plan")
        agreed: Decimal = _require(s, "agreed_rate", why)
        required: Decimal = _require(s, "required_rate", why + " (the platform's required rate for the product)")
        if s.plan_cancelled and s.plan_rate is not None:
            raise InputError("the plan is cancelled (plan_cancelled is true): leave plan_rate out", field="plan_rate")
        if not s.plan_cancelled:
            _require(s, "plan_rate", why + " (the plan's current rate; or set plan_cancelled)")
        extra_key = "recommended_goods.extra_commission_rate"
        extra = view.decimal(extra_key, RULE)
        entry = view.entry(extra_key, RULE)
        reasons = []
        if agreed < required:
            reasons.append(f"commission rate: the agreed {agreed} does not meet the platform's required {required}")
        if s.plan_cancelled:
            reasons.append(f"extra commission revoked: the {plan} plan's rate was cancelled")
        elif s.plan_rate is not None and s.plan_rate < agreed:
            reasons.append(f"extra commission revoked: the {plan} plan's rate {s.plan_rate} is below the agreed "
                           f"{agreed}")
        details = {"incentive": "commission", "plan": plan, "agreed_rate": str(agreed),
                   "extra_commission_rate": str(extra), "status": "revoked" if s.plan_cancelled or (
                       s.plan_rate is not None and s.plan_rate < agreed) else "active",
                   "product_id": s.product_id, "creator_id": s.creator_id}
        if s.sales_amount is not None:
            currency = view.market.currency or ""
            if s.currency != currency:
                got = s.currency if s.currency is not None else "nothing"
                raise InputError(f"expected {currency} for market {s.market} with sales_amount, got {got}",
                                 field="currency")
            # Nothing is earned on a session that fails a condition or whose extra was revoked.
            earned = round_money(s.sales_amount * extra if not reasons else ZERO, currency)
            details.update(sales_amount=str(s.sales_amount), currency=currency, extra_commission=str(earned))
        elif s.currency is not None:
            raise InputError("given without sales_amount", field="currency")
        return IncentiveResult(program=self.id, subject=s.session_id, market=s.market, eligible=not reasons,
                               reasons=tuple(reasons), details=details,
                               trail=(trail_for(RULE, "extra commission for the creator", [entry],
                                                extra_commission_rate=extra),))
