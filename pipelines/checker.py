"""`mentorlens check PATH`: what a run would do with some files, without writing anything.

The files go through the same landing and validation code as a run, into an in-memory
database, so the verdict is the one a run would reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.staging import REFERENCES
from ingest.inbox import InboxFile, file_sha256, scan_inbox
from ingest.landing import land_file
from ingest.mapping import load_mapping
from quality.contract import source_of
from quality.file_checks import explain
from quality.staging import stage_source
from warehouse.db import ensure_schemas, last_good_copy, table_exists
from warehouse.settings import Settings, run_date

STAGED_SOURCES = tuple(REFERENCES)
SHOWN_ROWS = 20
ACCEPTED_NAMES = (
    "Accepted names (case-insensitive): employees*, job_events*, programs*, pairings*, "
    "activities*, survey* or anything under surveys/; formats .csv .tsv .txt .xlsx .parquet."
)


@dataclass
class CheckReport:
    text: str
    exit_status: int


def _files_at(path: Path) -> list[InboxFile]:
    if path.is_dir():
        return scan_inbox(path)
    return [
        InboxFile(path.name, path, source_of(path.name), file_sha256(path), path.stat().st_size)
    ]


def check_path(path: Path, settings: Settings) -> CheckReport:
    lines, rejected, quarantined = [], 0, 0
    con = duckdb.connect(":memory:")
    try:
        ensure_schemas(con)
        mapping = load_mapping(settings.mapping)
        applied: dict[str, list[str]] = {}
        landed = []
        for item in _files_at(path):
            if item.source is None:
                lines.append(
                    f"{item.relative}: not recognised as any source; a run ignores it.\n"
                    f"    {ACCEPTED_NAMES}"
                )
                continue
            result = land_file(con, item, "check", settings.survey_respondent_column, mapping)
            if result.status == "rejected":
                rejected += 1
                lines.append(f"{item.relative}: would be rejected. {result.reason}")
            else:
                landed.append(item)
                if result.mapped:
                    applied[item.relative] = result.mapped
        _stage_with_published_references(con, {i.source for i in landed}, settings)
        for item in landed:
            verdict, bad = _verdict(con, item, settings.quarantine_threshold)
            quarantined += bad
            lines.append(verdict)
            if item.relative in applied:
                lines.append(f"    mapping applied ({settings.mapping}):")
                lines += [f"      {what}" for what in applied[item.relative]]
    finally:
        con.close()
    if not lines:
        lines.append(f"{path} holds no files.")
    return CheckReport("\n".join(lines), 3 if rejected else (1 if quarantined else 0))


def _stage_with_published_references(
    con: duckdb.DuckDBPyConnection, checked: set[str], settings: Settings
) -> None:
    """Validate the checked sources; references to other sources use the last published state,
    read from the last good working copy, which keeps real ids (the published file may carry
    pseudonyms)."""
    reference = last_good_copy(settings.working_warehouse)
    if not reference.exists():
        reference = settings.warehouse
    published = reference.exists()
    if published:
        con.execute(f"ATTACH '{reference}' AS published (READ_ONLY)")
    for source in STAGED_SOURCES:
        if source in checked:
            stage_source(con, source, run_date())
        elif published and table_exists(con, f"staging.{source}", database="published"):
            con.execute(
                f"CREATE OR REPLACE TABLE staging.{source} AS "
                f"SELECT * FROM published.staging.{source}"
            )


def _verdict(con: duckdb.DuckDBPyConnection, item: InboxFile, threshold: float) -> tuple[str, int]:
    source = item.source
    read = con.execute(
        f"SELECT count(*) FROM raw.{source} WHERE _source_file = ?", [item.relative]
    ).fetchone()[0]
    if source not in STAGED_SOURCES:
        return f"{item.relative}: {read:,} rows would load into {source}.", 0
    rows = con.execute(
        f"SELECT _source_line, reasons FROM quarantine.{source} WHERE _source_file = ? "
        "ORDER BY _source_line",
        [item.relative],
    ).fetchall()
    text = f"{item.relative}: {read - len(rows):,} of {read:,} rows would load into {source}"
    if not rows:
        return text + ".", 0
    share = len(rows) / read if read else 0.0
    if share > threshold:
        text = (
            f"{item.relative}: would fail the run, and nothing would be published: "
            f"{share:.0%} of its rows would be quarantined, over the {threshold:.0%} threshold. "
            f"{read - len(rows):,} of {read:,} rows would load into {source}"
        )
    shown = "\n".join(f"    line {line}: {explain(reasons)}" for line, reasons in rows[:SHOWN_ROWS])
    more = f"\n    … and {len(rows) - SHOWN_ROWS:,} more" if len(rows) > SHOWN_ROWS else ""
    return f"{text}; {len(rows):,} would be quarantined:\n{shown}{more}", len(rows)
