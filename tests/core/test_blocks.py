"""The fee blocks' mechanics for who pays a fee and for the bounds of a missing rate:
order flags that exempt an order or that an order must have, a fee charged to some store
types only, the per-unit caps of a range's two ends, a fixed amount less a promotional
cut, and a refund-share add-on's exemptions.  Each is tested on the block itself and,
where the data builds it, through an override file on the acme test market."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import tests.acme.plugin as acme
from shoppolicy import Engine, OrderRecord, PolicyFileError
from shoppolicy.blocks import GapSpec, Payers, PercentFee, RateTable, RefundShareFee
from shoppolicy.blocks.bases import amount as base_amount
from shoppolicy.model import FeeLine, Gap, TrailEntry
from shoppolicy.money import quantum
from tests.conftest import acme_order

D = Decimal
TRAIL = TrailEntry(rule="P", what="test")


def record(**fields: object) -> OrderRecord:
    base: dict[str, object] = {"order_id": "B1", "market": "m", "amount": D("1000000"), "currency": "IDR",
                               "placed_at": dt.datetime(2025, 8, 11)}
    return OrderRecord(**{**base, **fields})  # type: ignore[arg-type]


def gap_fee(low: str, high: str, *, cap: str | None = None, caps: tuple[str, str] | None = None) -> PercentFee:
    """A fee whose rate is missing, with a published range and caps per unit."""
    spec = GapSpec(market="m", rule="P", key="fee.x.rate", low=D(low), high=D(high), source="s")
    table = RateTable(market="m", code="x", prefix="fee.x.", keyed_by=("category",), rates={}, default=None,
                      flat_gap=spec)
    return PercentFee(code="x", rule="P", source="P", market="m", unit=quantum("IDR"), base=base_amount,
                      table=table, cap_per_unit=D(cap) if cap else None,
                      range_caps=(D(caps[0]), D(caps[1])) if caps else None)


def bounds(fee: PercentFee, order: OrderRecord) -> tuple[Decimal | None, Decimal | None]:
    [gap] = fee.apply(order)
    assert isinstance(gap, Gap)
    return gap.low_amount, gap.high_amount


# --- bounds of a missing rate ---------------------------------------------------------------

def test_one_cap_per_unit_caps_both_bounds() -> None:
    fee = gap_fee("0.04", "0.06", cap="40000")
    assert bounds(fee, record(amount=D("500000"))) == (D("20000"), D("30000"))
    assert bounds(fee, record(amount=D("1000000"))) == (D("40000"), D("40000"))
    assert bounds(fee, record(amount=D("1000000"), quantity=2)) == (D("40000"), D("60000"))


def test_each_end_of_a_range_has_its_own_cap_and_the_bounds_are_the_lower_and_the_higher() -> None:
    # 1.5% capped at 5,000 per unit vs 1.8% capped at 50,000: one unit at 1,000,000 → 5,000..18,000
    fee = gap_fee("0.015", "0.018", caps=("5000", "50000"))
    assert bounds(fee, record()) == (D("5000"), D("18000"))
    assert bounds(fee, record(amount=D("100000"))) == (D("1500"), D("1800"))  # under both caps
    assert bounds(fee, record(amount=D("1000000"), quantity=3)) == (D("15000"), D("18000"))


# --- who pays -------------------------------------------------------------------------------

def fixed_fee(payers: Payers | None) -> PercentFee:
    return PercentFee(code="x", rule="P", source="P", market="m", unit=quantum("IDR"), base=base_amount,
                      table=None, fixed=D("1250"), fixed_trail=TRAIL, payers=payers)


def test_charged_if_charges_only_orders_with_every_flag() -> None:
    fee = fixed_fee(Payers(charged_if=("pre_order",)))
    assert fee.apply(record()) == ()
    [line] = fee.apply(record(pre_order=True))
    assert isinstance(line, FeeLine) and line.amount == D("1250")


def test_exempt_if_exempts_an_order_with_any_flag_and_reads_derived_flags() -> None:
    fee = fixed_fee(Payers(exempt_if=("refunded_before_delivery",)))
    whole_refund = {"refunded": D("1000000")}
    assert fee.apply(record(**whole_refund)) == ()  # the whole order refunded before delivery
    assert len(fee.apply(record(**whole_refund, delivered_at=dt.datetime(2025, 8, 13)))) == 1  # after: kept
    assert len(fee.apply(record(refunded=D("1")))) == 1  # a partial refund: kept
    assert len(fee.apply(record())) == 1  # not delivered yet, not refunded: the fee it will carry


def test_a_fee_for_some_store_types_is_a_gap_naming_store_type_on_an_order_without_one() -> None:
    store_gap = GapSpec(market="m", rule="P", key="<store_type>", detail="the order gives no store_type")
    fee = fixed_fee(Payers(store_types=frozenset({"mall"}), store_gap=store_gap))
    [gap] = fee.apply(record())
    assert isinstance(gap, Gap) and (gap.figure, gap.key) == ("x", "<store_type>")
    assert fee.apply(record(store_type="marketplace")) == ()
    assert len(fee.apply(record(store_type="mall"))) == 1
    assert fixed_fee(Payers(store_types=frozenset({"mall"}), exempt_if=("pre_order",))).apply(
        record(pre_order=True)) == ()  # exempt anyway: nothing to ask


def test_a_refund_share_is_not_charged_on_an_exempt_order() -> None:
    addon = RefundShareFee(code="r", rule="P", source="P", share=D("0.20"), cap=D("5.00"), unit=D("0.01"),
                           trail=TRAIL, exempt_if=("creator_sample", "cancelled_before_shipping"))
    line = FeeLine(code="x", amount=D("8.00"), rule="P", source="P")
    order = record(currency="USD", amount=D("100.00"), refunded=D("100.00"))
    assert addon.apply(order, line, D("0.08"), D("100.00")) is not None
    assert addon.apply(attrs.evolve(order, creator_sample=True), line, D("0.08"), D("100.00")) is None
    assert addon.apply(attrs.evolve(order, cancelled_before_shipping=True), line, D("0.08"), D("100.00")) is None


# --- the same mechanics read from policy data -------------------------------------------------

def override(tmp_path: Path, *values: tuple[str, object]) -> Path:
    path = tmp_path / "acme.toml"
    lines = ['[policy]\nmarket = "acme"\n']
    for key, value in values:
        shown = f'"{value}"' if isinstance(value, str) else str(value).replace("'", '"')
        lines.append(f'[[values]]\nrule = "TEST-FEE-1"\nkey = "{key}"\nvalue = {shown}\nsource = "TEST-FEE-1"\n'
                     'effective_from = 2024-01-01\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_fixed_amount_less_a_discount_is_shown_as_the_amount_less_the_cut(tmp_path: Path) -> None:
    engine = Engine(plugins=[acme], entry_points=False, policy_files=[override(
        tmp_path, ("platform_fee.base", "none"), ("platform_fee.fixed", "5.00"),
        ("platform_fee.discount.fixed", "2.00"))])
    [line] = engine.quote(acme_order(placed_at="2024-08-01", delivered_at="2024-08-03")).fees
    assert (line.amount, line.fixed) == (D("3.00"), D("3.00"))
    assert "5.00 less a discount of 2.00" in (line.note or "")
    assert line.trail is not None and line.trail.params["fixed_discount"] == "2.00"


def test_charged_if_from_the_data(tmp_path: Path) -> None:
    engine = Engine(plugins=[acme], entry_points=False, policy_files=[override(
        tmp_path, ("platform_fee.charged_if", ["pre_order"]))])
    august = acme_order(placed_at="2024-08-01", delivered_at="2024-08-03")
    assert [f.code for f in engine.quote(august).fees] == []
    assert [f.code for f in engine.quote({**august, "pre_order": True}).fees] == ["platform_fee"]


def test_a_misspelt_order_flag_is_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match=r"unknown order flag.*preorder.*expected pre_order"):
        Engine(plugins=[acme], entry_points=False, policy_files=[override(
            tmp_path, ("platform_fee.exempt_if", ["preorder"]))])


def test_a_rate_table_gives_orders_with_a_flag_their_own_rate_or_gap_before_any_key() -> None:
    from shoppolicy import PolicyGapError
    from shoppolicy.blocks import RateChoice

    def choice(rate: str) -> RateChoice:
        return RateChoice(rate=D(rate), rule="P", source="P", trail=TRAIL, trail_refund=TRAIL)

    flagged_gap = GapSpec(market="m", rule="P", key="fee.x.flag_rate.tax_registered_org", detail="not found")
    table = RateTable(market="m", code="x", prefix="fee.x.", keyed_by=("category",), rates={"toys": choice("0.05")},
                      default=None, flat_gap=GapSpec(market="m", rule="P", key="fee.x.rate"),
                      flag_rates=(("new_shop", choice("0")), ("tax_registered_org", flagged_gap)))
    assert table.choose(record(category="toys")).rate == D("0.05")
    assert table.choose(record(category="toys", new_shop=True)).rate == D("0")
    assert table.choose(record(category="unknown", new_shop=True)).rate == D("0")  # whatever the key
    with pytest.raises(PolicyGapError) as info:
        table.choose(record(category="toys", tax_registered_org=True))
    assert info.value.key == "fee.x.flag_rate.tax_registered_org"
