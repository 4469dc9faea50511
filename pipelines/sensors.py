"""Sensors: run when the inbox changes, log every failed run, clear up after dead ones.

- `survey_wave_sensor`: a survey file is new or changed → the wave job loads the new waves alone.
- `inbox_sensor`: any other export is new or changed → the main job.
- `run_failure_log_sensor`: a run failed → a line in the failures log (warehouse/failures.py).
- `abandoned_run_sensor`: a run died without Dagster noticing (SIGKILL, a restarted machine) →
  marked failed, so the one-writer run queue does not wait for it forever.
All four are on by default whenever the Dagster daemon runs.
"""

import hashlib
import json
import time
from pathlib import Path

import dagster as dg
import duckdb

from ingest.inbox import file_sha256, inbox_paths, settled_in
from pipelines.jobs import MAIN_JOB, WAVE_JOB, WRITER_TAGS
from quality.contract import source_of
from reports.freshness import record_failed_run
from surveys.waves import wave_key
from warehouse.failures import (
    failures_log,
    record_abandoned_run,
    record_failure,
    record_vanished_run,
    step_failure_text,
)
from warehouse.publishing import recover
from warehouse.resources import InboxResource, ReportsResource, WarehouseResource

# A file modified more recently than this may still be being copied in: leave it for a later tick.
SETTLE_SECONDS = 60
# A run takes the writer lock seconds after it starts; one that shows as running this long with
# the lock free has died.
VANISHED_AFTER_SECONDS = 600


def _exports(inbox: Path) -> dict[str, tuple[str, Path]]:
    """{file: (source, path)} for every visible file of a known source, hashing nothing."""
    found = {}
    for name, path in inbox_paths(inbox):
        source = source_of(name)
        if source is not None:
            found[name] = (source, path)
    return found


def _fingerprints(inbox: Path) -> dict[str, str]:
    """Survey files by content: they are small, and a wave's run key names its files' hashes."""
    return {
        name: file_sha256(path)
        for name, (source, path) in _exports(inbox).items()
        if source == "surveys"
    }


@dg.sensor(
    job_name=WAVE_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the wave job when a survey file is new or changed: one run loads the "
    "new waves, leaving the other sources and the waves loaded before alone.",
)
def survey_wave_sensor(
    context: dg.SensorEvaluationContext, inbox: InboxResource, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    folder = Path(inbox.path)
    if not folder.is_dir():
        return dg.SkipReason(f"The inbox {inbox.path} does not exist.")
    seen = _wave_cursor(context.cursor)
    current = _fingerprints(folder)
    changed = sorted(f for f, sha in current.items() if seen["surveys"].get(f) != sha)
    loaded = _loaded(warehouse) if changed else set()
    changed = [f for f in changed if (f, current[f]) not in loaded]
    if not changed:
        return dg.SensorResult(
            skip_reason="No new or changed survey files.",
            cursor=_dump_wave_cursor(current, seen["exports"]),
        )
    exports = _hashed(folder, settled_export_stats(folder, time.time()), seen["exports"])
    if any((f, export[-1]) not in loaded for f, export in exports.items()):
        # The inbox sensor's run loads the waves too: one run for the drop, not one per sensor.
        # The survey files' cursor stays, so they are looked at again once that run has loaded
        # them; the exports' hashes are kept, so the next tick reads none of them again.
        return dg.SensorResult(
            skip_reason="Other exports are new too: the inbox sensor's full run loads them.",
            cursor=_dump_wave_cursor(seen["surveys"], exports),
        )
    # One run for every wave changed since the last tick: it stages all the survey files the
    # ledger has not validated. The run key names the waves and the files' contents.
    waves = ",".join(sorted({wave_key(f) for f in changed}))
    contents = hashlib.sha256(",".join(current[f] for f in changed).encode()).hexdigest()
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"{waves}:{contents[:16]}", job_name=WAVE_JOB)],
        cursor=_dump_wave_cursor(current, exports),
    )


def _wave_cursor(cursor: str | None) -> dict[str, dict]:
    """{"surveys": {file: sha256}, "exports": {file: [size, mtime, ctime, sha256]}}: the survey
    files as last acted on, and the other exports' hashes, kept while their stat holds."""
    seen = json.loads(cursor) if cursor else {}
    if set(seen) != {"surveys", "exports"}:  # a cursor of before 2026-12: survey files only
        seen = {"surveys": seen, "exports": {}}
    return seen


def _dump_wave_cursor(surveys: dict[str, str], exports: dict[str, list]) -> str:
    return json.dumps({"surveys": surveys, "exports": exports}, sort_keys=True)


