"""A newcomer's first hour (issue 15): the README's set-up, tour and embedding snippet run
as printed; --format works where users put it; help and tables say what they should;
the example scripts say what they need."""

from __future__ import annotations

import json
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import shoppolicy
from shoppolicy import render
from shoppolicy.cli import cli

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def block(after_heading: str, language: str) -> str:
    """The first ``language`` code block of the README after ``after_heading``."""
    found = re.search(rf"^{re.escape(after_heading)}$.*?^```{language}\n(.*?)^```$", README, re.S | re.M)
    assert found, f"no {language} block after {after_heading!r}"
    return found.group(1)


def shoppolicy_commands(text: str) -> list[list[str]]:
    """Each ``shoppolicy ...`` command of a shell block (``&&``-joined ones too), as argv."""
    commands = []
    for line in text.splitlines():
        for part in line.split("&&"):
            argv = shlex.split(part, comments=True)
            if argv and argv[0] == "shoppolicy":
                commands.append(argv[1:])
    return commands


@pytest.fixture
def fresh_checkout_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding what the README's commands read (the examples), made the cwd, so
    what the commands write lands there and not in the repository."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("thirdparty-plugin"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_setup_command_leaves_the_shoppolicy_command_reachable_and_its_settle_runs(
        fresh_checkout_folder: Path) -> None:
    setup = block("## Set-up on a fresh machine", "sh").strip()
    steps = [step.strip() for step in setup.split("&&")]
    # Activating the environment is what puts `shoppolicy` on PATH for the tour.
    assert ". .venv/bin/activate" in steps and steps.index(". .venv/bin/activate") < steps.index(
        next(s for s in steps if s.startswith("shoppolicy ")))
    (settle,) = shoppolicy_commands(setup)
    result = run(*settle)
    # 3: the sample orders settle, and four of them name their policy gaps (as the README says)
    assert result.exit_code == 3, result.output
    assert "settled 13 of 13 orders: 9 complete, 4 incomplete (policy gaps); 0 rejected" in result.stderr


def test_every_command_of_the_readme_tour_runs_as_printed(fresh_checkout_folder: Path) -> None:
    commands = shoppolicy_commands(block("## A short tour", "sh"))
    assert len(commands) == 11
    for argv in commands:
        result = run(*argv)
        assert result.exception is None or isinstance(result.exception, SystemExit), (argv, result.exception)
        # 3: the command answered every record and some answer names a policy gap (or, for
        # reconcile and learn-rates, a difference or a conflict): never a bad input
        assert result.exit_code in (0, 3), (argv, result.output)
        assert "Traceback" not in result.output
    settle = next(argv for argv in commands if "settle" in argv)
    source = settle[settle.index("settle") + 1]
    assert (fresh_checkout_folder / source).is_file()  # the tour's settle names a file that exists
    statement = (fresh_checkout_folder / "statement.jsonl").read_text().splitlines()
    assert statement and all(json.loads(line)["order_id"] for line in statement)


