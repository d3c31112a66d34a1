"""Tested documentation: a hook, a kit check, a case-file key, a policy-file key, a
command or a rule the plugins cite that the docs do not describe fails here."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import click
import pytest

from shoppolicy import hookspecs, policy
from shoppolicy.authoring import CATALOGUE_ID, load_shipped
from shoppolicy.cli import cli
from shoppolicy.cli_authoring import register
from shoppolicy.testing.cases import SCHEMA
from shoppolicy.testing.conformance import CHECKS

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"

HOOKS = sorted(name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), f"{hookspecs.PROJECT}_spec"))


def text(page: str) -> str:
    return (DOCS / page).read_text(encoding="utf-8")


def test_the_hook_specs_are_found() -> None:
    assert "shoppolicy_fee_rules" in HOOKS and len(HOOKS) >= 6


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_reference_entry(hook: str) -> None:
    assert f".. autofunction:: shoppolicy.hookspecs.{hook}\n" in text("reference/hooks.md")


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_of_its_own(hook: str) -> None:
    tests = [p for p in TESTS.rglob("test_*.py") if Path(__file__).parent not in p.parents]
    assert any(hook in p.read_text(encoding="utf-8") for p in tests), f"no test under tests/ names {hook}"


@pytest.mark.parametrize("check", [c.id for c in CHECKS])
def test_every_conformance_check_is_documented(check: str) -> None:
    assert f"| `{check}` |" in text("testing-plugins.md")


@pytest.mark.parametrize("key", sorted({f.name for cls in SCHEMA for f in attrs.fields(cls)}))
def test_every_case_file_key_is_documented(key: str) -> None:
    assert f"`{key}`" in text("testing-plugins.md")


POLICY_KEYS = sorted({f.name for cls in (policy._Header, policy._ValueSpec, policy._GapSpec)
                      for f in attrs.fields(cls)})


@pytest.mark.parametrize("key", POLICY_KEYS)
def test_every_policy_file_key_is_documented(key: str) -> None:
    assert f"`{key}`" in text("reference/policy-format.md")


def _commands() -> list[str]:
    register(cli)
    return sorted(cli.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_and_is_shown_in_the_guide(command: str) -> None:
    assert isinstance(cli.commands[command], click.Command) and cli.commands[command].help
    guide = "".join(text(page) for page in ("getting-started.md", "concepts.md", "rules.md", "embedding.md",
                                            "plugin-tutorial.md", "testing-plugins.md", "reconcile.md"))
    assert f"shoppolicy {command}" in guide or re.search(rf"shoppolicy (--\S+ \S+ )+{command}\b", guide)
    assert ":nested: full" in text("reference/cli.md")  # the reference itself is generated from click


def test_every_rule_the_first_party_plugins_cite_is_in_the_catalogue_page() -> None:
    shipped = load_shipped(["shoppolicy-douyin", "shoppolicy-tiktok"])
    if not shipped.plugins:
        pytest.skip("the first-party plugins are not installed")
    cited = {m.group(0) for e in shipped.entries for m in re.finditer(CATALOGUE_ID.pattern, e.rule)}
    assert cited, "the first-party plugins cite no rule"
    page = text("rules.md")
    assert sorted(r for r in cited if f"| {r} |" not in page) == []


def test_literalincludes_point_at_files() -> None:
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"```\{literalinclude\} (\S+)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).resolve().is_file(), f"{page.name}: {target}"
