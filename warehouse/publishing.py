"""Publishing: a run's result replaces what analysts and HR see, all or nothing.

A run builds in the working database (`<warehouse dir>/.work/<name>`) and writes its pages in
`.<reports>.building`. Publishing is then three moves:

1. Stage: copy the checkpointed working database beside the published file as
   `.<name>.publishing` (pseudonymised when a key is set), and rename the pages folder to
   `.<reports>-<run id>`; both fsynced.
2. Commit: write the journal `.work/publication.json`, naming what to swap, by an fsynced
   rename. From this moment the run counts as published.
3. Apply, each step a rename that is atomic and safe to repeat: the staged file over the
   published one; the working database to `.work/<stem>.last-good.duckdb`, where the next run
   starts (real ids, whatever the published copy carries); the `<reports>` symlink to the new
   folder. Then fsync the directories, delete the journal and the older page folders.

A run killed before the commit leaves the published files as they were, and the next run
deletes what it had staged. A run killed after it is completed by the next run (`recover`),
under the writer lock, before that run does anything else.

`<reports>` is a symlink to `.<reports>-<run id>`, so `reports/index.html` always opens one
complete set of pages, and swapping them is one rename(2). The first publication over a real
reports folder (from before this scheme) moves that folder aside first: a window of one
rename, once.
"""

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from warehouse.catalogue import RUN_INFO, RUNS
from warehouse.db import connect, last_good_copy, table_exists
from warehouse.pseudonyms import write_pseudonymized_copy

JOURNAL = "publication.json"
# A test seam for the crash tests: the run stops at this point of publishing until killed.
PAUSE_AT = "MENTORLENS_PAUSE_AT"


def staged_warehouse(published: Path) -> Path:
    return published.with_name(f".{published.name}.publishing")


def journal_path(working: Path) -> Path:
    return working.parent / JOURNAL


RECORD_RUN_SQL = f"""
INSERT OR REPLACE INTO {RUNS}
    (run_id, started_at, finished_at, status, as_of, files_loaded, files_rejected, message, build)
SELECT $run_id, CAST(to_timestamp($started) AS TIMESTAMP), current_timestamp::TIMESTAMP,
    'published', $as_of,
    (SELECT count(*) FROM meta.loaded_files WHERE run_id = $run_id AND status = 'loaded'),
    (SELECT count(*) FROM meta.loaded_files WHERE run_id = $run_id AND status = 'rejected'),
    $message, $build
"""


def record_published_run(
    con: duckdb.DuckDBPyConnection, run_id: str, started: float | None, build: str
) -> None:
    """The run's row in `meta.runs`: when it started (a Unix time, from Dagster's run record)
    and finished, its as-of date, the files it loaded and rejected, and what it was built from
    (warehouse/build.py)."""
    as_of = (
        con.execute(f"SELECT as_of FROM {RUN_INFO}").fetchall()[0][0]
        if table_exists(con, RUN_INFO)
        else None
    )
    rejected = con.execute(
        "SELECT count(*) FROM meta.loaded_files WHERE run_id = ? AND status = 'rejected'",
        [run_id],
    ).fetchall()[0][0]
    message = (
        f"Published; {rejected} file(s) rejected whole (quarantine.rejected_files)."
        if rejected
        else "Published."
    )
    con.execute(
        RECORD_RUN_SQL,
        {"run_id": run_id, "started": started, "as_of": as_of, "message": message, "build": build},
    )


def publish_run(
    run_id: str,
    working: Path,
    published: Path,
    reports_building: Path,
    reports: Path,
    pseudonymize_key: str | None,
    log: Callable[[str], None],
) -> None:
    log("Publishing: staging the warehouse copy and the pages.")
    _stage_warehouse(working, published, pseudonymize_key, log)
    reports_version = _stage_reports(reports_building, reports, run_id)
    _pause_if_asked("publication-staged", log)
    journal = {
        "run_id": run_id,
        "published": str(published),
        "staged": str(staged_warehouse(published)),
        "working": str(working),
        "last_good": str(last_good_copy(working)),
        "reports": str(reports),
        "reports_version": str(reports_version) if reports_version else None,
    }
    _write_durably(journal_path(working), json.dumps(journal, indent=2))
    _pause_if_asked("publication-committed", log)
    _apply(journal, journal_path(working))