def _loaded(warehouse: WarehouseResource) -> set[tuple[str, str]]:
    """(file, sha256) of the files the published warehouse's ledger accounts for. Read from the
    published file, which runs never open for writing (they replace it whole)."""
    try:
        return settled_in(warehouse.published)
    except (duckdb.Error, OSError):  # a publication replacing it this instant: the cursor decides
        return set()


def _hashed(inbox: Path, stats: dict[str, list[int]], known: dict[str, list]) -> dict[str, list]:
    """{file: [*stat, sha256]}: the hash `known` holds for a file while its stat is the same,
    else read from the file."""
    return {
        name: known[name]
        if known.get(name, [])[:-1] == stat
        else [*stat, file_sha256(inbox / name)]
        for name, stat in stats.items()
    }


def settled_export_stats(inbox: Path, now: float) -> dict[str, list[int]]:
    """{file: [size, mtime, ctime (ns)]} for every recognised non-survey export that has stopped
    changing. A stat, not a hash: a sensor ticks every minute, and hashing gigabytes of exports
    that often would cost more than the runs (a run hashes them anyway). The ctime too: a
    same-size export copied in with its old mtime kept (`cp -p`, `rsync -t`) changes only that,
    and nothing sets it back."""
    stats = {}
    for name, (source, path) in _exports(inbox).items():
        if source == "surveys":
            continue
        stat = path.stat()
        if now - stat.st_mtime >= SETTLE_SECONDS:
            stats[name] = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
    return stats


@dg.sensor(
    job_name=MAIN_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the main job when an export other than a survey is new or changed: "
    "files whose size or times changed are hashed, and the ledger decides.",
)
def inbox_sensor(
    context: dg.SensorEvaluationContext, inbox: InboxResource, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    folder = Path(inbox.path)
    if not folder.is_dir():
        return dg.SkipReason(f"The inbox {inbox.path} does not exist.")
    seen = json.loads(context.cursor) if context.cursor else {}
    current = settled_export_stats(folder, time.time())
    changed = sorted(f for f, stat in current.items() if seen.get(f) != stat)
    if changed:
        # Only files whose size, mtime or ctime changed are hashed, and those the ledger has
        # already loaded (the CLI ran, the sensor's cursor is new, a file was only touched)
        # start nothing.
        loaded = _loaded(warehouse)
        changed = [f for f in changed if (f, file_sha256(folder / f)) not in loaded]
    if not changed:
        return dg.SensorResult(
            skip_reason="No new or changed exports.", cursor=json.dumps(current, sort_keys=True)
        )
    run_key = hashlib.sha256(json.dumps({f: current[f] for f in changed}).encode()).hexdigest()
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key[:16], job_name=MAIN_JOB)],
        cursor=json.dumps(current, sort_keys=True),
    )


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Appends every failed run to $DAGSTER_HOME/mentorlens-failures.jsonl, where "
    "`mentorlens status` and alerting read it.",
)
def run_failure_log_sensor(context: dg.RunFailureSensorContext, reports: ReportsResource) -> None:
    run = context.dagster_run
    steps = [step_failure_text(event) for event in context.get_step_failure_events()]
    written = record_failure(
        failures_log(context.instance.root_directory),
        run.run_id,
        run.job_name,
        context.failure_event.message or "The run failed.",
        noticed_by="run_failure_log_sensor",
        failures=steps,
    )
    if written:  # the published pages say they are from the last good run, and why
        record_failed_run(reports.published, written)
    context.log.info(f"Run {run.run_id} {'logged' if written else 'was logged already'}.")


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks runs that died (killed, machine restarted) as failed so the run queue "
    "moves on, and finishes a publication one of them left half-way. Only when no run writes.",
)
def abandoned_run_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SkipReason:
    lock = warehouse.lock
    taken, abandoned = lock.try_acquire("sensor abandoned_run_sensor")
    if not taken:
        return dg.SkipReason("A run is writing; nothing to check.")
    try:
        found = [record_abandoned_run(context.instance, abandoned)] if abandoned else []
        # The lock is free, so a run showing as running is not writing or waiting: it is gone,
        # unless it started too recently to have taken the lock yet.
        found += [record_vanished_run(context.instance, run) for run in _vanished(context)]
        recovered = recover(warehouse.published, warehouse.working)
        if recovered:
            found.append(recovered)
    finally:
        lock.release()
    return dg.SkipReason(" ".join(found) or "No abandoned run.")


def _vanished(context: dg.SensorEvaluationContext) -> list[dg.DagsterRun]:
    cutoff = time.time() - VANISHED_AFTER_SECONDS
    records = context.instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], tags=WRITER_TAGS)
    )
    return [
        r.dagster_run for r in records if (r.start_time or r.create_timestamp.timestamp()) < cutoff
    ]
