"""Run the main job in this process, with progress on the terminal, and summarise the outcome."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from assets.publication import PUBLICATION
from assets.raw import INBOX_FILES, REJECTED_FILES, UNRECOGNISED_FILES
from pipelines.up_to_date import nothing_new
from reports.freshness import record_failed_run
from warehouse.failures import failures_log, record_failure, root_error, step_failure_text
from warehouse.settings import Settings

# The one dagster.yaml, at the project root, where `dg dev` and `dagster dev` read it too.
PROJECT_DAGSTER_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"

# Exit statuses of `mentorlens run` (INPUTS.md, "Bad input").
EXIT_CLEAN, EXIT_FAILED, EXIT_REJECTED_FILES = 0, 1, 3


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    published: bool
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    unrecognised: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    nothing_new: str | None = None  # set when the run was not started: see pipelines/up_to_date

    @property
    def exit_status(self) -> int:
        if not self.success:
            return EXIT_FAILED
        return EXIT_REJECTED_FILES if self.rejected else EXIT_CLEAN


class _ProgressHandler(logging.Handler):
    """Prints the pipeline's own messages, one line each, prefixed by the step that said it."""

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        if meta.get("dagster_event") is not None:
            return
        step = meta.get("step_key") or "run"
        message = meta.get("orig_message") or record.getMessage()
        if message.startswith("Dependencies for step"):
            return  # one per step downstream of a failure: the summary at the end says why
        marker = "!" if record.levelno >= logging.WARNING else "·"
        print(f"  {marker} [{step}] {message}", file=sys.stderr, flush=True)


@dg.logger
def progress_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("mentorlens.progress")
    logger.setLevel(logging.INFO)
    logger.handlers = [_ProgressHandler()]
    logger.propagate = False
    return logger


@dg.logger
def silent_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
    """For quiet runs (tests, benchmarks): Dagster's default console logger prints every event."""
    logger = logging.getLogger("mentorlens.silent")
    logger.handlers = [logging.NullHandler()]
    logger.propagate = False
    return logger


def ensure_dagster_home(home: Path) -> Path:
    """DAGSTER_HOME must be an existing absolute folder with the project's instance settings."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_pipeline(
    settings: Settings,
    quiet: bool = False,
    instance: dg.DagsterInstance | None = None,
    surveys_only: bool = False,
) -> RunOutcome:
    """Run the main job, or with `surveys_only` the wave job (the survey files not loaded yet,
    and what depends on surveys). History goes to DAGSTER_HOME unless another instance is given.
    With nothing new to do, no run is started."""
    from pipelines.definitions import build_definitions
    from pipelines.jobs import MAIN_JOB, WAVE_JOB

    if unchanged := nothing_new(settings):
        return RunOutcome(run_id="", success=True, published=False, nothing_new=unchanged)

    defs = build_definitions(
        settings, loggers={"progress": progress_logger, "silent": silent_logger}
    )
    job = defs.resolve_job_def(WAVE_JOB if surveys_only else MAIN_JOB)
    owned = instance is None
    if owned:
        ensure_dagster_home(settings.dagster_home)
        instance = dg.DagsterInstance.get()
    try:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"silent" if quiet else "progress": {}}},
        )
        outcome = outcome_of_run(instance, result.run_id)
    finally:
        if owned:
            instance.dispose()
    if not outcome.success:
        entry = record_failure(
            failures_log(settings.dagster_home),
            outcome.run_id,
            job.name,
            "The run failed; the published warehouse and reports are unchanged.",
            noticed_by="cli",
            failures=outcome.failures,
        )
        if entry:  # the published pages say they are from the last good run, and why
            record_failed_run(settings.reports, entry)
    return outcome


def outcome_of_run(instance: dg.DagsterInstance, run_id: str) -> RunOutcome:
    """What a run did, as the run itself recorded it in Dagster: its status from the run record,
    and from its event log whether it published, the files it could not use, and its failed
    checks and steps. Never from the warehouse: once the run has released the writer lock the
    next run may already be building in the working copy."""
    record = instance.get_run_record_by_id(run_id)
    success = record is not None and record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    events = [
        entry.dagster_event
        for entry in instance.all_logs(run_id)
        if entry.dagster_event is not None
    ]
    published, rejected, unrecognised = False, {}, []
    for event in events:
        if event.event_type != dg.DagsterEventType.ASSET_MATERIALIZATION:
            continue
        materialization = event.event_specific_data.materialization
        metadata = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
        if materialization.asset_key == PUBLICATION:
            published = True
        for file, reason in metadata.get(REJECTED_FILES) or []:
            rejected[file] = reason
        if materialization.asset_key == INBOX_FILES:
            unrecognised = list(metadata.get(UNRECOGNISED_FILES) or [])
    return RunOutcome(
        run_id,
        success,
        published,
        sorted(rejected.items()),
        unrecognised,
        _failures(events),
    )


def _failures(events: list[dg.DagsterEvent]) -> list[str]:
    """Failed blocking checks by their description, then step errors by their root cause."""
    failures = []
    for event in events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if not check.passed and check.severity == dg.AssetCheckSeverity.ERROR:
                failures.append(f"check {check.check_name} failed: {check.description}")
        elif event.is_step_failure:
            error = root_error(event)
            if error is None or error.cls_name != "DagsterAssetCheckFailedError":
                failures.append(step_failure_text(event))
    return failures
