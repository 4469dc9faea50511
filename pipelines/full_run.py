"""What a run of the main job needs: every survey wave in the inbox registered, and one run over
the range of all wave partitions (or, before any wave exists, a selection without the
partitioned survey assets). The CLI, the weekly schedule and the inbox sensor all use it."""

from pathlib import Path

import dagster as dg

from assets.catalogue import asset_key
from assets.partitions import SURVEY_WAVES, partition_range_tags
from assets.surveys import SURVEY_RESPONSES
from ingest.inbox import inbox_paths
from pipelines.jobs import MAIN_JOB, all_assets
from quality.contract import source_of
from surveys.waves import wave_key
from warehouse.catalogue import SURVEY_SCORES


def inbox_waves(inbox: Path) -> list[str]:
    return sorted({wave_key(n) for n, _ in inbox_paths(inbox) if source_of(n) == "surveys"})


def register_waves(instance: dg.DagsterInstance, waves: list[str]) -> None:
    known = set(instance.get_dynamic_partitions(SURVEY_WAVES.name))
    new = [w for w in waves if w not in known]
    if new:
        instance.add_dynamic_partitions(SURVEY_WAVES.name, new)


def full_run_tags(instance: dg.DagsterInstance, inbox: Path) -> dict[str, str]:
    """Registers the inbox's waves, then tags selecting all of them; empty with no wave."""
    register_waves(instance, inbox_waves(inbox))
    return partition_range_tags(instance)


def keys_without_surveys() -> list[dg.AssetKey]:
    """With no survey wave at all, the partitioned survey assets have nothing to run for."""
    return [
        key
        for asset in all_assets
        for key in asset.keys
        if key not in (SURVEY_RESPONSES, asset_key(SURVEY_SCORES))
    ]


def full_run_request(
    instance: dg.DagsterInstance, inbox: Path, run_key: str | None = None
) -> dg.RunRequest:
    tags = full_run_tags(instance, inbox)
    return dg.RunRequest(
        run_key=run_key,
        job_name=MAIN_JOB,
        tags=tags,
        asset_selection=None if tags else keys_without_surveys(),
    )
