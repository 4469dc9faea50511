"""`mentorlens check PATH`: what a run would do with some files, without writing anything.

The files go through the same landing and validation code as a run, into an in-memory
database, so the verdict is the one a run would reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.raw.inbox import InboxFile, file_sha256, scan_inbox
from assets.raw.landing import land_file
from pipelines.settings import Settings
from pipelines.warehouse import ensure_schemas
from quality.contract import source_of


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
    lines, rejected = [], 0
    con = duckdb.connect(":memory:")
    try:
        ensure_schemas(con)
        for item in _files_at(path):
            if item.source is None:
                lines.append(f"{item.relative}: not recognised as any source; a run ignores it.")
                continue
            landed = land_file(con, item, "check", settings.survey_respondent_column)
            if landed.status == "rejected":
                rejected += 1
                lines.append(f"{item.relative}: would be rejected. {landed.reason}")
            else:
                lines.append(
                    f"{item.relative}: {landed.rows_read:,} rows would load into {item.source}."
                )
    finally:
        con.close()
    if not lines:
        lines.append(f"{path} holds no files.")
    return CheckReport("\n".join(lines), 3 if rejected else 0)
