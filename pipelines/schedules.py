"""The weekly schedule: the main job, as `mentorlens run` runs it, skipped with the same one
line when the inbox holds nothing new."""

from pathlib import Path

import dagster as dg

from pipelines.jobs import MAIN_JOB
from pipelines.up_to_date import nothing_new
from warehouse.resources import (
    InboxResource,
    ReportsResource,
    StudyResource,
    WarehouseResource,
    settings_of,
)

WEEKLY_CRON = "0 6 * * 1"  # Mondays 06:00 UTC, before the working week starts in Europe


@dg.schedule(
    cron_schedule=WEEKLY_CRON,
    job_name=MAIN_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refreshes the warehouse and reports every Monday at 06:00 UTC, unless nothing "
    "is new since the last published run.",
)
def weekly_refresh(
    context: dg.ScheduleEvaluationContext,
    inbox: InboxResource,
    warehouse: WarehouseResource,
    study: StudyResource,
    reports: ReportsResource,
) -> dg.RunRequest | dg.SkipReason:
    if not Path(inbox.path).is_dir():
        return dg.SkipReason(f"The inbox {inbox.path} does not exist.")
    home = Path(context.instance.root_directory)
    if unchanged := nothing_new(settings_of(warehouse, inbox, study, reports, home)):
        return dg.SkipReason(unchanged)
    return dg.RunRequest()
