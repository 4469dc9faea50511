"""How fresh the pages are: the newest file of each source, and the runs that failed.

The pages are built inside a run that succeeds (a failed run stops before them, and its pages
are never published), so a page cannot know at build time that a later run will fail. Two parts:

- At build time, the failures logged since the last good run (`$DAGSTER_HOME/
  mentorlens-failures.jsonl`, see warehouse/failures.py) are written on every page: "the 2 runs
  before this one failed; the latest at … because …".
- `static/run-status.js` is written beside the pages; `record_failed_run(reports_folder, entry)`
  appends a later failure to it, and every page then opens with a banner: "These pages are from
  the last good run … The latest run, at …, failed: …". Whoever logs a failure (the CLI, the
  run-failure sensor) calls it for the published folder.
"""

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from reports.figures import plain
from reports.reader import Reader

RUN_STATUS = "run-status.js"
FAILURES_LOG = "mentorlens-failures.jsonl"
PREFIX = "window.MENTORLENS_RUN_STATUS = "
FILE_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")
MESSAGE_LENGTH = 300


@dataclass(frozen=True)
class SourceFile:
    source: str
    file: str
    loaded: date | None

    @property
    def dated(self) -> str:
        """'dated October 2026' from the file's name, else 'loaded 3 December 2026'."""
        found = FILE_DATE.search(Path(self.file).name)
        if found:
            year, month, day = found.groups()
            try:
                stamp = date(int(year), int(month), int(day or 1))
            except ValueError:
                stamp = None
            if stamp is not None:
                return "dated " + stamp.strftime("%-d %b %Y" if day else "%b %Y")
        return "loaded " + self.loaded.strftime("%-d %b %Y") if self.loaded else ""


def newest_files(reader: Reader) -> list[SourceFile]:
    """Per source, the file loaded last (duplicates and rejected files left out)."""
    frame = reader.query(
        "SELECT source, arg_max(file, loaded_at) AS file, max(loaded_at) AS loaded_at "
        "FROM meta.loaded_files WHERE status NOT IN ('duplicate', 'rejected', 'unrecognised') "
        "GROUP BY source ORDER BY source",
        ["meta.loaded_files"],
    )
    if frame is None:
        return []
    found = []
    for source, file, loaded in frame.itertuples(index=False):
        loaded = loaded.date() if hasattr(loaded, "date") and loaded == loaded else None
        found.append(SourceFile(str(source), str(file), loaded))
    return found


@dataclass(frozen=True)
class FailedRun:
    at: datetime
    run_id: str
    message: str

    @property
    def when(self) -> str:
        return self.at.strftime("%-d %B %Y, %H:%M UTC")


def _utc(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _entry(entry: dict) -> FailedRun | None:
    at = _utc(entry.get("at", ""))
    if at is None:
        return None
    failures = [str(f) for f in entry.get("failures") or []]
    message = str(entry.get("message") or "") or "; ".join(failures)
    if failures and failures[0] not in message:
        message = f"{message} ({failures[0]})" if message else failures[0]
    if len(message) > MESSAGE_LENGTH:
        message = message[: MESSAGE_LENGTH - 1] + "…"
    return FailedRun(at, str(entry.get("run_id") or "unknown"), message)


def failures_log_path(dagster_home: Path | str | None = None) -> Path | None:
    home = dagster_home or os.environ.get("DAGSTER_HOME")
    return Path(home) / FAILURES_LOG if home else None


def failures_since_last_good_run(reader: Reader, log: Path | None) -> list[FailedRun]:
    """Failed runs logged after the last run that published (all of them if none did)."""
    if log is None or not log.exists():
        return []
    last_good = reader.value(
        "SELECT max(finished_at) FROM meta.runs WHERE status = 'published'", ["meta.runs"]
    )
    last_good = plain(last_good)  # NaT (no published run yet) becomes None
    if last_good is not None and hasattr(last_good, "to_pydatetime"):
        last_good = last_good.to_pydatetime()
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            failed = _entry(json.loads(line))
        except (json.JSONDecodeError, AttributeError):
            continue
        if failed is not None and (last_good is None or failed.at > last_good):
            found.append(failed)
    return sorted(found, key=lambda f: f.at)


def _script(status: dict) -> str:
    text = json.dumps(status, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return PREFIX + text + ";\n"


def write_run_status(folder: Path, built_at: datetime) -> None:
    """The status file the pages read when opened: no failure after this build yet."""
    status = {"built_at": built_at.strftime("%-d %B %Y, %H:%M"), "failed_after": []}
    (folder / "static" / RUN_STATUS).write_text(_script(status), encoding="utf-8")


def record_failed_run(folder: Path, entry: dict) -> bool:
    """Tell the published pages that a run after them failed (`entry` as in the failures
    log). False when the folder has no status file (no pages published yet)."""
    path = folder / "static" / RUN_STATUS
    if not path.exists():
        return False
    status = json.loads(path.read_text(encoding="utf-8").removeprefix(PREFIX).rstrip().rstrip(";"))
    failed = _entry(entry)
    if failed is None:
        return False
    status["failed_after"].append({"at": failed.when, "message": failed.message})
    tmp = path.with_suffix(".tmp")
    tmp.write_text(_script(status), encoding="utf-8")
    os.replace(tmp, path)
    return True
