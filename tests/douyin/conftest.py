"""Fixtures of the Douyin plugin tests: the installed engine and override files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shoppolicy import Engine


@pytest.fixture
def engine() -> Engine:
    """The installed plugins only: Douyin's published (seed) policy, no override."""
    return Engine()


@pytest.fixture
def override(tmp_path: Path) -> Callable[[str], Path]:
    """Write an override file (the body after ``[policy] market = "douyin"``) and return its path."""
    count = 0

    def write(body: str) -> Path:
        nonlocal count
        count += 1
        path = tmp_path / f"override{count}.toml"
        path.write_text('[policy]\nmarket = "douyin"\n\n' + body, encoding="utf-8")
        return path

    return write
