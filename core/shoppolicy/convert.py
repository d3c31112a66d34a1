"""The boundary: cattrs structuring of input records and unstructuring of results.

Input (order records, violation events, policy files, incentive records) is structured
with one strict converter: unknown keys are refused, decimals must be plain decimal
strings or integers (never floats, never an exponent) within 10^12, dates are ISO 8601
from 2000 to 2099.  A failure becomes an
:class:`~shoppolicy.errors.InputError` whose message names the field path and what was
expected.  Output (quotes, penalties, incentive results) is unstructured to plain
JSON-ready dicts: money as decimal strings, dates as ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from decimal import Decimal
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_unstructure_fn, override

from shoppolicy.errors import InputError
from shoppolicy.money import to_decimal

T = TypeVar("T")


#: The dates an input may hold (orders, events, policy files, ``--as-of``): any real
#: order falls inside, and no date arithmetic (payout days, time zones) can leave the
#: calendar from there.  Documented in docs/concepts.md.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)

# ISO 8601 as every supported Python reads it alike: ASCII digits, a date, optionally a
# time (``T`` or a space, minutes, seconds, 3 or 6 decimals) and an offset (``Z`` or ±HH:MM).
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}"
                           r"(?::[0-9]{2}(?:\.[0-9]{3}(?:[0-9]{3})?)?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?)?").fullmatch
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
_DATETIME_EXPECTED = "expected an ISO 8601 date or date-time such as 2024-11-01 or 2024-11-01T09:30:00, got {!r}"


def _in_range(day: dt.date, value: object) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"expected a date from {FIRST_DAY} to {LAST_DAY}, got {_shown(value)}")


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def parse_datetime(value: object, what: str = "value") -> dt.datetime:
    """ISO 8601 date or date-time from FIRST_DAY to LAST_DAY; a date means midnight.
    An offset is kept (aware)."""
    if type(value) is str:  # the common case: JSON and CSV give strings
        if _ISO_DATETIME(value) is None:
            raise ValueError(_DATETIME_EXPECTED.format(value))
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value  # Python 3.10 does not read "Z"
        try:
            result = dt.datetime.fromisoformat(text)
        except ValueError:  # shaped like a date but not one (2024-13-01)
            raise ValueError(_DATETIME_EXPECTED.format(value)) from None
        _in_range(result.date(), value)
        return result
    if isinstance(value, dt.datetime):
        _in_range(value.date(), value)
        return value
    if isinstance(value, dt.date):
        _in_range(value, value)
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return parse_datetime(str(value), what)
    raise TypeError(f"expected an ISO 8601 date or date-time string, got {type(value).__name__}")


def parse_date(value: object, what: str = "value") -> dt.date:
    """ISO 8601 date (YYYY-MM-DD) from FIRST_DAY to LAST_DAY."""
    if isinstance(value, dt.datetime):
        _in_range(value.date(), value)
        return value.date()
    if isinstance(value, dt.date):
        _in_range(value, value)
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date string, got {type(value).__name__}")
    try:
        if _ISO_DATE(value) is None:
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 date such as 2024-11-01, got {value!r}") from None
    _in_range(day, value)
    return day


#: The largest number (either sign) a record's decimal may hold; order money is bounded
#: the same way (shoppolicy.orders.MAX_MONEY), with the currency's places besides.
MAX_NUMBER = Decimal(10) ** 12
_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,13}(?:\.[0-9]{1,12})?").fullmatch


def plain_decimal(value: object) -> Decimal:
    """A record's decimal (an event's amount, a shop's GMV): a plain decimal string (ASCII
    digits, at most one ``.`` and 12 decimal places; no exponent, spaces or separators),
    or a whole number or Decimal, at most :data:`MAX_NUMBER` in size; never a float."""
    if type(value) is str:
        if _PLAIN_NUMBER(value) is None:
            raise ValueError('expected a decimal string of ASCII digits with at most one "." (such as "12.50"; '
                             f"no exponent, spaces or separators), got {value!r}")
        result = Decimal(value)
    else:
        result = to_decimal(value)  # refuses floats and booleans, naming them
    if not -MAX_NUMBER <= result <= MAX_NUMBER:
        raise ValueError(f"expected at most 1,000,000,000,000 (10^12) either side of zero, got {value!r}")
    return result


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _structure_int(value: object, _: type) -> int:
    # Whole numbers may come as "3" from CSV; never as 3.0 or True.
    if isinstance(value, (bool, float)):
        raise TypeError(f"expected a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.strip().lstrip("+-").isdigit():
        return int(value)
    raise ValueError(f"expected a whole number, got {value!r}")


def _structure_bool(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TypeError(f"expected true or false, got {value!r}")


def make_converter(*, detailed: bool = True) -> cattrs.Converter:
    """The strict converter used at every boundary."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=detailed)
    conv.register_structure_hook(Decimal, lambda v, _: plain_decimal(v))
    conv.register_structure_hook(dt.datetime, lambda v, _: parse_datetime(v))
    conv.register_structure_hook(dt.date, lambda v, _: parse_date(v))
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    # Direct hooks for the optional forms skip cattrs' generic union dispatch, which is
    # most of the cost of structuring an order in a batch.
    conv.register_structure_hook(Decimal | None, lambda v, _: None if v is None else plain_decimal(v))
    conv.register_structure_hook(dt.datetime | None, lambda v, _: None if v is None else parse_datetime(v))
    conv.register_structure_hook(str | None, lambda v, _: None if v is None else _structure_str(v, str))
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    # Fields marked internal (encoding tokens) are never output.
    def omit_internal(cls: type) -> Any:
        omitted = {f.name: override(omit=True) for f in attrs.fields(cls) if f.metadata.get("internal")}
        return make_dict_unstructure_fn(cls, conv, **omitted)  # type: ignore[arg-type]  # overrides are **kwargs

    conv.register_unstructure_hook_factory(
        lambda cls: attrs.has(cls) and any(f.metadata.get("internal") for f in attrs.fields(cls)), omit_internal)
    return conv


