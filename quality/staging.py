"""Stage a source: validate the rows of its newly landed files, quarantine failures with every
reason, and rebuild staging from what is stored.

Each file is validated once, when it lands: its rows' reasons go to `meta.row_reasons` and
its ledger row gets its counts. Staging is then rebuilt from `raw` less those rows, typed;
among them the row from the file that sorts last by name wins per key. Rows that fail go to
`quarantine.<source>` with their file, line and reasons. For every file, rows read = rows
loaded + rows quarantined, and the ledger in `meta.loaded_files` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import duckdb

from quality.contract import SOURCES, Column, is_contact_column
from quality.data_docs import store_results
from quality.frames import frame_sql, raw_columns, raw_text_sql, typed_sql
from quality.validation import FAILURES_DDL, ExpectationResult, collect_reasons, validate_table
from warehouse.db import quote_ident, quote_literal, table_exists

# Tables GX reads are named in the main schema: it reaches them through cursors of the
# connection, which do not see its temporary tables, and its column lookup drops schemas.
FRAME = "_validation_frame"
# An in-memory database the connection's cursors share: the validation table's rows live
# there, read through a view named FRAME, never written to the warehouse file.
SCRATCH = "_scratch"
STAGED_KEYS = "_staged_keys"
FAILURES = "_failed_rows"
ROW_REASONS = "meta.row_reasons"


@dataclass
class StageResult:
    source: str
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    files_validated: list[str] = field(default_factory=list)
    results: list[ExpectationResult] = field(default_factory=list)
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    gx_results: list = field(default_factory=list)  # GX's own, for Data Docs

    @property
    def quarantined_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    @property
    def dataset_failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if r.level == "dataset" and not r.success]


def _has_raw(con: duckdb.DuckDBPyConnection, source: str) -> bool:
    return bool(raw_columns(con, source))


def ensure_row_reasons(con: duckdb.DuckDBPyConnection) -> None:
    """The reasons of every quarantined row of every validated file, kept across runs."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {ROW_REASONS} (source VARCHAR, _source_file VARCHAR, "
        "_source_line BIGINT, reasons VARCHAR)"
    )
    con.execute(
        f"COMMENT ON TABLE {ROW_REASONS} IS 'Why each quarantined row failed, per source, file "
        "and line: kept so that a file is validated once, when it lands.'"
    )


