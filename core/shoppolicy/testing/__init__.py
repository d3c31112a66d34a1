"""The plugin author kit: conformance checks and policy case files.

Run it with pytest against an installed plugin distribution::

    pytest --shoppolicy-conformance=shoppolicy-example-mall

or from Python: :class:`~shoppolicy.testing.conformance.Conformance` runs the checks,
:func:`~shoppolicy.testing.cases.load_case` and :meth:`~shoppolicy.testing.cases.Case.run`
run a case file.  This package imports nothing heavy itself, because pytest loads its
plugin module in every test run of an environment where shoppolicy is installed.
"""

#: The file names the kit collects as policy case files.
CASE_PATTERN = "case_*.toml"