converter = make_converter()
#: The same rules without detailed validation: several times faster on the happy path.
#: A record it refuses is structured again by ``converter`` to name the field.
fast_converter = make_converter(detailed=False)


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        names = [_type_name(a) for a in get_args(tp) if a is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in get_args(tp) else "")
    return {
        Decimal: "a decimal string", str: "a string", int: "a whole number", bool: "true or false",
        dt.datetime: "an ISO 8601 date or date-time", dt.date: "an ISO 8601 date",
    }.get(tp, getattr(tp, "__name__", repr(tp)))


def _describe(exc: BaseException, tp: Any) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown field(s) {', '.join(sorted(exc.extra_fields))}"
    message = str(exc)
    if isinstance(exc, (ValueError, TypeError)) and message and not message.startswith(
            ("unsupported operand", "'", "__init__", "int()", "float()")):
        return message
    return f"expected {_type_name(tp)}" if tp is not None else (message or type(exc).__name__)


def validation_problems(exc: BaseException, path: str = "") -> list[tuple[str, str]]:
    """Flatten a cattrs validation error into ``(field path, problem)`` pairs."""
    problems: list[tuple[str, str]] = []
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            name = getattr(note, "name", None)
            sub_path = (f"{path}.{name}" if path else name) if name is not None else f"{path}[{note.index!r}]"
            if isinstance(sub, (ClassValidationError, IterableValidationError)):
                problems.extend(validation_problems(sub, sub_path))
            else:
                problems.append((sub_path, _describe(sub, note.type)))
        for sub in without:
            problems.extend(validation_problems(sub, path))
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            problems.append((f"{path}.{key}" if path else key, "unknown field"))
    else:
        field = getattr(exc, "field", None)
        if field:
            path = f"{path}.{field}" if path else field
        problems.append((path, _describe(exc, None)))
    return problems


def structure(data: Any, cls: type[T], *, what: str = "record") -> T:
    """Structure ``data`` into ``cls`` or raise an :class:`InputError` naming the field."""
    if not isinstance(data, dict):
        raise InputError(f"expected a {what} object (a JSON object or CSV row), got {type(data).__name__}")
    try:
        return fast_converter.structure(data, cls)
    except Exception:  # structured again below, to explain the problem
        pass
    try:
        return converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError,
            ValueError, TypeError) as exc:
        problems = validation_problems(exc)
        field, problem = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InputError(problem + more, field=field or None) from None


def unstructure(obj: Any) -> Any:
    """A result as plain dicts, lists, strings and booleans, ready for JSON."""
    return converter.unstructure(obj)


def field_error(attribute: attrs.Attribute[Any] | str, message: str) -> ValueError:
    """A validator error that knows its field, so the message can name it."""
    err = ValueError(message)
    err.field = attribute if isinstance(attribute, str) else attribute.name  # type: ignore[attr-defined]
    return err
