"""`mentorlens status`: the run writing now, the last runs (Dagster's history and the
warehouse's), logged failures, per-source counts and open warnings."""

from __future__ import annotations

import os
from datetime import datetime

import duckdb

from ingest.inbox import SETTLED, file_sha256, inbox_paths
from quality.validation import readable_rule
from warehouse.db import connect
from warehouse.failures import failures_log, read_failures
from warehouse.locking import WriterLock
from warehouse.settings import Settings

SHOWN = 5


def status_text(settings: Settings) -> str:
    lines = [*_writer_lines(settings), *_history_lines(settings), *_failure_lines(settings)]
    if not settings.warehouse.exists():
        lines.append(f"No warehouse yet at {settings.warehouse}: run `mentorlens run` first.")
        return "\n".join(lines)
    lines.append(f"Warehouse: {settings.warehouse}")
    with connect(settings.warehouse, read_only=True) as con:
        runs = con.execute(
            "SELECT run_id, finished_at, status FROM meta.runs "
            f"ORDER BY finished_at DESC NULLS LAST LIMIT {SHOWN}"
        ).fetchall()
        lines.append("Runs in the published warehouse:")
        lines += [
            f"  {finished:%Y-%m-%d %H:%M}  {status:<10} {run_id}"
            for run_id, finished, status in runs
        ]
        lines.append("Files by source:")
        for source, status, files, read, loaded, quarantined in con.execute(
            "SELECT coalesce(source, '(none)'), status, count(*), sum(rows_read), "
            "sum(rows_loaded), sum(rows_quarantined) FROM meta.loaded_files "
            "GROUP BY ALL ORDER BY 1, 2"
        ).fetchall():
            counts = f"{read or 0:,} rows read"
            if loaded is not None:
                counts += f", {loaded:,} loaded, {quarantined or 0:,} quarantined"
            lines.append(f"  {source:<11} {status:<12} {files:>3} files  {counts}")
        lines += _inbox_against_ledger(con, settings)
        rejected = con.execute(
            "SELECT file, reason FROM quarantine.rejected_files ORDER BY rejected_at DESC"
        ).fetchall()
        if rejected:
            lines.append("Rejected files:")
            lines += [f"  {reason}" for _, reason in rejected]
        warnings = con.execute(
            "SELECT source, reason, unexpected_count FROM meta.validation_results "
            "WHERE NOT success AND run_id = "
            "(SELECT run_id FROM meta.runs ORDER BY finished_at DESC LIMIT 1) "
            "ORDER BY unexpected_count DESC"
        ).fetchall()
        if warnings:
            lines.append("Open warnings (rows quarantined by rule):")
            lines += [
                f"  {source}: {readable_rule(reason)} ({count:,})"
                for source, reason, count in warnings
            ]
    return "\n".join(lines)


def _inbox_against_ledger(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    """Files the warehouse holds that are gone from the inbox, and inbox files it does not hold
    yet (new, or changed since they were loaded). A file whose size still matches is hashed."""
    ledger = {
        file: (sha, size, status)
        for file, sha, size, status in con.execute(
            "SELECT file, sha256, size_bytes, status FROM meta.loaded_files"
        ).fetchall()
    }
    present = dict(inbox_paths(settings.inbox))
    gone = sorted(
        f for f, (_, _, status) in ledger.items() if status == "loaded" and f not in present
    )
    pending = []
    for name, path in present.items():
        known = ledger.get(name)
        if known is None:
            pending.append(f"  {name} (new)")
        elif known[2] not in SETTLED:
            pending.append(f"  {name} ({known[2]})")
        elif known[1] != path.stat().st_size or known[0] != file_sha256(path):
            pending.append(f"  {name} (changed since it was loaded)")
    lines = []
    if gone:
        lines.append(
            "Loaded but no longer in the inbox (still in the warehouse; "
            "`mentorlens forget FILE` takes one back):"
        )
        lines += [f"  {name}" for name in gone]
    if pending:
        lines.append("In the inbox, not loaded yet (the next run loads them):")
        lines += pending
    return lines


def _writer_lines(settings: Settings) -> list[str]:
    holder = WriterLock(settings.writer_lock).holder()
    if holder is None:
        return []
    who = holder.get("run_id") or "a run"
    return [f"Writing now: {who} (pid {holder.get('pid')}, since {holder.get('since')})."]


def _history_lines(settings: Settings) -> list[str]:
    """The last runs in Dagster's history in DAGSTER_HOME, whoever launched them."""
    if not (settings.dagster_home / "dagster.yaml").exists():
        return []
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)  # dagster.yaml refers to it
    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    try:
        records = instance.get_run_records(limit=SHOWN)
    finally:
        instance.dispose()
    if not records:
        return []
    lines = [f"Last runs (Dagster history in {settings.dagster_home}):"]
    for record in records:
        run = record.dagster_run
        started = record.start_time or record.create_timestamp.timestamp()
        took = f"{record.end_time - record.start_time:.0f} s" if record.end_time else ""
        lines.append(
            f"  {datetime.fromtimestamp(started):%Y-%m-%d %H:%M}  {run.status.value:<9} "
            f"{run.job_name:<16} {_launched_by(run.tags):<22} {run.run_id}  {took}".rstrip()
        )
    return lines


def _launched_by(tags: dict[str, str]) -> str:
    if "dagster/schedule_name" in tags:
        return f"schedule {tags['dagster/schedule_name']}"
    if "dagster/sensor_name" in tags:
        return f"sensor {tags['dagster/sensor_name']}"
    return "by hand"


def _failure_lines(settings: Settings) -> list[str]:
    log = failures_log(settings.dagster_home)
    failures = read_failures(log, limit=SHOWN)
    if not failures:
        return []
    lines = [f"Failures (last {len(failures)}, from {log}):"]
    for entry in reversed(failures):
        lines.append(f"  {entry['at']}  {entry['job']}  {entry['run_id']}: {entry['message']}")
        lines += [f"    {failure}" for failure in entry.get("failures", [])]
    return lines
