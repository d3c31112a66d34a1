"""The value types of the SDK: markets, input records and results.

Everything here is a frozen, slotted attrs class: cheap to build, safe to share between
threads and cached plans, and turned into plain dicts (and back) by
:mod:`shoppolicy.convert`.  Validation of *input* records that needs no policy lives
here too (known currencies, amounts non-negative and on their currency's minor unit);
checks that need a market's policy live in the plugins.  Money figures inside one
result share the result's ``currency``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from shoppolicy.convert import field_error
from shoppolicy.errors import PolicyGapError
from shoppolicy.money import MINOR_UNITS, QUANTA, ZERO, on_minor_unit, too_precise, unknown_currency

ONE = Decimal(1)
_NO_COMPONENTS = (ZERO, ZERO, ZERO, ZERO)
#: The money fields of an order record, each checked against the currency's minor unit.
_MONEY_FIELDS = ("amount", "platform_discount", "buyer_shipping", "tax", "refunded", "platform_discount_refunded")
#: The yes/no inputs of an order record (default false): fee rules name them in
#: ``exempt_if`` and ``charged_if``, beside the flags derived from other fields
#: (:data:`DERIVED_FLAGS`).
FLAG_FIELDS = ("pre_order", "new_shop", "creator_sample", "cancelled_before_shipping", "tax_registered_org")
#: Flags an order record derives from its other fields (properties of :class:`OrderRecord`).
DERIVED_FLAGS = ("refunded_before_delivery",)
# Each currency's minor unit, as a plain dict: a read-only proxy's get costs 10 ns more,
# once per order.
_UNITS = dict(QUANTA)


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: Decimal | None) -> None:
    if value is not None and value < 0:
        raise field_error(attribute, f"expected a decimal string >= 0, got {value}")


def _known_currency(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and value not in MINOR_UNITS:
        raise field_error(attribute, unknown_currency(value))


@attrs.frozen(slots=True)
class Market:
    """A marketplace (or a regional variant of one) as a plugin declares it.

    ``parent`` names the market whose policy data and mechanics this one inherits
    (``tiktok-id`` → ``tiktok-sea``).  An ``abstract`` market holds shared mechanics and
    data only; orders are quoted in its concrete variants.
    """

    id: str
    name: str
    currency: str | None = attrs.field(validator=_known_currency)
    timezone: str
    parent: str | None = None
    abstract: bool = False
    region: str | None = None
    #: The order date payouts count from, which also picks the payout policy slice:
    #: ``delivered_at`` (TikTok Shop) or ``completed_at`` (Douyin Shop).
    payout_basis: str = attrs.field(default="delivered_at")
    #: Filled in by the plugin manager: the distribution that owns the market.
    plugin: str = ""

    @payout_basis.validator
    def _known_basis(self, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in ("delivered_at", "completed_at"):
            raise ValueError(f"payout_basis: expected delivered_at or completed_at, got {value!r}")


@attrs.frozen(slots=True)
class OrderRecord:
    """One order (or order line), the order-record contract of design.md.

    ``amount`` is the settled goods amount (item price after the seller's own discount);
    the price components ``platform_discount``, ``buyer_shipping``, ``tax`` and
    ``refunded`` default to zero.  Times without an offset are in the market's time zone.
    ``platform_discount_refunded`` is the part of the platform discount taken back with a
    refund (at most ``platform_discount``; the UK commission base subtracts it).  The
    flags (:data:`FLAG_FIELDS`) default to false: an order is a pre-order, a new shop's,
    a creator sample or cancelled before shipping, or its shop a tax-registered
    organisation, only when it says so.
    """

    order_id: str
    market: str
    amount: Decimal
    currency: str
    placed_at: dt.datetime
    category: str | None = None
    delivered_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    shop_id: str | None = None
    seller_type: str | None = None
    store_type: str | None = None
    settlement_tier: str | None = None
    affiliate_plan: str | None = None
    commission_rate: Decimal | None = None
    platform_discount: Decimal = ZERO
    buyer_shipping: Decimal = ZERO
    tax: Decimal = ZERO
    refunded: Decimal = ZERO
    quantity: int = 1
    platform_discount_refunded: Decimal = ZERO
    pre_order: bool = False
    new_shop: bool = False
    creator_sample: bool = False
    cancelled_before_shipping: bool = False
    tax_registered_org: bool = False

    def __attrs_post_init__(self) -> None:
        # One check for the common all-valid case; per-field messages only on failure.
        # (Orders are built millions of times in a batch: per-field validators cost more.)
        # Money must be on the currency's minor unit: "100.005" USD is refused, "100.000"
        # is 100 dollars and accepted (trailing zeros are no extra precision).  A zero
        # remainder by the unit says so at half the cost of a quantize and a compare, and
        # far less than reading the exponent (Decimal.as_tuple).
        rate, amount, unit = self.commission_rate, self.amount, _UNITS.get(self.currency)
        try:
            if (unit is not None and amount >= ZERO and not amount % unit and self.quantity >= 1
                    and (rate is None or ZERO <= rate <= ONE)):
                parts = (self.platform_discount, self.buyer_shipping, self.tax, self.refunded)
                taken_back = self.platform_discount_refunded
                if parts == _NO_COMPONENTS and not taken_back:  # no price components: nothing more to check
                    return
                if (min(parts) >= ZERO and self.refunded <= self.customer_payment
                        and not (parts[0] % unit or parts[1] % unit or parts[2] % unit or parts[3] % unit)
                        and (not taken_back or (ZERO <= taken_back <= parts[0] and not taken_back % unit))):
                    return
        except ArithmeticError:  # more digits than the decimal context holds: the checks below say
            pass
        self._check_each_field()

    def _check_each_field(self) -> None:
        """Raise the error naming the first field that breaks the contract (if any does)."""
        for name in _MONEY_FIELDS:
            value = getattr(self, name)
            if value < 0:
                raise field_error(name, f"expected a decimal string >= 0, got {value}")
        if self.currency not in MINOR_UNITS:
            raise field_error("currency", unknown_currency(self.currency))
        for name in _MONEY_FIELDS:
            value = getattr(self, name)
            if not on_minor_unit(value, self.currency):
                raise field_error(name, too_precise(value, self.currency))
        if self.quantity < 1:
            raise field_error("quantity", f"expected a whole number >= 1, got {self.quantity}")
        if self.commission_rate is not None and not (0 <= self.commission_rate <= 1):
            raise field_error("commission_rate", "expected a rate between \"0\" and \"1\" (e.g. \"0.15\"), "
                              f"got {self.commission_rate}")
        if self.refunded > self.customer_payment:
            raise field_error("refunded", f"expected at most what the buyer paid ({self.customer_payment}), "
                              f"got {self.refunded}")
        if self.platform_discount_refunded > self.platform_discount:
            raise field_error("platform_discount_refunded", "expected at most the platform discount "
                              f"({self.platform_discount}), got {self.platform_discount_refunded}")

    @property
    def customer_payment(self) -> Decimal:
        """C = amount − platform discount + buyer shipping + tax (rules-catalogue.md)."""
        return self.amount - self.platform_discount + self.buyer_shipping + self.tax

    @property
    def refunded_before_delivery(self) -> bool:
        """The whole order was refunded before delivery: R = C > 0 and no ``delivered_at``
        (a derived flag: a fee per delivered order is not charged on such an order)."""
        return self.delivered_at is None and bool(self.refunded) and self.refunded == self.customer_payment


@attrs.frozen(slots=True)
class TrailEntry:
    """Why a figure is what it is: the rule, the parameters used, and where they came from.

    ``confirmed`` is the oldest ``retrieved`` date of the values the figure rests on: how
    old the knowledge behind it is.  An order placed from ``stale_from`` on (more than 12
    months after ``confirmed``) lists ``stale_note`` in its quote's ``stale``.
    """

    rule: str
    what: str
    params: dict[str, str] = attrs.field(factory=dict)
    source: str = ""
    layer: str = ""
    confidence: str | None = None
    confirmed: dt.date | None = None
    #: The local instant from which an order's date is more than 12 months after
    #: ``confirmed``, and what its quote then says (built once per entry; not output).
    stale_from: dt.datetime | None = attrs.field(default=None, eq=False, repr=False, metadata={"internal": True})
    stale_note: str = attrs.field(default="", eq=False, repr=False, metadata={"internal": True})


@attrs.frozen(slots=True)
class FeeLine:
    """One fee on an order, in the shape of marketplace fee APIs (type, base, rate, amount)."""

    code: str
    amount: Decimal
    rule: str
    source: str
    base: Decimal | None = None
    rate: Decimal | None = None
    fixed: Decimal | None = None
    confidence: str | None = None
    note: str | None = None
    trail: TrailEntry | None = None
    #: The object (a rate choice of a block) that every line with the same code, rule,
    #: source, rate, fixed part, confidence, note and trail shares: statement writers
    #: encode those once per form.  ``None``: the line is encoded in full.  Not output.
    form: object | None = attrs.field(default=None, eq=False, repr=False, metadata={"internal": True})


@attrs.frozen(slots=True)
class CreatorShare:
    """The creator's (affiliate's) side of an order: commission paid by the merchant, the
    platform's take on it, and what the creator receives."""

    plan: str
    rate: Decimal
    commission: Decimal
    platform_take: Decimal
    creator_receives: Decimal
    rule: str
    source: str
    trail: TrailEntry | None = None
    #: Shared by every share with the same plan, rule, source and trail (see FeeLine.form).
    form: object | None = attrs.field(default=None, eq=False, repr=False, metadata={"internal": True})


