"""docs/reconcile.md's worked example: each console block's command is run (in a scratch
folder, in page order) and every line the page shows must be a line of its output; the
TOML shown must be in the file learn-rates wrote."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoppolicy import Engine
from shoppolicy.cli import cli

ROOT = Path(__file__).parents[2]
PAGE = (ROOT / "docs" / "reconcile.md").read_text(encoding="utf-8")
FIXTURES = "tests/statements/fixtures/"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE, flags=re.S)


def test_the_worked_example_prints_what_the_page_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not {"douyin", "tiktok-us"} <= {m.id for m in Engine().markets()}:
        pytest.skip("the first-party plugins are not installed")
    monkeypatch.chdir(tmp_path)
    consoles = blocks("console")
    assert len(consoles) == 4
    for block in consoles:
        command, *shown = block.rstrip("\n").split("\n")
        args = shlex.split(command.removeprefix("$ ").replace(FIXTURES, f"{ROOT}/{FIXTURES}"))
        assert args[0] == "shoppolicy"
        result = CliRunner().invoke(cli, args[1:])
        assert result.exit_code in (0, 3), result.output
        printed = [line.rstrip() for line in result.stdout.splitlines()]
        for line in shown:
            assert line.rstrip() in printed, f"{command}: {line!r} is not printed"
    (toml,) = blocks("toml")
    written = (tmp_path / "learned.toml").read_text(encoding="utf-8")
    assert toml in written
