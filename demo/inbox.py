"""`write_demo_inbox`: the demo organisation's exports, as HR teams drop them in the inbox.

| file | format |
|---|---|
| employees_2026-09.csv | UTF-8 with BOM, `,`, headers as people type them ("Employee ID") |
| employees_2026-10.csv | UTF-8, `,`; the full snapshot, wins over September |
| job_events.parquet | parquet, `effective_date` a date column |
| programs.xlsx | first sheet, real date cells |
| pairings.tsv | UTF-16 with BOM, tab |
| activities.txt | cp1252, `;`, CRLF line ends |
| surveys/*.csv | plain; plain with a `wave` column; Qualtrics three-header CSV (UTF-8) |
| surveys/*.tsv | from four waves on: the Qualtrics UTF-16 tab-separated download |
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd

from demo.bad_rows import (
    bad_activities,
    bad_job_events,
    bad_october_employees,
    bad_pairings,
    bad_september_employees,
    with_bad_survey_rows,
)
from demo.calendar import AS_OF, AS_OF_DAY, SEPTEMBER_SNAPSHOT, day_of
from demo.exports import (
    activity_frame,
    employee_snapshot,
    human_headers,
    ids_or_empty,
    job_event_frame,
    job_event_table,
    pairing_frame,
    program_frame,
)
from demo.organisation import (
    DEFAULT_SEED,
    DemoOrganisation,
    build_demo_organisation,
    format_employee_ids,
    id_width,
)
from demo.survey_layouts import survey_file
from demo.writers import write_delimited, write_parquet, write_xlsx

SOURCES = ("employees", "job_events", "programs", "pairings", "activities", "surveys")
MIN_EMPLOYEES_WITH_BAD_ROWS = 500  # below this a few bad rows could pass 5% of a source


@dataclass(frozen=True)
class DemoSummary:
    """What `write_demo_inbox` wrote. File keys are paths relative to the inbox
    (`surveys/2026-03_pulse.csv`); row counts leave out header rows."""

    inbox: Path
    as_of: date
    headcount: int
    files: dict[str, tuple[Path, ...]]
    row_counts: dict[str, int]
    bad_rows_by_file: dict[str, tuple[str, ...]]
    planted_effects: dict[str, dict[str, float]]

    def relative(self, path: Path) -> str:
        return path.relative_to(self.inbox).as_posix()

    @property
    def bad_rows(self) -> dict[str, list[str]]:
        """The reason of every deliberately bad row, by source."""
        return {
            source: [
                reason for path in paths for reason in self.bad_rows_by_file[self.relative(path)]
            ]
            for source, paths in self.files.items()
        }

    @property
    def bad_row_counts(self) -> dict[str, int]:
        return {source: len(reasons) for source, reasons in self.bad_rows.items()}

    def source_rows(self, source: str) -> int:
        return sum(self.row_counts[self.relative(path)] for path in self.files[source])


@dataclass(frozen=True)
class Export:
    source: str
    name: str
    rows: int
    bad: tuple[str, ...]
    write: Callable[[Path], None]


def made_up_ids(org: DemoOrganisation, count: int, skip: int = 0) -> list[str]:
    """Ids past everyone in the organisation, leaving out the first `skip` of them."""
    population = len(org.people)
    numbers = np.arange(population + skip + 1, population + skip + count + 1)
    return list(format_employee_ids(numbers, id_width(population)))


def unknown_employee_id(org: DemoOrganisation) -> str:
    """An id that no employee file lists (the made-up employees take the first few)."""
    return made_up_ids(org, 1, skip=49)[0]


def employee_exports(
    org: DemoOrganisation, rng: np.random.Generator, bad_rows: bool
) -> Iterator[Export]:
    october = employee_snapshot(org, rng, AS_OF_DAY)
    september = employee_snapshot(org, rng, day_of(SEPTEMBER_SNAPSHOT))
    october_bad, september_bad = [], []
    if bad_rows:
        ids = made_up_ids(org, 6)
        october, october_bad = bad_october_employees(october, ids[:4])
        september, september_bad = bad_september_employees(september, ids[4:])
    september = human_headers(september)
    yield Export(
        "employees",
        "employees_2026-09.csv",
        len(september),
        tuple(september_bad),
        partial(write_delimited, september, encoding="utf-8-bom"),
    )
    yield Export(
        "employees",
        "employees_2026-10.csv",
        len(october),
        tuple(october_bad),
        partial(write_delimited, october),
    )


def single_file_export(
    source: str,
    name: str,
    frame: pd.DataFrame,
    plant: Callable[[pd.DataFrame], tuple[pd.DataFrame, list[str]]] | None,
    write: Callable[[pd.DataFrame, Path], None],
) -> Export:
    reasons = []
    if plant is not None:
        frame, reasons = plant(frame)
    return Export(source, name, len(frame), tuple(reasons), partial(write, frame))


def history_exports(org: DemoOrganisation, bad_rows: bool) -> Iterator[Export]:
    unknown_id = unknown_employee_id(org)
    yield single_file_export(
        "job_events",
        "job_events.parquet",
        job_event_frame(org),
        partial(bad_job_events, unknown_id=unknown_id) if bad_rows else None,
        lambda frame, path: write_parquet(job_event_table(frame), path),
    )
    yield single_file_export("programs", "programs.xlsx", program_frame(org), None, write_xlsx)
    yield single_file_export(
        "pairings",
        "pairings.tsv",
        pairing_frame(org),
        partial(bad_pairings, unknown_id=unknown_id) if bad_rows else None,
        partial(write_delimited, encoding="utf-16", sep="\t"),
    )
    yield single_file_export(
        "activities",
        "activities.txt",
        activity_frame(org),
        bad_activities if bad_rows else None,
        partial(write_delimited, encoding="cp1252", sep=";", lineterminator="\r\n"),
    )


def survey_exports(
    org: DemoOrganisation, rng: np.random.Generator, bad_rows: bool
) -> Iterator[Export]:
    for number, wave in enumerate(org.waves):
        responses = org.responses.loc[org.responses["wave"] == number]
        responses, reasons = with_bad_survey_rows(responses, rng, bad_rows)
        ids = ids_or_empty(org, responses["person"].to_numpy())
        layout = survey_file(rng, responses, ids, wave)
        name = f"surveys/{wave.file_name}"
        yield Export("surveys", name, len(layout.frame), tuple(reasons), layout.write)


def refuse_unless_empty(inbox: Path) -> None:
    if inbox.exists() and (not inbox.is_dir() or any(inbox.iterdir())):
        raise ValueError(
            f"{inbox} is not an empty folder: the demo inbox is only written into an empty "
            "or missing folder"
        )


def write_demo_inbox(
    inbox: Path,
    employees: int = 5000,
    seed: int = DEFAULT_SEED,
    waves: int = 3,
    bad_rows: bool = True,
) -> DemoSummary:
    """Write the demo organisation's exports into `inbox` (missing or empty).

    `employees` is the headcount on the as-of date (2026-10-31), approximately; the employee
    files also hold everyone who left since 2018. Same arguments, same bytes.
    """
    inbox = Path(inbox)
    if bad_rows and employees < MIN_EMPLOYEES_WITH_BAD_ROWS:
        raise ValueError(
            f"employees must be at least {MIN_EMPLOYEES_WITH_BAD_ROWS} with bad_rows "
            f"(so that bad rows stay under 5% of every source), not {employees}"
        )
    refuse_unless_empty(inbox)
    org = build_demo_organisation(employees, seed, waves)
    (inbox / "surveys").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 1])  # apart from the model's stream
    files: dict[str, list[Path]] = {source: [] for source in SOURCES}
    row_counts, bad_rows_by_file = {}, {}
    # Written one by one so that only one file's rows are held at a time.
    for export in chain(
        employee_exports(org, rng, bad_rows),
        history_exports(org, bad_rows),
        survey_exports(org, rng, bad_rows),
    ):
        export.write(inbox / export.name)
        files[export.source].append(inbox / export.name)
        row_counts[export.name] = export.rows
        bad_rows_by_file[export.name] = export.bad
    return DemoSummary(
        inbox=inbox,
        as_of=AS_OF,
        headcount=int(np.isnan(org.history.term_day).sum()),
        files={source: tuple(paths) for source, paths in files.items()},
        row_counts=row_counts,
        bad_rows_by_file=bad_rows_by_file,
        planted_effects=org.planted_effects,
    )
