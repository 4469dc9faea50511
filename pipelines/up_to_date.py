"""A run with nothing new: every file in the inbox was accounted for by the last published run,
which was built with today's settings and code from the same ledger and the same as-of date,
and nothing happened since (no failed run, no publication left half-way, no run writing).
Such a run would publish the same warehouse and pages again, so it is not started."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.inbox import plan_loads, scan_inbox
from marts.run_info import resolve_as_of
from warehouse.build import build_digest, settings_digest
from warehouse.db import connect, last_good_copy, table_exists
from warehouse.failures import failures_log
from warehouse.locking import WriterLock
from warehouse.publishing import journal_path, staged_warehouse
from warehouse.resources import resources_from
from warehouse.settings import Settings, run_date

LAST_PUBLISHED_SQL = """
SELECT build, as_of, finished_at FROM meta.runs
WHERE status = 'published' ORDER BY finished_at DESC LIMIT 1
"""


def nothing_new(settings: Settings) -> str | None:
    """The line to print instead of running, or None when a run has something to do."""
    start = last_good_copy(settings.working_warehouse)
    start = start if start.exists() else settings.warehouse
    if not (start.exists() and settings.warehouse.exists()):
        return None
    if not (settings.reports / "index.html").exists() or _something_happened(settings, start):
        return None
    files = scan_inbox(settings.inbox)
    if not files:
        return None
    try:
        with connect(start, read_only=True) as con:
            if not table_exists(con, "meta.runs"):
                return None
            plan = plan_loads(con, files)
            if len(plan.unchanged) != len(files) or _still_rejected(con, plan.unchanged):
                return None
            last = con.execute(LAST_PUBLISHED_SQL).fetchone()
            if last is None:
                return None
            build, as_of, finished_at = last
            configured = settings_digest(resources_from(settings), settings.pseudonymize_key)
            if build != build_digest(con, configured):
                return None
            setting = settings.as_of.isoformat() if settings.as_of else None
            if resolve_as_of(con, setting, run_date())[0] != as_of:
                return None
    except duckdb.Error:  # a publication replacing the copy this instant, or an old layout
        return None
    return (
        f"Nothing new in {settings.inbox}: each of its {len(files)} files was seen before, and "
        f"the settings and code are unchanged; the warehouse and reports published "
        f"{finished_at:%Y-%m-%d %H:%M} stay as they are."
    )


def _something_happened(settings: Settings, start: Path) -> bool:
    """A run writing now, a publication to finish, or a failure logged since the last good
    copy was written (the pages may carry its banner): a run has work to do."""
    if WriterLock(settings.writer_lock).holder() is not None:
        return True
    if journal_path(settings.working_warehouse).exists():
        return True
    if staged_warehouse(settings.warehouse).exists():
        return True
    log = failures_log(settings.dagster_home)
    return log.exists() and log.stat().st_mtime >= start.stat().st_mtime


def _still_rejected(con: duckdb.DuckDBPyConnection, files: list) -> bool:
    """A file rejected whole is still in the inbox: a run says so again (and exits 3)."""
    rejected = set(
        con.execute(
            "SELECT file, sha256 FROM meta.loaded_files WHERE status = 'rejected'"
        ).fetchall()
    )
    return any((f.relative, f.sha256) in rejected for f in files)
