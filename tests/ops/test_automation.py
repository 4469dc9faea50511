"""The weekly schedule, the inbox sensor and the run-failure sensor, through Dagster's test
contexts; the failures log that the CLI shares with the sensor; the queue's tag limit."""

from __future__ import annotations

import json
import os
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.test_utils import create_run_for_test

from ingest.inbox import file_sha256
from pipelines import sensors
from pipelines.definitions import build_definitions
from pipelines.jobs import MAIN_JOB, WAVE_JOB, WRITER_TAGS, main_job, wave_job
from pipelines.runner import ensure_dagster_home, run_pipeline
from pipelines.schedules import weekly_refresh
from pipelines.sensors import (
    SETTLE_SECONDS,
    abandoned_run_sensor,
    inbox_sensor,
    run_failure_log_sensor,
)
from pipelines.status import status_text
from pipelines.up_to_date import nothing_new
from tests.conftest import EMPLOYEES, write
from tests.ops.conftest import WAVE
from warehouse.failures import failures_log, read_failures
from warehouse.locking import WriterLock
from warehouse.resources import (
    InboxResource,
    ReportsResource,
    WarehouseResource,
    resources_from,
    settings_of,
)
from warehouse.settings import Settings

ROOT = Path(__file__).parents[2]
STARTED = dg.DagsterRunStatus.STARTED


def settle(path: Path, seconds_ago: float = SETTLE_SECONDS + 5) -> None:
    then = time.time() - seconds_ago
    os.utime(path, (then, then))


def inbox_of(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "inbox": InboxResource(path=str(settings.inbox)),
        "warehouse": WarehouseResource(path=str(settings.warehouse)),
    }


@pytest.fixture
def instance(tmp_path: Path):
    """A schedule context given resources keeps only an instance it can re-open by reference,
    so not an ephemeral one."""
    (tmp_path / "instance").mkdir()
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path / "instance"))
    yield instance
    instance.dispose()


def weekly_tick(settings: Settings, instance) -> dg.RunRequest | dg.SkipReason:
    """The schedule evaluated as the daemon would, with the resources of `settings`."""
    resources = resources_from(settings)
    # Closed with `with`: the context opens its own instance from the reference, and left
    # open, that instance stays Dagster's current one after it is gone, failing later runs.
    with dg.build_schedule_context(instance=instance, resources=resources) as context:
        return weekly_refresh(context)


def test_the_schedules_settings_are_the_ones_its_resources_were_made_from(settings, monkeypatch):
    monkeypatch.setenv("MENTORLENS_PSEUDONYMIZE_KEY", "k" * 32)
    chosen = replace(
        settings,
        as_of=date(2026, 6, 30),
        quarantine_threshold=0.2,
        max_snapshot_drop=0.3,
        min_group_size=7,
        lonely_threshold=6,
        survey_respondent_column="respondent",
        survey_item_map=settings.inbox.parent / "items.csv",
        mapping=settings.inbox.parent / "mapping.yml",
        pseudonymize_key="k" * 32,
        replacement_cost=50_000.0,
    )
    with ExitStack() as stack:  # initialised as a schedule's are: outside a run
        resources = {
            name: stack.enter_context(resource.process_config_and_initialize_cm())
            for name, resource in resources_from(chosen).items()
        }
        assert settings_of(**resources, dagster_home=chosen.dagster_home) == chosen


def test_the_weekly_schedule_runs_the_main_job_with_nothing_to_choose(settings, instance):
    write(settings.inbox, "employees.csv", "employee_id\n000001\n")
    write(settings.inbox, "surveys/2026-03_pulse.csv", WAVE)
    request = weekly_tick(settings, instance)

    assert weekly_refresh.job_name == MAIN_JOB
    assert request.partition_key is None and request.asset_selection is None
    assert not request.tags


def test_the_weekly_schedule_skips_saying_why_without_an_inbox(settings, instance):
    settings.inbox.rmdir()
    skipped = weekly_tick(settings, instance)
    assert skipped.skip_message == f"The inbox {settings.inbox} does not exist."


def test_the_weekly_schedule_skips_with_the_clis_line_when_nothing_is_new(small_org, run, instance):
    """The Monday tick after a published run, with the same files, settings and code: no run,
    and the tick says why in the line `mentorlens run` prints. A new export makes it run."""
    assert run(small_org).published

    skipped = weekly_tick(small_org, instance)
    assert isinstance(skipped, dg.SkipReason)
    assert skipped.skip_message == nothing_new(small_org)
    assert skipped.skip_message.startswith(f"Nothing new in {small_org.inbox}")

    write(small_org.inbox, "employees_2026-11.csv", EMPLOYEES)
    assert isinstance(weekly_tick(small_org, instance), dg.RunRequest)


