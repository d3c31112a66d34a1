"""Fee bases: an amount built from an order's price components (rules-catalogue.md,
"Price components").  ``C`` is what the buyer paid: amount − platform discount + buyer
shipping + tax; ``R`` what was refunded.  Rates and rounding are not here (:mod:`.fees`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from shoppolicy.model import OrderRecord
from shoppolicy.money import ZERO


def amount(order: OrderRecord) -> Decimal:
    """The goods amount after the seller's own discount."""
    return order.amount


def amount_plus_shipping(order: OrderRecord) -> Decimal:
    """amount + buyer shipping (the US referral fee's C + D − T; the UK commission before refunds)."""
    return order.amount + order.buyer_shipping


def amount_plus_shipping_less_refund(order: OrderRecord) -> Decimal:
    """amount + buyer shipping − (refunded + the platform discount refunded), never below
    zero: the UK commission base, (net sales + H + D) − (net sales refund + platform
    discount refund), since net sales + D = amount (TT-FEE-3)."""
    return max(order.amount + order.buyer_shipping - order.refunded - order.platform_discount_refunded, ZERO)


def customer_payment_less_refund(order: OrderRecord) -> Decimal:
    """C − R: what the buyer paid, less refunds (transaction and payment fees)."""
    return order.customer_payment - order.refunded


def customer_payment_plus_discount(order: OrderRecord) -> Decimal:
    """C + D: what the buyer paid plus the platform discount."""
    return order.customer_payment + order.platform_discount


def no_base(order: OrderRecord) -> Decimal:
    """A fee with no percentage part (a fixed amount per order or per unit)."""
    return ZERO


BASES: Mapping[str, Callable[[OrderRecord], Decimal]] = {
    "amount": amount,
    "amount+shipping": amount_plus_shipping,
    "amount+shipping-refund": amount_plus_shipping_less_refund,
    "customer_payment-refund": customer_payment_less_refund,
    "customer_payment+discount": customer_payment_plus_discount,
    "none": no_base,
}


def base_named(name: str) -> Callable[[OrderRecord], Decimal]:
    """The base called ``name`` (raises ValueError naming the known bases)."""
    try:
        return BASES[name]
    except KeyError:
        raise ValueError(f"unknown fee base {name!r}; expected one of {', '.join(BASES)}") from None
