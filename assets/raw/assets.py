"""Raw layer: the inbox inventory and one table per source, every file as landed."""

from pathlib import Path

import dagster as dg

from assets.raw.inbox import InboxFile, plan_loads, scan_inbox
from assets.raw.landing import land_file, record_unread
from pipelines.resources import InboxResource, WarehouseResource
from pipelines.warehouse import prepare_working_copy, table_exists
from quality.contract import SOURCE_ORDER

INBOX_FILES = dg.AssetKey(["meta", "inbox_files"])

INBOX_FILES_DDL = """
CREATE OR REPLACE TABLE meta.inbox_files (
    file VARCHAR, source VARCHAR, sha256 VARCHAR, size_bytes BIGINT, action VARCHAR
)
"""


@dg.asset(key=INBOX_FILES, group_name="raw", kinds={"duckdb"})
def inbox_files(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, inbox: InboxResource
) -> dg.MaterializeResult:
    """The files in the inbox this run, their source and hash, and what the run does with each."""
    prepare_working_copy(warehouse.published, warehouse.working)
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
        con.execute(INBOX_FILES_DDL)
        con.executemany(
            "INSERT INTO meta.inbox_files VALUES (?, ?, ?, ?, ?)",
            [(f.relative, f.source, f.sha256, f.size_bytes, action) for f, action in actions],
        )
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
            "unrecognised": [f.relative for f in plan.unrecognised],
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
                landed = land_file(con, item, context.run.run_id, inbox.survey_respondent_column)
                if landed.status == "loaded":
                    loaded += landed.rows_read
                    context.log.info(f"{name}: {landed.rows_read:,} rows landed in raw.{source}.")
                else:
                    rejected.append(landed.reason)
                    context.log.warning(f"Rejected: {landed.reason}")
            total = _row_count(con, f"raw.{source}")
        return dg.MaterializeResult(
            metadata={
                "files_loaded": len(pending) - len(rejected),
                "rows_landed": loaded,
                "rejected": rejected,
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
