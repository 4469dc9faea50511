"""`mentorlens forget FILE`: take back a file that was loaded.

Its rows leave every layer they reached (raw, quarantine, the survey responses staged from it),
and the ledger records the retraction. The next run re-stages each source from what is left,
so the files before it win again, and publishes the result. The same bytes left in the inbox
are not loaded again (the ledger knows them as retracted); changed bytes are a new file.

This works on the last published state, the copy the next run starts from (never on the
published file analysts read), while holding the writer lock so that no run builds meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from quality.staging import ROW_REASONS
from warehouse.db import table_exists

RETRACTED = "retracted"


class NotLoaded(LookupError):
    """The file is not something the warehouse holds."""


@dataclass(frozen=True)
class Forgotten:
    file: str
    source: str | None
    sha256: str
    rows_removed: dict[str, int]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()}


def forget_file(con: duckdb.DuckDBPyConnection, file: str) -> Forgotten:
    row = (
        con.execute(
            "SELECT source, sha256, status FROM meta.loaded_files WHERE file = ?", [file]
        ).fetchone()
        if table_exists(con, "meta.loaded_files")
        else None
    )
    if row is None:
        raise NotLoaded(f"{file} was never loaded: `mentorlens status` lists the loaded files.")
    source, sha256, status = row
    if status == RETRACTED:
        raise NotLoaded(f"{file} was already forgotten.")
    removed = {}
    con.execute("BEGIN TRANSACTION")
    try:
        tables = [f"raw.{source}", f"quarantine.{source}", ROW_REASONS] if source else []
        if source == "surveys":
            tables += ["staging.survey_responses", "staging.survey_comments"]
        elif source:
            # Staging is rebuilt only when it has new files or is missing: dropped, the next run
            # rebuilds it from the files left, so the files before this one win again.
            con.execute(f"DROP TABLE IF EXISTS staging.{source}")
        for table in tables:
            if table_exists(con, table) and "_source_file" in _columns(con, table):
                count = con.execute(
                    f"SELECT count(*) FROM {table} WHERE _source_file = ?", [file]
                ).fetchone()[0]
                con.execute(f"DELETE FROM {table} WHERE _source_file = ?", [file])
                if count:
                    removed[table] = count
        con.execute("DELETE FROM quarantine.rejected_files WHERE file = ?", [file])
        con.execute(
            "UPDATE meta.loaded_files SET status = ?, reason = ?, rows_loaded = 0, "
            "rows_quarantined = 0, rows_superseded = 0 WHERE file = ?",
            [
                RETRACTED,
                f"{file} was forgotten (`mentorlens forget`) on {datetime.now():%Y-%m-%d %H:%M}; "
                "its rows were removed from every layer.",
                file,
            ],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return Forgotten(file, source, sha256, removed)
