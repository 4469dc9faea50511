"""Stage a source: validate its raw rows, quarantine failures with every reason, keep the rest.

Rows that pass go to `staging.<source>`, typed; among them the row from the file that sorts
last by name wins per key. Rows that fail go to `quarantine.<source>` with their file, line
and reasons. For every file, rows read = rows loaded + rows quarantined, and the ledger in
`meta.loaded_files` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from assets.staging.frames import frame_sql, raw_columns
from pipelines.warehouse import quote_ident
from quality.contract import SOURCES, is_contact_column
from quality.validation import ExpectationResult, readable_rule, run_suite


@dataclass
class StageResult:
    source: str
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    results: list[ExpectationResult] = field(default_factory=list)
    top_reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def quarantined_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    @property
    def dataset_failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if r.level == "dataset" and not r.success]


def _has_raw(con: duckdb.DuckDBPyConnection, source: str) -> bool:
    return bool(raw_columns(con, source))


def stage_source(con: duckdb.DuckDBPyConnection, source: str, run_date: date) -> StageResult:
    from quality.suites import dataset_suite, row_suite

    result = StageResult(source)
    _create_empty(con, source)
    if not _has_raw(con, source):
        return result
    frame = con.execute(frame_sql(con, source)).df()
    passed, quarantined = validate_rows(frame, row_suite(source, run_date), result)
    write_quarantine(con, source, quarantined)
    _write_staging(con, source, passed)
    result.rows_staged = con.execute(f"SELECT count(*) FROM staging.{source}").fetchone()[0]
    reconcile_ledger(con, source, f"staging.{source}")
    staged = con.execute(f"SELECT * FROM staging.{source}").df()
    result.results += run_suite(dataset_suite(source), staged).results
    return result


def validate_rows(
    frame: pd.DataFrame, suite, result: StageResult
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a validation frame into passing rows and quarantined (file, line, reasons)."""
    validation = run_suite(suite, frame)
    failed = frame.index.isin(validation.failed_rows)
    quarantined = frame.loc[failed, ["_source_file", "_source_line"]].assign(
        reasons=validation.reasons.reindex(frame.index[failed]).to_numpy()
    )
    result.rows_read += len(frame)
    result.rows_quarantined += len(quarantined)
    result.results += validation.results
    result.top_reasons = _top_reasons(result.results)
    return frame.loc[~failed], quarantined


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


def _top_reasons(results: list[ExpectationResult], limit: int = 5) -> list[tuple[str, int]]:
    """The row rules that quarantined most rows, as readable templates."""
    failed = [r for r in results if r.level == "row" and r.unexpected_count]
    failed.sort(key=lambda r: r.unexpected_count, reverse=True)
    return [(readable_rule(r.reason), r.unexpected_count) for r in failed[:limit]]


def write_quarantine(
    con: duckdb.DuckDBPyConnection,
    source: str,
    rows: pd.DataFrame,
    withheld: tuple[str, ...] = (),
) -> None:
    """Each rejected row as it was landed, with its reasons; contact and withheld columns stay
    in raw."""
    kept = [
        c
        for c in raw_columns(con, source)
        if not c.startswith("_") and not is_contact_column(c) and c not in withheld
    ]
    selected = ", ".join(
        ["r._source_file", "r._source_line", *(f"r.{quote_ident(c)}" for c in kept)]
    )
    con.register("_quarantined", rows)
    con.execute(
        f"CREATE OR REPLACE TABLE quarantine.{source} AS SELECT {selected}, q.reasons "
        f"FROM raw.{source} r JOIN _quarantined q USING (_source_file, _source_line) "
        "ORDER BY r._source_file, r._source_line"
    )
    con.unregister("_quarantined")


def _write_staging(con: duckdb.DuckDBPyConnection, source: str, rows: pd.DataFrame) -> None:
    """Typed contract columns; per key, the row from the file that sorts last by name wins."""
    spec = SOURCES[source]
    columns = ", ".join(f"CAST({c.name} AS {c.sql_type}) AS {c.name}" for c in spec.columns)
    key = ", ".join(spec.key)
    con.register("_passed", rows)
    con.execute(
        f"CREATE OR REPLACE TABLE staging.{source} AS "
        f"SELECT {columns}, _source_file, _source_line FROM _passed "
        f"QUALIFY row_number() OVER (PARTITION BY {key} "
        "ORDER BY _source_file DESC, _source_line DESC) = 1 "
        f"ORDER BY {key}"
    )
    con.unregister("_passed")


def reconcile_ledger(con: duckdb.DuckDBPyConnection, source: str, kept: str) -> None:
    """Per file: rows read, loaded (passed), quarantined, and superseded (passed but not kept
    in the `kept` table, because a later file or response replaced them)."""
    counts = con.execute(
        f"""
        SELECT r._source_file AS file, count(*) AS read,
               count(q._source_line) AS quarantined,
               count(*) - count(q._source_line) AS loaded,
               count(*) - count(q._source_line) - count(s._source_line) AS superseded
        FROM raw.{source} r
        LEFT JOIN quarantine.{source} q USING (_source_file, _source_line)
        LEFT JOIN {kept} s USING (_source_file, _source_line)
        GROUP BY r._source_file
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
