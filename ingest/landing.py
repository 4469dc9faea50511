"""Land inbox files in `raw.<source>` as text, with lineage, and keep the ledger of every file.

A file is read completely (parsed whole in memory, or streamed into a temporary table) before
anything in `raw` changes; only then, in one transaction, are the rows of an earlier version of
the same file replaced. A file that fails to read leaves `raw` exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

import duckdb
import pyarrow as pa

from ingest.inbox import InboxFile, Plan
from ingest.mapping import Mapping, SourceMapping, apply_mapping, renamed_columns
from ingest.readers import (
    LINE_COLUMN,
    MALFORMED_COLUMN,
    RejectedFile,
    TableReader,
    open_table,
)
from quality.contract import SOURCES, is_contact_column, normalise_header
from warehouse.db import quote_ident

LINEAGE = ("_source_file", "_source_line", "_load_id", "_loaded_at")
LANDING = "_landing"


@dataclass
class Landed:
    file: InboxFile
    status: str  # loaded, rejected
    reason: str | None = None
    rows_read: int = 0
    layout: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    contact_columns: list[str] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)  # what the mapping did, in words


def required_columns(source: str, survey_respondent_column: str = "employee_id") -> list[str]:
    if source == "surveys":
        return [normalise_header(survey_respondent_column)]
    return list(SOURCES[source].required_columns)


def read_into_landing(
    con: duckdb.DuckDBPyConnection,
    item: InboxFile,
    required: list[str],
    mapping: SourceMapping | None = None,
) -> Landed:
    """Read a file into the landing table LANDING, mapped into the contract's names and
    formats when a mapping is given; raise RejectedFile if it cannot be read."""
    reader = open_table(item.path)
    columns = renamed_columns(list(reader.columns), mapping)
    missing = [c for c in required if c not in columns]
    if missing:
        names = ", ".join(missing)
        plural = "columns" if len(missing) > 1 else "column"
        hint = " (after the mapping)" if mapping is not None else ""
        raise RejectedFile(f"{item.relative} is missing the required {plural} {names}{hint}.")
    drop_landing(con)
    if reader.whole is not None and mapping is None:
        # Parsed whole and nothing to rename or translate: DuckDB reads the rows where they
        # lie, in parallel, instead of copying them into a table first.
        con.register(LANDING, reader.whole)
        return _loaded(item, reader, reader.whole.num_rows, [])
    batches = reader.batches()
    first = next(batches, None)
    if first is None:
        raise RejectedFile(f"{item.relative} has a header but no data rows.")
    # One statement over the whole stream: DuckDB pulls the batches itself, many times faster
    # than an INSERT per batch. A rejection raised while it pulls is kept and raised as is.
    rejections: list[RejectedFile] = []
    stream = pa.RecordBatchReader.from_batches(
        first.schema, _keeping(chain([first], batches), rejections)
    )
    con.register("_batches", stream)
    try:
        con.execute(f"CREATE TEMP TABLE {LANDING} AS SELECT * FROM _batches")
    except duckdb.Error:
        if rejections:
            raise rejections[0] from None
        raise
    finally:
        con.unregister("_batches")
    mapped = apply_mapping(con, LANDING, item.source, mapping)
    rows = con.execute(f"SELECT count(*) FROM {LANDING}").fetchone()[0]
    return _loaded(item, reader, rows, mapped)


def drop_landing(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the landing table, or the parsed file registered under its name."""
    con.unregister(LANDING)
    con.execute(f"DROP TABLE IF EXISTS {LANDING}")


def _loaded(item: InboxFile, reader: TableReader, rows: int, mapped: list[str]) -> Landed:
    return Landed(
        item,
        "loaded",
        rows_read=rows,
        layout=reader.layout,
        encoding=reader.encoding,
        delimiter=reader.delimiter,
        contact_columns=[c for c in reader.columns if is_contact_column(c)],
        mapped=mapped,
    )


def _keeping(
    batches: Iterator[pa.RecordBatch], rejections: list[RejectedFile]
) -> Iterator[pa.RecordBatch]:
    try:
        yield from batches
    except RejectedFile as rejection:
        rejections.append(rejection)
        raise


