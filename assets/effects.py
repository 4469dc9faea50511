"""Effects layer: the study cohort, program outcomes and effect estimates (OUTPUTS.md)."""

import dagster as dg

from assets.catalogue import asset_key, table_metadata
from assets.marts import staging
from effects.cohorts import build_study_cohort
from effects.diagnostics import BALANCE_THRESHOLD, build_study_diagnostics, imbalanced
from effects.outcomes import build_program_outcomes
from effects.program_effects import (
    build_program_effects,
    build_program_effects_by_subgroup,
    hazards_not_proportional,
    missing_estimates,
    not_estimable_rows,
)
from warehouse.catalogue import (
    COVARIATE_BALANCE,
    PROGRAM_EFFECTS,
    PROGRAM_EFFECTS_BY_SUBGROUP,
    PROGRAM_OUTCOMES,
    PROPENSITY_OVERLAP,
    RUN_INFO,
    STUDY_COHORT,
    STUDY_DIAGNOSTICS,
    SURVEY_SCORES,
    Table,
)
from warehouse.resources import ReportsResource, WarehouseResource
from warehouse.tables import read_as_of

EVERY_OUTCOME_ESTIMATED = "every_outcome_by_every_method"
PROPORTIONAL_HAZARDS = "proportional_hazards"
BALANCED_AFTER_WEIGHTING = "balanced_after_weighting"


@dg.asset(
    key=asset_key(STUDY_COHORT),
    group_name="effects",
    kinds={"duckdb"},
    deps=[
        asset_key(RUN_INFO),
        *staging("employees", "job_events", "programs", "pairings"),
        asset_key(SURVEY_SCORES),
    ],
    metadata=table_metadata(STUDY_COHORT),
)
def study_cohort(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Who is compared with whom: participants, comparison group and advisors of each program,
    followed from its start."""
    with warehouse.connect() as con:
        rows = build_study_cohort(con, read_as_of(con))
    context.log.info(f"marts.study_cohort: {rows:,} people × programs.")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


@dg.asset(
    key=asset_key(PROGRAM_OUTCOMES),
    group_name="effects",
    kinds={"duckdb"},
    deps=[asset_key(STUDY_COHORT)],
    metadata=table_metadata(PROGRAM_OUTCOMES),
)
def program_outcomes(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Retention, promotion and survey scores of participants, comparison group and advisors."""
    with warehouse.connect() as con:
        rows = build_program_outcomes(con)
    context.log.info(f"marts.program_outcomes: {rows:,} rows.")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


@dg.asset(
    key=asset_key(PROGRAM_EFFECTS),
    group_name="effects",
    kinds={"duckdb"},
    deps=[asset_key(STUDY_COHORT)],
    check_specs=[
        dg.AssetCheckSpec(
            EVERY_OUTCOME_ESTIMATED,
            asset=asset_key(PROGRAM_EFFECTS),
            blocking=True,
            description="Blocking: every program, type and outcome has a row by every "
            "method (naive, adjusted and ipw), each an estimate with its interval and group "
            "sizes or a note saying why not.",
        ),
        dg.AssetCheckSpec(
            PROPORTIONAL_HAZARDS,
            asset=asset_key(PROGRAM_EFFECTS),
            description="Warns when a Cox hazard ratio fails the Grambsch–Therneau test of "
            "proportional hazards (p < 0.05): one ratio then summarises a changing effect.",
        ),
    ],
    metadata=table_metadata(PROGRAM_EFFECTS),
)
def program_effects(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, reports: ReportsResource
):
    """Does each program work: participants against comparable colleagues, naive, adjusted and
    weighted (ipw)."""
    with warehouse.connect() as con:
        effects = build_program_effects(con, reports.min_group_size)
    estimated = int(effects["estimate"].notna().sum())
    context.log.info(f"marts.program_effects: {estimated} of {len(effects)} rows estimated.")
    yield dg.MaterializeResult(metadata={"dagster/row_count": len(effects), "estimated": estimated})
    missing = missing_estimates(effects)
    not_estimable = not_estimable_rows(effects)
    counted = (
        f"{len(not_estimable)} of {len(effects)} rows not estimable (NULL figures): "
        + "; ".join(not_estimable)
        if not_estimable
        else "Every row is estimated."
    )
    yield dg.AssetCheckResult(
        check_name=EVERY_OUTCOME_ESTIMATED,
        passed=not missing,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(missing)
        + (" " if missing else "")
        + ("Every outcome has a naive, an adjusted and an ipw row. " if not missing else "")
        + counted,
        metadata={"not_estimable": len(not_estimable)},
    )
    rejected = hazards_not_proportional(effects)
    yield dg.AssetCheckResult(
        check_name=PROPORTIONAL_HAZARDS,
        passed=not rejected,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            "Hazards may not be proportional, so a single hazard ratio summarises a changing "
            "effect: " + "; ".join(rejected)
            if rejected
            else "No hazard ratio fails the proportional-hazards test."
        ),
    )


