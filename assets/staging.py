"""Staging layer: typed, validated, deduplicated rows per source, with blocking checks."""

from datetime import date

import dagster as dg
import duckdb

from quality.staging import StageResult, record_results, stage_source
from warehouse.resources import InboxResource, WarehouseResource

QUARANTINE_WITHIN_THRESHOLD = "quarantine_within_threshold"
DATASET_EXPECTATIONS = "dataset_expectations"
NO_QUARANTINED_ROWS = "no_quarantined_rows"
CHECK_DESCRIPTIONS = {
    QUARANTINE_WITHIN_THRESHOLD: "Blocking: the share of the source's rows quarantined stays "
    "within MENTORLENS_QUARANTINE_THRESHOLD (5% by default); otherwise nothing is published.",
    DATASET_EXPECTATIONS: "Blocking: the staged rows keep the rules across rows and sources "
    "(unique keys, references, dates in order); otherwise nothing is published.",
    NO_QUARANTINED_ROWS: "Warns when the files this run loaded put rows in quarantine (their "
    "count is in the metadata, the rows and reasons in quarantine.<source>); rows quarantined "
    "by earlier runs do not warn again.",
}


def check_spec(name: str, key: dg.AssetKey, blocking: bool = False) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name, asset=key, blocking=blocking, description=CHECK_DESCRIPTIONS[name]
    )


def new_rows_quarantined(con: duckdb.DuckDBPyConnection, run_id: str, source: str) -> int:
    """Rows quarantined from the files this run loaded (meta.loaded_files)."""
    return con.execute(
        "SELECT coalesce(sum(rows_quarantined), 0) FROM meta.loaded_files "
        "WHERE run_id = ? AND source = ? AND status = 'loaded'",
        [run_id, source],
    ).fetchall()[0][0]


def no_new_quarantined_rows(source: str, new: int, total: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=NO_QUARANTINED_ROWS,
        passed=new == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{source}: {new:,} rows quarantined from the files this run loaded"
            f" ({total:,} in quarantine in all)."
        ),
        metadata={"new_rows_quarantined": new, "rows_quarantined": total},
    )


# Which validated sources a source's rules look up.
REFERENCES = {
    "employees": (),
    "programs": (),
    "job_events": ("employees",),
    "pairings": ("employees", "programs"),
    "activities": ("pairings",),
}


def _checks(result: StageResult, threshold: float) -> list[dg.AssetCheckResult]:
    share = result.quarantined_share
    failures = result.dataset_failures
    metadata = {
        "rows_read": result.rows_read,
        "rows_quarantined": result.rows_quarantined,
        "quarantined_share": round(share, 4),
        "top_reasons": dg.MetadataValue.json([list(r) for r in result.top_reasons]),
    }
    return [
        dg.AssetCheckResult(
            check_name=QUARANTINE_WITHIN_THRESHOLD,
            passed=share <= threshold,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{result.source}: {result.rows_quarantined:,} of {result.rows_read:,} rows "
                f"({share:.1%}) quarantined; the threshold is {threshold:.0%}."
                + (
                    f" Most common: {result.top_reasons[0][0]} ({result.top_reasons[0][1]:,} rows)."
                    if result.top_reasons
                    else ""
                )
            ),
            metadata=metadata,
        ),
        dg.AssetCheckResult(
            check_name=DATASET_EXPECTATIONS,
            passed=not failures,
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(
                f"{result.source}: {f.reason} ({f.unexpected_count:,} rows)" for f in failures
            )
            or f"{result.source}: staged rows have unique keys.",
        ),
    ]


def staging_source_asset(source: str, references: tuple[str, ...]) -> dg.AssetsDefinition:
    key = dg.AssetKey(["staging", source])
    specs = [
        check_spec(QUARANTINE_WITHIN_THRESHOLD, key, blocking=True),
        check_spec(DATASET_EXPECTATIONS, key, blocking=True),
        check_spec(NO_QUARANTINED_ROWS, key),
    ]

    @dg.asset(
        key=key,
        group_name="staging",
        kinds={"duckdb"},
        deps=[dg.AssetKey(["raw", source]), *(dg.AssetKey(["staging", r]) for r in references)],
        check_specs=specs,
        description=f"{source.replace('_', ' ').capitalize()} that passed validation, typed; "
        "the last file by name wins per key.",
    )
    def _staging(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, inbox: InboxResource
    ):
        with warehouse.connect() as con:
            result = stage_source(con, source, date.today())
            record_results(con, context.run.run_id, result, f"staging.{source}")
            new = new_rows_quarantined(con, context.run.run_id, source)
        context.log.info(
            f"{result.rows_read:,} rows validated: {result.rows_staged:,} staged, "
            f"{result.rows_quarantined:,} quarantined."
        )
        for reason, count in result.top_reasons:
            context.log.info(f"  quarantined {count:,}×: {reason}")
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows_staged,
                "rows_quarantined": result.rows_quarantined,
            }
        )
        yield from _checks(result, inbox.quarantine_threshold)
        yield no_new_quarantined_rows(source, new, result.rows_quarantined)

    return _staging


staging_assets = [staging_source_asset(s, refs) for s, refs in REFERENCES.items()]
