"""The ``shoppolicy`` command: parse, call the engine, render.  No policy logic here.

Exit codes (design.md): 0 success; 1 bad input or policy file, one readable line on
stderr; 2 usage error (click's own); 3 some result is incomplete (named policy gaps) or
some row was rejected.  An error nobody expected is one line too, asking to report it;
``--debug`` shows its traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from click.core import ParameterSource

from shoppolicy import __version__, render
from shoppolicy.cli_authoring import register as _register_authoring
from shoppolicy.cli_common import FORMATS, MONEY, format_option
from shoppolicy.cli_common import as_of as _as_of
from shoppolicy.cli_statements import register as _register_statements
from shoppolicy.engine import Engine
from shoppolicy.errors import InputError, ShopPolicyError
from shoppolicy.gaps import missing_keys, template
from shoppolicy.model import OrderRecord, RuleState, ViolationEvent
from shoppolicy.records import read_all

EXIT_REJECTED = 3  # some results incomplete (named gaps) or some rows rejected


class _State:
    def __init__(self, policy_files: Sequence[str], fmt: str) -> None:
        self.policy_files = list(policy_files)
        self.format = fmt
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(policy_files=self.policy_files)
            for problem in self._engine.problems:
                click.echo(f"warning: {problem}", err=True)
        return self._engine


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {' '.join(message.split())}", err=True)  # one line, whatever the message holds
    sys.exit(code)


class _Group(click.Group):
    """Turns every error into one stderr line and exit code 1: the SDK's own errors and
    the file system's as they are, any other as a bug to report (``--debug``: raised)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ShopPolicyError as exc:
            fail(str(exc))
        except BrokenPipeError:  # e.g. `shoppolicy quote big.jsonl | head`
            sys.stderr.close()
            sys.exit(0)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as exc:  # a file that cannot be read or written, a full disk
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            fail(f"unexpected error ({type(exc).__name__}: {exc}); this is a bug in shoppolicy: please report it "
                 "with the command you ran and the input it read (--debug shows the traceback)")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shoppolicy")
@click.option("--policy", "policy_files", multiple=True, type=click.Path(dir_okay=False),
              help="Policy override file (TOML); repeatable, later files win.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True,
              help="Output format (also accepted after the command).")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
@click.pass_context
def cli(ctx: click.Context, policy_files: tuple[str, ...], fmt: str, debug: bool) -> None:
    """Marketplace seller policy: fees, payouts, violation penalties and incentives."""
    ctx.obj = _State(policy_files, fmt)


def _state() -> _State:
    return click.get_current_context().find_object(_State)  # type: ignore[return-value]


def _emit(data: Any, text: Callable[[], str]) -> None:
    if _state().format == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=None))
    else:
        click.echo(text())


@cli.command()
@format_option
def markets() -> None:
    """List the installed markets with their currency, time zone and parent."""
    engine = _state().engine
    ms = engine.markets()
    data = [{"id": m.id, "name": m.name, "currency": m.currency, "timezone": m.timezone, "parent": m.parent,
             "abstract": m.abstract, "plugin": m.plugin} for m in ms]
    _emit(data, lambda: render.table(
        [[m.id, m.name, m.currency or "-", m.timezone, m.parent or "-", m.plugin] for m in ms],
        ["market", "name", "currency", "time zone", "parent", "plugin"]))


@cli.command()
@format_option
def plugins() -> None:
    """List installed plugins, their distribution, version and markets (broken ones too)."""
    infos = _state().engine.plugins()
    data = [{"name": i.name, "distribution": i.distribution, "version": i.version, "status": i.status,
             "markets": list(i.markets), "error": i.error} for i in infos]
    _emit(data, lambda: render.table(
        [[i.name, i.distribution, i.version, i.status, ", ".join(i.markets), i.error or ""] for i in infos],
        ["plugin", "distribution", "version", "status", "markets", "error"]))