@attrs.frozen(slots=True)
class PayoutLine:
    """When one party (``merchant`` or ``creator``) is paid for an order, and why."""

    party: str
    date: dt.date
    rule: str
    source: str
    tier: str | None = None
    basis: str = ""
    basis_date: dt.date | None = None
    days: int | None = None
    trail: TrailEntry | None = None


@attrs.frozen(slots=True)
class Gap:
    """A figure the policy data cannot determine: what is missing, what the sources do
    say, and how to supply it (design.md, principle 5).

    ``figure`` names what the gap hides: a fee code, ``creator_commission``, or a payout
    party (``payout:merchant``, ``payout:creator``).  ``low``/``high`` are the published
    range of the missing rate and ``candidate`` an unconfirmed figure, where the data
    records them; ``low_amount``/``high_amount`` the fee's bounds on this order, labelled
    as bounds (never the fee, never in ``net``).
    """

    figure: str
    rule: str
    market: str
    key: str
    on: dt.date
    state: str = "gap"
    category: str | None = None
    detail: str | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    candidate: Decimal | None = None
    source: str | None = None
    low_amount: Decimal | None = None
    high_amount: Decimal | None = None
    #: When the gap ends, where the data says (the end of a declared gap, the start of a
    #: coming value): an override that fills it needs no value beyond.
    until: dt.datetime | None = None

    @classmethod
    def from_error(cls, figure: str, error: PolicyGapError, *, low_amount: Decimal | None = None,
                   high_amount: Decimal | None = None) -> Gap:
        """The gap of ``figure`` that ``error`` describes."""
        on = error.on.date() if isinstance(error.on, dt.datetime) else error.on
        return cls(figure=figure, rule=error.rule, market=error.market, key=error.key, on=on, state=error.state,
                   category=error.category, detail=error.detail, low=error.low, high=error.high,
                   candidate=error.candidate, source=error.source, low_amount=low_amount,
                   high_amount=high_amount, until=error.until)

    def as_error(self) -> PolicyGapError:
        """The gap as the :class:`~shoppolicy.errors.PolicyGapError` an API that refuses raises."""
        return PolicyGapError(market=self.market, rule=self.rule, key=self.key, on=self.on, state=self.state,
                              detail=self.detail, category=self.category, low=self.low, high=self.high,
                              candidate=self.candidate, source=self.source, until=self.until)

    @property
    def supply(self) -> str:
        """How to supply the missing value."""
        return (f"an override file (--policy FILE) with [[values]] market = \"{self.market}\", rule = "
                f"\"{self.rule}\", key = \"{self.key}\", value = ..., effective_from = ..., source = ...; "
                "`shoppolicy gaps ORDERS --template` writes one")


