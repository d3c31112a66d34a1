"""Shared fixtures: the acme test plugin, installed as a real entry point or registered
from Python."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shoppolicy import Engine


@pytest.fixture
def make_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Create an installed distribution (a ``.dist-info`` on ``sys.path``) whose entry
    points in the ``shoppolicy`` group are ``entry_points`` (name → "module:attr")."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def make(name: str, version: str, entry_points: dict[str, str], modules: dict[str, str] | None = None) -> Path:
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
        (info / "entry_points.txt").write_text(f"[shoppolicy]\n{lines}\n")
        for module, source in (modules or {}).items():
            (site / f"{module}.py").write_text(source)
        importlib.invalidate_caches()
        return info

    return make


@pytest.fixture
def acme_installed(make_dist: Callable[..., Path]) -> Iterator[None]:
    """The acme plugin installed as distribution ``acme-plugin 1.2.0``."""
    make_dist("acme-plugin", "1.2.0", {"acme": "tests.acme.plugin"})
    yield


@pytest.fixture
def acme_engine() -> Engine:
    """An engine with only the acme plugin, registered from Python."""
    import tests.acme.plugin as acme

    return Engine(plugins=[acme], entry_points=False)


def acme_order(**fields: str) -> dict[str, str]:
    order = {"order_id": "A1", "market": "acme", "category": "toys", "amount": "100.00", "currency": "USD",
             "placed_at": "2024-07-01T10:00:00", "delivered_at": "2024-07-03"}
    order.update(fields)
    return order
