"""Freshness: how old the knowledge behind each figure is.

Every value records ``retrieved`` (the last date a source confirmed it); a trail entry's
``confirmed`` is the oldest of the values its figure rests on; a quote lists in ``stale``
every figure confirmed more than 12 months before the order's date; ``rules``,
``coverage`` and ``check-sources --stale MONTHS`` show it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from shoppolicy import Engine
from shoppolicy.cli import cli
from shoppolicy.policy import Entry, Layer
from shoppolicy.render import quote_dict, quote_text, statement_row
from shoppolicy.trail import is_stale, months_after, stale_from, trail_for

LAYER = Layer(name="test", origin=0)


def entry(retrieved: dt.date | None, confidence: str = "official") -> Entry:
    return Entry(market="m", rule="R-FEE-1", key="k", value="0.01", source="s", layer=LAYER, path="p",
                 confidence=confidence, retrieved=retrieved)


def test_a_trail_entry_is_confirmed_on_the_oldest_retrieved_date_of_its_values() -> None:
    found = trail_for("R-FEE-1", "fee", [entry(dt.date(2025, 1, 2)), entry(dt.date(2024, 3, 5)), entry(None)])
    assert found.confirmed == dt.date(2024, 3, 5)
    assert found.stale_note == "R-FEE-1 fee: last confirmed 2024-03-05"
    assert trail_for("R-FEE-1", "fee", [entry(None)]).confirmed is None


def test_more_than_12_months_before_the_orders_date_is_stale() -> None:
    confirmed = dt.date(2024, 3, 5)
    assert not is_stale(confirmed, dt.date(2025, 3, 5)) and is_stale(confirmed, dt.date(2025, 3, 6))
    assert stale_from(confirmed) == dt.datetime(2025, 3, 6)
    assert months_after(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)  # a leap day: the month's last day
    assert months_after(dt.date(2024, 10, 31), 4) == dt.date(2025, 2, 28)
    assert not is_stale(None, dt.date(2030, 1, 1))


DOUYIN = {"order_id": "d1", "market": "douyin", "amount": "100.00", "currency": "CNY", "category": "x",
          "affiliate_plan": "selected_alliance", "commission_rate": "0.10"}


def test_a_douyin_order_of_2025_says_its_commission_was_last_confirmed_2022_12_12() -> None:
    q = Engine().quote({**DOUYIN, "placed_at": "2025-06-01"})
    assert q.creator is not None and q.creator.commission == Decimal("10.00")  # the figure stands
    [note] = q.stale
    assert note.startswith("DY-FEE-2 ") and note.endswith("last confirmed 2022-12-12")
    data = quote_dict(q)
    assert data["stale"] == [note]
    assert {t["confirmed"] for t in data["trail"]} == {"2022-12-12"}
    assert f"stale: {note} (more than 12 months before the order)" in quote_text(q)
    assert "last confirmed 2022-12-12" in quote_text(q, explain=True)
    assert statement_row(q)[-1] == note


def test_an_order_within_12_months_of_the_confirmation_is_fresh() -> None:
    assert Engine().quote({**DOUYIN, "placed_at": "2023-12-12"}).stale == ()
    assert Engine().quote({**DOUYIN, "placed_at": "2023-12-13"}).stale != ()
    us = {"order_id": "u1", "market": "tiktok-us", "amount": "100.00", "currency": "USD"}
    assert Engine().quote({**us, "placed_at": "2026-06-01T10:00:00"}).stale == ()  # read 2026-11-23
    assert quote_dict(Engine().quote({**us, "placed_at": "2026-06-01T10:00:00"}))["stale"] == []


def run(*args: str) -> list[str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_rules_show_when_each_value_was_last_confirmed() -> None:
    states = {s.key: s for s in Engine().rules("douyin", "2025-01-01")}
    assert states["creator_commission.platform_take"].retrieved == dt.date(2022, 12, 12)
    assert states["creator_commission.platform_take"].stale
    assert not Engine().rules("douyin", "2023-06-01")[0].stale
    [line] = [x for x in run("--format", "table", "rules", "douyin", "--as-of", "2025-01-01")
              if "creator_commission.platform_take" in x]
    assert "2022-12-12 (stale)" in line


def test_coverage_marks_a_rule_whose_value_in_force_is_stale() -> None:
    lines = run("--format", "table", "coverage", "--as-of", "2025-01-01", "--market", "douyin")
    assert any(x.split()[:2] == ["DY-FEE-3", "F*"] for x in lines)
    assert any("* a value in force was last confirmed" in x for x in lines)
    data = json.loads("\n".join(run("coverage", "--as-of", "2025-01-01", "--market", "douyin")))
    [rule] = [r for r in data["markets"][0]["rules"] if r["rule"] == "DY-FEE-3"]
    assert rule["stale"] and rule["keys"][0]["confirmed"] == "2022-12-12"


@pytest.mark.parametrize(("as_of", "listed"), [("2026-11-30", True), ("2023-12-12", False)])
def test_check_sources_stale_lists_values_last_confirmed_more_than_months_before(as_of: str, listed: bool) -> None:
    out = run("--format", "table", "check-sources", "--distribution", "shoppolicy-douyin", "--stale", "12",
              "--as-of", as_of)
    stale = [x for x in out if "last confirmed 2022-12-12" in x]
    assert bool(stale) is listed
    assert any(x.startswith(f"{len(stale)} value(s) last confirmed more than 12 month(s) before {as_of}")
               for x in out)
    data = json.loads(run("check-sources", "--distribution", "shoppolicy-douyin", "--stale", "12",
                          "--as-of", as_of)[0])
    assert data["ok"] and len(data["stale"]["values"]) == len(stale)


def test_check_sources_stale_leaves_out_a_value_that_ended_before_it_aged() -> None:
    from shoppolicy.authoring import stale_values

    ended = Entry(market="m", rule="R-FEE-1", key="k", value="0.01", source="s", layer=LAYER, path="p",
                  retrieved=dt.date(2024, 1, 1), end=dt.datetime(2024, 6, 1))
    still = Entry(market="m", rule="R-FEE-1", key="k2", value="0.01", source="s", layer=LAYER, path="p",
                  retrieved=dt.date(2024, 1, 1))
    assert stale_values([ended, still], 12, dt.date(2026, 1, 1)) == [still]