@attrs.frozen(slots=True)
class Quote:
    """An order's fees, the creator's share, the merchant's net and payout dates.

    ``net = amount − sum(fees) − creator commission``: shipping, tax and the platform
    discount pass through and are shown beside it (``passthrough``), never inside.
    Every figure the policy data cannot determine is a :class:`Gap` in ``gaps``; the
    other figures stand.  ``net`` (and ``total_fees``) are ``None`` while a fee is
    unknown, never a number that silently leaves it out; ``complete`` is true when there
    is no gap.  A payout date waiting on the order itself (not delivered yet) is
    ``None`` with the reason in ``pending``.  ``stale`` names each figure resting on a
    value that a source last confirmed more than 12 months before the order's date
    ("... last confirmed 2024-03-05"): the figure stands, and the seller sees how old
    the knowledge behind it is.
    """

    order_id: str
    market: str
    currency: str
    amount: Decimal
    fees: tuple[FeeLine, ...]
    net: Decimal | None
    creator: CreatorShare | None = None
    payout_date: dt.date | None = None
    creator_payout_date: dt.date | None = None
    payouts: tuple[PayoutLine, ...] = ()
    passthrough: dict[str, Decimal] = attrs.field(factory=dict)
    pending: tuple[str, ...] = ()
    trail: tuple[TrailEntry, ...] = ()
    gaps: tuple[Gap, ...] = ()
    #: The sum of the fee lines, as the pricing path added them up (not output: see total_fees).
    fees_sum: Decimal | None = attrs.field(default=None, eq=False, repr=False, metadata={"internal": True})
    stale: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.gaps

    @property
    def fee_gaps(self) -> tuple[Gap, ...]:
        return tuple(g for g in self.gaps if not g.figure.startswith("payout:") and g.figure != "creator_commission")

    @property
    def total_fees(self) -> Decimal | None:
        """The sum of the fee lines; ``None`` while a fee is a gap."""
        if self.net is None and self.fee_gaps:
            return None
        if self.fees_sum is not None:
            return self.fees_sum
        return sum((f.amount for f in self.fees), ZERO)

    @property
    def creator_commission(self) -> Decimal:
        """What the merchant pays the creator (0 on an order without a commission)."""
        return self.creator.commission if self.creator is not None else ZERO


