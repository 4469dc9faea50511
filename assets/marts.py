"""Marts layer: the analyst tables of OUTPUTS.md, rebuilt from staging on every run."""

from collections.abc import Callable

import dagster as dg
import duckdb

from assets.catalogue import asset_key, key_check, key_check_spec, table_metadata
from assets.run_facts import run_date
from marts.career_loneliness import build_career_loneliness
from marts.dim_employee import build_dim_employee
from marts.fct_pairing import build_fct_pairing
from marts.participation import build_dim_program, build_fct_activity, build_fct_participation
from marts.program_health import build_program_health
from marts.run_info import build_run_info, resolve_as_of
from marts.sponsorship import build_mentor_to_sponsor, build_sponsorship_access
from marts.survey_waves import build_survey_wave_summary
from warehouse import catalogue
from warehouse.catalogue import RUN_INFO, SURVEY_SCORES, Table
from warehouse.resources import StudyResource, WarehouseResource


def staging(*sources: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["staging", source]) for source in sources]


@dg.asset(
    key=asset_key(RUN_INFO),
    group_name="marts",
    kinds={"duckdb"},
    deps=staging("employees", "job_events"),
    metadata=table_metadata(RUN_INFO),
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


def mart_asset(
    table: Table,
    description: str,
    build: Callable[[duckdb.DuckDBPyConnection], int],
    deps: list[dg.AssetKey],
) -> dg.AssetsDefinition:
    """A mart built by one plain function; when the table has a key, with a blocking check
    that it holds one row per key."""
    key = asset_key(table)

    @dg.asset(
        key=key,
        group_name="marts",
        kinds={"duckdb"},
        deps=deps,
        check_specs=[key_check_spec(table)] if table.key else [],
        description=description,
        metadata=table_metadata(table),
    )
    def _mart(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            rows = build(con)
            check = key_check(con, table) if table.key else None
        context.log.info(f"{table}: {rows:,} rows.")
        yield dg.MaterializeResult(metadata={"dagster/row_count": rows})
        if check is not None:
            yield check

    return _mart


marts_assets: list[dg.AssetsDefinition] = [
    run_info,
    mart_asset(
        catalogue.DIM_EMPLOYEE,
        "Everyone in the HRIS, one row per employee: tenure, level, demographics and who "
        "takes part in which relationship.",
        build_dim_employee,
        [asset_key(RUN_INFO), *staging("employees", "pairings")],
    ),
    mart_asset(
        catalogue.FCT_PAIRING,
        "Every mentoring, sponsorship, ally and coaching relationship: meetings, milestones, "
        "certificate, duration and how it ended.",
        build_fct_pairing,
        [
            asset_key(RUN_INFO),
            *staging("pairings", "activities", "programs", "employees", "job_events"),
        ],
    ),
    mart_asset(
        catalogue.PROGRAM_HEALTH,
        "How each program's pairings are going: activation, meetings, cancellations, "
        "milestones, certificates, rematches and ratings.",
        build_program_health,
        [asset_key(catalogue.FCT_PAIRING), *staging("programs")],
    ),
    mart_asset(
        catalogue.MENTOR_TO_SPONSOR,
        "Share of mentees who gain a sponsor within 12 months, beside their colleagues.",
        build_mentor_to_sponsor,
        [asset_key(RUN_INFO), *staging("employees", "programs", "pairings")],
    ),
    mart_asset(
        catalogue.SPONSORSHIP_ACCESS,
        "Share of employees with a sponsor, overall, by gender and by ethnicity.",
        build_sponsorship_access,
        [asset_key(catalogue.DIM_EMPLOYEE), *staging("pairings")],
    ),
    mart_asset(
        catalogue.CAREER_LONELINESS,
        "Share of employees who feel alone in their career development, wave by wave.",
        build_career_loneliness,
        [asset_key(RUN_INFO), asset_key(SURVEY_SCORES)],
    ),
    mart_asset(
        catalogue.DIM_PROGRAM,
        "Every program: name, dates, plan, pairings, participants and advisors.",
        build_dim_program,
        [asset_key(RUN_INFO), *staging("programs", "pairings")],
    ),
    mart_asset(
        catalogue.FCT_PARTICIPATION,
        "Who took part in which program and type, from when to when: the table to join "
        "surveys and outcomes to participation correctly in time.",
        build_fct_participation,
        [asset_key(RUN_INFO), *staging("programs", "pairings")],
    ),
    mart_asset(
        catalogue.FCT_ACTIVITY,
        "Every meeting and milestone, with its pairing's program, type and people.",
        build_fct_activity,
        [asset_key(RUN_INFO), *staging("activities", "pairings")],
    ),
    mart_asset(
        catalogue.SURVEY_WAVE_SUMMARY,
        "Each survey wave's scores, eNPS and favourable shares, for everyone and for each "
        "relationship type's participants (by the wave's date) against everyone else.",
        build_survey_wave_summary,
        [asset_key(SURVEY_SCORES), *staging("pairings")],
    ),
]