def test_the_inbox_sensor_requests_the_full_job_for_new_or_changed_exports_only(settings):
    instance = dg.DagsterInstance.ephemeral()

    def evaluate(cursor=None):
        with dg.build_sensor_context(
            instance=instance, cursor=cursor, resources=inbox_of(settings)
        ) as context:
            return inbox_sensor(context)

    employees = write(settings.inbox, "employees.csv", "employee_id\n000001\n")
    survey = write(settings.inbox, "surveys/2026-03_pulse.csv", WAVE)
    write(settings.inbox, "notes.txt", "not an export")
    for path in (employees, survey, settings.inbox / "notes.txt"):
        settle(path)

    first = evaluate()
    assert [r.job_name for r in first.run_requests] == [MAIN_JOB]
    assert first.run_requests[0].partition_key is None
    again = evaluate(first.cursor)
    assert not again.run_requests and again.skip_reason

    survey.write_text(WAVE + "000003,2026-03-05,1,2,1\n", encoding="utf-8")  # the wave sensor's
    settle(survey)
    assert not evaluate(first.cursor).run_requests

    employees.write_text("employee_id\n000001\n000002\n", encoding="utf-8")
    assert not evaluate(first.cursor).run_requests, "a file still being written is left alone"
    settle(employees)
    changed = evaluate(first.cursor)
    assert len(changed.run_requests) == 1
    assert changed.run_requests[0].run_key != first.run_requests[0].run_key


def test_the_run_failure_sensor_logs_a_failed_run_where_status_shows_it(settings, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(settings.dagster_home))
    ensure_dagster_home(settings.dagster_home)  # the shipped dagster.yaml, as the CLI does
    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))

    @dg.op
    def breaks():
        raise ValueError("the HRIS export is truncated")

    result = (
        dg.GraphDefinition(name="fragile", node_defs=[breaks])
        .to_job()
        .execute_in_process(instance=instance, raise_on_error=False)
    )
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name=run_failure_log_sensor.name,
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
    ).for_run_failure()

    reports = ReportsResource(path=str(settings.reports))
    run_failure_log_sensor(context, reports=reports)
    run_failure_log_sensor(context, reports=reports)  # seen twice, it is logged once

    logged = read_failures(failures_log(settings.dagster_home))
    assert [(e["run_id"], e["job"], e["noticed_by"]) for e in logged] == [
        (result.run_id, "fragile", "run_failure_log_sensor")
    ]
    assert "the HRIS export is truncated" in logged[0]["failures"][0]
    instance.dispose()
    text = status_text(settings)
    assert "Failures (last 1" in text and result.run_id in text
    assert "FAILURE" in text  # from Dagster's run history


def test_the_abandoned_run_sensor_fails_dead_runs_so_the_queue_moves_on(
    settings, instance, monkeypatch
):
    warehouse = WarehouseResource(path=str(settings.warehouse))
    killed, vanished = (
        create_run_for_test(instance, job_name=job, status=STARTED, tags=WRITER_TAGS)
        for job in (MAIN_JOB, WAVE_JOB)
    )

    def evaluate() -> str:
        with dg.build_sensor_context(instance=instance, resources={"warehouse": warehouse}) as c:
            return abandoned_run_sensor(c).skip_message

    live = WriterLock(warehouse.lock.path)
    live.acquire("a-live-run", on_wait=pytest.fail)
    assert evaluate() == "A run is writing; nothing to check."
    live.release()
    # What SIGKILL leaves: the lock free, the dead holder's note still in the file.
    warehouse.lock.path.write_text(json.dumps({"run_id": killed.run_id, "pid": 4242}))
    monkeypatch.setattr(sensors, "VANISHED_AFTER_SECONDS", 0)

    message = evaluate()

    assert "died holding the writer lock" in message and "died before it could write" in message
    for run in (killed, vanished):
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    logged = read_failures(failures_log(instance.root_directory))
    assert {(e["run_id"], e["noticed_by"]) for e in logged} == {
        (killed.run_id, "writer lock"),
        (vanished.run_id, "writer lock"),
    }
    assert evaluate() == "No abandoned run."


