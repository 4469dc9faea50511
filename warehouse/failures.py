"""The failures log: one JSON line per failed run, for `mentorlens status` and for alerting.

It lives at `$DAGSTER_HOME/mentorlens-failures.jsonl`, beside Dagster's own run history. Each
failed run is written once, by whoever notices it first: the CLI for its own runs
(`noticed_by: cli`), the run-failure sensor for runs launched by the daemon or the UI
(`run_failure_log_sensor`), or, for a run that was killed, whoever next takes the writer lock:
the next run or the `abandoned_run_sensor` (`writer lock`). A line looks like:

    {"at": "2026-11-22T13:40:02+00:00", "run_id": "…", "job": "mentorlens_job",
     "noticed_by": "cli", "message": "…", "failures": ["check … failed: …"]}
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

FAILURES_LOG = "mentorlens-failures.jsonl"


def failures_log(dagster_home: Path | str) -> Path:
    return Path(dagster_home) / FAILURES_LOG


def record_failure(
    log: Path,
    run_id: str,
    job: str,
    message: str,
    noticed_by: str,
    failures: list[str] | None = None,
) -> dict | None:
    """Append one line for the run unless it is logged already; the entry when written."""
    if any(entry.get("run_id") == run_id for entry in read_failures(log)):
        return None
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "job": job,
        "noticed_by": noticed_by,
        "message": message,
        "failures": failures or [],
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    # One write of one line in append mode, so concurrent writers never interleave a line.
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return entry


def read_failures(log: Path, limit: int | None = None) -> list[dict]:
    """The logged failures, oldest first (the last `limit` of them); unreadable lines skipped."""
    if not log.exists():
        return []
    entries = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries[-limit:] if limit else entries


def record_abandoned_run(instance, holder: dict) -> str:
    """A run died holding the writer lock (killed, or its machine stopped): mark it failed in
    Dagster's history if it still shows as running, and log it. Returns a line for the log."""
    message = (
        f"Run {holder.get('run_id') or 'unknown'} (pid {holder.get('pid')} on "
        f"{holder.get('host')}, since {holder.get('since')}) died holding the writer lock: "
        "killed, or its machine stopped."
    )
    return _fail_and_log(instance, holder.get("run_id"), message)


def record_vanished_run(instance, run) -> str:
    """A run that shows as running but neither holds nor waits for the writer lock: its process
    is gone (it died before taking the lock). Marked failed, so the run queue moves on."""
    message = (
        f"Run {run.run_id} shows as running but no process of it holds or waits for the "
        "writer lock: it died before it could write."
    )
    return _fail_and_log(instance, run.run_id, message)


def _fail_and_log(instance, run_id: str | None, message: str) -> str:
    run = instance.get_run_by_id(run_id) if run_id else None
    if run is not None and not run.is_finished:
        instance.report_run_failed(run, message)
    record_failure(
        failures_log(instance.root_directory),
        run_id or "unknown",
        run.job_name if run is not None else "unknown",
        message,
        noticed_by="writer lock",
    )
    return message


def root_error(event: dg.DagsterEvent):
    """The innermost error of a failed step (Dagster wraps the asset's own in its own)."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None:
        error = error.cause
    return error


def step_failure_text(event: dg.DagsterEvent) -> str:
    error = root_error(event)
    if error is None:
        return f"{event.step_key}: {event.message}"
    return f"{event.step_key}: {error.cls_name}: {error.message.strip()}"
