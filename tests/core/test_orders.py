"""The order-record contract: every field validated, errors naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoppolicy import Engine, InputError, OrderRecord
from shoppolicy.convert import structure
from shoppolicy.orders import structure_order
from tests.conftest import acme_order


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"amount": "-1"}, "amount", "expected a decimal string >= 0"),
        ({"amount": "ten"}, "amount", "expected a decimal string"),
        ({"amount": 10.5}, "amount", "float"),
        ({"currency": "GBP"}, "currency", "expected USD for market acme"),
        ({"currency": "usd"}, "currency", "expected an ISO 4217 code such as USD, got 'usd' (did you mean USD?)"),
        ({"currency": "XAU"}, "currency", "XAU (Gold) has no minor unit in ISO 4217"),
        ({"amount": "100.005"}, "amount", "expected at most 2 decimal places for USD, got 100.005"),
        ({"tax": "0.125"}, "tax", "expected at most 2 decimal places for USD, got 0.125"),
        ({"market": "acm"}, "market", "unknown market 'acm'"),
        ({"placed_at": "yesterday"}, "placed_at", "expected an ISO 8601 date"),
        ({"quantity": "0"}, "quantity", "expected a whole number >= 1"),
        ({"quantity": "1.5"}, "quantity", "expected a whole number"),
        ({"refunded": "500"}, "refunded", "expected at most what the buyer paid (100.00)"),
        ({"commission_rate": "15"}, "commission_rate", "expected a rate between"),
        ({"affiliate_plan": "open"}, "commission_rate", "required when affiliate_plan is 'open'"),
        ({"affiliate_plan": "secret", "commission_rate": "0.1"}, "affiliate_plan",
         "expected 'open' or 'shop' or 'targeted' for this market (TEST-AFF-1), got 'secret'"),
        ({"comission_rate": "0.1"}, "comission_rate", "unknown field"),
        ({"order_id": None}, "order_id", "required field missing"),
    ],
)
def test_malformed_order_names_the_field(acme_engine: Engine, change: dict[str, object], field: str,
                                         expected: str) -> None:
    order: dict[str, object] = dict(acme_order())
    order.update(change)
    if order.get("order_id") is None:
        del order["order_id"]
    with pytest.raises(InputError) as err:
        acme_engine.quote(order)
    assert err.value.field == field
    assert expected in str(err.value)
    assert str(err.value).startswith(f"field {field!r}: ")


def test_price_components_pass_through_beside_net(acme_engine: Engine) -> None:
    quote = acme_engine.quote(acme_order(buyer_shipping="5.00", tax="8.25", platform_discount="3.00"))
    # net is amount − fees only: 100.00 − 6.00; C = 100 − 3 + 5 + 8.25 = 110.25
    assert quote.net == 94
    assert str(quote.passthrough["customer_payment"]) == "110.25"


def test_undelivered_order_names_why_it_has_no_payout_date(acme_engine: Engine) -> None:
    order = acme_order()
    del order["delivered_at"]
    quote = acme_engine.quote(order)
    assert quote.payout_date is None
    assert quote.pending == ("payout: the order has no delivered_at yet",)
    with pytest.raises(InputError, match="delivered_at"):
        acme_engine.payout(order)


def test_regional_parent_cannot_quote(acme_engine: Engine) -> None:
    # acme is concrete; abstract parents are covered by the TikTok plugin's tests
    assert not acme_engine.market("acme").abstract


def test_times_with_an_offset_reach_the_rules_as_local_dates(acme_engine: Engine) -> None:
    # delivered 2024-07-03T02:00Z is 2024-07-02 22:00 in New York: paid 7 days later, on 9 July
    quote = acme_engine.quote(acme_order(delivered_at="2024-07-03T02:00:00Z"))
    assert quote.payout_date is not None and quote.payout_date.isoformat() == "2024-07-09"


# --- the quick reader of plain rows agrees with the strict converter --------------------

def _mostly(valid: st.SearchStrategy[object], *bad: object) -> st.SearchStrategy[object]:
    """Valid values most of the time, with the odd bad one (or an empty one)."""
    return st.one_of(valid, valid, valid, st.sampled_from([None, "", *bad]))


_TEXT = _mostly(st.text(min_size=1, max_size=6), 3, True)
_DECIMAL = _mostly(st.sampled_from(["0", "1.5", " 3.10 ", "1e2", "0.15", "100.00", "0.00", "100.000", "0.005"]),
                   "-2", "NaN", "inf", "x", 2, 1.5, Decimal("0.5"))
_MOMENT = _mostly(st.sampled_from(["2024-11-01", "2024-11-01T09:30:00", "2024-11-01T09:30:00+08:00"]),
                  "2024-11-01Z", "2024-13-01", "later", 3)
_FLAG = _mostly(st.booleans(), "true", "false", " TRUE", 1, 0, "yes", [])
_ROW = st.fixed_dictionaries(
    {"order_id": _TEXT, "market": _TEXT, "amount": _DECIMAL,
     "currency": _mostly(st.sampled_from(["USD", "KWD", "IDR"]), "usd", "XAU", 3), "placed_at": _MOMENT},
    optional={"category": _TEXT, "shop_id": _TEXT, "seller_type": _TEXT, "store_type": _TEXT,
              "settlement_tier": _TEXT, "affiliate_plan": _TEXT, "delivered_at": _MOMENT, "completed_at": _MOMENT,
              "commission_rate": _DECIMAL, "platform_discount": _DECIMAL, "buyer_shipping": _DECIMAL,
              "tax": _DECIMAL, "refunded": _DECIMAL, "quantity": _mostly(st.integers(1, 3), 0, "2", "x", 1.0, True),
              "platform_discount_refunded": _DECIMAL, "pre_order": _FLAG, "new_shop": _FLAG, "creator_sample": _FLAG,
              "cancelled_before_shipping": _FLAG, "tax_registered_org": _FLAG,
              "extra": st.text(max_size=2)})


@settings(max_examples=400, deadline=None)
@given(_ROW)
def test_quick_order_reader_agrees_with_the_strict_converter(row: dict[str, object]) -> None:
    """structure_order reads plain rows itself; whatever it returns or raises, the strict
    converter (on the row without its empty fields) returns or raises the same."""
    try:
        want: object = structure({k: v for k, v in row.items() if v is not None and v != ""}, OrderRecord,
                                 what="order")
    except InputError as exc:
        want = (exc.field, exc.message)
    try:
        got: object = structure_order(row)
    except InputError as exc:
        got = (exc.field, exc.message)
    assert got == want


@pytest.mark.parametrize("blanks", [False, True])
def test_quick_order_reader_takes_plain_rows_itself(blanks: bool) -> None:
    """Plain rows must not fall through to the strict converter: the results would agree
    and only speed would be lost, so the property test above cannot see it."""
    from shoppolicy.orders import _plain_order

    row: dict[str, object] = {
        "order_id": "Q1", "market": "acme", "amount": "10.00", "currency": "USD", "placed_at": "2024-07-01",
        "category": "toys", "delivered_at": "2024-07-03T10:00:00", "completed_at": "2024-07-09",
        "shop_id": "s1", "seller_type": "local", "store_type": "official", "settlement_tier": "normal",
        "affiliate_plan": "open", "commission_rate": "0", "platform_discount": "1.00", "buyer_shipping": "2.50",
        "tax": "0.00", "refunded": "0", "quantity": 2, "platform_discount_refunded": "0.50", "pre_order": True,
        "new_shop": "false", "creator_sample": False, "cancelled_before_shipping": "true", "tax_registered_org": ""}
    if blanks:
        row.update({"shop_id": "", "store_type": None, "completed_at": "", "tax": None, "quantity": "",
                    "platform_discount_refunded": "", "pre_order": None})
    record = _plain_order(row)
    assert type(record) is OrderRecord
    assert record == structure({k: v for k, v in row.items() if v is not None and v != ""}, OrderRecord,
                               what="order")


class _Text(str):
    """A str subclass: not a plain value, so the quick reader leaves it to the strict path."""


def test_quick_order_reader_reads_a_date_met_before_as_it_read_it_first() -> None:
    from shoppolicy import orders

    orders._DATES.clear()
    row: dict[str, object] = {"order_id": "D1", "market": "acme", "amount": "1.00", "currency": "USD",
                              "placed_at": "2024-07-01", "delivered_at": "2024-07-03"}
    cold = structure_order(row)
    assert set(orders._DATES) == {"2024-07-01", "2024-07-03"}  # dates are kept; a date-time would not be
    warm = structure_order(dict(row, order_id="D2"))
    assert warm.placed_at is cold.placed_at and warm.delivered_at is cold.delivered_at  # shared, not re-read
    assert (warm.placed_at, warm.delivered_at) == (dt.datetime(2024, 7, 1), dt.datetime(2024, 7, 3))
    # A str subclass of a known date is not a plain value: the quick reader leaves it alone,
    # warm cache or not, and the strict converter reads the same date.
    with pytest.raises(TypeError):
        orders._plain_order(dict(row, placed_at=_Text("2024-07-01")))
    assert structure_order(dict(row, placed_at=_Text("2024-07-01"))).placed_at == cold.placed_at


def test_dates_kept_by_the_quick_reader_stay_bounded() -> None:
    from shoppolicy import orders

    orders._DATES.clear()
    start = dt.date(2000, 1, 1)
    for day in range(5000):  # more distinct dates than are kept
        text = (start + dt.timedelta(days=day)).isoformat()
        assert orders._moment(text) == dt.datetime.fromisoformat(text)
        assert len(orders._DATES) <= 4096