def test_a_failed_cli_run_is_logged_too(small_org, monkeypatch):
    monkeypatch.setenv("MENTORLENS_QUARANTINE_THRESHOLD", "0")
    write(small_org.inbox, "programs.csv", "program_id,program_name,start_date\nP2,Broken,nope\n")
    settings = Settings.from_env()
    outcome = run_pipeline(settings, quiet=True, instance=dg.DagsterInstance.ephemeral())
    assert not outcome.success
    logged = read_failures(failures_log(settings.dagster_home))
    assert [(e["run_id"], e["noticed_by"]) for e in logged] == [(outcome.run_id, "cli")]
    assert any("quarantine" in f for f in logged[0]["failures"])


def test_automation_is_on_by_default(settings):
    defs = build_definitions(settings)
    assert defs.resolve_schedule_def("weekly_refresh").default_status == (
        dg.DefaultScheduleStatus.RUNNING
    )
    for name in (
        "survey_wave_sensor",
        "inbox_sensor",
        "run_failure_log_sensor",
        "abandoned_run_sensor",
    ):
        assert defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING


def test_one_writer_run_leaves_the_queue_at_a_time(monkeypatch, tmp_path):
    """Every job carries the writer tag, and every instance configuration limits it to one."""
    assert main_job.tags == WRITER_TAGS and wave_job.tags == WRITER_TAGS
    ((key, value),) = WRITER_TAGS.items()
    shipped = (ROOT / "dagster.yaml").read_text()
    for path in (ROOT / "dagster.yaml", ROOT / "deploy" / "dagster-postgres.yaml"):
        limits = yaml.safe_load(path.read_text())["concurrency"]["runs"]["tag_concurrency_limits"]
        assert {"key": key, "value": value, "limit": 1} in limits, path
    (tmp_path / "dagster.yaml").write_text(shipped)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    queue = instance.get_concurrency_config().run_queue_config
    assert {"key": key, "value": value, "limit": 1} in queue.tag_concurrency_limits
    instance.dispose()


@pytest.mark.parametrize("command", ["status", "schema"])
def test_status_and_schema_say_so_before_the_first_run(settings, command, capsys):
    from pipelines.cli import main

    assert main([command]) == 0
    assert "No warehouse yet" in capsys.readouterr().out


def test_a_hidden_file_under_surveys_never_becomes_a_wave(settings):
    """One listing of the inbox (ingest.inbox.inbox_paths): the sensors and the run all skip
    `.DS_Store`, Office lock files and hidden folders."""
    write(settings.inbox, "employees.csv", "employee_id\n000001\n")
    write(settings.inbox, "surveys/2026-03_pulse.csv", WAVE)
    write(settings.inbox, "surveys/.DS_Store", "\x00\x01")
    write(settings.inbox, "surveys/~$2026-06_pulse.xlsx", "lock")
    write(settings.inbox, "surveys/.backup/2026-01_pulse.csv", WAVE)

    assert set(sensors._fingerprints(settings.inbox)) == {"surveys/2026-03_pulse.csv"}
    assert set(sensors._exports(settings.inbox)) == {"employees.csv", "surveys/2026-03_pulse.csv"}


def settled_sensors(settings):
    """Every file of the inbox settled, and a function evaluating a sensor over the inbox with
    one fresh instance: what the UI or the daemon starts with."""
    for path in settings.inbox.rglob("*"):
        settle(path)
    instance = dg.DagsterInstance.ephemeral()

    def evaluate(sensor, cursor=None):
        with dg.build_sensor_context(
            instance=instance, cursor=cursor, resources=inbox_of(settings)
        ) as context:
            return sensor(context)

    return evaluate


def test_the_sensors_launch_nothing_on_an_up_to_date_warehouse(small_org, run):
    """Starting the UI or the daemon after the CLI loaded every file: the sensors' cursors are
    new, but the ledger knows the files. A new file then launches exactly one run."""
    write(small_org.inbox, "surveys/2026-03_pulse.csv", WAVE)
    assert run(small_org).published
    evaluate = settled_sensors(small_org)

    waves, exports = evaluate(sensors.survey_wave_sensor), evaluate(inbox_sensor)
    assert not waves.run_requests and not exports.run_requests

    snapshot = write(small_org.inbox, "employees_2026-11.csv", EMPLOYEES)
    settle(snapshot)
    assert not evaluate(sensors.survey_wave_sensor, waves.cursor).run_requests
    launched = evaluate(inbox_sensor, exports.cursor)
    assert [r.job_name for r in launched.run_requests] == [MAIN_JOB]
    assert not evaluate(inbox_sensor, launched.cursor).run_requests

    snapshot.unlink()  # (not loaded here: with it pending, the full run would take the wave too)
    survey = write(small_org.inbox, "surveys/2026-06_pulse.csv", WAVE)
    settle(survey)
    wave = evaluate(sensors.survey_wave_sensor, waves.cursor)
    assert [(r.job_name, r.run_key.split(":")[0]) for r in wave.run_requests] == [
        (WAVE_JOB, "2026-06_pulse")
    ]