@dg.asset(
    key=asset_key(PROGRAM_EFFECTS_BY_SUBGROUP),
    group_name="effects",
    kinds={"duckdb"},
    deps=[asset_key(STUDY_COHORT)],
    metadata=table_metadata(PROGRAM_EFFECTS_BY_SUBGROUP),
)
def program_effects_by_subgroup(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, reports: ReportsResource
) -> dg.MaterializeResult:
    """Does each program work equally for everyone: effects by gender and by ethnicity."""
    with warehouse.connect() as con:
        rows = build_program_effects_by_subgroup(con, reports.min_group_size)
    context.log.info(f"marts.program_effects_by_subgroup: {rows:,} rows.")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


def _diagnostics_spec(table: Table, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        asset_key(table),
        group_name="effects",
        kinds={"duckdb"},
        deps=[asset_key(STUDY_COHORT)],
        metadata=table_metadata(table),
        description=description,
    )


@dg.multi_asset(
    specs=[
        _diagnostics_spec(
            COVARIATE_BALANCE,
            "Is the comparison fair: standardised mean differences of every pre-program "
            "covariate before and after ipw weighting.",
        ),
        _diagnostics_spec(
            STUDY_DIAGNOSTICS,
            "Overlap of propensities, effective comparison size, largest imbalance after "
            "weighting and the survey pre-trend placebo, per program and type.",
        ),
        _diagnostics_spec(
            PROPENSITY_OVERLAP,
            "Histogram of participants' and comparison people's propensities.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            BALANCED_AFTER_WEIGHTING,
            asset=asset_key(COVARIATE_BALANCE),
            description=f"Warns naming every covariate whose |SMD| after weighting exceeds "
            f"{BALANCE_THRESHOLD}: there the weighted comparison is not yet like the "
            "participants.",
        ),
    ],
)
def study_diagnostics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Balance, overlap and placebo of every study."""
    with warehouse.connect() as con:
        balance, table, histogram = build_study_diagnostics(con)
    for catalogued, frame in (
        (COVARIATE_BALANCE, balance),
        (STUDY_DIAGNOSTICS, table),
        (PROPENSITY_OVERLAP, histogram),
    ):
        yield dg.MaterializeResult(
            asset_key=asset_key(catalogued), metadata={"dagster/row_count": len(frame)}
        )
    over = imbalanced(balance)
    yield dg.AssetCheckResult(
        asset_key=asset_key(COVARIATE_BALANCE),
        check_name=BALANCED_AFTER_WEIGHTING,
        passed=not over,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"|SMD| above {BALANCE_THRESHOLD} after weighting: " + "; ".join(over)
            if over
            else f"Every covariate is within {BALANCE_THRESHOLD} after weighting."
        ),
        metadata={"imbalanced": len(over)},
    )


effects_assets: list[dg.AssetsDefinition] = [
    study_cohort,
    program_outcomes,
    program_effects,
    program_effects_by_subgroup,
    study_diagnostics,
]
