"""The Dagster definitions: every asset, check, job, schedule, sensor and resource of mentorlens."""

import dagster as dg

from pipelines.jobs import all_assets, main_job, wave_job
from pipelines.schedules import weekly_refresh
from pipelines.sensors import (
    abandoned_run_sensor,
    inbox_sensor,
    run_failure_log_sensor,
    survey_wave_sensor,
)
from warehouse.resources import resources_from
from warehouse.settings import Settings


def build_definitions(
    settings: Settings, loggers: dict[str, dg.LoggerDefinition] | None = None
) -> dg.Definitions:
    return dg.Definitions(
        assets=all_assets,
        jobs=[main_job, wave_job],
        schedules=[weekly_refresh],
        sensors=[survey_wave_sensor, inbox_sensor, run_failure_log_sensor, abandoned_run_sensor],
        resources=resources_from(settings),
        loggers=loggers,
        # Every run, a job's or a selection launched from the UI, runs its steps in one process:
        # the warehouse resource then takes the writer lock and the working copy once per run.
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
