"""Columnar settlement on Apache Arrow: many orders priced at once, with the same
figures, gaps and statement lines as the row path (:mod:`shoppolicy.pricing`).

- :mod:`.frame` reads JSON Lines into Arrow tables and picks the rows this path takes;
- :mod:`.figures` works out, per combination of order fields, what the core blocks
  apply, and the money figures as integer vectors;
- :mod:`.lines` fills the row path's own statement line, rendered once per shape;
- :mod:`.shapes` puts them together for a table, with the batch totals.

pyarrow and numpy come with the ``columnar`` extra; without them :func:`available` is
false and ``settle`` runs the row path.
"""

from __future__ import annotations


def available() -> bool:
    """Whether pyarrow and numpy are installed (and not disabled by ``SHOPPOLICY_NO_ARROW``)."""
    import os

    if os.environ.get("SHOPPOLICY_NO_ARROW"):
        return False
    try:
        import numpy  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True
