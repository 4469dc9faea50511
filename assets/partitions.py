"""Survey waves as Dagster dynamic partitions: one partition per wave file's name stem.

`staging/survey_responses` is partitioned. A wave run (the sensor's) stages one wave; the main
run (`mentorlens run`) is a single run over the range of every wave, so the survey assets are
always materialised for known partitions (Dagster cannot mix partitioned chains into an
unpartitioned run).
"""

import dagster as dg

SURVEY_WAVES = dg.DynamicPartitionsDefinition(name="survey_waves")


def partition_range_tags(instance: dg.DagsterInstance) -> dict[str, str]:
    """Run tags selecting every known wave in one run; empty when there is no wave yet."""
    waves = instance.get_dynamic_partitions(SURVEY_WAVES.name)
    if not waves:
        return {}
    return {
        "dagster/asset_partition_range_start": waves[0],
        "dagster/asset_partition_range_end": waves[-1],
    }
