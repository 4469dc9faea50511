"""The `mentorlens` command: demo, run, check, status, schema."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path

from ingest.mapping import MappingError
from warehouse.settings import SettingError, Settings

DEMO_MARKER = ".mentorlens-demo"


class UserError(Exception):
    """Something the person running the command can fix; shown as one sentence, no traceback."""


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the `mentorlens` command itself, not a test calling main()
        _quiet_interpreter_exit()
    parser = _parser()
    args = parser.parse_args(argv)  # wrong arguments: usage and exit status 2
    try:
        return args.handler(args)
    except (UserError, SettingError, MappingError, FileNotFoundError, LookupError) as error:
        print(f"mentorlens: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mentorlens: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mentorlens schema | head`: the reader has seen enough
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python's exit flush quiet
        return 0


def _quiet_interpreter_exit() -> None:
    """DuckDB 2.0's bindings (nanobind) print some forty `nanobind: leaked … instances` lines
    as the interpreter shuts down after a run: its module's own types and functions are still
    referenced from libraries that are torn down later (not connections of ours: every one is
    closed). They say nothing about the run, yet read as a crash. Once every exit handler has
    run (this one is registered first, so it runs last) and the output is flushed, stderr is
    pointed at /dev/null for the interpreter's final teardown only."""

    def silence_teardown() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    atexit.register(silence_teardown)


