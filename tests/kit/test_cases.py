"""Policy case files through the Python API, against the acme test plugin (registered from
Python, so no installed plugin is involved): loading, exact comparison, overrides and the
failure report."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppolicy.testing.cases import CaseFileError, Mismatch, format_failure, load_case, toml_document
from tests.kit.conftest import ACME_CASE, ACME_ORDER

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

def write(tmp_path: Path, text: str, name: str = "case_x.toml") -> Path:
    path = tmp_path / name
    path.write_text(ACME_CASE + text)
    return path


def run_all(path: Path) -> dict[str, tuple[Mismatch, ...]]:
    case = load_case(path)
    return {check: case.run(check).mismatches for check in case.checks()}


def test_exact_figures_pass(tmp_path: Path) -> None:
    path = write(tmp_path, ACME_ORDER + '''
[orders.expect]
fees = { platform_fee = "6.00" }
fee_rules = { platform_fee = "TEST-FEE-1" }
total_fees = "6.00"
net = "94.00"
payout_date = 2024-07-10
pending = []
''')
    assert run_all(path) == {"orders[A1]": ()}


def test_every_differing_figure_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, ACME_ORDER + '''
[orders.expect]
fees = { platform_fee = "6.0", listing_fee = "1.00" }
net = "94.00"
payout_date = 2024-07-09
creator_commission = "0.00"
''')
    case = load_case(path)
    result = case.run("orders[A1]")
    assert result.mismatches == (
        Mismatch("fees.listing_fee", "1.00", "(none)"),
        Mismatch("fees.platform_fee", "6.0", "6.00"),  # exact: the scale is part of the figure
        Mismatch("creator_commission", "0.00", "(none)"),
        Mismatch("payout_date", "2024-07-09", "2024-07-10"),
    )
    report = format_failure(case, result)
    assert report.splitlines()[:3] == [
        "case_x.toml::orders[A1] (as of 2024-07-01): 4 of 5 expected figure(s) differ",
        "  figure              expected    actual",
        "  fees.listing_fee    1.00        (none)",
    ]
    assert '"net": "94.00"' in report  # the actual quote follows, as JSON


def test_an_expected_error(tmp_path: Path) -> None:
    # A policy gap is no longer an error (the quote names it); a refused input still is.
    secret = ACME_ORDER + 'affiliate_plan = "secret"\ncommission_rate = "0.1"\n'
    bad = secret + '''
[orders.expect]
error = "field 'affiliate_plan': expected 'open' or 'shop' or 'targeted' for this market (TEST-AFF-1)"
'''
    assert run_all(write(tmp_path, bad)) == {"orders[A1]": ()}
    wrong = bad.replace("field 'affiliate_plan'", "a field 'affiliate_plan'")
    (mismatch,) = run_all(write(tmp_path, wrong))["orders[A1]"]
    assert (mismatch.path, mismatch.expected) == (
        "error", "containing \"a field 'affiliate_plan': expected 'open' or 'shop' or 'targeted' for this market "
                 "(TEST-AFF-1)\"")
    assert mismatch.actual.startswith("field 'affiliate_plan': expected 'open' or 'shop' or 'targeted' for this "
                                      "market (TEST-AFF-1), got 'secret'")
    unexpected = secret + '[orders.expect]\nnet = "1.00"\n'
    assert run_all(write(tmp_path, unexpected))["orders[A1]"][0].path == "error"


def test_penalties_incentives_and_rules(tmp_path: Path) -> None:
    path = write(tmp_path, '''
deposit = "25.00"
program = "acme-top-sellers"

[[events]]
shop_id = "s1"
market = "acme"
kind = "late_shipping"
order_id = "o1"

[[events]]
shop_id = "s1"
market = "acme"
kind = "late_shipping"
at = 2024-07-02T10:00:00
order_id = "o2"

[[records]]
shop_id = "big"
market = "acme"
gmv = "900.00"
reviews = 30

[[records]]
shop_id = "new"
market = "acme"
gmv = "50.00"
reviews = 3

[[expect.shops]]
shop_id = "s1"
total_deduction = "20.00"
deposit_balance = "5.00"
lines = [{ order_id = "o1", deduction = "10.00", rule = "TEST-VIO-1", flags = [] }, { order_id = "o2" }]

[[expect.results]]
subject = "big"
eligible = true
rank = 1
awarded = true

[[expect.results]]
subject = "new"
eligible = false
reasons = ["is not more than 20"]

[[expect.rules]]
market = "acme-west"
key = "payout.days"
state = "in_force"
value = "3"
layer = "tests.acme.plugin"

[[expect.rules]]
market = "acme"
key = "platform_fee.rate.toys"
value = "0.06"
source = "TEST-FEE-1"
''')
    assert run_all(path) == {"penalties": (), "incentive[acme-top-sellers]": (), "rules": ()}


def test_overrides_file_then_inline(tmp_path: Path) -> None:
    (tmp_path / "negotiated.toml").write_text('''
[[values]]
market = "acme"
rule = "TEST-FEE-1"
key = "platform_fee.rate.books"
value = "0.02"
source = "TEST-FEE-1"
''')
    path = write(tmp_path, '''policy_files = ["negotiated.toml"]
''' + ACME_ORDER.replace('"toys"', '"books"') + '''

[override.policy]
market = "acme"

[[override.values]]
rule = "TEST-FEE-1"
key = "platform_fee.rate.toys"
value = "0.01"
source = "TEST-FEE-1"
effective_from = 2024-07-01T00:00:00

[orders.expect]
fees = { platform_fee = "2.00" }

[[orders]]
order_id = "A2"
market = "acme"
category = "toys"
amount = "100.00"
currency = "USD"

[orders.expect]
fees = { platform_fee = "1.00" }

[[expect.rules]]
market = "acme"
key = "platform_fee.rate.toys"
layer = "override case_x.override.toml"
''')
    assert run_all(path) == {"orders[A1]": (), "orders[A2]": (), "rules": ()}


def test_a_bad_inline_override_names_the_case_file(tmp_path: Path) -> None:
    path = write(tmp_path, ACME_ORDER + '''
[[override.values]]
market = "acme"
rule = "TEST-FEE-1"
key = "platform_fee.rate.toys"
value = 0.01
source = "TEST-FEE-1"

[orders.expect]
net = "94.00"
''')
    with pytest.raises(CaseFileError) as err:
        load_case(path).run("orders[A1]")
    assert str(err.value) == (f"{path}: {path} [override]: values[0].value: write decimals as strings (\"0.01\"), "
                              "a TOML float is not exact")


def test_unknown_keys_and_missing_expectations_are_listed(tmp_path: Path) -> None:
    path = write(tmp_path, 'colour = "red"\n' + ACME_ORDER + '''
shipping = "4.95"

[orders.expect]
nett = "94.00"

[[orders]]
order_id = "A2"
market = "acme"
amount = 100.5
currency = "USD"
''')
    with pytest.raises(CaseFileError) as err:
        load_case(path)
    assert err.value.problems == [
        ("orders[0].expect.nett", "unknown field"),
        ("orders[1].expect", "required: the figures this order's quote must show"),
        ("colour", "unknown field"),
    ]
    assert str(err.value).startswith(f"{path}: invalid case file:\n  orders[0].expect.nett: unknown field")
    # Once the case file's own keys are right, each record is checked against its contract.
    path = write(tmp_path, ACME_ORDER + '''
shipping = "4.95"
expect = { net = "94.00" }

[[orders]]
order_id = "A2"
market = "acme"
amount = 100.5
currency = "USD"
expect = { net = "94.00" }
''')
    with pytest.raises(CaseFileError) as err:
        load_case(path)
    assert err.value.problems == [
        ("orders[0].shipping", "unknown field"),
        ("orders[1].amount", "expected a decimal string such as \"0.05\", got the float 100.5"),
    ]


def test_bad_inputs_and_empty_cases_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError) as err:
        load_case(write(tmp_path, ACME_ORDER.replace('"100.00"', '100.5') + '[orders.expect]\nnet = "1"\n'))
    ((path, problem),) = err.value.problems
    assert path == "orders[0].amount" and "float" in problem
    with pytest.raises(CaseFileError) as err:
        load_case(write(tmp_path, ACME_ORDER + "[orders.expect]\n"))
    assert err.value.problems == [("orders[0].expect", "expects nothing: name at least one figure")]
    with pytest.raises(CaseFileError) as err:
        load_case(write(tmp_path, ""))
    assert err.value.problems == [("", "the case checks nothing: add [[orders]], [[events]], [[records]] or "
                                       "[[expect.rules]]")]
    with pytest.raises(CaseFileError) as err:
        load_case(write(tmp_path, '[[records]]\nshop_id = "x"\n'))
    assert [p for p, _ in err.value.problems] == ["program", "expect.results"]


_scalars = st.one_of(st.text(), st.integers(), st.booleans(), st.dates(),
                     st.datetimes(min_value=dt.datetime(1900, 1, 1)).map(lambda d: d.replace(microsecond=0)))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(min_size=1), inner, max_size=3), max_leaves=8)
_tables = st.dictionaries(st.text(min_size=1), _values, max_size=4)


@given(st.fixed_dictionaries({"policy": _tables, "values": st.lists(_tables, min_size=1, max_size=3)}),
       st.dictionaries(st.text(min_size=1), _scalars, max_size=3))
def test_inline_overrides_are_written_back_exactly(doc: dict[str, object], top: dict[str, object]) -> None:
    data = {**{k: v for k, v in top.items() if k not in doc}, **doc}
    assert tomllib.loads(toml_document(data)) == data
