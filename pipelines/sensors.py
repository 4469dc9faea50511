"""Sensors: launch a wave run when a survey file lands or changes."""

import json
from pathlib import Path

import dagster as dg

from assets.raw.inbox import scan_inbox
from assets.surveys.waves import SURVEY_WAVES, wave_key
from pipelines.jobs import WAVE_JOB
from pipelines.resources import InboxResource


def _fingerprints(inbox: Path) -> dict[str, str]:
    return {f.relative: f.sha256 for f in scan_inbox(inbox) if f.source == "surveys"}


@dg.sensor(
    job_name=WAVE_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a wave partition and runs it when a survey file is new or changed.",
)
def survey_wave_sensor(
    context: dg.SensorEvaluationContext, inbox: InboxResource
) -> dg.SensorResult | dg.SkipReason:
    if not Path(inbox.path).is_dir():
        return dg.SkipReason(f"The inbox {inbox.path} does not exist.")
    seen = json.loads(context.cursor) if context.cursor else {}
    current = _fingerprints(Path(inbox.path))
    changed = sorted(f for f, sha in current.items() if seen.get(f) != sha)
    if not changed:
        return dg.SkipReason("No new or changed survey files.")
    waves = sorted({wave_key(f) for f in changed})
    known = set(context.instance.get_dynamic_partitions(SURVEY_WAVES.name))
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{wave}:" + ",".join(current[f] for f in changed if wave_key(f) == wave),
                partition_key=wave,
            )
            for wave in waves
        ],
        dynamic_partitions_requests=[
            SURVEY_WAVES.build_add_request([w for w in waves if w not in known])
        ],
        cursor=json.dumps(current, sort_keys=True),
    )