@cli.command()
@click.argument("market")
@format_option
@click.option("--as-of", "as_of", metavar="DATE", help="Date (YYYY-MM-DD) in the market's time zone; default today.")
def rules(market: str, as_of: str | None) -> None:
    """Show every policy value of MARKET on a date: value, state, source and layer."""
    day = _as_of(as_of)
    states = _state().engine.rules(market, day)
    _emit(render.rules_dict(market, day.isoformat(), states), lambda: render.table(
        [[s.rule, s.key, s.value if s.state == "in_force" else f"<{s.state}>", s.defined_for,
          s.confidence or "", _confirmed(s), s.source or s.detail or ""] for s in states],
        ["rule", "key", "value", "from market", "confidence", "last confirmed", "source / detail"]))


def _confirmed(state: RuleState) -> str:
    """The date a source last confirmed a value, marked when more than 12 months old."""
    if state.retrieved is None:
        return ""
    return state.retrieved.isoformat() + (" (stale)" if state.stale else "")


def _orders(path: str) -> list[tuple[int, dict[str, Any]]]:
    return read_all(path, record_type=OrderRecord)


def _at_row(number: int, path: str, exc: InputError) -> InputError:
    return exc.at(row=number, source="<stdin>" if path == "-" else path)


def _in_file(exc: InputError, numbered: Sequence[tuple[int, Any]], path: str) -> InputError:
    """An error the engine raised for its ``row``-th record, placed at that record's line of ``path``."""
    if exc.row is not None and 1 <= exc.row <= len(numbered):
        return _at_row(numbered[exc.row - 1][0], path, exc)
    return exc


@cli.command()
@click.argument("order_file", type=click.Path(allow_dash=True, dir_okay=False))
@format_option
def quote(order_file: str) -> None:
    """Quote each order of ORDER_FILE (JSON Lines or CSV, - for stdin): fees, net, payout dates."""
    _quote(order_file, explain=False)


@cli.command()
@click.argument("order_file", type=click.Path(allow_dash=True, dir_okay=False))
@format_option
def explain(order_file: str) -> None:
    """Quote each order and show why: rule, parameters, source and layer of every figure."""
    _quote(order_file, explain=True)


def _quote(path: str, *, explain: bool) -> None:
    engine = _state().engine
    incomplete = 0
    for number, record in _orders(path):
        try:
            q = engine.quote(record)
        except InputError as exc:
            raise _at_row(number, path, exc) from None
        incomplete += bool(q.gaps)
        _emit(render.quote_dict(q), lambda q=q: render.quote_text(q, explain=explain) + "\n")  # type: ignore[misc]
    _exit_incomplete(incomplete)


def _exit_incomplete(incomplete: int) -> None:
    """Exit 3 when some results are incomplete (named gaps), saying how to list them."""
    if incomplete:
        click.echo(f"{incomplete} result(s) incomplete: policy gaps named in the output; "
                   "`shoppolicy gaps FILE --template` writes an override to fill them", err=True)
        sys.exit(EXIT_REJECTED)


@cli.command()
@click.argument("order_file", type=click.Path(allow_dash=True, dir_okay=False))
@format_option
def payout(order_file: str) -> None:
    """Payout (settlement) dates of each order, merchant and creator, with their rules."""
    engine = _state().engine
    incomplete = 0
    table = _state().format == "table"
    rows: list[list[object]] = []  # every order's lines under one header
    for number, record in _orders(path := order_file):
        try:
            q = engine.payout_quote(record)
        except InputError as exc:
            raise _at_row(number, path, exc) from None
        gaps = [g for g in q.gaps if g.figure.startswith("payout:")]
        incomplete += bool(gaps)
        lines = list(q.payouts)
        if table:
            rows.extend([q.order_id, p.party, p.date, p.tier or "", p.basis, p.basis_date, p.days, p.rule]
                        for p in lines)
            rows.extend([q.order_id, g.figure.removeprefix("payout:"), "<gap>", "", "", g.on, "", f"{g.rule} {g.key}"]
                        for g in gaps)
        else:
            _emit(render.payout_dict(q.order_id, q.market, lines, gaps), str)
    if table:
        click.echo(render.table(rows, ["order", "party", "date", "tier", "basis", "basis date", "days", "rule"]))
    _exit_incomplete(incomplete)


