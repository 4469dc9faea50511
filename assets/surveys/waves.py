"""Survey waves as Dagster dynamic partitions: one partition per wave file's name stem.

`staging/survey_responses` is partitioned. A wave run (the sensor's) stages one wave; the main
run (`mentorlens run`) is a single run over the range of every wave, so the survey assets are
always materialised for known partitions (Dagster cannot mix partitioned chains into an
unpartitioned run).
"""

from pathlib import PurePosixPath

import dagster as dg

SURVEY_WAVES = dg.DynamicPartitionsDefinition(name="survey_waves")


def wave_key(relative_path: str) -> str:
    """`surveys/2026-03_pulse.csv` → `2026-03_pulse`: the wave a file brings, by its name."""
    return PurePosixPath(relative_path).stem


def files_of_waves(files: list[str], waves: list[str]) -> list[str] | None:
    """The files of these waves, or None (every file: a full refresh) when they cover all."""
    wanted = [f for f in files if wave_key(f) in set(waves)]
    return None if len(wanted) == len(files) else wanted


def partition_range_tags(instance: dg.DagsterInstance) -> dict[str, str]:
    """Run tags selecting every known wave in one run; empty when there is no wave yet."""
    waves = instance.get_dynamic_partitions(SURVEY_WAVES.name)
    if not waves:
        return {}
    return {
        "dagster/asset_partition_range_start": waves[0],
        "dagster/asset_partition_range_end": waves[-1],
    }
