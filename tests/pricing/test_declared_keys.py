"""Issue 14, declared policy keys: a policy file that no plugin's declaration covers is
refused at load with one line naming the file and the key, never once per order."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from shoppolicy import Engine, Market, PolicyFileError, hookimpl
from shoppolicy.blocks.keys import KeySpec
from shoppolicy.cli import cli


def _override(tmp_path: Path, market: str, rule: str, key: str, value: str, extra: str = "") -> Path:
    path = tmp_path / "override.toml"
    path.write_text(f'[[values]]\nmarket = "{market}"\nrule = "{rule}"\nkey = "{key}"\nvalue = {value}\n'
                    f'source = "my own figures"\neffective_from = 2025-01-01\n{extra}', encoding="utf-8")
    return path


@pytest.mark.parametrize(("market", "rule", "key", "value", "named"), [
    ("tiktok-my", "TT-FEE-4", "fee.commission.base", '"amout"', "'amout' is not one of amount"),
    ("tiktok-my", "TT-FEE-19", "fee.commission.keyed_by", '["categroy"]', "'categroy' is not one of category"),
    ("tiktok-uk", "TT-AFF-3", "creator_payout.schedule", '"semi-monthly"', "'semi-monthly' is not one of"),
    ("tiktok-us", "TT-PAY-2", "settlement.cross_border_pop.acelerated.days", "3",
     "nearest declared key: settlement.*.accelerated.days"),
    ("tiktok-my", "TT-FEE-4", "fee.charged", '["comission"]', "'comission' is not one of"),
    ("tiktok-my", "TT-FEE-3", "fee.commission.rate.fashion", '"0.05"', "rule TT-FEE-3 is not declared with it"),
    ("tiktok-my", "TT-FEE-19", "fee.commission.rate.*", '"0.05"', "only a [[gaps]] entry may use it"),
], ids=["base", "keyed_by", "schedule", "tier-in-key", "charged-code", "another-markets-rule", "wildcard-value"])
def test_a_bad_override_value_is_one_line_at_load(tmp_path: Path, market: str, rule: str, key: str, value: str,
                                                  named: str) -> None:
    path = _override(tmp_path, market, rule, key, value)
    with pytest.raises(PolicyFileError) as info:
        Engine(policy_files=[path])
    assert str(path) in str(info.value) and named in str(info.value)
    result = CliRunner().invoke(cli, ["--policy", str(path), "markets"])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1


class _Sloppy:
    """A plugin whose own data misspells a key it declares."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def shoppolicy_markets(self) -> list[Market]:
        return [Market(id="sloppy-mall", name="Sloppy mall (test)", currency="EUR", timezone="Europe/Paris")]

    @hookimpl
    def shoppolicy_policy_keys(self) -> list[KeySpec]:
        return [KeySpec("fee.rate", "rate", "SLOPPY-FEE-1")]

    @hookimpl
    def shoppolicy_policy_files(self) -> list[Path]:
        path = self.folder / "sloppy.toml"
        path.write_text('[[values]]\nmarket = "sloppy-mall"\nrule = "SLOPPY-FEE-1"\nkey = "fee.rat"\n'
                        'value = "0.05"\nsource = "SLOPPY-FEE-1"\n', encoding="utf-8")
        return [path]


def test_a_plugin_whose_own_data_is_refused_is_not_used_and_the_others_work(tmp_path: Path) -> None:
    engine = Engine(plugins=[_Sloppy(tmp_path)])
    assert "sloppy-mall" not in {m.id for m in engine.markets()}
    assert any("fee.rat" in p and "nearest declared key: fee.rate" in p for p in engine.problems)
    assert "tiktok-us" in {m.id for m in engine.markets()}  # one broken plugin never stops the others
