"""Jobs: the main job materialises every layer in one process, then publishes."""

import dagster as dg

from assets.effects import effects_assets
from assets.marts import marts_assets
from assets.publication import publication_asset
from assets.raw import INBOX_FILES, raw_assets
from assets.reports import report_assets
from assets.staging import staging_assets
from assets.surveys import SURVEY_RESPONSES, survey_assets

MAIN_JOB = "mentorlens_job"
WAVE_JOB = "survey_wave_job"

# Every job writing the warehouse carries this tag; dagster.yaml lets one such run out of the
# queue at a time, and the writer lock (warehouse/locking.py) covers runs that skip the queue.
WRITER_TAG_KEY = "mentorlens/writes"
WRITER_TAGS = {WRITER_TAG_KEY: "warehouse"}

_layers = [
    *raw_assets,
    *staging_assets,
    *survey_assets,
    *marts_assets,
    *effects_assets,
    *report_assets,
]
all_assets = [*_layers, publication_asset(_layers)]

# New survey waves alone: land and validate the survey files the ledger has not loaded, then
# rebuild what depends on surveys. The other sources, and the waves loaded before, are left alone.
wave_job = dg.define_asset_job(
    WAVE_JOB,
    selection=dg.AssetSelection.assets(INBOX_FILES)
    | dg.AssetSelection.assets(SURVEY_RESPONSES).upstream(depth=1).downstream(),
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
    description="Load new or changed survey waves without reprocessing the other sources or "
    "the waves loaded before.",
)

# No asset is partitioned: launching this job, or "Materialize all", is one run with nothing to
# choose. Survey waves are incremental through the ledger (meta.loaded_files), not partitions.

main_job = dg.define_asset_job(
    MAIN_JOB,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
    description="Ingest the inbox, validate, build the marts and reports, then publish.",
)
