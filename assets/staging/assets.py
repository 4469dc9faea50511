"""Staging layer: typed, validated, deduplicated rows per source, with blocking checks."""

from datetime import date

import dagster as dg

from assets.staging.build import StageResult, record_results, stage_source
from pipelines.resources import InboxResource, WarehouseResource

QUARANTINE_WITHIN_THRESHOLD = "quarantine_within_threshold"
DATASET_EXPECTATIONS = "dataset_expectations"
NO_QUARANTINED_ROWS = "no_quarantined_rows"

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
        dg.AssetCheckResult(
            check_name=NO_QUARANTINED_ROWS,
            passed=result.rows_quarantined == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{result.source}: {result.rows_quarantined:,} rows quarantined.",
            metadata=metadata,
        ),
    ]


def staging_source_asset(source: str, references: tuple[str, ...]) -> dg.AssetsDefinition:
    key = dg.AssetKey(["staging", source])
    specs = [
        dg.AssetCheckSpec(QUARANTINE_WITHIN_THRESHOLD, asset=key, blocking=True),
        dg.AssetCheckSpec(DATASET_EXPECTATIONS, asset=key, blocking=True),
        dg.AssetCheckSpec(NO_QUARANTINED_ROWS, asset=key),
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
        if result.files_validated:
            context.log.info(
                f"{len(result.files_validated)} new files, {result.rows_read:,} rows validated: "
                f"{result.rows_quarantined:,} quarantined; {result.rows_staged:,} staged."
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

    return _staging


staging_assets = [staging_source_asset(s, refs) for s, refs in REFERENCES.items()]
