"""The conformance checks from Python: what each finds in the faulty test plugins, and
that the worked example plugin passes them all."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from shoppolicy import Engine, Market
from shoppolicy.testing.conformance import CHECKS, Conformance, _market_problems, split_problems
from tests.acme.plugin import shoppolicy_markets as acme_markets
from tests.conftest import acme_order
from tests.kit.conftest import BROKEN_POLICY_PROBLEMS, needs_example, relative


@needs_example
def test_example_plugin_passes_every_check() -> None:
    outcomes = Conformance("shoppolicy-example-mall", max_examples=20).run_all()
    assert list(outcomes) == [c.id for c in CHECKS]
    assert {check: o.problems for check, o in outcomes.items() if not o.passed} == {}


@needs_example
def test_distribution_names_are_normalised() -> None:
    assert Conformance("Shoppolicy_Example.Mall").run("entry-points").passed


def test_a_distribution_that_is_not_installed_fails_every_check() -> None:
    c = Conformance("shoppolicy-no-such-plugin")
    assert c.run("entry-points").problems == [
        "shoppolicy-no-such-plugin is not installed or declares no entry point in group 'shoppolicy'"]
    assert c.run("markets").problems[0].startswith("cannot check: shoppolicy-no-such-plugin is not installed")


def test_unknown_check_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown check 'colour'; known: entry-points, hooks"):
        Conformance("x").run("colour")


@pytest.mark.usefixtures("faulty_site")
def test_broken_plugin_fails_with_a_message_per_problem() -> None:
    out = Conformance("shoppolicy-broken").run_all()
    assert out["entry-points"].passed
    assert [p.split(" (no such hook spec")[0] for p in out["hooks"].problems] == [
        "broken: unknown hook 'shoppolicy_fee_rule'",
        "broken: shoppolicy_payout_rules is not decorated with @shoppolicy.hookimpl, so pluggy ignores it",
    ]
    (currency,) = out["markets"].problems
    assert currency.startswith("broken: shoppolicy_markets raised ValueError: currency: expected an ISO 4217 code")
    assert currency.endswith("got 'XYZ'")
    assert [relative(p) for p in out["policy-data"].problems] == BROKEN_POLICY_PROBLEMS
    (engine,) = out["engine"].problems
    assert engine.startswith("shoppolicy-broken 0.0.1: plugin 'broken' was not loaded: does not match the hook "
                             "specs: unknown hook 'shoppolicy_fee_rule'")
    assert out["samples"].skipped is not None and "declares no SAMPLE_ORDERS" in out["samples"].skipped


@pytest.mark.usefixtures("faulty_site")
def test_sloppy_money_is_caught() -> None:
    c = Conformance("shoppolicy-sloppy", max_examples=10)
    for check in ("hooks", "markets", "policy-data", "engine"):
        assert c.run(check).passed, check
    # exact-money looks at what the plugin's charges yield, before the engine adds anything up.
    assert c.run("exact-money").problems == [
        "sample order 's2': fee float_fee amount is a float (1.0), expected a Decimal",
        "sample order 's2': creator: platform_take 0.01 + creator_receives 1.00 != commission 1.00",
    ]
    # The engine cannot add a float up: the samples check reports the crash, with its order.
    samples = c.run("samples")
    (crash,) = samples.problems
    assert crash.startswith("sample order 's2' (sloppy-mall): TypeError: unsupported operand type(s) for +")
    assert crash.endswith(": 'decimal.Decimal' and 'float'")
    assert samples.warnings == ["no SAMPLE_ORDERS for market(s) sloppy-annex: the kit cannot check their arithmetic"]
    # s1's unrounded fee happens to be on the cent for its own amount; generated amounts show it is not.
    (generated,) = c.run("split-property").problems
    assert generated.startswith("orders generated from sample 's1' (sloppy-mall): AssertionError: fee rate_fee amount")
    assert "is not on the USD minor unit (0.01)" in generated
    assert "split_adds_back(" in generated and "amount=Decimal(" in generated  # hypothesis's minimal example


def test_split_problems_of_a_quote() -> None:
    import tests.acme.plugin as acme

    engine = Engine(plugins=[acme], entry_points=False)
    quote = engine.quote(acme_order(affiliate_plan="open", commission_rate="0.15"))
    assert split_problems(quote) == []
    assert split_problems(attrs.evolve(quote, net=quote.net + Decimal("0.01"))) == [
        "fees 6.00 + creator commission 15.00 + net 79.01 != amount 100.00"]
    assert quote.creator is not None
    bad_creator = attrs.evolve(quote.creator, creator_receives=quote.creator.commission)
    assert split_problems(attrs.evolve(quote, creator=bad_creator)) == [
        "creator: platform_take 1.50 + creator_receives 15.00 != commission 15.00"]


def test_market_declarations() -> None:
    known = {m.id: m for m in acme_markets()}
    assert _market_problems(known["acme-west"], known) == []
    bad = Market(id="Acme_East", name=" ", currency=None, timezone="Mars/Olympus", parent="acme-north")
    assert _market_problems(bad, known) == [
        "the id must be lowercase letters and digits joined by hyphens (e.g. example-mall)",
        "needs a name",
        "needs a currency (only an abstract regional parent may have none)",
        "unknown time zone 'Mars/Olympus'; expected an IANA name such as Asia/Shanghai",
        "parent 'acme-north' is declared by no installed plugin",
    ]
    loop = {"a": Market(id="a", name="A", currency="USD", timezone="UTC", parent="b"),
            "b": Market(id="b", name="B", currency="USD", timezone="UTC", parent="a")}
    assert _market_problems(loop["a"], loop) == ["parent chain loops back to 'a'"]


CLASH = '''
from shoppolicy import Market, hookimpl

@hookimpl
def shoppolicy_markets():
    return [Market(id="acme", name="Another Acme", currency="USD", timezone="UTC")]
'''


@pytest.mark.usefixtures("acme_installed")
def test_a_market_claimed_by_two_distributions(make_dist: Callable[..., Path]) -> None:
    make_dist("shoppolicy-clash", "0.3.0", {"clash": "clash_plugin"}, {"clash_plugin": CLASH})
    c = Conformance("shoppolicy-clash")
    assert c.run("markets").problems == ["market 'acme' is also declared by acme-plugin: each market id has one owner"]
    (engine,) = c.run("engine").problems
    assert "market 'acme' is claimed by" in engine and "acme-plugin 1.2.0" in engine and "shoppolicy-clash" in engine