def pending_files(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Files of `source` landed in raw but never validated (their ledger counts are unset)."""
    if not _has_raw(con, source):
        return []
    return [
        file
        for (file,) in con.execute(
            f"SELECT DISTINCT r._source_file FROM raw.{source} r JOIN meta.loaded_files l "
            "ON l.file = r._source_file AND l.status = 'loaded' AND l.rows_loaded IS NULL "
            "ORDER BY 1"
        ).fetchall()
    ]


def rows_of(con: duckdb.DuckDBPyConnection, source: str, files: list[str]) -> list[str] | None:
    """`files` as the rows to read from `raw.<source>`: None (every row) when they are all of
    its files, which spares a filter on every row (employees at xl: 0.75 s of 2.9)."""
    every = con.execute(f"SELECT count(DISTINCT _source_file) FROM raw.{source}").fetchone()[0]
    return None if len(set(files)) == every else files


def stage_source(con: duckdb.DuckDBPyConnection, source: str, run_date: date) -> StageResult:
    """Validate the source's new files and rebuild its staging and quarantine; with no new
    file, leave them as they are."""
    from quality.suites import dataset_suite, row_suite

    result = StageResult(source)
    ensure_row_reasons(con)
    if not _has_raw(con, source):
        _create_empty(con, source)
        return result
    files = pending_files(con, source)
    if not files and table_exists(con, f"staging.{source}"):
        result.rows_staged = con.execute(f"SELECT count(*) FROM staging.{source}").fetchone()[0]
        return result
    reasons = (
        f"(SELECT * EXCLUDE (source) FROM {ROW_REASONS} WHERE source = {quote_literal(source)})"
    )
    rows = rows_of(con, source, files) if files else []
    every_row = rows is None  # every row of raw is new: the frame holds them all
    if files:
        create_frame(con, frame_sql(con, source, rows))
        try:
            result.results += validate_rows(con, source, files, row_suite(source, run_date), result)
            if every_row:  # staged from the frame, the rows are not typed twice
                _write_staging(con, source, reasons, f"{SCRATCH}.{FRAME}", _framed_sql)
        finally:
            drop_frame(con)
        result.files_validated = files
    write_quarantine(con, source, reasons)
    if not every_row:
        present = set(raw_columns(con, source))
        _write_staging(con, source, reasons, f"raw.{source}", lambda c: _staged_sql(c, present))
    result.rows_staged = con.execute(f"SELECT count(*) FROM staging.{source}").fetchone()[0]
    reconcile_ledger(con, source, f"staging.{source}")
    key = ", ".join(SOURCES[source].key)
    # A view, not a copy: GX needs a name in the main schema, not the rows twice.
    con.execute(
        f"CREATE OR REPLACE VIEW {STAGED_KEYS} AS "
        f"SELECT {key}, _source_file, _source_line FROM staging.{source}"
    )
    try:
        result.results += validate_table(
            con, STAGED_KEYS, dataset_suite(source), run=result.gx_results
        )
    finally:
        con.execute(f"DROP VIEW IF EXISTS {STAGED_KEYS}")
    return result


@contextmanager
def _optimizers_disabled(con: duckdb.DuckDBPyConnection, *names: str) -> Iterator[None]:
    """DuckDB's optimizers `names` off while the block runs, as they were afterwards."""
    (before,) = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()
    con.execute(f"SET disabled_optimizers = {quote_literal(','.join([before, *names]).strip(','))}")
    try:
        yield
    finally:
        if before:
            con.execute(f"SET disabled_optimizers = {quote_literal(before)}")
        else:
            con.execute("RESET disabled_optimizers")


def create_frame(con: duckdb.DuckDBPyConnection, select_sql: str) -> None:
    """The validation table FRAME from `select_sql`, its rows in memory. Written to the
    warehouse file, only to be dropped after validation, the rows took half as long again.

    The rows and their repeats (`quality.frames.duplicate_of_sql`) both scan raw; DuckDB's
    `common_subplan` optimizer would materialise that scan, every column of every row, to
    share it. Scanning twice is faster (survey rows at xl: 7.4 CPU-seconds down to 5.1)."""
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {SCRATCH}")
    with _optimizers_disabled(con, "common_subplan"):
        con.execute(f"CREATE OR REPLACE TABLE {SCRATCH}.{FRAME} AS {select_sql}")
    con.execute(f"CREATE OR REPLACE VIEW {FRAME} AS SELECT * FROM {SCRATCH}.{FRAME}")


def drop_frame(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP VIEW IF EXISTS {FRAME}")
    con.execute(f"DROP TABLE IF EXISTS {SCRATCH}.{FRAME}")


def validate_rows(
    con: duckdb.DuckDBPyConnection,
    source: str,
    files: list[str],
    suite,
    result: StageResult,
    group: str | None = None,
) -> list[ExpectationResult]:
    """Run the row suite over the validation table (FRAME, the rows of `files`); store each
    failing row's reasons in ROW_REASONS (replacing what these files had) and add the counts
    to `result`."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FAILURES} {FAILURES_DDL}")
    try:
        results = validate_table(con, FRAME, suite, FAILURES, run=result.gx_results)
        con.execute(
            f"DELETE FROM {ROW_REASONS} WHERE source = ? AND _source_file IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [source, files],
        )
        con.execute(
            f"INSERT INTO {ROW_REASONS} SELECT ?, * FROM ({collect_reasons(FAILURES)})", [source]
        )
        result.rows_read += con.execute(f"SELECT count(*) FROM {FRAME}").fetchone()[0]
        result.rows_quarantined += con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT _source_file, _source_line FROM {FAILURES})"
        ).fetchone()[0]
        result.top_reasons = _top_reasons(results)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {FAILURES}")
    return results


def _top_reasons(results: list[ExpectationResult], limit: int = 5) -> list[tuple[str, int]]:
    """The row rules that quarantined most rows, in words."""
    failed = [r for r in results if r.level == "row" and r.unexpected_count]
    failed.sort(key=lambda r: r.unexpected_count, reverse=True)
    return [(r.reason, r.unexpected_count) for r in failed[:limit]]


def _create_empty(con: duckdb.DuckDBPyConnection, source: str) -> None:
    columns = ", ".join(f"{c.name} {c.sql_type}" for c in SOURCES[source].columns)
    con.execute(
        f"CREATE OR REPLACE TABLE staging.{source} "
        f"({columns}, _source_file VARCHAR, _source_line BIGINT)"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE quarantine.{source} "
        "(_source_file VARCHAR, _source_line BIGINT, reasons VARCHAR)"
    )


def write_quarantine(
    con: duckdb.DuckDBPyConnection,
    source: str,
    reasons_table: str,
    withheld: tuple[str, ...] = (),
) -> None:
    """Each rejected row as it was landed, with its reasons (from `reasons_table`: file, line,
    reasons); contact and withheld columns stay in raw."""
    kept = [
        c
        for c in raw_columns(con, source)
        if not c.startswith("_") and not is_contact_column(c) and c not in withheld
    ]
    selected = ", ".join(
        ["r._source_file", "r._source_line", *(f"r.{quote_ident(c)}" for c in kept)]
    )
    con.execute(
        f"CREATE OR REPLACE TABLE quarantine.{source} AS SELECT {selected}, q.reasons "
        f"FROM raw.{source} r JOIN {reasons_table} q USING (_source_file, _source_line) "
        "ORDER BY r._source_file, r._source_line"
    )


def reconcile_ledger(con: duckdb.DuckDBPyConnection, source: str, kept: str) -> None:
    """Per file: rows read, loaded (passed), quarantined, and superseded (passed but not kept
    in the `kept` table, because a later file or response replaced them)."""
    # Counts per file of each table, joined per file: no join over the rows. A line is
    # quarantined or kept at most once, and both are rows of raw.
    counts = con.execute(
        f"""
        SELECT r._source_file AS file, r.read, coalesce(q.rows, 0) AS quarantined,
               r.read - coalesce(q.rows, 0) AS loaded,
               r.read - coalesce(q.rows, 0) - coalesce(s.rows, 0) AS superseded
        FROM (SELECT _source_file, count(*) AS read FROM raw.{source} GROUP BY 1) r
        LEFT JOIN (SELECT _source_file, count(*) AS rows FROM quarantine.{source} GROUP BY 1) q
            USING (_source_file)
        LEFT JOIN (SELECT _source_file, count(*) AS rows FROM {kept} GROUP BY 1) s
            USING (_source_file)
        """
    ).fetchall()
    for file, read, quarantined, loaded, superseded in counts:
        if read != loaded + quarantined:
            raise AssertionError(f"{file}: {read} rows read but {loaded} + {quarantined} kept")
        con.execute(
            "UPDATE meta.loaded_files SET rows_read = ?, rows_loaded = ?, rows_quarantined = ?, "
            "rows_superseded = ? WHERE file = ? AND status = 'loaded'",
            [read, loaded, quarantined, superseded, file],
        )


def record_results(
    con: duckdb.DuckDBPyConnection, run_id: str, result: StageResult, check_name: str
) -> None:
    """Each expectation's outcome in `meta.validation_results`, its rule in words; GX's own
    results for Data Docs."""
    if result.gx_results:
        store_results(con, run_id, result.source, result.gx_results)
    con.execute(
        "DELETE FROM meta.validation_results WHERE run_id = ? AND source = ?",
        [run_id, result.source],
    )
    rows = [
        (
            run_id,
            result.source,
            check_name,
            r.expectation,
            r.column,
            "ERROR" if r.level == "dataset" else "WARN",
            r.success,
            r.unexpected_count,
            r.element_count,
            r.reason,
        )
        for r in result.results
    ]
    if rows:
        con.executemany(
            "INSERT INTO meta.validation_results VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            rows,
        )


def _write_staging(
    con: duckdb.DuckDBPyConnection,
    source: str,
    reasons: str,
    rows: str,
    typed: Callable[[Column], str],
) -> None:
    """Typed contract columns of the rows of `rows` (`raw.<source>`, or the validation table
    holding them all) not quarantined; per key, the row from the file that sorts last by name
    wins. `typed(column)` is a column's staged value, from `rows` aliased `r`.

    The winners are found first, by a GROUP BY over the key alone, and only they are typed
    and written: no window sorting every typed column of every row. A row's place in the
    order (file, line) is one BIGINT, its file's rank by name above its line (lines stay
    below 2⁴⁰), and the winner is picked by rowid: with the struct (file, line) as aggregate
    and join key, the GROUP BY took twice as long."""
    spec = SOURCES[source]
    staged = {column.name: typed(column) for column in spec.columns}
    columns = ", ".join(f"{sql} AS {name}" for name, sql in staged.items())
    key = ", ".join(spec.key)
    files = (
        "SELECT _source_file, row_number() OVER (ORDER BY _source_file) AS rank "
        f"FROM (SELECT DISTINCT _source_file FROM {rows})"
    )
    latest = (
        "SELECT arg_max(r.rowid, (f.rank << 40) + r._source_line) AS row "
        f"FROM {rows} r JOIN ({files}) f USING (_source_file) "
        f"ANTI JOIN {reasons} q USING (_source_file, _source_line) "
        f"GROUP BY {', '.join(staged[k] for k in spec.key)}"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE staging.{source} AS "
        f"SELECT {columns}, r._source_file, r._source_line FROM {rows} r "
        f"SEMI JOIN ({latest}) w ON w.row = r.rowid "
        f"ORDER BY {key}"
    )


def _staged_sql(column: Column, present: set[str]) -> str:
    """The staged value of a contract column of `raw.<source> r`, typed from its text."""
    return f"CAST({typed_sql(column, raw_text_sql(column.name, present))} AS {column.sql_type})"


def _framed_sql(column: Column) -> str:
    """The staged value of a contract column of the validation table `r`, typed there."""
    return f"CAST(r.{column.name} AS {column.sql_type})"