@cli.command()
@click.argument("order_file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--template", "template_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write an override file (TOML) with one entry to fill in per missing key (- for stdout).")
@format_option
def gaps(order_file: str, template_file: str | None) -> None:
    """The policy keys ORDER_FILE's orders are missing: how many orders each blocks, and
    from when it is needed; --template writes an override file to fill them in."""
    engine = _state().engine
    quotes = []
    for number, record in _orders(order_file):
        try:
            quotes.append(engine.quote(record))
        except InputError as exc:
            raise _at_row(number, order_file, exc) from None
    missing = missing_keys(quotes)
    if template_file is not None:
        text = template(missing, source_file=order_file)
        if template_file == "-":
            click.echo(text)
        else:
            Path(template_file).write_text(text, encoding="utf-8")
            click.echo(f"wrote {template_file}: {sum(m.fillable for m in missing)} key(s) to fill in", err=True)
        return
    _emit({"missing": [{"market": m.market, "rule": m.rule, "key": m.key, "orders": m.orders,
                        "needed_from": m.needed_from.isoformat(), "detail": m.example.detail,
                        "low": render.money_text(m.example.low), "high": render.money_text(m.example.high),
                        "candidate": render.money_text(m.example.candidate)} for m in missing]},
          lambda: render.table([[m.market, m.rule, m.key, m.orders, m.needed_from, m.example.detail or ""]
                                for m in missing], ["market", "rule", "key", "orders", "needed from", "detail"])
          if missing else "no policy gaps: every order is complete")


@cli.command()
@click.argument("events_file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--deposit", metavar="AMOUNT", type=MONEY,
              help="Every shop's starting security deposit balance: a decimal amount >= 0, e.g. 10000.")
@format_option
def penalties(events_file: str, deposit: str | None) -> None:
    """Apply violation events (JSON Lines or CSV) in time order: deductions, flags, deposit balance."""
    numbered = read_all(events_file, record_type=ViolationEvent)
    try:
        shops = _state().engine.penalties([r for _, r in numbered], deposit=deposit)
    except InputError as exc:
        raise _in_file(exc, numbered, events_file) from None
    _emit(render.penalties_dict(shops), lambda: _penalties_text(shops))


def _penalties_text(shops: Sequence[Any]) -> str:
    out = []
    for s in shops:
        out.append(f"shop {s.shop_id} ({s.market}, {s.currency})")
        out.append(render.table(
            [[line.at.isoformat(), line.kind, line.severity or "", line.order_id or "", line.deduction,
              line.points if line.points is not None else "", line.rule, ", ".join(line.flags),
              line.balance_after if line.balance_after is not None else ""] for line in s.lines],
            ["at", "kind", "severity", "order", "deduction", "points", "rule", "flags", "balance"]))
        out.append(f"total deduction: {s.total_deduction} {s.currency}")
        if s.deposit_balance is not None:
            out.append(f"deposit: {s.deposit_start} -> {s.deposit_balance} {s.currency}")
        out.extend(f"warning: {w}" for w in s.warnings)
        out.append("")
    return "\n".join(out)


