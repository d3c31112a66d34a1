"""Dated values, layering, states and policy gaps, and policy-file validation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from shoppolicy import Engine, PolicyFileError
from tests.conftest import acme_order


def _override(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def test_dated_value_switches_exactly_at_effective_from(acme_engine: Engine) -> None:
    # toys: 5% until 2024-06-30 (inclusive), 6% from 2024-07-01 00:00 (acme's local time)
    before = acme_engine.quote(acme_order(placed_at="2024-06-30T23:59:59"))
    after = acme_engine.quote(acme_order(placed_at="2024-07-01T00:00:00"))
    assert before.fees[0].amount == 5  # 100.00 × 5%
    assert after.fees[0].amount == 6  # 100.00 × 6%


def test_order_time_with_offset_is_read_in_the_market_time_zone(acme_engine: Engine) -> None:
    # 2024-07-01T03:30Z is 2024-06-30 23:30 in New York (EDT, UTC-4): still 5%
    quote = acme_engine.quote(acme_order(placed_at="2024-07-01T03:30:00Z"))
    assert quote.fees[0].amount == 5


def test_layering_parent_variant_then_override_files_in_order(tmp_path: Path) -> None:
    import tests.acme.plugin as acme

    plain = Engine(plugins=[acme], entry_points=False)
    assert plain.quote(acme_order(market="acme")).payout_date.isoformat() == "2024-07-10"  # 3 Jul + 7 (parent)
    assert plain.quote(acme_order(market="acme-west")).payout_date.isoformat() == "2024-07-06"  # + 3 (variant)
    first = _override(tmp_path, "a.toml", '[[values]]\nmarket = "acme"\nrule = "TEST-PAY-1"\n'
                      'key = "payout.days"\nvalue = 20\nsource = "my contract"\nconfidence = "user"\n')
    second = _override(tmp_path, "b.toml", '[[values]]\nmarket = "acme-west"\nrule = "TEST-PAY-1"\n'
                       'key = "payout.days"\nvalue = 1\nsource = "my contract"\n')
    # a user override on the parent beats the variant's plugin value: overrides sit above plugins
    one = Engine(plugins=[acme], entry_points=False, policy_files=[first])
    assert one.quote(acme_order(market="acme-west")).payout_date.isoformat() == "2024-07-23"
    # the later file wins
    both = Engine(plugins=[acme], entry_points=False, policy_files=[first, second])
    assert both.quote(acme_order(market="acme-west")).payout_date.isoformat() == "2024-07-04"
    state = next(r for r in both.rules("acme-west", "2024-07-03") if r.key == "payout.days")
    assert (state.value, state.layer, state.defined_for) == ("1", "override b.toml", "acme-west")


def test_policy_gap_names_market_rule_category_date_and_remedy(acme_engine: Engine) -> None:
    quote = acme_engine.quote(acme_order(category="books", placed_at="2024-08-01", delivered_at="2024-08-03"))
    [gap] = quote.gaps
    assert (gap.figure, gap.market, gap.rule, gap.category, gap.on, gap.key, gap.state) == (
        "platform_fee", "acme", "TEST-FEE-1", "books", dt.date(2024, 8, 1), "platform_fee.rate.books", "gap")
    assert gap.detail == "the test source publishes toys and games only"  # the declared gap's reason
    assert "platform_fee.rate.books" in gap.supply and "--policy FILE" in gap.supply and "\n" not in gap.supply
    assert (quote.complete, quote.net, quote.total_fees, quote.fees) == (False, None, None, ())
    assert quote.payout_date == dt.date(2024, 8, 10)  # the payout stands: delivered 3 Aug + 7 days


def test_gap_is_filled_by_an_override(tmp_path: Path) -> None:
    import tests.acme.plugin as acme

    path = _override(tmp_path, "books.toml", '[policy]\nmarket = "acme"\n[[values]]\nrule = "TEST-FEE-1"\n'
                     'key = "platform_fee.rate.books"\nvalue = "0.025"\nsource = "seller notice"\n')
    engine = Engine(plugins=[acme], entry_points=False, policy_files=[path])
    fee = engine.quote(acme_order(category="books", amount="99.99")).fees[0]
    assert fee.amount.as_tuple() == (0, (2, 5, 0), -2)  # 99.99 × 2.5% = 2.49975 → 2.50 (half-up)


def test_announced_not_yet_and_ended_are_named_states(acme_engine: Engine, tmp_path: Path) -> None:
    states = {r.key: r for r in acme_engine.rules("acme", "2023-12-15")}
    assert states["platform_fee.rate.games"].state == "announced"
    assert states["platform_fee.rate.toys"].state == "not_yet"
    [gap] = acme_engine.quote(acme_order(category="games", placed_at="2023-12-15")).gaps
    assert (gap.key, gap.state) == ("platform_fee.rate.games", "announced")
    assert gap.detail is not None and "announced 2023-12-01" in gap.detail
    import tests.acme.plugin as acme

    ended = _override(tmp_path, "end.toml", '[[values]]\nmarket = "acme"\nrule = "TEST-FEE-1"\n'
                      'key = "platform_fee.rate.toys"\nvalue = "0.07"\nsource = "x"\n'
                      'effective_from = 2030-01-01\neffective_to = 2030-12-31\n')
    engine = Engine(plugins=[acme], entry_points=False, policy_files=[ended])
    # the override's range ends on 2030-12-31; the plugin's 6% is still in force below it
    assert engine.quote(acme_order(placed_at="2031-01-01", delivered_at="2031-01-03")).fees[0].amount == 6
    assert engine.quote(acme_order(placed_at="2030-12-31T23:00", delivered_at="2031-01-03")).fees[0].amount == 7


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[values]]\nmarket = "acme"\nrule = "R"\nkey = "k"\nvalue = 0.05\nsource = "s"\n',
         "values[0].value: write decimals as strings"),
        ('[[values]]\nmarket = "acme"\nrule = "R"\nkey = "k"\nvalue = "1"\nsource = "s"\nsorce = "x"\n',
         "values[0].sorce: unknown field"),
        ('[[values]]\nmarket = "acme"\nrule = "R"\nkey = "k"\nvalue = "1"\n',
         "values[0].source: required field missing"),
        ('[[values]]\nrule = "R"\nkey = "k"\nvalue = "1"\nsource = "s"\n', "values[0].market: required"),
        ('[[values]]\nmarket = "acme"\nrule = "R"\nkey = "k"\nvalue = "1"\nsource = "s"\n'
         'effective_from = 2024-05-01\neffective_to = 2024-04-01\n', "values[0].effective_to: effective_to is before"),
        ('[[values]\nmarket = "acme"\n', "not valid TOML"),
        ('[[values]]\nmarket = "acme"\nrule = "R"\nkey = "k"\nvalue = "1"\nsource = "s"\nconfidence = "rumour"\n',
         "values[0].confidence: expected one of seed, official, third-party, user"),
    ],
)
def test_malformed_policy_file_names_file_and_key_path(tmp_path: Path, body: str, expected: str) -> None:
    import tests.acme.plugin as acme

    path = _override(tmp_path, "bad.toml", body)
    with pytest.raises(PolicyFileError) as err:
        Engine(plugins=[acme], entry_points=False, policy_files=[path])
    assert str(err.value).startswith(f"{path}: ")
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


_GAP = '[[gaps]]\nmarket = "acme"\nrule = "R"\nkey = "platform_fee.rate.*"\nreason = "r"\n'


def test_a_gap_keeps_the_range_the_candidate_and_their_source(tmp_path: Path) -> None:
    import tests.acme.plugin as acme

    path = _override(tmp_path, "gap.toml", _GAP + 'low = "0.081"\nhigh = "0.1026"\ncandidate = "0.09"\n'
                     'source = "https://example.com/fees"\nretrieved = 2026-11-30\nconfidence = "third-party"\n')
    engine = Engine(plugins=[acme], entry_points=False, policy_files=[path])
    entry = engine.view("acme", "2024-08-01").state("platform_fee.rate.*").entry
    assert entry is not None and entry.is_gap
    assert (entry.low, entry.high, entry.candidate) == (Decimal("0.081"), Decimal("0.1026"), Decimal("0.09"))
    assert (entry.gap_source, str(entry.retrieved), entry.confidence, entry.source) == (
        "https://example.com/fees", "2026-11-30", "third-party", "")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('low = "0.05"\nhigh = "0.04"\nsource = "s"\n', "gaps[0].low: low (0.05) is above high (0.04)"),
        ('low = "0.05"\nsource = "s"\n', "gaps[0].low: a range needs both low and high"),
        ('low = "0.01"\nhigh = "1.5"\nsource = "s"\n', "gaps[0].high: expected a rate between 0 and 1"),
        ('candidate = 0.0327\nsource = "s"\n', "gaps[0].candidate: write a rate as a decimal string"),
        ('candidate = "three"\nsource = "s"\n', "gaps[0].candidate: expected a rate between 0 and 1"),
        ('candidate = "0.0327"\n', "gaps[0].source: a range or a candidate needs its source"),
        ('confidence = "rumour"\n', "gaps[0].confidence: expected one of seed, official"),
    ],
)
def test_a_gaps_range_and_candidate_are_checked(tmp_path: Path, extra: str, expected: str) -> None:
    import tests.acme.plugin as acme

    path = _override(tmp_path, "bad.toml", _GAP + extra)
    with pytest.raises(PolicyFileError) as err:
        Engine(plugins=[acme], entry_points=False, policy_files=[path])
    assert str(err.value).startswith(f"{path}: ")
    assert expected in str(err.value)


def test_derived_is_a_confidence_level(tmp_path: Path) -> None:
    import tests.acme.plugin as acme

    path = _override(tmp_path, "d.toml", '[[values]]\nmarket = "acme"\nrule = "R"\nkey = "k"\nvalue = "1"\n'
                     'source = "s"\nconfidence = "derived"\nnote = "Derived from R\'s worked example."\n')
    engine = Engine(plugins=[acme], entry_points=False, policy_files=[path])
    assert engine.view("acme", "2024-08-01").entry("k", "R").confidence == "derived"


def test_overlapping_ranges_in_one_layer_are_an_error(tmp_path: Path) -> None:
    import tests.acme.plugin as acme

    body = ('[policy]\nmarket = "acme"\n'
            '[[values]]\nrule = "R"\nkey = "payout.days"\nvalue = 1\nsource = "s"\neffective_to = 2024-12-31\n'
            '[[values]]\nrule = "R"\nkey = "payout.days"\nvalue = 2\nsource = "s"\neffective_from = 2024-12-31\n')
    path = _override(tmp_path, "o.toml", body)
    with pytest.raises(PolicyFileError, match="overlaps") as err:  # reported once, at load
        Engine(plugins=[acme], entry_points=False, policy_files=[path])
    assert str(err.value).startswith(f"{path}: values[1]: 'payout.days' for acme overlaps {path}: values[0]")


def test_override_for_unknown_market_is_refused(tmp_path: Path) -> None:
    import tests.acme.plugin as acme

    path = _override(tmp_path, "m.toml", '[[values]]\nmarket = "acmee"\nrule = "R"\nkey = "k"\nvalue = 1\n'
                     'source = "s"\n')
    with pytest.raises(Exception, match="'acmee' is not a known market"):
        Engine(plugins=[acme], entry_points=False, policy_files=[path])
