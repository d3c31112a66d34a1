"""Record and policy-snippet builders shared by the Douyin plugin tests."""

from __future__ import annotations

from typing import Any


def value(rule: str, key: str, val: str, **extra: str) -> str:
    """One ``[[values]]`` table of a test override (a test's own data, confidence user)."""
    lines = [f'rule = "{rule}"', f'key = "{key}"', f"value = {val}",
             f'source = "test data for {rule}"', 'confidence = "user"']
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "[[values]]\n" + "\n".join(lines) + "\n\n"


def order(**fields: Any) -> dict[str, Any]:
    """A Douyin order record; keyword arguments replace or add fields (None removes one)."""
    record: dict[str, Any] = {"order_id": "DY-1", "market": "douyin", "shop_id": "S1", "category": "toys",
                              "amount": "10000.00", "currency": "CNY", "placed_at": "2024-06-01T10:00:00"}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def event(kind: str, at: str, **fields: Any) -> dict[str, Any]:
    """A Douyin violation event of shop S1."""
    record: dict[str, Any] = {"shop_id": "S1", "market": "douyin", "kind": kind, "at": at}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}
