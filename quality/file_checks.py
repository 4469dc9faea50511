"""Blocking checks per file, in SQL over the `raw`, `quarantine` and `meta` tables a run wrote.

- The quarantine threshold holds for every file a run loads, not only for its source as a
  whole: twenty good monthly snapshots must not dilute one wholly bad one below the threshold.
- A new `employees` snapshot may not drop more than a set share of the people the snapshot
  before it had as employed, without terminations to explain it: a partial or mistaken export.

Both name the file, the share and, for the first, its first reasons with the values that broke
them, so the person reading the failure knows what to open and what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from warehouse.db import table_exists

# Rows whose reasons a failure quotes.
FIRST_REASONS = 3
DATE_HINT = "expected YYYY-MM-DD (or set a date format in the mapping)"


def explain(reason: str) -> str:
    """A row's reasons, with what was expected where a date could not be read."""
    return reason.replace("is not a real date", f"is not a real date: {DATE_HINT}")


@dataclass
class FileShare:
    source: str
    file: str
    rows_read: int
    rows_quarantined: int
    first_reasons: list[tuple[int, str]] = field(default_factory=list)  # (line, reasons)

    @property
    def share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    def describe(self, threshold: float) -> str:
        reasons = "; ".join(f"line {line}: {explain(r)}" for line, r in self.first_reasons)
        return (
            f"{self.source} file {self.file}: {self.rows_quarantined:,} of {self.rows_read:,} "
            f"rows ({self.share:.0%}) quarantined, over the {threshold:.0%} threshold"
            + (f". First reasons: {reasons}" if reasons else "")
            + "."
        )


def files_loaded_this_run(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    if not table_exists(con, "meta.inbox_files"):
        return []
    return [
        file
        for (file,) in con.execute(
            "SELECT file FROM meta.inbox_files WHERE source = ? AND action = 'load' ORDER BY file",
            [source],
        ).fetchall()
    ]


def file_shares(
    con: duckdb.DuckDBPyConnection, source: str, files: list[str] | None = None
) -> list[FileShare]:
    """The quarantined share of each file (those loaded this run, unless `files` is given)."""
    files = files_loaded_this_run(con, source) if files is None else files
    if not files or not table_exists(con, f"raw.{source}"):
        return []
    has_quarantine = table_exists(con, f"quarantine.{source}")
    shares = []
    for file in files:
        read = con.execute(
            f"SELECT count(*) FROM raw.{source} WHERE _source_file = ?", [file]
        ).fetchone()[0]
        first, quarantined = [], 0
        if has_quarantine:
            quarantined = con.execute(
                f"SELECT count(*) FROM quarantine.{source} WHERE _source_file = ?", [file]
            ).fetchone()[0]
            first = con.execute(
                f"SELECT _source_line, reasons FROM quarantine.{source} WHERE _source_file = ? "
                f"ORDER BY _source_line LIMIT {FIRST_REASONS}",
                [file],
            ).fetchall()
        if read:
            shares.append(FileShare(source, file, read, quarantined, first))
    return shares


@dataclass
class SnapshotDrop:
    file: str
    previous: str
    employed_before: int
    missing: int
    first_missing: list[str]

    @property
    def share(self) -> float:
        return self.missing / self.employed_before if self.employed_before else 0.0

    def describe(self, limit: float) -> str:
        return (
            f"employees file {self.file} drops {self.missing:,} of the {self.employed_before:,} "
            f"people {self.previous} had as employed ({self.share:.0%}, over the {limit:.0%} "
            "allowed) without a termination for them: a partial or mistaken export? "
            f"First missing employee_id: {', '.join(self.first_missing)}."
        )


def snapshot_drops(con: duckdb.DuckDBPyConnection) -> list[SnapshotDrop]:
    """For each employees file loaded this run, the people the snapshot before it (by name,
    among the files loaded) had as employed and that this one leaves out, whether with a
    termination or without. Read from `raw`, so a row quarantined for a bad value still counts
    as present: that file's quarantined share is the other check's business."""
    if not table_exists(con, "raw.employees") or not table_exists(con, "meta.loaded_files"):
        return []
    loaded = [
        file
        for (file,) in con.execute(
            "SELECT DISTINCT _source_file FROM raw.employees ORDER BY 1"
        ).fetchall()
    ]
    columns = {r[0] for r in con.execute("DESCRIBE raw.employees").fetchall()}
    employed = (
        "coalesce(trim(termination_date), '') = ''" if "termination_date" in columns else "true"
    )
    drops = []
    for file in files_loaded_this_run(con, "employees"):
        earlier = [f for f in loaded if f < file]
        if file not in loaded or not earlier:
            continue
        previous = earlier[-1]
        before, missing, first = con.execute(
            f"""
            WITH before AS (
                SELECT DISTINCT trim(employee_id) AS id FROM raw.employees
                WHERE _source_file = $previous AND {employed}
            ), now AS (
                SELECT DISTINCT trim(employee_id) AS id FROM raw.employees
                WHERE _source_file = $file
            )
            SELECT (SELECT count(*) FROM before),
                   count(*),
                   list(id ORDER BY id)[1:5]
            FROM before WHERE id NOT IN (SELECT id FROM now WHERE id IS NOT NULL)
            """,
            {"previous": previous, "file": file},
        ).fetchone()
        drops.append(SnapshotDrop(file, previous, before, missing, list(first or [])))
    return drops
