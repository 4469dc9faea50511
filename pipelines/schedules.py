"""The weekly schedule: the main job, as `mentorlens run` runs it."""

from pathlib import Path

import dagster as dg

from pipelines.jobs import MAIN_JOB
from warehouse.resources import InboxResource

WEEKLY_CRON = "0 6 * * 1"  # Mondays 06:00 UTC, before the working week starts in Europe


@dg.schedule(
    cron_schedule=WEEKLY_CRON,
    job_name=MAIN_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refreshes the warehouse and reports every Monday at 06:00 UTC.",
)
def weekly_refresh(
    context: dg.ScheduleEvaluationContext, inbox: InboxResource
) -> dg.RunRequest | dg.SkipReason:
    folder = Path(inbox.path)
    if not folder.is_dir():
        return dg.SkipReason(f"The inbox {inbox.path} does not exist.")
    return dg.RunRequest()