def test_the_readme_embedding_snippet_runs_as_printed_from_any_directory(tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(block("## Embedding", "python"), encoding="utf-8")
    elsewhere = tmp_path / "some" / "other" / "folder"
    elsewhere.mkdir(parents=True)
    done = subprocess.run([sys.executable, str(script)], cwd=elsewhere, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "8.00 92.00 2024-11-15"  # as the snippet's comment says
    assert lines[-2] == "US-2 18.40"
    assert lines[-1].startswith("rejected: row 2 amount expected a decimal string")


@pytest.mark.usefixtures("acme_installed")
@pytest.mark.parametrize("command", [["markets"], ["plugins"], ["rules", "acme", "--as-of", "2024-07-01"],
                                     ["quote", "{orders}"], ["explain", "{orders}"], ["payout", "{orders}"],
                                     ["coverage", "--as-of", "2024-07-01"]])
def test_format_works_before_or_after_the_subcommand(tmp_path: Path, command: list[str]) -> None:
    orders = tmp_path / "o.jsonl"
    orders.write_text(json.dumps({"order_id": "A1", "market": "acme", "category": "toys", "amount": "200.00",
                                  "currency": "USD", "placed_at": "2024-07-01", "delivered_at": "2024-07-03"}) + "\n")
    argv = [a.format(orders=orders) for a in command]
    before = run("--format", "table", *argv)
    after = run(*argv, "--format", "table")
    assert before.exit_code == after.exit_code == 0, (before.output, after.output)
    assert after.stdout == before.stdout and not after.stdout.startswith(("{", "["))
    assert run(*argv).stdout.startswith(("{", "["))  # JSON stays the default
    assert run("--format", "table", *argv, "--format", "json").stdout.startswith(("{", "["))  # the later one wins


@pytest.mark.usefixtures("acme_installed")
def test_settle_statement_format_has_its_own_name_and_the_output_format_is_a_clear_usage_error(tmp_path: Path) -> None:
    orders = tmp_path / "o.jsonl"
    orders.write_text(json.dumps({"order_id": "A1", "market": "acme", "category": "toys", "amount": "20.00",
                                  "currency": "USD", "placed_at": "2024-07-01"}) + "\n")
    csv_new = run("settle", str(orders), "--statement-format", "csv")
    csv_old = run("settle", str(orders), "--format", "csv")  # the old spelling, unambiguous: kept
    assert csv_new.exit_code == csv_old.exit_code == 0
    assert csv_new.stdout == csv_old.stdout and csv_new.stdout.startswith("order_id,market,currency,amount")
    table_before = run("--format", "table", "settle", str(orders))
    assert table_before.exit_code == 2 and "settle writes a statement, not a table" in table_before.stderr
    for value in ("table", "json"):
        after = run("settle", str(orders), "--format", value)
        assert after.exit_code == 2 and "--statement-format" in after.stderr
    clash = run("settle", str(orders), "--format", "csv", "--statement-format", "jsonl")
    assert clash.exit_code == 2 and "disagree" in clash.stderr
    assert run("--format", "json", "settle", str(orders)).exit_code == 0  # JSON Lines is JSON: nothing to refuse


@pytest.mark.usefixtures("acme_installed")
def test_incentive_help_lists_the_programmes() -> None:
    result = run("incentive", "--help")
    assert result.exit_code == 0
    programmes = result.stdout.split("Programmes:", 1)[1]
    assert re.search(r"^\s+acme-top-sellers\s+\S", programmes, re.M)


def test_tables_align_chinese_text_by_display_width() -> None:
    text = render.table([["douyin", "Douyin Shop (抖店)", "CNY"], ["tiktok-us", "TikTok Shop US", "USD"]],
                        ["market", "name", "currency"])
    header, rule, *rows = text.splitlines()
    currency_column = [render.display_width(line[:line.index(code)]) for line, code in zip(rows, ("CNY", "USD"),
                                                                                             strict=True)]
    assert currency_column[0] == currency_column[1] == render.display_width(header[:header.index("currency")])
    assert render.display_width("抖店") == 4 and render.display_width("é") == 1 and render.display_width("e\u0301") == 1
    assert len(rule.split("  ")[1]) == render.display_width("Douyin Shop (抖店)")


def test_payout_table_prints_its_header_once(fresh_checkout_folder: Path) -> None:
    result = run("--policy", "examples/douyin/my-categories.toml", "payout", "--format", "table",
                 "examples/douyin/orders.jsonl")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert sum(line.startswith("order ") for line in lines) == 1
    assert {line.split()[0] for line in lines[2:]} == {"DY-1001", "DY-1002", "DY-1003"}


def test_embed_quote_says_clearly_and_exits_non_zero_without_the_example_plugin(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    without_plugins = shoppolicy.Engine

    def engine(**kwargs: object) -> shoppolicy.Engine:
        return without_plugins(entry_points=False, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shoppolicy, "Engine", engine)
    script = runpy.run_path(str(ROOT / "examples" / "embed_quote.py"))
    assert script["main"]() == 1
    err = capsys.readouterr().err
    assert "Example Mall, whose plugin is not installed" in err
    assert "pip install -e examples/thirdparty-plugin" in err
