"""Settle a file of orders from Python: statement lines out, every rejected row kept.

    pip install -e examples/thirdparty-plugin
    python examples/embed_settle.py [ORDERS.jsonl|ORDERS.csv]   # default: Example Mall's sample file

This is what ``shoppolicy settle`` does, as a tool would embed it: records are read one
at a time with their line numbers, each becomes a statement line or a ``Rejected`` (line
number and reason), and a ``Summary`` keeps exact running totals.  An order with a policy
gap is not rejected: its line names the gap and the order counts as incomplete.  Exit
code 3 when a row was rejected or an order is incomplete, as the CLI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shoppolicy import Engine, OrderRecord, render
from shoppolicy.records import read_records
from shoppolicy.settle import Rejected, Summary, settle_rows

DEFAULT = Path(__file__).parent / "thirdparty-plugin" / "data" / "orders.jsonl"


def main(argv: list[str]) -> int:
    path = argv[0] if argv else str(DEFAULT)
    engine = Engine()
    summary = Summary()
    # read_records yields (line number, record or the error that line holds): nothing is dropped.
    # Given the record type, a CSV file's header is checked against its fields first.
    for result in settle_rows(engine, read_records(path, record_type=OrderRecord), summary):
        if isinstance(result, Rejected):
            field = f" field {result.field!r}:" if result.field else ""
            print(f"rejected {path}:{result.line}:{field} {result.reason}", file=sys.stderr)
        else:
            line = render.quote_dict(result)
            del line["trail"]  # a statement keeps figures; `shoppolicy explain` shows why
            print(json.dumps(line))
    print(json.dumps(summary.as_dict()), file=sys.stderr)
    return 3 if summary.rejected or summary.incomplete else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
