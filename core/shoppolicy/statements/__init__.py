"""Platform statements: read what TikTok Shop and Douyin Shop charged, reconcile it with
our figures, and learn a seller's own rates from it.

- :func:`read_statement` — a statement file (TikTok Finance API 202501 by statement or
  by order, archived 202309, the Seller Center export as xlsx or CSV, Douyin's settle
  bill) as a :class:`~.model.Statement`;
- :func:`reconcile` — computed against charged, fee by fee, as a :class:`Reconciliation`;
- :func:`learn_rates` — the rates the statement proves, as :class:`LearnedRates` (an
  override file with ``confidence = "statement"``).

statement-formats.md (the project's formats reference) is the source of every field,
sign and formula used here.
"""

from shoppolicy.statements.learn_rates import LearnedRate, LearnedRates, NotLearned, RateConflict, learn_rates
from shoppolicy.statements.model import ArithmeticFinding, Statement, StatementLine, UnknownItem
from shoppolicy.statements.read import FORMATS, read_statement
from shoppolicy.statements.reconcile import FeeSummary, ReconcileRow, Reconciliation, reconcile

__all__ = [
    "FORMATS", "ArithmeticFinding", "FeeSummary", "LearnedRate", "LearnedRates", "NotLearned", "RateConflict",
    "ReconcileRow", "Reconciliation", "Statement", "StatementLine", "UnknownItem", "learn_rates", "read_statement",
    "reconcile",
]
