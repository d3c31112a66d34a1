"""Builders shared by the TikTok Shop tests: orders, events, shop records, override files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "tiktok"

#: Fee-side fields whose keys the platform fee data publishes (fees-*.toml), so that a quote
#: (and the commission pass of ``payout``) can apply the platform fees.  These tests never
#: assert a fee figure: they recompute net from the fee lines a quote returns.
FEE_FIELDS: dict[str, dict[str, str]] = {
    "tiktok-id": {"category": "beauty_personal_care"},
    "tiktok-my": {"store_type": "marketplace", "category": "gold_jewellery"},
}
#: Where the default order date has no published platform fee, a date that has one (an
#: Indonesian rate of every fee is published for the 'per September 2023' list's period,
#: 2023-12-12..2024-08-31, not in March 2025, and from 2025-06-10 the Dynamic Commission
#: Fee is a gap on every order: TT-FEE-10, TT-FEE-17; Malaysia's gold jewellery rate is
#: attested from 2025-03-14: TT-FEE-19).
QUOTE_DATES: dict[str, str] = {"tiktok-id": "2024-03-05T10:00:00", "tiktok-my": "2025-08-20T10:00:00"}


def quotable(market: str) -> dict[str, str]:
    """The fields that move an order of ``market`` to a date whose platform fees are published."""
    return {"placed_at": QUOTE_DATES[market]} if market in QUOTE_DATES else {}

CURRENCY = {"tiktok-us": "USD", "tiktok-uk": "GBP", "tiktok-id": "IDR", "tiktok-my": "MYR", "tiktok-th": "THB",
            "tiktok-vn": "VND", "tiktok-ph": "PHP", "tiktok-sg": "SGD"}


def order(market: str = "tiktok-us", **fields: Any) -> dict[str, Any]:
    """An order record of ``market`` in its currency; ``fields`` replace or add fields
    (a field set to None is left out)."""
    record: dict[str, Any] = {"order_id": "o-1", "market": market, "amount": "100.00", "currency": CURRENCY[market],
                              "placed_at": "2025-03-01T10:00:00"}
    if CURRENCY[market] in ("IDR", "VND"):
        record["amount"] = "100000"
    record.update(FEE_FIELDS.get(market, {}))
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def us_pop(delivered_at: str, **fields: Any) -> dict[str, Any]:
    """A US cross-border POP seller's order delivered on ``delivered_at``."""
    return order("tiktok-us", placed_at="2024-10-20T10:00:00", delivered_at=delivered_at,
                 seller_type="cross_border_pop", **fields)


def event(market: str = "tiktok-id", **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"shop_id": "shop-1", "market": market, "kind": "livestream_stop",
                              "at": "2025-01-05T20:00:00"}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def shop(shop_id: str = "s-1", market: str = "tiktok-id", **fields: Any) -> dict[str, Any]:
    """A Reputation Star record that passes every threshold (override what a test needs)."""
    record: dict[str, Any] = {
        "shop_id": shop_id, "market": market, "industry": "beauty", "cross_border": True,
        "period_from": "2023-01-01", "period_to": "2023-02-28", "review_count": 21,
        "average_daily_gmv_usd": "150.01", "governance_penalty": False, "negative_review_rate_t30": "0.009",
        "industry_benchmark_rate": "0.010", "order_volume": 1000, "review_rate": "0.30",
        "negative_review_rate": "0.010"}
    record.update(fields)
    return record


def session(session_id: str = "rg-1", market: str = "tiktok-id", **fields: Any) -> dict[str, Any]:
    """A Reputation Recommended Goods collaboration session (add the incentive's fields)."""
    record: dict[str, Any] = {"session_id": session_id, "shop_id": "shop-1", "market": market,
                              "product_id": "p-1", "creator_id": "c-1", "session_date": "2023-03-01"}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, list)):
        return repr(value).replace("'", '"')
    return f'"{value}"'


def write_override(path: Path, *values: tuple[str, str, str, Any], effective_from: str | None = None) -> Path:
    """An override file with one ``[[values]]`` per (market, rule, key, value): test data,
    made up for the test, marked ``confidence = "user"``."""
    blocks = []
    for market, rule, key, value in values:
        since = f"\neffective_from = {effective_from}" if effective_from else ""
        blocks.append(f'[[values]]\nmarket = "{market}"\nrule = "{rule}"\nkey = "{key}"\n'
                      f'value = {toml_value(value)}\nsource = "test override"\nconfidence = "user"{since}\n')
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


#: Test weights for Reputation Star: contribution = 0.01 × volume + 100 × review rate − 500 × negative rate.
STAR_WEIGHTS = {"order_volume": "0.01", "review_rate": "100", "negative_review_rate": "-500"}
STAR_INDUSTRIES = ["beauty", "fashion", "home", "electronics", "sports", "toys"]


def star_override(path: Path, markets: tuple[str, ...] = ("tiktok-sea", "tiktok-uk"),
                  weights: dict[str, str] | None = None) -> Path:
    values: list[tuple[str, str, str, Any]] = []
    for market in markets:
        values.append((market, "TT-INC-1", "reputation_star.industries", STAR_INDUSTRIES))
        for name, weight in (weights or STAR_WEIGHTS).items():
            values.append((market, "TT-INC-1", f"reputation_star.weight.{name}", weight))
    return write_override(path, *values)