def test_a_drop_of_a_survey_and_another_export_launches_one_run(small_org, run):
    assert run(small_org).published
    evaluate = settled_sensors(small_org)
    waves, exports = evaluate(sensors.survey_wave_sensor), evaluate(inbox_sensor)
    settle(write(small_org.inbox, "surveys/2026-03_pulse.csv", WAVE))
    settle(write(small_org.inbox, "employees_2026-11.csv", EMPLOYEES))

    wave = evaluate(sensors.survey_wave_sensor, waves.cursor)
    full = evaluate(inbox_sensor, exports.cursor)

    assert not getattr(wave, "run_requests", None)
    assert [r.job_name for r in full.run_requests] == [MAIN_JOB]


def _same_size_rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(old) == len(new) and text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8", newline="")


def test_a_same_size_change_launches_one_run_and_a_touch_none(small_org, run):
    """The ledger decides what is new; size, mtime and ctime only say which files to hash."""
    assert run(small_org).published
    sensor_at = settled_sensors(small_org)

    def evaluate(cursor=None):
        return sensor_at(inbox_sensor, cursor)

    started = evaluate()
    assert not started.run_requests

    employees = small_org.inbox / "employees_2026-10.csv"
    settle(employees, SETTLE_SECONDS + 30)  # touched: a new mtime, the same bytes
    touched = evaluate(started.cursor)
    assert not touched.run_requests and touched.skip_reason

    size = employees.stat().st_size
    _same_size_rewrite(employees, "000001,2019-01-01,,,6,", "000001,2019-01-01,,,7,")
    settle(employees)
    assert employees.stat().st_size == size
    changed = evaluate(touched.cursor)
    assert [r.job_name for r in changed.run_requests] == [MAIN_JOB]
    assert not evaluate(changed.cursor).run_requests, "one run for one change"

    # Copied over with its old modification time kept (`cp -p`, `rsync -t`): same size and mtime.
    programs = small_org.inbox / "programs.csv"
    before = programs.stat()
    _same_size_rewrite(programs, "Mentoring 2024", "Mentoring 2O24")
    os.utime(programs, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (programs.stat().st_size, programs.stat().st_mtime_ns) == (
        before.st_size,
        before.st_mtime_ns,
    )
    preserved = evaluate(changed.cursor)
    assert [r.job_name for r in preserved.run_requests] == [MAIN_JOB]
    assert preserved.run_requests[0].run_key != changed.run_requests[0].run_key


def test_a_same_size_change_and_a_new_wave_launch_one_run(small_org, run, monkeypatch):
    """The wave sensor leaves a new wave to the full run while any other export is new to the
    ledger, a same-size change included, and hashes those exports again only when they change."""
    assert run(small_org).published
    evaluate = settled_sensors(small_org)

    waves, exports = evaluate(sensors.survey_wave_sensor), evaluate(inbox_sensor)
    employees = small_org.inbox / "employees_2026-10.csv"
    _same_size_rewrite(employees, "000001,2019-01-01,,,6,", "000001,2019-01-01,,,7,")
    settle(employees)
    settle(write(small_org.inbox, "surveys/2026-03_pulse.csv", WAVE))

    wave = evaluate(sensors.survey_wave_sensor, waves.cursor)
    full = evaluate(inbox_sensor, exports.cursor)

    assert not getattr(wave, "run_requests", None)
    assert [r.job_name for r in full.run_requests] == [MAIN_JOB]

    hashed = []
    monkeypatch.setattr(
        sensors, "file_sha256", lambda path: hashed.append(path.name) or file_sha256(path)
    )
    again = evaluate(sensors.survey_wave_sensor, wave.cursor)
    assert not again.run_requests and "full run" in again.skip_reason.skip_message
    assert hashed == ["2026-03_pulse.csv"], "the exports' hashes come from the cursor"
    # A cursor written before the exports' hashes were kept is still read.
    old = evaluate(sensors.survey_wave_sensor, json.dumps({"surveys/2026-03_pulse.csv": "0"}))
    assert not old.run_requests and "full run" in old.skip_reason.skip_message