class _IncentiveCommand(click.Command):
    """``incentive --help`` lists the installed programmes after the options."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        try:
            state = ctx.find_object(_State) or _State((), "json")
            programs = sorted(state.engine.incentive_programs().values(), key=lambda p: p.id)
        except ShopPolicyError as exc:
            rows = [("(unavailable)", str(exc))]
        else:
            rows = [(p.id, p.name) for p in programs] or [("(none)", "no installed plugin offers a programme")]
        with formatter.section("Programmes"):
            formatter.write_dl(rows)


@cli.command(cls=_IncentiveCommand)
@click.argument("program")
@click.argument("shops_file", type=click.Path(allow_dash=True, dir_okay=False))
@format_option
def incentive(program: str, shops_file: str) -> None:
    """Evaluate incentive PROGRAM for the records of SHOPS_FILE: eligibility, reasons, rank.

    PROGRAM is one of the programmes listed below."""
    engine = _state().engine
    known = engine.incentive_programs().get(program)
    numbered = read_all(shops_file, record_type=known.record_type if known is not None else None)
    try:
        results = engine.incentive(program, [r for _, r in numbered])
    except InputError as exc:
        raise _in_file(exc, numbered, shops_file) from None
    _emit(render.incentive_dict(program, results), lambda: render.table(
        [[r.subject, r.market, "yes" if r.eligible else "no", r.group or "", r.score if r.score is not None else "",
          r.rank or "", "yes" if r.awarded else "", "; ".join(r.reasons)] for r in results],
        ["subject", "market", "eligible", "group", "score", "rank", "awarded", "reasons"]))


@cli.command()
@click.argument("input_file", metavar="INPUT", type=click.Path(allow_dash=True))
@click.option("--out", "-o", "out", default="-", type=click.Path(allow_dash=True),
              help="Statement file (default: standard output); with --dask, the statement directory.")
@click.option("--rejects", type=click.Path(dir_okay=False),
              help="File for rejected rows (line number and reason); default: standard error.")
@click.option("--summary", "summary_file", type=click.Path(dir_okay=False),
              help="Write the batch summary here as JSON instead of to standard error.")
@click.option("--statement-format", "out_format", type=click.Choice(["jsonl", "csv", "parquet"]),
              help="Statement format; default from --out's extension (.csv, .parquet), else jsonl.")
@click.option("--trail", type=click.Choice(["full", "ref"]), default="full", show_default=True,
              help="JSON Lines: each line's explanation trail in full, or referenced by plan id with the "
                   "trails written once per plan to OUT.plans.jsonl.")
@click.option("--format", "old_format", hidden=True, callback=lambda ctx, param, value: _old_format(value),
              help="The former name of --statement-format (jsonl or csv).")
@click.option("--input-format", type=click.Choice(["jsonl", "csv"]), help="Default from INPUT's extension.")
@click.option("--progress/--no-progress", default=None, help="Progress on standard error; default: on a terminal.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="1: read, price and write JSON Lines input on one thread; otherwise the batch reads, prices "
                   "and writes on threads of its own and N caps Arrow's thread pool; default 0: all CPUs.")
@click.option("--dask", "dask", is_flag=False, flag_value="local", default=None, metavar="[SCHEDULER]",
              callback=lambda ctx, param, value: _dask_scheduler(value),
              help="Settle every file of INPUT (a directory or a quoted glob) over Dask, one task per file, into "
                   "the directory --out.  SCHEDULER: local (the default: a LocalCluster), threads, processes, "
                   "synchronous, or a scheduler address (tcp://host:8786).")
def settle(input_file: str, out: str, rejects: str | None, summary_file: str | None, out_format: str | None,
           trail: str, old_format: str | None, input_format: str | None, progress: bool | None, jobs: int,
           dask: str | None) -> None:
    """Settle a batch of orders (JSON Lines or CSV, - for stdin) into a statement.

    One statement line per accepted order, naming any policy gap; each rejected row is
    reported with its line number and reason and the batch goes on.  Exit code 3 when any
    order is incomplete or any row was rejected.  The statement is written beside --out
    under a temporary name and renamed when the batch ends.
    """
    from shoppolicy.batch import output_clash, run_settle

    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.get_parameter_source("fmt") is ParameterSource.COMMANDLINE and root.params["fmt"] == "table":
        raise click.UsageError("settle writes a statement, not a table: --format table applies to the other "
                               "commands; choose the statement's format with --statement-format jsonl|csv", ctx)
    if old_format is not None and out_format is not None and old_format != out_format:
        raise click.UsageError(f"--format {old_format} and --statement-format {out_format} disagree", ctx)
    if dask is not None:  # many files: their own path (shoppolicy.dask_settle), --out a directory
        sys.exit(_settle_dask(dask, input_file, out, rejects=rejects, summary_file=summary_file,
                              statement_format=out_format or old_format, input_format=input_format,
                              progress=progress))
    for name, path in (("INPUT", input_file), ("--out", out)):
        if os.path.isdir(path):
            raise click.UsageError(f"{name} {path} is a directory; settle --dask settles every file of a "
                                   "directory into the directory --out", ctx)
    clash = output_clash(input_file, out, rejects, summary_file)
    if clash is not None:
        raise click.UsageError(clash, ctx)
    cores = os.cpu_count() or 1
    if jobs > cores:
        click.echo(f"note: --jobs {jobs} is more than the {cores} CPU(s) here; using {cores}", err=True)
        jobs = cores
    state = _state()
    code = run_settle(lambda: state.engine, input_file, out=out, rejects=rejects, summary_file=summary_file,
                      out_format=out_format or old_format, input_format=input_format, progress=progress,
                      jobs=jobs or None, trail=trail)
    sys.exit(code)


def _dask_scheduler(value: str | None) -> str | None:
    """``--dask``'s scheduler, checked before INPUT is looked for: an INPUT the option took
    as its value is named as such, not reported as a missing argument."""
    from shoppolicy.dask_settle import scheduler_problem

    problem = scheduler_problem(value) if value is not None else None
    if value is None or problem is None:
        return value
    hint = (f"; to settle the files of {value}, write --dask after INPUT or --dask=local"
            if os.path.exists(value) or any(c in value for c in "*?[") else "")
    raise click.BadParameter(problem + hint, param_hint="--dask")


def _settle_dask(scheduler: str, inputs: str, out: str, *, rejects: str | None, summary_file: str | None,
                 statement_format: str | None, input_format: str | None, progress: bool | None) -> int:
    """``settle --dask``: the files of ``inputs`` over Dask into the directory ``out``; the exit code."""
    from shoppolicy.dask_settle import settle_dask, write_summary

    if out == "-":
        raise click.UsageError("--dask writes a directory of statement parts: name it with --out DIR")
    result = settle_dask(inputs, out, scheduler=scheduler, policy_files=_state().policy_files,
                         input_format=input_format, rejects=rejects, summary_file=summary_file,
                         statement_format=statement_format,
                         progress=progress if progress is not None else sys.stderr.isatty())
    for problem in result.problems:
        click.echo(f"warning: {problem}", err=True)
    if summary_file is None:  # as settle: the summary on standard error unless written to a file
        write_summary(result.summary, None)
    return result.code


def _old_format(value: str | None) -> str | None:
    """``settle --format jsonl|csv``: the former name of --statement-format, kept where it
    cannot be read as the output format of the other commands."""
    if value is None or value in ("jsonl", "csv"):
        return value
    raise click.BadParameter(f"settle's statement format is jsonl or csv (--statement-format); {value!r} "
                             f"{'is an output format of the other commands' if value in FORMATS else 'is neither'}",
                             param_hint="--format")


_register_authoring(cli)
_register_statements(cli)


def main(argv: Sequence[str] | None = None) -> None:
    # Arrow's default allocator, mimalloc, keeps what one thread frees of another's
    # allocations for a while: a batch, which reads on one thread and prices and writes
    # on others, then holds about a quarter more memory.  The system allocator returns it
    # (and costs no more time).  Arrow reads this once, when pyarrow is first imported;
    # a choice of the user's own stands.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    # numpy's OpenBLAS starts a thread per core when numpy is imported, and they spin a
    # while before they sleep: about 0.1 s of CPU for nothing, as the CLI does no linear
    # algebra.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cli.main(args=list(argv) if argv is not None else None, prog_name="shoppolicy")


if __name__ == "__main__":  # pragma: no cover
    main()
