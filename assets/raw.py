"""Raw layer: the inbox inventory and one table per source, every file as landed."""

from pathlib import Path

import dagster as dg

from assets.catalogue import asset_key, table_metadata
from ingest.inbox import InboxFile, plan_loads, scan_inbox
from ingest.landing import land_file, record_unread
from ingest.mapping import load_mapping
from quality.contract import SOURCE_ORDER
from warehouse import catalogue
from warehouse.catalogue import apply_comments
from warehouse.db import table_exists
from warehouse.resources import InboxResource, WarehouseResource

INBOX_FILES = asset_key(catalogue.INBOX_FILES)

# Materialization metadata the CLI reads back from the run's event log (pipelines/runner.py):
# [[file, reason], ...] of files in the inbox the run could not use, and unrecognised names.
REJECTED_FILES = "rejected_files"
UNRECOGNISED_FILES = "unrecognised"

# Files still in the inbox that an earlier run rejected: the run reports them again, so that a
# bad file keeps the exit status at 3 until it is replaced or removed.
_STILL_REJECTED = """
SELECT i.file, l.reason FROM meta.inbox_files i
JOIN meta.loaded_files l ON l.file = i.file AND l.sha256 = i.sha256
WHERE i.action = 'unchanged' AND l.status = 'rejected' ORDER BY i.file
"""


@dg.asset(
    key=INBOX_FILES,
    group_name="raw",
    kinds={"duckdb"},
    metadata=table_metadata(catalogue.INBOX_FILES),
)
def inbox_files(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, inbox: InboxResource
) -> dg.MaterializeResult:
    """The files in the inbox this run, their source and hash, and what the run does with each."""
    files = scan_inbox(Path(inbox.path))
    with warehouse.connect() as con:
        plan = plan_loads(con, files)
        record_unread(con, plan, context.run.run_id)
        actions = (
            [(f, "load") for f in plan.to_load]
            + [(f, "duplicate") for f, _ in plan.duplicates]
            + [(f, "unrecognised") for f in plan.unrecognised]
            + [(f, "unchanged") for f in plan.unchanged]
        )
        con.execute(catalogue.INBOX_FILES.ddl())
        apply_comments(con, catalogue.INBOX_FILES)
        con.executemany(
            "INSERT INTO meta.inbox_files VALUES (?, ?, ?, ?, ?)",
            [(f.relative, f.source, f.sha256, f.size_bytes, action) for f, action in actions],
        )
        still_rejected = con.execute(_STILL_REJECTED).fetchall()
    if files and len(plan.unchanged) == len(files):
        context.log.info(
            f"Nothing new in the inbox {inbox.path}: all {len(files)} files were loaded before; "
            "nothing is read or validated again."
        )
    else:
        context.log.info(
            f"Inbox {inbox.path}: {len(files)} files, {len(plan.to_load)} to load, "
            f"{len(plan.duplicates)} repeats, {len(plan.unrecognised)} unrecognised."
        )
    return dg.MaterializeResult(
        metadata={
            "files": len(files),
            "to_load": len(plan.to_load),
            "duplicates": len(plan.duplicates),
            UNRECOGNISED_FILES: [f.relative for f in files if f.source is None],
            REJECTED_FILES: [[file, reason] for file, reason in still_rejected],
        }
    )


def raw_source_asset(source: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=source,
        key_prefix="raw",
        group_name="raw",
        kinds={"duckdb"},
        deps=[INBOX_FILES],
        description=f"Every {source} file as landed: text columns plus lineage.",
    )
    def _raw(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, inbox: InboxResource
    ) -> dg.MaterializeResult:
        mapping = load_mapping(Path(inbox.mapping) if inbox.mapping else None)
        with warehouse.connect() as con:
            pending = [
                InboxFile(name, Path(inbox.path) / name, source, sha, size)
                for name, sha, size in con.execute(
                    "SELECT file, sha256, size_bytes FROM meta.inbox_files "
                    "WHERE source = ? AND action = 'load' ORDER BY file",
                    [source],
                ).fetchall()
            ]
            loaded, rejected = 0, []
            for item in pending:
                name = item.relative
                landed = land_file(
                    con, item, context.run.run_id, inbox.survey_respondent_column, mapping
                )
                if landed.status == "loaded":
                    loaded += landed.rows_read
                    context.log.info(f"{name}: {landed.rows_read:,} rows landed in raw.{source}.")
                    if landed.mapped:
                        context.log.info(f"{name}: mapping applied: {'; '.join(landed.mapped)}.")
                else:
                    rejected.append([name, landed.reason])
                    context.log.warning(f"Rejected: {landed.reason}")
            total = _row_count(con, f"raw.{source}")
        return dg.MaterializeResult(
            metadata={
                "files_loaded": len(pending) - len(rejected),
                "rows_landed": loaded,
                REJECTED_FILES: rejected,
                "dagster/row_count": total,
            }
        )

    return _raw


def _row_count(con, table: str) -> int:
    return (
        con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if table_exists(con, table)
        else 0
    )


raw_assets = [inbox_files, *(raw_source_asset(s) for s in SOURCE_ORDER)]
