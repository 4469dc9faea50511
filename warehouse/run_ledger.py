"""What a run's ledger says of it: published or not, and the inbox files it could not use.

Read by the warehouse resource as the run ends, while it still holds the writer lock: once
the lock is released the next run may already be building in the same working file (the CLI
used to read it afterwards, and could find, and lock out, the next run's copy)."""

from dataclasses import dataclass, field
from pathlib import Path

from warehouse.db import connect, last_good_copy, table_exists


@dataclass
class RunLedger:
    published: bool = False
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    unrecognised: list[str] = field(default_factory=list)


# Filled as each in-process run ends (by run id), emptied by the runner that started it.
FINISHED: dict[str, RunLedger] = {}


def read_run_ledger(working: Path, run_id: str) -> RunLedger:
    """From the run's working copy, or the last-good copy it became when it published."""
    ledger = RunLedger()
    if not working.exists():
        working = last_good_copy(working)
    if not working.exists():
        return ledger
    with connect(working, read_only=True) as con:
        ledger.published = bool(
            con.execute(
                "SELECT count(*) FROM meta.runs WHERE run_id = ? AND status = 'published'",
                [run_id],
            ).fetchone()[0]
        )
        if not table_exists(con, "meta.inbox_files"):
            return ledger
        rows = con.execute(
            "SELECT i.file, l.status, l.reason FROM meta.inbox_files i "
            "JOIN meta.loaded_files l ON l.file = i.file AND l.sha256 = i.sha256 "
            "WHERE l.status IN ('rejected', 'unrecognised') ORDER BY i.file"
        ).fetchall()
    ledger.rejected = [(file, reason) for file, status, reason in rows if status == "rejected"]
    ledger.unrecognised = [file for file, status, _ in rows if status == "unrecognised"]
    return ledger