def _version() -> str:
    try:
        return metadata.version("mentorlens")
    except metadata.PackageNotFoundError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mentorlens",
        description="Does your mentoring, sponsorship and ally program work?",
    )
    parser.add_argument("--version", action="version", version=f"mentorlens {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="write the built-in demo organisation into its own folder (MENTORLENS_DEMO, "
        "default data/demo), then run on it; your inbox, warehouse and reports are not touched",
    )
    demo.add_argument("--employees", type=int, default=5000, help="size of the organisation")
    demo.add_argument("--seed", type=int, default=20261122)
    demo.add_argument("--no-run", action="store_true", help="only write the demo inbox")
    demo.set_defaults(handler=_demo)

    run = commands.add_parser("run", help="run the whole pipeline on MENTORLENS_INBOX")
    run.set_defaults(handler=_run)

    check = commands.add_parser(
        "check", help="say what would load, be quarantined or rejected, writing nothing"
    )
    check.add_argument("path", type=Path, help="a file or a folder of exports")
    check.set_defaults(handler=_check)

    forget = commands.add_parser(
        "forget",
        help="take back a loaded file: its rows leave every layer, the files before it win "
        "again, and the next run publishes the result",
    )
    forget.add_argument("file", help="the file's name in the inbox, e.g. employees_2026-11.csv")
    forget.set_defaults(handler=_forget)

    status = commands.add_parser(
        "status", help="the last runs and failures, per-source counts, warnings"
    )
    status.set_defaults(handler=_status)

    schema = commands.add_parser(
        "schema", help="every table and column of the published warehouse, with its comment"
    )
    schema.add_argument(
        "schema", nargs="?", default="marts", help="a schema: marts (default), staging, meta …"
    )
    schema.set_defaults(handler=_schema)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from demo import write_demo_inbox

    settings = Settings.from_env().for_demo()
    inbox = settings.inbox
    if args.employees < 500:
        raise UserError("The demo needs at least 500 employees, so its few bad rows stay rare.")
    started = time.perf_counter()
    writing = inbox.parent / ".inbox-writing"
    shutil.rmtree(writing, ignore_errors=True)  # only ever the demo's own scratch folder
    try:
        summary = write_demo_inbox(writing, employees=args.employees, seed=args.seed)
        written = sorted(summary.relative(p) for paths in summary.files.values() for p in paths)
        _replace_demo_files(inbox, writing, written)
    finally:
        shutil.rmtree(writing, ignore_errors=True)
    print(
        f"Demo inbox: {len(written)} files for {args.employees:,} employees in {inbox} "
        f"({time.perf_counter() - started:.1f} s). Your own inbox is not touched."
    )
    return 0 if args.no_run else _run_with(settings)


def _replace_demo_files(inbox: Path, writing: Path, written: list[str]) -> None:
    """Swap the demo's files for freshly written ones. Only files named in the demo's manifest
    (the files it wrote last time) are ever removed or overwritten: anything else in the folder
    is someone's, and stays as it is."""
    manifest = inbox / DEMO_MARKER
    ours = set(manifest.read_text(encoding="utf-8").split("\n")[1:]) if manifest.exists() else set()
    clashes = [name for name in written if (inbox / name).exists() and name not in ours]
    if clashes:
        raise UserError(
            f"The demo inbox {inbox} holds {clashes[0]}, which the demo did not write; move it "
            "out, or set MENTORLENS_DEMO to another folder."
        )
    for name in sorted(ours - set(written)):
        if name and (inbox / name).is_file():
            (inbox / name).unlink()
    for name in written:
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(writing / name, inbox / name)
    manifest.write_text(
        "Written by `mentorlens demo`, which replaces only the files listed here:\n"
        + "\n".join(written),
        encoding="utf-8",
    )


def _run(_args: argparse.Namespace) -> int:
    return _run_with(Settings.from_env())


def _run_with(settings: Settings) -> int:
    from pipelines.runner import run_pipeline

    if not settings.inbox.is_dir():
        raise UserError(f"The inbox {settings.inbox} does not exist; set MENTORLENS_INBOX.")
    started = time.perf_counter()
    print(f"Running mentorlens on {settings.inbox} …", file=sys.stderr)
    outcome = run_pipeline(settings)
    elapsed = time.perf_counter() - started
    if outcome.nothing_new:
        print(outcome.nothing_new)
        return outcome.exit_status
    for file in outcome.unrecognised:
        print(f"Unrecognised, ignored: {file}")
    for _file, reason in outcome.rejected:
        print(f"Rejected: {reason}")
    if not outcome.success:
        print(
            f"The run failed after {elapsed:.1f} s; nothing was published (the warehouse and "
            "reports are as they were):"
        )
        for failure in outcome.failures:
            print(_readable_failure(failure))
        return outcome.exit_status
    print(f"Warehouse: {settings.warehouse}")
    if (settings.reports / "index.html").exists():
        print(f"Reports:   {settings.reports / 'index.html'}")
    print(f"Done in {elapsed:.1f} s." + (" Some files were rejected." if outcome.rejected else ""))
    return outcome.exit_status


def _readable_failure(failure: str) -> str:
    """One failure, its quoted rows one a line: 'check NAME failed: TEXT. First reasons: line 2:
    …; line 3: …' (assets/staging.py) becomes TEXT, then each row indented."""
    prefix, _, text = failure.partition(" failed: ")
    tag = ""
    if prefix.startswith("check ") and text:
        failure, tag = text, f" [{prefix.removeprefix('check ')}]"
    head, _, reasons = failure.partition(" First reasons: ")
    if not reasons:
        return f"  {failure}{tag}"
    rows = reasons.removesuffix(".").replace("; line ", "\n    line ")
    return f"  {head}{tag} First rows quarantined:\n    {rows}"


def _check(args: argparse.Namespace) -> int:
    from pipelines.checker import check_path

    path = args.path.expanduser().resolve()
    if not path.exists():
        raise UserError(f"{path} does not exist.")
    report = check_path(path, Settings.from_env())
    print(report.text)
    return report.exit_status


def _forget(args: argparse.Namespace) -> int:
    from ingest.forget import NotLoaded, forget_file
    from warehouse.db import connect, last_good_copy
    from warehouse.locking import WriterLock
    from warehouse.publishing import recover

    settings = Settings.from_env()
    name = _inbox_name(args.file, settings.inbox)
    lock = WriterLock(settings.writer_lock)
    lock.acquire(
        f"mentorlens forget {name}",
        on_wait=lambda _holder: print(
            "A run is writing; waiting for it to finish …", file=sys.stderr
        ),
    )
    try:
        # As a run does on taking the lock: finish a publication that died half-way first, so
        # the copy changed below is the one the next run starts from.
        recover(settings.warehouse, settings.working_warehouse)
        start = last_good_copy(settings.working_warehouse)
        if not start.exists():
            raise UserError(
                f"No published run to take {name} back from: run `mentorlens run` first."
            )
        with connect(start) as con:
            forgotten = forget_file(con, name)
    except NotLoaded as error:
        raise UserError(str(error)) from None
    finally:
        lock.release()
    rows = ", ".join(f"{n:,} from {t}" for t, n in forgotten.rows_removed.items()) or "no rows"
    print(f"Forgot {name}: removed {rows}.")
    if (settings.inbox / name).is_file():
        print(
            "It is still in the inbox; as it is, it will not be loaded again (change it, or "
            "move it out yourself: mentorlens never touches your files)."
        )
    print("Run `mentorlens run` to publish the warehouse and reports without it.")
    return 0


def _inbox_name(given: str, inbox: Path) -> str:
    """A file's name as the ledger has it: relative to the inbox, with '/' separators."""
    path = Path(given).expanduser()
    candidate = path if path.is_absolute() else Path.cwd() / path
    try:
        return candidate.resolve().relative_to(inbox.resolve()).as_posix()
    except ValueError:
        if path.is_absolute():
            raise UserError(f"{given} is not inside the inbox {inbox}.") from None
    return path.as_posix()


def _status(_args: argparse.Namespace) -> int:
    from pipelines.status import status_text

    print(status_text(Settings.from_env()))
    return 0


def _schema(args: argparse.Namespace) -> int:
    from pipelines.schema import schema_text

    print(schema_text(Settings.from_env(), args.schema))
    return 0


if __name__ == "__main__":
    sys.exit(main())
