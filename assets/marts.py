"""Marts layer: the analyst tables of OUTPUTS.md, rebuilt from staging on every run."""

from collections.abc import Callable

import dagster as dg
import duckdb

from assets.run_facts import run_date
from assets.surveys import SURVEY_SCORES
from marts.career_loneliness import build_career_loneliness
from marts.dim_employee import build_dim_employee
from marts.fct_pairing import build_fct_pairing
from marts.program_health import build_program_health
from marts.run_info import build_run_info, resolve_as_of
from marts.sponsorship import build_mentor_to_sponsor, build_sponsorship_access
from warehouse.resources import StudyResource, WarehouseResource

ONE_ROW_PER_KEY = "one_row_per_key"


def staging(*sources: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["staging", source]) for source in sources]


def mart(name: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", name])


RUN_INFO = mart("run_info")


@dg.asset(
    key=RUN_INFO, group_name="marts", kinds={"duckdb"}, deps=staging("employees", "job_events")
)
def run_info(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, study: StudyResource
) -> dg.MaterializeResult:
    """The data's as-of date, where every follow-up ends, and when the marts were built."""
    with warehouse.connect() as con:
        as_of, source = resolve_as_of(con, study.as_of, run_date(context))
        build_run_info(con, as_of, source)
    context.log.info(f"As-of date {as_of} ({source}).")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": 1, "as_of": as_of.isoformat(), "as_of_source": source}
    )


def _key_check(
    con: duckdb.DuckDBPyConnection, key: dg.AssetKey, table: str, column: str
) -> dg.AssetCheckResult:
    rows, keys = con.execute(f"SELECT count(*), count(DISTINCT {column}) FROM {table}").fetchone()
    return dg.AssetCheckResult(
        check_name=ONE_ROW_PER_KEY,
        asset_key=key,
        passed=rows == keys,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{table}: {rows:,} rows for {keys:,} distinct {column}.",
    )


def mart_asset(
    name: str,
    description: str,
    build: Callable[[duckdb.DuckDBPyConnection], int],
    deps: list[dg.AssetKey],
    unique_key: str | None = None,
) -> dg.AssetsDefinition:
    """A mart built by one plain function; with `unique_key`, a blocking check that the table
    holds one row per key."""
    key = mart(name)
    specs = [dg.AssetCheckSpec(ONE_ROW_PER_KEY, asset=key, blocking=True)] if unique_key else []

    @dg.asset(
        key=key,
        group_name="marts",
        kinds={"duckdb"},
        deps=deps,
        check_specs=specs,
        description=description,
    )
    def _mart(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            rows = build(con)
            check = _key_check(con, key, f"marts.{name}", unique_key) if unique_key else None
        context.log.info(f"marts.{name}: {rows:,} rows.")
        yield dg.MaterializeResult(metadata={"dagster/row_count": rows})
        if check is not None:
            yield check

    return _mart


marts_assets: list[dg.AssetsDefinition] = [
    run_info,
    mart_asset(
        "dim_employee",
        "Everyone in the HRIS, one row per employee: tenure, level, demographics and who "
        "takes part in which relationship.",
        build_dim_employee,
        [RUN_INFO, *staging("employees", "pairings")],
        unique_key="employee_id",
    ),
    mart_asset(
        "fct_pairing",
        "Every mentoring, sponsorship, ally and coaching relationship: meetings, milestones, "
        "certificate, duration and how it ended.",
        build_fct_pairing,
        [RUN_INFO, *staging("pairings", "activities", "programs")],
        unique_key="pairing_id",
    ),
    mart_asset(
        "program_health",
        "How each program's pairings are going: activation, meetings, cancellations, "
        "milestones, certificates, rematches and ratings.",
        build_program_health,
        [mart("fct_pairing"), *staging("programs")],
    ),
    mart_asset(
        "mentor_to_sponsor",
        "Share of mentees who gain a sponsor within 12 months, beside their colleagues.",
        build_mentor_to_sponsor,
        [RUN_INFO, *staging("employees", "programs", "pairings")],
    ),
    mart_asset(
        "sponsorship_access",
        "Share of employees with a sponsor, overall, by gender and by ethnicity.",
        build_sponsorship_access,
        [mart("dim_employee"), *staging("pairings")],
    ),
    mart_asset(
        "career_loneliness",
        "Share of employees who feel alone in their career development, wave by wave.",
        build_career_loneliness,
        [RUN_INFO, SURVEY_SCORES],
    ),
]
