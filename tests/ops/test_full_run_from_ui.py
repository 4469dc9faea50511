"""From the Dagster UI a full run is one click: no asset is partitioned, so launching
`mentorlens_job` or "Materialize all" asks for no partition and opens no backfill dialog. Survey
waves stay incremental through the ledger (tests/integration/test_survey_waves.py); a run of the
main job on the demo loads every wave (tests/integration/test_demo_run.py)."""

from __future__ import annotations

from pipelines.definitions import build_definitions
from pipelines.jobs import MAIN_JOB, WAVE_JOB
from pipelines.schedules import weekly_refresh
from pipelines.sensors import inbox_sensor, survey_wave_sensor


def test_no_asset_and_no_job_asks_for_a_partition(settings):
    defs = build_definitions(settings)
    assert [s.key for s in defs.resolve_all_asset_specs() if s.partitions_def] == []
    jobs = {job.name: job for job in defs.resolve_all_job_defs()}
    # The UI's "Materialize all" runs the implicit asset job; there is one, over every asset.
    implicit = defs.resolve_implicit_global_asset_job_def()
    assert {MAIN_JOB, WAVE_JOB, implicit.name} <= set(jobs)
    assert set(implicit.asset_layer.executable_asset_keys) == set(defs.resolve_all_asset_keys())
    assert {name: job.partitions_def for name, job in jobs.items()} == dict.fromkeys(jobs)


def test_the_main_job_resolves_as_one_unpartitioned_run_of_every_asset(settings):
    defs = build_definitions(settings)
    job = defs.resolve_job_def(MAIN_JOB)
    assert job.partitions_def is None
    assert set(job.asset_layer.executable_asset_keys) == set(defs.resolve_all_asset_keys())
    # What the schedule and the sensors launch: the same jobs, with nothing to choose.
    assert weekly_refresh.job_name == MAIN_JOB
    assert inbox_sensor.job_name == MAIN_JOB and survey_wave_sensor.job_name == WAVE_JOB