@attrs.frozen(slots=True)
class ViolationEvent:
    """A violation (or a livestream stop) recorded against a shop (design.md contract)."""

    shop_id: str
    market: str
    kind: str
    at: dt.datetime
    severity: str | None = None
    order_id: str | None = None
    reason: str | None = None
    amount: Decimal | None = attrs.field(default=None, validator=_non_negative)


@attrs.frozen(slots=True)
class PenaltyLine:
    """What one violation event costs: deposit deduction, points, flags, and the rule."""

    shop_id: str
    market: str
    kind: str
    at: dt.datetime
    deduction: Decimal
    rule: str
    source: str
    order_id: str | None = None
    severity: str | None = None
    points: Decimal | None = None
    flags: tuple[str, ...] = ()
    note: str | None = None
    uncapped: Decimal | None = None
    balance_after: Decimal | None = None
    trail: TrailEntry | None = None


@attrs.frozen(slots=True)
class ShopPenalties:
    """A shop's violation events applied in time order to its security deposit."""

    shop_id: str
    market: str
    currency: str
    lines: tuple[PenaltyLine, ...]
    total_deduction: Decimal
    deposit_start: Decimal | None = None
    deposit_balance: Decimal | None = None
    warnings: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class IncentiveResult:
    """Whether a shop (or product) qualifies for an incentive programme, and why not."""

    program: str
    subject: str
    market: str
    eligible: bool
    reasons: tuple[str, ...] = ()
    score: Decimal | None = None
    group: str | None = None
    rank: int | None = None
    awarded: bool | None = None
    details: dict[str, str] = attrs.field(factory=dict)
    trail: tuple[TrailEntry, ...] = ()


@attrs.frozen(slots=True)
class RuleState:
    """One policy key of a market on a date, as ``shoppolicy rules`` shows it."""

    market: str
    key: str
    rule: str
    state: str  # in_force, announced, not_yet, ended, gap; unset (declared, no value); no_number
    value: str | None = None
    source: str | None = None
    confidence: str | None = None
    retrieved: dt.date | None = None
    layer: str | None = None
    defined_for: str | None = None  # the market the value is written for (parent or variant)
    effective_from: dt.datetime | None = None
    effective_to: dt.datetime | None = None
    detail: str | None = None
    interpretation: str | None = None
    #: A value in force that a source last confirmed (``retrieved``) more than 12 months
    #: before the date asked about.
    stale: bool = False