def _append_to_raw(
    con: duckdb.DuckDBPyConnection, source: str, landed: Landed, run_id: str
) -> None:
    table = f"raw.{source}"
    columns = [
        name
        for (name,) in con.execute(f"SELECT name FROM pragma_table_info('{LANDING}')").fetchall()
    ]
    data_columns = [c for c in columns if c not in (LINE_COLUMN, MALFORMED_COLUMN)]
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {table} (_source_file VARCHAR, _source_line BIGINT, "
        f"_load_id VARCHAR, _loaded_at TIMESTAMP, {MALFORMED_COLUMN} VARCHAR)"
    )
    for column in data_columns:
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {quote_ident(column)} VARCHAR")
    con.execute(f"DELETE FROM {table} WHERE _source_file = ?", [landed.file.relative])
    selected = ", ".join(quote_ident(c) for c in columns)
    # A raw row's place is its file and line, not its position in the table: letting DuckDB
    # insert in any order lets it insert on every core.
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(
            f"INSERT INTO {table} BY NAME SELECT {selected}, ? AS _source_file, ? AS _load_id, "
            "current_timestamp::TIMESTAMP AS _loaded_at FROM " + LANDING,
            [landed.file.relative, run_id],
        )
    finally:
        con.execute("RESET preserve_insertion_order")


def land_file(
    con: duckdb.DuckDBPyConnection,
    item: InboxFile,
    run_id: str,
    survey_respondent_column: str = "employee_id",
    mapping: Mapping | None = None,
) -> Landed:
    """Land one file of a known source, or record why it was rejected. Never raises for bad data."""
    assert item.source is not None
    try:
        landed = read_into_landing(
            con,
            item,
            required_columns(item.source, survey_respondent_column),
            (mapping or {}).get(item.source),
        )
    except RejectedFile as rejection:
        landed = Landed(item, "rejected", reason=str(rejection))
    con.execute("BEGIN TRANSACTION")
    try:
        if landed.status == "loaded":
            _append_to_raw(con, item.source, landed, run_id)
            con.execute(
                "UPDATE meta.loaded_files SET status = 'replaced' "
                "WHERE file = ? AND status = 'loaded'",
                [item.relative],
            )
        else:
            con.execute(
                "DELETE FROM quarantine.rejected_files WHERE file = ? AND sha256 = ?",
                [item.relative, item.sha256],
            )
            con.execute(
                "INSERT INTO quarantine.rejected_files VALUES (?, ?, ?, ?, ?, current_timestamp)",
                [item.relative, item.source, landed.reason, item.sha256, run_id],
            )
        record_file(con, landed, run_id)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        drop_landing(con)
    return landed


def record_file(
    con: duckdb.DuckDBPyConnection,
    landed: Landed,
    run_id: str,
    duplicate_of: str | None = None,
) -> None:
    item = landed.file
    con.execute(
        "INSERT OR REPLACE INTO meta.loaded_files (file, source, sha256, size_bytes, status, "
        "reason, duplicate_of, layout, encoding, delimiter, rows_read, rows_loaded, "
        "rows_quarantined, rows_superseded, dropped_contact_columns, run_id, loaded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?)",
        [
            item.relative,
            item.source,
            item.sha256,
            item.size_bytes,
            landed.status,
            landed.reason,
            duplicate_of,
            landed.layout,
            landed.encoding,
            landed.delimiter,
            landed.rows_read,
            ", ".join(landed.contact_columns) or None,
            run_id,
            datetime.now(),
        ],
    )


def record_unread(con: duckdb.DuckDBPyConnection, plan: Plan, run_id: str) -> None:
    """Ledger rows for files that are not read: repeats of loaded files, and unrecognised ones."""
    for item, original in plan.duplicates:
        reason = f"{item.relative} has the same bytes as {original}, which is already loaded."
        record_file(con, Landed(item, "duplicate", reason=reason), run_id, duplicate_of=original)
    for item in plan.unrecognised:
        reason = (
            f"{item.relative} matches no source: name files employees*, job_events*, "
            "programs*, pairings*, activities* or survey* (or put them in surveys/)."
        )
        record_file(con, Landed(item, "unrecognised", reason=reason), run_id)
