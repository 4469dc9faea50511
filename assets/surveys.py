"""Survey layer: responses staged per wave, scored per employee and wave.

One unpartitioned asset stages every survey file the ledger has not validated yet, so a new
wave is validated alone and the waves loaded before are left as they are."""

from pathlib import Path

import dagster as dg

from assets.catalogue import asset_key, table_metadata
from assets.run_facts import run_date
from assets.staging import (
    NO_QUARANTINED_ROWS,
    QUARANTINE_WITHIN_THRESHOLD,
    check_spec,
    new_rows_quarantined,
    no_new_quarantined_rows,
)
from quality.staging import record_results
from surveys.item_map import load_item_map
from surveys.scores import build_survey_scores
from surveys.staging import stage_surveys
from warehouse.catalogue import SURVEY_SCORES
from warehouse.resources import InboxResource, StudyResource, WarehouseResource

SURVEY_RESPONSES = dg.AssetKey(["staging", "survey_responses"])


@dg.asset(
    key=SURVEY_RESPONSES,
    group_name="staging",
    kinds={"duckdb"},
    deps=[dg.AssetKey(["raw", "surveys"])],
    check_specs=[
        check_spec(QUARANTINE_WITHIN_THRESHOLD, SURVEY_RESPONSES, blocking=True),
        check_spec(NO_QUARANTINED_ROWS, SURVEY_RESPONSES),
    ],
)
def survey_responses(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    inbox: InboxResource,
    study: StudyResource,
):
    """Survey responses linked to a person and a wave, answers parsed, unscored rows flagged."""
    item_map = load_item_map(Path(study.survey_item_map) if study.survey_item_map else None)
    with warehouse.connect() as con:
        waves = stage_surveys(con, run_date(context), inbox.survey_respondent_column, item_map)
        for wave in waves:
            record_results(con, context.run.run_id, wave, "staging.survey_responses")
        staged = con.execute("SELECT count(*) FROM staging.survey_responses").fetchone()[0]
        new = new_rows_quarantined(con, context.run.run_id, "surveys")
    over = [w for w in waves if w.quarantined_share > inbox.quarantine_threshold]
    for wave in waves:
        context.log.info(
            f"{wave.source}: {wave.rows_read:,} rows, {wave.rows_quarantined:,} quarantined."
        )
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": staged,
            "waves_validated": [w.source for w in waves],
            "rows_validated": sum(w.rows_read for w in waves),
        }
    )
    yield dg.AssetCheckResult(
        check_name=QUARANTINE_WITHIN_THRESHOLD,
        passed=not over,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(
            f"{w.source}: {w.rows_quarantined:,} of {w.rows_read:,} rows "
            f"({w.quarantined_share:.1%}) quarantined, over the {inbox.quarantine_threshold:.0%} "
            f"threshold; most common: {w.top_reasons[0][0]}"
            for w in over
        )
        or f"Every wave is within the {inbox.quarantine_threshold:.0%} threshold.",
    )
    yield no_new_quarantined_rows("surveys", new, sum(w.rows_quarantined for w in waves))


@dg.asset(
    key=asset_key(SURVEY_SCORES),
    group_name="marts",
    kinds={"duckdb"},
    deps=[SURVEY_RESPONSES],
    metadata=table_metadata(SURVEY_SCORES),
)
def fct_survey_score(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, study: StudyResource
) -> dg.MaterializeResult:
    """Loneliness, engagement and favourability scores, one row per employee and wave."""
    with warehouse.connect() as con:
        rows = build_survey_scores(con, study.lonely_threshold)
    context.log.info(f"{rows:,} employee-wave scores.")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


survey_assets = [survey_responses, fct_survey_score]
