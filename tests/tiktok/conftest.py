"""Fixtures of the TikTok Shop tests: the installed plugins, as users get them."""

from __future__ import annotations

import pytest

from shoppolicy import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    """The engine with the installed plugins (entry points), no override."""
    return Engine()
