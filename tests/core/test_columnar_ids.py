"""The columnar path's order-id check (:class:`shoppolicy.columnar.ids.OrderIds`): a
repeat is found within a table and across tables, for short ids (compared whole) and
long ones (compared by a hash, a match then checked exactly), and the first line of
each id is the one the row path would name."""

from __future__ import annotations

import pytest

pa = pytest.importorskip("pyarrow")

from shoppolicy.columnar.ids import OrderIds  # noqa: E402


def ids(*values: str | None) -> object:
    return pa.array(list(values), pa.string())


@pytest.mark.parametrize("width", [6, 8, 12, 24])
def test_distinct_ids_of_one_width_pass_table_after_table(width: int) -> None:
    check = OrderIds({})
    first = [f"{i:0{width}d}" for i in range(1000)]
    second = [f"{i:0{width}d}" for i in range(1000, 2000)]
    assert check.add(ids(*first), 1)
    assert check.add(ids(*second), 1001)
    assert not check.exact  # still the fixed-width check, no dictionary built


@pytest.mark.parametrize("width", [6, 8, 12, 24])
def test_an_id_of_an_earlier_table_is_a_repeat_and_names_its_first_line(width: int) -> None:
    seen: dict[str, int] = {}
    check = OrderIds(seen)
    first = [f"{i:0{width}d}" for i in range(100)]
    assert check.add(ids(*first), 1)
    assert check.add(ids(*[f"{i:0{width}d}" for i in range(100, 200)]), 101)
    repeat = f"{57:0{width}d}"
    assert not check.add(ids(f"{999:0{width}d}", repeat), 201)
    table = check.make_exact()
    assert table is seen and seen[repeat] == 58  # line 58: the 58th id of the first table


@pytest.mark.parametrize("width", [6, 12])
def test_a_repeat_within_one_table_is_found(width: int) -> None:
    check = OrderIds({})
    values = [f"{i:0{width}d}" for i in range(50)]
    assert not check.add(ids(*values, values[10]), 1)


def test_ids_that_differ_only_after_the_eighth_byte_are_distinct() -> None:
    check = OrderIds({})
    assert check.add(ids("ORDER-2024-0001", "ORDER-2024-0002"), 1)
    assert check.add(ids("ORDER-2024-0003", "ORDER-2024-0004"), 3)
    assert not check.exact
    assert not check.add(ids("ORDER-2024-0005", "ORDER-2024-0002"), 5)


def test_ids_of_mixed_lengths_or_missing_are_checked_exactly() -> None:
    seen: dict[str, int] = {}
    check = OrderIds(seen)
    assert check.add(ids("A1", "B22", None), 1)  # not one width: the dictionary from now on
    assert check.exact and seen == {"A1": 1, "B22": 2}
    assert check.add(ids("C333"), 4)
    assert not check.add(ids("B22"), 5)