def recover(published: Path, working: Path) -> str | None:
    """Finish a publication that committed, or clear what an uncommitted one staged. Returns
    what was done, for the log, or None when there was nothing to do."""
    journal = journal_path(working)
    if journal.exists():
        entry = json.loads(journal.read_text(encoding="utf-8"))
        _apply(entry, journal)
        return f"Completed the publication of run {entry['run_id']}, which died while applying it."
    staged = staged_warehouse(published)
    leftovers = [p for p in (staged, staged.with_name(staged.name + ".wal")) if p.exists()]
    for path in leftovers:
        path.unlink()
    if leftovers:
        return f"Removed {staged.name}, staged by a run that died before publishing."
    return None


def _stage_warehouse(
    working: Path, published: Path, key: str | None, log: Callable[[str], None]
) -> None:
    with connect(working) as con:
        con.execute("CHECKPOINT")
    published.parent.mkdir(parents=True, exist_ok=True)
    staged = staged_warehouse(published)
    if key:
        counts = write_pseudonymized_copy(working, staged, key)
        log(
            f"Pseudonymised {counts['ids']:,} employee ids in {counts['tables']} tables; "
            f"{counts['tables_left_out']} raw, row-level quarantine and sensitive tables "
            "left out of the published copy."
        )
    else:
        shutil.copyfile(working, staged)
    _fsync_file(staged)


def _stage_reports(building: Path, reports: Path, run_id: str) -> Path | None:
    if not building.is_dir():
        return None
    version = reports.with_name(f".{reports.name}-{run_id}")
    shutil.rmtree(version, ignore_errors=True)
    for folder, _dirs, files in os.walk(building):
        for name in files:
            _fsync_file(Path(folder) / name)
        _fsync_dir(Path(folder))
    os.replace(building, version)
    _fsync_dir(version.parent)
    return version


def _apply(journal: dict, journal_file: Path) -> None:
    published, staged = Path(journal["published"]), Path(journal["staged"])
    if staged.exists():
        os.replace(staged, published)
        _fsync_dir(published.parent)
    working = Path(journal["working"])
    if working.exists():
        os.replace(working, Path(journal["last_good"]))
        _fsync_dir(working.parent)
    reports = Path(journal["reports"])
    version = Path(journal["reports_version"]) if journal["reports_version"] else None
    if version is not None and version.is_dir():
        _point_reports_at(reports, version)
    journal_file.unlink()
    _fsync_dir(journal_file.parent)
    if version is not None:
        _remove_other_report_versions(reports, version)


def _point_reports_at(reports: Path, version: Path) -> None:
    if reports.is_symlink() and os.readlink(reports) == version.name:
        return
    link = reports.with_name(f".{reports.name}.link")
    link.unlink(missing_ok=True)
    os.symlink(version.name, link)  # relative, so the folder can move as a whole
    if reports.is_dir() and not reports.is_symlink():
        retired = reports.with_name(f".{reports.name}.retired")
        shutil.rmtree(retired, ignore_errors=True)
        os.replace(reports, retired)
    os.replace(link, reports)
    _fsync_dir(reports.parent)


def _remove_other_report_versions(reports: Path, current: Path) -> None:
    """Older page folders, the pre-symlink folder, and whatever a killed run staged."""
    prefix = f".{reports.name}-"
    for path in reports.parent.iterdir():
        if path == current or path.is_symlink():
            continue
        if path.name.startswith(prefix) or path.name == f".{reports.name}.retired":
            shutil.rmtree(path, ignore_errors=True)


def _write_durably(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    """Make a rename in this directory survive a power cut, not only a killed process."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pause_if_asked(point: str, log: Callable[[str], None]) -> None:
    if os.environ.get(PAUSE_AT) == point:
        log(f"Paused at {point} ({PAUSE_AT} is set); waiting to be killed.")
        while True:
            time.sleep(60)
