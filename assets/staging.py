"""Staging layer: typed, validated, deduplicated rows per source, with blocking checks."""

import dagster as dg
import duckdb

from assets.run_facts import run_date
from quality.file_checks import FileShare, SnapshotDrop, file_shares, snapshot_drops
from quality.staging import StageResult, record_results, stage_source
from warehouse.resources import InboxResource, WarehouseResource

QUARANTINE_WITHIN_THRESHOLD = "quarantine_within_threshold"
DATASET_EXPECTATIONS = "dataset_expectations"
NO_QUARANTINED_ROWS = "no_quarantined_rows"
SNAPSHOT_WITHIN_DROP = "snapshot_within_drop"
CHECK_DESCRIPTIONS = {
    QUARANTINE_WITHIN_THRESHOLD: "Blocking: the share of the source's rows quarantined stays "
    "within MENTORLENS_QUARANTINE_THRESHOLD (5% by default); otherwise nothing is published.",
    DATASET_EXPECTATIONS: "Blocking: the staged rows keep the rules across rows and sources "
    "(unique keys, references, dates in order); otherwise nothing is published.",
    NO_QUARANTINED_ROWS: "Warns when the files this run loaded put rows in quarantine (their "
    "count is in the metadata, the rows and reasons in quarantine.<source>); rows quarantined "
    "by earlier runs do not warn again.",
    SNAPSHOT_WITHIN_DROP: "Blocking: a new employees snapshot drops at most "
    "MENTORLENS_MAX_SNAPSHOT_DROP (10% by default) of the people the previous one had as "
    "employed, without terminations to explain it; otherwise nothing is published.",
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


def _checks(
    result: StageResult, threshold: float, files: list[FileShare]
) -> list[dg.AssetCheckResult]:
    share = result.quarantined_share
    failures = result.dataset_failures
    over = [f for f in files if f.share > threshold]
    metadata = {
        "rows_read": result.rows_read,
        "rows_quarantined": result.rows_quarantined,
        "quarantined_share": round(share, 4),
        "top_reasons": dg.MetadataValue.json([list(r) for r in result.top_reasons]),
        "files_over_threshold": dg.MetadataValue.json([[f.file, round(f.share, 4)] for f in over]),
    }
    whole = (
        f"{result.source}: {result.rows_quarantined:,} of {result.rows_read:,} rows "
        f"({share:.1%}) quarantined; the threshold is {threshold:.0%}."
        + (
            f" Most common: {result.top_reasons[0][0]} ({result.top_reasons[0][1]:,} rows)."
            if result.top_reasons
            else ""
        )
    )
    return [
        dg.AssetCheckResult(
            check_name=QUARANTINE_WITHIN_THRESHOLD,
            # Per file as well as per source: older snapshots never dilute a bad new one.
            passed=share <= threshold and not over,
            severity=dg.AssetCheckSeverity.ERROR,
            description=" ".join(f.describe(threshold) for f in over) or whole,
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
    if source == "employees":
        specs.append(check_spec(SNAPSHOT_WITHIN_DROP, key, blocking=True))

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
            result = stage_source(con, source, run_date(context))
            record_results(con, context.run.run_id, result, f"staging.{source}")
            files = file_shares(con, source)
            drops = snapshot_drops(con) if source == "employees" else []
            new = new_rows_quarantined(con, context.run.run_id, source)
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
        yield from _checks(result, inbox.quarantine_threshold, files)
        if source == "employees":
            yield _snapshot_check(drops, inbox.max_snapshot_drop)
        yield no_new_quarantined_rows(source, new, result.rows_quarantined)

    return _staging


def _snapshot_check(drops: list[SnapshotDrop], limit: float) -> dg.AssetCheckResult:
    over = [d for d in drops if d.share > limit]
    return dg.AssetCheckResult(
        check_name=SNAPSHOT_WITHIN_DROP,
        passed=not over,
        severity=dg.AssetCheckSeverity.ERROR,
        description=" ".join(d.describe(limit) for d in over)
        or f"employees: no new snapshot drops more than {limit:.0%} of the people employed.",
        metadata={
            "snapshots": dg.MetadataValue.json(
                [[d.file, d.previous, d.missing, round(d.share, 4)] for d in drops]
            )
        },
    )


staging_assets = [staging_source_asset(s, refs) for s, refs in REFERENCES.items()]
