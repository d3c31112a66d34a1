"""What a platform statement says, in one shape whatever its format.

A reader (:mod:`.tiktok_api`, :mod:`.tiktok_export`, :mod:`.douyin`) turns a file into a
:class:`Statement`: one :class:`StatementLine` per order (its SKU rows summed) or
adjustment, each with the platform's charges under namespaced keys as printed
(``fee.referral_fee_amount``, ``tax.vat_amount``, ``shipping.actual_shipping_fee_amount``,
``other.<key>`` for a field no reference names), the price components an order record
needs (:class:`OrderFacts`), the statement's own arithmetic that does not add up
(:class:`ArithmeticFinding`, both figures) and every key, column or transaction type the
reader does not know (:class:`UnknownItem`: kept and reported, never dropped).

Amounts keep the platform's signs: TikTok prints costs negative, Douyin's fen fields
are magnitudes (``cost_sign`` says which, statement-formats.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import attrs

from shoppolicy.money import ZERO

ORDER = "ORDER"


@attrs.frozen(slots=True)
class OrderFacts:
    """An order's price components as the statement shows them (order-record fields,
    non-negative, in the statement's currency)."""

    amount: Decimal
    platform_discount: Decimal = ZERO
    buyer_shipping: Decimal = ZERO
    tax: Decimal = ZERO
    refunded: Decimal = ZERO
    quantity: int | None = None

    def __add__(self, other: OrderFacts) -> OrderFacts:
        quantity = None if self.quantity is None and other.quantity is None else \
            (self.quantity or 0) + (other.quantity or 0)
        return OrderFacts(self.amount + other.amount, self.platform_discount + other.platform_discount,
                          self.buyer_shipping + other.buyer_shipping, self.tax + other.tax,
                          self.refunded + other.refunded, quantity)


@attrs.frozen(slots=True)
class StatementLine:
    """One transaction of a statement: an order (``type`` ``ORDER``) or an adjustment
    (``related_order_id`` names the order it concerns, where the statement says)."""

    id: str
    type: str
    currency: str | None
    charges: Mapping[str, Decimal]
    order_id: str | None = None
    adjustment_id: str | None = None
    related_order_id: str | None = None
    placed_at: dt.datetime | None = None
    facts: OrderFacts | None = None
    adjustment: Decimal | None = None
    statement_id: str | None = None

    @property
    def is_order(self) -> bool:
        return self.type == ORDER and self.order_id is not None


@attrs.frozen(slots=True)
class ArithmeticFinding:
    """A total of the statement that does not equal the sum of its components."""

    where: str
    check: str
    declared: Decimal
    computed: Decimal
    currency: str | None = None

    @property
    def difference(self) -> Decimal:
        return self.declared - self.computed


@attrs.frozen(slots=True)
class UnknownItem:
    """A fee key, column, field or transaction type no reference names: kept (its
    amounts are listed as ``not_modelled`` charges) and reported here."""

    what: str
    name: str
    first_seen: str
    count: int = 1


@attrs.frozen(slots=True)
class Statement:
    """A parsed statement file."""

    source: str
    format: str
    platform: str
    lines: tuple[StatementLine, ...]
    currency: str | None
    #: +1 where costs are printed as positive magnitudes (Douyin), -1 where negative (TikTok).
    cost_sign: int
    findings: tuple[ArithmeticFinding, ...] = ()
    #: How many arithmetic checks were made (the findings are the ones that failed).
    checks: int = 0
    unknown: tuple[UnknownItem, ...] = ()


class Notes:
    """What a reader collects beside the lines: arithmetic checks and unknown items."""

    def __init__(self) -> None:
        self.findings: list[ArithmeticFinding] = []
        self.checks = 0
        self._unknown: dict[tuple[str, str], UnknownItem] = {}

    def check(self, where: str, check: str, declared: Decimal | None, computed: Decimal,
              currency: str | None = None) -> None:
        """Record ``check`` at ``where``; a finding when ``declared`` differs (skipped
        when the statement declares no total)."""
        if declared is None:
            return
        self.checks += 1
        if declared != computed:
            self.findings.append(ArithmeticFinding(where, check, declared, computed, currency))

    def unknown(self, kind: str, name: str, where: str) -> None:
        found = self._unknown.get((kind, name))
        self._unknown[(kind, name)] = UnknownItem(kind, name, where) if found is None else \
            attrs.evolve(found, count=found.count + 1)

    @property
    def unknown_items(self) -> tuple[UnknownItem, ...]:
        return tuple(self._unknown.values())


def merge_orders(lines: list[StatementLine]) -> list[StatementLine]:
    """Order lines of one order id summed into one (an export or a by-order response
    has a row per SKU); adjustment lines kept as they are, in their order."""
    position: dict[str, int] = {}
    out: list[StatementLine] = []
    for line in lines:
        if not line.is_order:
            out.append(line)
            continue
        assert line.order_id is not None
        at = position.get(line.order_id)
        if at is None:
            position[line.order_id] = len(out)
            out.append(line)
            continue
        first = out[at]
        charges = dict(first.charges)
        for key, value in line.charges.items():
            charges[key] = charges.get(key, ZERO) + value
        facts = first.facts + line.facts if first.facts is not None and line.facts is not None \
            else first.facts or line.facts
        placed = min((t for t in (first.placed_at, line.placed_at) if t is not None), default=None)
        adjustment = None if first.adjustment is None and line.adjustment is None else \
            (first.adjustment or ZERO) + (line.adjustment or ZERO)
        out[at] = attrs.evolve(first, charges=charges, facts=facts, placed_at=placed, adjustment=adjustment)
    return out
