"""A corpus of malformed inboxes: one defect per file, for every rule of INPUTS.md.

Each case is one file dropped into the tiny valid organisation of `small_org`, with the exact
outcome the contract promises: the file is rejected with a named reason, certain lines are
quarantined with their exact reasons (and the rest of the file loads), or it loads as given.
Cases of one source share an inbox and a single pipeline run: every file carries its own keys
and only references the valid organisation, so the defects cannot interact. A case whose
known bug fails the run, or switches a rule off for every row, gets a run of its own (`run=`);
known bugs are strict xfails, so fixing one makes its case fail until the mark is removed.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.runner import RunOutcome, run_pipeline
from quality.contract import source_of
from tests.conftest import ACTIVITIES, EMPLOYEES, JOB_EVENTS, PAIRINGS, PROGRAMS, query
from warehouse.settings import Settings

SMALL_ORG = {
    "employees_2026-10.csv": EMPLOYEES,
    "programs.csv": PROGRAMS,
    "pairings.csv": PAIRINGS,
    "activities.csv": ACTIVITIES,
    "job_events.csv": JOB_EVENTS,
}

HEADERS = {
    "employees": "employee_id,hire_date,termination_date,termination_type,job_level,"
    "department,manager_id,performance_rating",
    "programs": "program_id,program_name,start_date,end_date,planned_milestones,"
    "certificate_threshold",
    "job_events": "employee_id,effective_date,event_type,from_level,to_level",
    "pairings": "pairing_id,program_id,relationship_type,advisor_id,participant_id,start_date,"
    "end_date,end_reason",
    "activities": "pairing_id,activity_date,activity_type,milestone,status,rating",
}

FORMULA = '=HYPERLINK("http://x","y")'
HTML = "<img src=x onerror=alert(1)>"
TODAY = date.today().isoformat()


@dataclass(frozen=True)
class Rejected:
    reason: str


@dataclass(frozen=True)
class Quarantined:
    lines: dict[int, str]  # line -> every reason; the file's other lines load


@dataclass(frozen=True)
class Loads:
    staged: dict[str, object] = field(default_factory=dict)  # columns of the file's one row


@dataclass(frozen=True)
class Unrecognised:
    pass


Outcome = Rejected | Quarantined | Loads | Unrecognised


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    content: str | bytes
    expected: Outcome
    run: str | None = None  # cases sharing a run share an inbox; by default, one per source
    bug: str | None = None  # a known wrong outcome: the case is a strict xfail
    rows: int | None = None  # data rows in the file; by default, its non-blank text lines

    @property
    def rows_read(self) -> int:
        if self.rows is not None:
            return self.rows
        text = self.content.decode() if isinstance(self.content, bytes) else self.content
        return sum(1 for line in text.splitlines()[1:] if line.strip())

    @property
    def source(self) -> str | None:
        return source_of(self.file)

    @property
    def group(self) -> str:
        return self.run or self.source or "unrecognised"


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def table(source: str, *lines: str) -> str:
    return "\n".join([HEADERS[source], *lines]) + "\n"


def rejected(file: str, content: str | bytes, problem: str) -> Case:
    """A file rejected whole; the message starts with the file's name."""
    return Case(file.split(".")[0], file, content, Rejected(f"{file} {problem}"))


def quarantined(name: str, source: str, lines: list[str], reasons: dict[int, str]) -> Case:
    return Case(name, f"{source}_{name}.csv", table(source, *lines), Quarantined(reasons))


def one_bad_row(name: str, source: str, line: str, reason: str, **options) -> Case:
    return Case(
        name, f"{source}_{name}.csv", table(source, line), Quarantined({2: reason}), **options
    )


def loads(name: str, source: str, line: str, **staged: object) -> Case:
    return Case(name, f"{source}_{name}.csv", table(source, line), Loads(staged))


def conflicting_key(name: str, source: str, first: str, second: str, key: str) -> Case:
    reason = f"{key} appears on several lines of this file with different values"
    return quarantined(name, source, [first, second], {2: reason, 3: reason})


def xlsx(*rows: tuple) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parquet(columns: dict[str, pa.Array | list]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def identical_repeat(name: str, source: str, line: str) -> Case:
    return quarantined(name, source, [line, line], {3: "duplicate of line 2"})


# In the valid organisation: employees 000001 (hired 2019-01-01), 000002 (2020-03-01), 000003
# (2021-05-01, left 2025-06-30), 000004 (2022-07-01); program P1; pairing X1 of P1 from
# 2024-02-01 to 2024-12-31. Keys made up below are unique across the files of a source.

EMPLOYEE_CASES = [
    rejected(
        "employees_no_level.csv",
        "employee_id,hire_date\nE01,2020-01-01\n",
        "is missing the required column job_level.",
    ),
    rejected("employees_empty.csv", "", "is empty."),
    rejected("employees_header_only.csv", table("employees"), "has a header but no data rows."),
    rejected(
        "employees_binary.csv",
        b"\x00\x01\x02garbage\xff\xfe\x00",
        "is not a text file: it contains binary data.",
    ),
    rejected(
        "employees_undecodable.csv",
        table("employees").encode() + b"E02,2020-01-01,,,3,\x81\x8d,,\n",
        "cannot be decoded as UTF-8, UTF-16 or cp1252 text.",
    ),
    rejected(
        "employees.json",
        "{}",
        "has an unknown format '.json': use .csv, .tsv, .txt, .xlsx or .parquet.",
    ),
    Case("unrecognised", "notes.txt", "employee_id\nE03\n", Unrecognised(), run="employees"),
    one_bad_row("id_missing", "employees", ",2020-01-01,,,3,,,", "employee_id is missing"),
    one_bad_row("hire_missing", "employees", "E04,,,,3,,,", "hire_date is missing"),
    one_bad_row(
        "hire_unparseable",
        "employees",
        "E05,31/02/2024,,,3,,,",
        "hire_date '31/02/2024' is not a real date",
    ),
    one_bad_row(
        "hire_word",
        "employees",
        "E06,epoch,,,3,,,",
        "hire_date 'epoch' is not a real date",
    ),
    one_bad_row(
        "hire_bc",
        "employees",
        "E32,-2020-01-01,,,3,,,",
        "hire_date '-2020-01-01' is not a real date",
        run="employees_bc",  # it disables the rule for every row of its run
    ),
    one_bad_row(
        "hire_year_99999",
        "employees",
        "E35,99999-01-01,,,3,,,",
        "hire_date '99999-01-01' is not a real date",
        run="employees_year_99999",
    ),
    one_bad_row(
        "hire_infinity",
        "employees",
        "E07,infinity,,,3,,,",
        "hire_date 'infinity' is not a real date",
        run="employees_infinity",
    ),
    one_bad_row(
        "hire_future",
        "employees",
        "E08,2999-01-01,,,3,,,",
        "hire_date 2999-01-01 is in the future",
    ),
    loads("hire_today", "employees", f"E09,{TODAY},,,3,,,", hire_date=date.today()),
    one_bad_row(
        "termination_before_hire",
        "employees",
        "E10,2020-01-01,2019-12-31,voluntary,3,,,",
        "termination_date 2019-12-31 is before hire_date 2020-01-01",
    ),
    loads(
        "termination_on_hire_day",
        "employees",
        "E11,2020-01-01,2020-01-01,other,3,,,",
        termination_date=date(2020, 1, 1),
    ),
    one_bad_row(
        "termination_type_missing",
        "employees",
        "E12,2020-01-01,2024-01-31,,3,,,",
        "termination_type is missing for a termination on 2024-01-31",
    ),
    one_bad_row(
        "termination_type_unknown",
        "employees",
        "E13,2020-01-01,2024-01-31,fired,3,,,",
        "termination_type 'fired' is not one of voluntary, involuntary, retirement, other",
    ),
    one_bad_row("level_0", "employees", "E14,2020-01-01,,,0,,,", "job_level 0 is outside 1–20"),
    one_bad_row("level_21", "employees", "E15,2020-01-01,,,21,,,", "job_level 21 is outside 1–20"),
    one_bad_row(
        "level_fraction",
        "employees",
        "E16,2020-01-01,,,3.5,,,",
        "job_level '3.5' is not a whole number",
    ),
    one_bad_row(
        "level_nan",
        "employees",
        "E17,2020-01-01,,,nan,,,",
        "job_level 'nan' is not a whole number",
        run="employees_nan",
    ),
    one_bad_row("level_missing", "employees", "E18,2020-01-01,,,,,,", "job_level is missing"),
    one_bad_row(
        "manager_unknown",
        "employees",
        "E19,2020-01-01,,,3,,E999,",
        "manager_id E999 is not an employee",
    ),
    one_bad_row(
        "manager_self",
        "employees",
        "E20,2020-01-01,,,3,,E20,",
        "manager_id E20 is the employee themself",
    ),
    one_bad_row(
        "rating_half",
        "employees",
        "E21,2020-01-01,,,3,,,0.5",
        "performance_rating 0.5 is outside 1–5",
    ),
    one_bad_row(
        "rating_text",
        "employees",
        "E22,2020-01-01,,,3,,,good",
        "performance_rating 'good' is not a number",
    ),
    one_bad_row(
        "every_reason",
        "employees",
        "E23,2999-01-01,,,0,,E23,9",
        "hire_date 2999-01-01 is in the future; job_level 0 is outside 1–20; "
        "performance_rating 9 is outside 1–5; manager_id E23 is the employee themself",
    ),
    identical_repeat("identical_repeat", "employees", "E24,2020-01-01,,,3,Eng,000001,4"),
    conflicting_key(
        "conflicting_key",
        "employees",
        "E25,2020-01-01,,,3,Eng,,",
        "E25,2020-01-01,,,4,Eng,,",
        "employee_id E25",
    ),
    quarantined(
        "short_line",
        "employees",
        ["E26,2020-01-01,,,3,Eng,,4", "E27,2020-01-01,,,3", "E28,2020-01-01,,,3,Eng,,4"],
        {3: "line has 5 fields where the header has 8"},
    ),
    loads(
        "department_formula",
        "employees",
        f"E29,2020-01-01,,,3,{quoted(FORMULA)},,",
        department=FORMULA,
    ),
    loads("department_html", "employees", f"E30,2020-01-01,,,3,{HTML},,", department=HTML),
    Case(  # used to fail the run: the file's column clashed with the lineage column
        "source_file_column",
        "employees_source_file_column.csv",
        HEADERS["employees"] + ",_source_file\nE33,2020-01-01,,,3,,,,elsewhere.csv\n",
        Loads({"employee_id": "E33"}),
    ),
    Case(  # used to quarantine the row with the file's own '_malformed' text as its reason
        "malformed_column",
        "employees_malformed_column.csv",
        HEADERS["employees"] + ",_malformed\nE34,2020-01-01,,,3,,,,oops\n",
        Loads({"employee_id": "E34"}),
    ),
    Case(
        "lenient_forms",
        "employees_lenient_forms.csv",
        " Employee ID ;Hire-Date;JOB LEVEL;Termination Date;termination_type;Gender;Shoe Size\n"
        "E31;2020-01-01 09:30:00;3;2024-06-30T17:00:00;Voluntary;Two-Spirit;44\n",
        Loads(
            {
                "hire_date": date(2020, 1, 1),
                "termination_date": date(2024, 6, 30),
                "termination_type": "voluntary",
                "job_level": 3,
                "gender": "Two-Spirit",
            }
        ),
    ),
]

PROGRAM_CASES = [
    rejected(
        "programs_no_end.csv",
        "program_id,start_date\nP10,2024-01-01\n",
        "is missing the required column end_date.",
    ),
    one_bad_row(
        "end_before_start",
        "programs",
        "P11,,2024-06-01,2024-01-01,,",
        "end_date 2024-01-01 is before start_date 2024-06-01",
    ),
    loads("end_on_start", "programs", "P12,,2024-06-01,2024-06-01,,", end_date=date(2024, 6, 1)),
    one_bad_row(
        "start_unparseable",
        "programs",
        "P13,,31/02/2024,2024-12-31,,",
        "start_date '31/02/2024' is not a real date",
    ),
    one_bad_row("end_missing", "programs", "P14,,2024-01-01,,,", "end_date is missing"),
    one_bad_row("id_missing", "programs", ",x,2024-01-01,2024-12-31,,", "program_id is missing"),
    one_bad_row(
        "milestones_negative",
        "programs",
        "P15,,2024-01-01,2024-12-31,-1,",
        "planned_milestones -1 is below 0",
    ),
    one_bad_row(
        "milestones_fraction",
        "programs",
        "P16,,2024-01-01,2024-12-31,2.5,",
        "planned_milestones '2.5' is not a whole number",
    ),
    one_bad_row(
        "threshold_above_one",
        "programs",
        "P17,,2024-01-01,2024-12-31,4,1.5",
        "certificate_threshold 1.5 is outside 0–1",
    ),
    one_bad_row(
        "threshold_percent",
        "programs",
        "P18,,2024-01-01,2024-12-31,4,80%",
        "certificate_threshold '80%' is not a number",
    ),
    identical_repeat("identical_repeat", "programs", "P19,Allies,2024-01-01,2024-12-31,4,0.5"),
    conflicting_key(
        "conflicting_key",
        "programs",
        "P20,Allies,2024-01-01,2024-12-31,4,",
        "P20,Sponsors,2024-01-01,2024-12-31,4,",
        "program_id P20",
    ),
    loads(
        "name_formula",
        "programs",
        f"P21,{quoted(FORMULA)},2024-01-01,2024-12-31,,",
        program_name=FORMULA,
    ),
    loads("name_html", "programs", f"P22,{HTML},2024-01-01,2024-12-31,,", program_name=HTML),
    Case(  # line numbers are the sheet's row numbers, blank rows included
        "sheet",
        "programs_sheet.xlsx",
        xlsx(
            HEADERS["programs"].split(","),
            ("P30", "Sheet", datetime(2024, 1, 1), date(2024, 6, 30), 3, 0.75),
            (None,) * 6,
            ("P31", None, "31/02/2024", datetime(2024, 6, 30), None, None),
        ),
        Quarantined({4: "start_date '31/02/2024' is not a real date"}),
        rows=2,
    ),
]

JOB_EVENT_CASES = [
    rejected(
        "job_events_no_type.csv",
        "employee_id,effective_date\n000002,2024-01-01\n",
        "is missing the required column event_type.",
    ),
    one_bad_row(
        "employee_missing", "job_events", ",2024-01-01,lateral,3,3", "employee_id is missing"
    ),
    one_bad_row(
        "employee_unknown",
        "job_events",
        "E999,2024-01-01,lateral,3,3",
        "employee_id E999 is not an employee",
    ),
    one_bad_row(
        "before_hire",
        "job_events",
        "000002,2020-01-01,lateral,3,3",
        "effective_date 2020-01-01 is before the employee's hire_date",
    ),
    loads("on_hire_day", "job_events", "000004,2022-07-01,hire,,2", to_level=2),
    one_bad_row(
        "promotion_flat",
        "job_events",
        "000002,2024-02-01,promotion,3,3",
        "promotion from level 3 to 3 does not raise the level",
    ),
    one_bad_row(
        "promotion_down",
        "job_events",
        "000002,2024-03-01,Promotion,4,3",
        "promotion from level 4 to 3 does not raise the level",
    ),
    loads("demotion_down", "job_events", "000002,2024-04-01,demotion,3,2", event_type="demotion"),
    one_bad_row(
        "type_unknown",
        "job_events",
        "000002,2024-05-01,transfer,3,3",
        "event_type 'transfer' is not one of hire, promotion, lateral, demotion, termination",
    ),
    one_bad_row(
        "levels_out_of_range",
        "job_events",
        "000002,2024-06-01,lateral,0,21",
        "from_level 0 is outside 1–20; to_level 21 is outside 1–20",
    ),
    one_bad_row(
        "date_unparseable",
        "job_events",
        "000002,31/02/2024,lateral,3,3",
        "effective_date '31/02/2024' is not a real date",
    ),
    identical_repeat("identical_repeat", "job_events", "000004,2024-02-15,lateral,2,2"),
    conflicting_key(
        "conflicting_key",
        "job_events",
        "000003,2024-01-15,lateral,2,2",
        "000003,2024-01-15,lateral,2,3",
        "employee_id/effective_date/event_type 000003, 2024-01-15, lateral",
    ),
]

PAIRING_CASES = [
    rejected(
        "pairings_no_participant.csv",
        "pairing_id,program_id,relationship_type,advisor_id,start_date\n"
        "X10,P1,mentor,000001,2024-02-01\n",
        "is missing the required column participant_id.",
    ),
    one_bad_row(
        "self",
        "pairings",
        "X11,P1,mentor,000001,000001,2024-02-01,,",
        "advisor and participant are the same person (000001)",
    ),
    one_bad_row(
        "program_unknown",
        "pairings",
        "X12,P9,mentor,000001,000002,2024-02-01,,",
        "program_id P9 is not a program",
    ),
    one_bad_row(
        "advisor_unknown",
        "pairings",
        "X13,P1,mentor,E999,000002,2024-02-01,,",
        "advisor_id E999 is not an employee",
    ),
    one_bad_row(
        "participant_unknown",
        "pairings",
        "X14,P1,mentor,000001,E998,2024-02-01,,",
        "participant_id E998 is not an employee",
    ),
    one_bad_row(
        "type_unknown",
        "pairings",
        "X15,P1,buddy,000001,000002,2024-02-01,,",
        "relationship_type 'buddy' is not one of mentor, sponsor, ally, coach",
    ),
    one_bad_row(
        "end_reason_unknown",
        "pairings",
        "X16,P1,mentor,000001,000002,2024-02-01,2024-06-01,finished",
        "end_reason 'finished' is not one of completed, rematched, withdrawn, left_company",
    ),
    one_bad_row(
        "end_before_start",
        "pairings",
        "X17,P1,coach,000001,000002,2024-03-01,2024-02-01,completed",
        "end_date 2024-02-01 is before start_date 2024-03-01",
    ),
    one_bad_row(
        "start_unparseable",
        "pairings",
        "X18,P1,mentor,000001,000002,31/02/2024,,",
        "start_date '31/02/2024' is not a real date",
    ),
    one_bad_row(
        "advisor_not_yet_hired",
        "pairings",
        "X19,P1,sponsor,000004,000001,2022-06-30,,",
        "advisor_id 000004 was not yet hired on start_date 2022-06-30",
    ),
    one_bad_row(
        "participant_not_yet_hired",
        "pairings",
        "X20,P1,mentor,000001,000004,2022-06-30,,",
        "participant_id 000004 was not yet hired on start_date 2022-06-30",
    ),
    one_bad_row(
        "advisor_left",
        "pairings",
        "X21,P1,ally,000003,000001,2025-07-01,,",
        "advisor_id 000003 had left on or before start_date 2025-07-01",
    ),
    one_bad_row(
        "participant_left",
        "pairings",
        "X22,P1,mentor,000001,000003,2025-07-01,,",
        "participant_id 000003 had left on or before start_date 2025-07-01",
    ),
    loads(
        "start_on_hire_day",
        "pairings",
        "X23,P1,mentor,000001,000004,2022-07-01,,",
        start_date=date(2022, 7, 1),
    ),
    one_bad_row(
        # OUTPUTS.md: employed on a date means no termination on or before it
        "start_on_last_day",
        "pairings",
        "X24,P1,mentor,000001,000003,2025-06-30,,",
        "participant_id 000003 had left on or before start_date 2025-06-30",
    ),
    loads(
        "enums_any_case",
        "pairings",
        "X25,P1,MENTOR,000001,000002,2024-02-01,2024-12-31,Completed",
        relationship_type="mentor",
        end_reason="completed",
    ),
    identical_repeat(
        "identical_repeat", "pairings", "X26,P1,ally,000002,000004,2024-02-01,2024-12-31,withdrawn"
    ),
    conflicting_key(
        "conflicting_key",
        "pairings",
        "X27,P1,ally,000002,000004,2024-02-01,,",
        "X27,P1,coach,000002,000004,2024-02-01,,",
        "pairing_id X27",
    ),
]

ACTIVITY_CASES = [
    rejected(
        "activities_no_status.csv",
        "pairing_id,activity_date,activity_type\nX1,2024-03-02,meeting\n",
        "is missing the required column status.",
    ),
    one_bad_row(
        "pairing_unknown",
        "activities",
        "X99,2024-03-02,meeting,,completed,",
        "pairing_id X99 is not a pairing",
    ),
    one_bad_row(
        "too_early",
        "activities",
        "X1,2024-01-17,meeting,,completed,",
        "activity_date 2024-01-17 is before pairing X1 started",
    ),
    loads(
        "early_within_slack", "activities", "X1,2024-01-18,meeting,,completed,", status="completed"
    ),
    one_bad_row(
        "too_late",
        "activities",
        "X1,2025-01-15,meeting,,completed,",
        "activity_date 2025-01-15 is after pairing X1 ended",
    ),
    loads(
        "late_within_slack", "activities", "X1,2025-01-14,meeting,,cancelled,", status="cancelled"
    ),
    one_bad_row(
        "date_unparseable",
        "activities",
        "X1,31/02/2024,meeting,,completed,",
        "activity_date '31/02/2024' is not a real date",
    ),
    one_bad_row(
        "rating_6", "activities", "X1,2024-03-03,meeting,,completed,6", "rating 6 is outside 1–5"
    ),
    one_bad_row(
        "rating_fraction",
        "activities",
        "X1,2024-03-04,meeting,,completed,4.5",
        "rating '4.5' is not a whole number",
    ),
    one_bad_row(
        "type_unknown",
        "activities",
        "X1,2024-03-05,call,,completed,",
        "activity_type 'call' is not one of meeting, milestone",
    ),
    one_bad_row(
        "status_unknown",
        "activities",
        "X1,2024-03-06,meeting,,done,",
        "status 'done' is not one of completed, cancelled, late_cancelled, no_show",
    ),
    identical_repeat("identical_repeat", "activities", "X1,2024-03-07,milestone,Plan,completed,"),
    conflicting_key(
        "conflicting_key",
        "activities",
        "X1,2024-03-08,meeting,,completed,4",
        "X1,2024-03-08,meeting,,no_show,",
        "pairing_id/activity_date/activity_type/milestone X1, 2024-03-08, meeting, (empty)",
    ),
    Case(
        "parquet",
        "activities_export.parquet",
        parquet(
            {
                "pairing_id": ["X1", "X1"],
                "activity_date": pa.array([date(2024, 5, 1), date(2025, 2, 1)], pa.date32()),
                "activity_type": ["meeting", "meeting"],
                "status": ["completed", "completed"],
                "rating": pa.array([4, None], pa.int64()),
            }
        ),
        Quarantined({3: "activity_date 2025-02-01 is after pairing X1 ended"}),
        rows=2,
    ),
    quarantined(
        "long_line",
        "activities",
        ["X1,2024-03-09,meeting,,completed,5", "X1,2024-03-10,meeting,,completed,5,extra"],
        {3: "line has 7 fields where the header has 6"},
    ),
]

CASES = EMPLOYEE_CASES + PROGRAM_CASES + JOB_EVENT_CASES + PAIRING_CASES + ACTIVITY_CASES


class CorpusRuns:
    """One pipeline run per group of cases, on first use: the valid organisation plus its files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.done: dict[str, tuple[Settings, RunOutcome]] = {}

    def __call__(self, group: str) -> tuple[Settings, RunOutcome]:
        if group not in self.done:
            self.done[group] = self._run(group)
        return self.done[group]

    def _run(self, group: str) -> tuple[Settings, RunOutcome]:
        folder = self.root / group
        inbox = folder / "inbox"
        inbox.mkdir(parents=True)
        files = {**SMALL_ORG, **{c.file: c.content for c in CASES if c.group == group}}
        for name, content in files.items():
            raw = content if isinstance(content, bytes) else content.encode()
            (inbox / name).write_bytes(raw)
        with pytest.MonkeyPatch.context() as env:
            for name, value in {
                "MENTORLENS_INBOX": inbox,
                "MENTORLENS_WAREHOUSE": folder / "warehouse" / "mentorlens.duckdb",
                "MENTORLENS_REPORTS": folder / "reports",
                "DAGSTER_HOME": folder / "dagster_home",
                "MENTORLENS_QUARANTINE_THRESHOLD": 1,  # every source here is mostly defects
                "MENTORLENS_MAX_SNAPSHOT_DROP": 1,  # and its employees files are fragments
            }.items():
                env.setenv(name, str(value))
            settings = Settings.from_env()
            outcome = run_pipeline(settings, quiet=True, instance=dg.DagsterInstance.ephemeral())
        return settings, outcome


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CorpusRuns]:
    root = tmp_path_factory.mktemp("corpus")
    yield CorpusRuns(root)
    shutil.rmtree(root, ignore_errors=True)


def _param(case: Case):
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=f"{case.group}-{case.id}", marks=marks)


def _ledger(settings: Settings, file: str) -> tuple:
    rows = query(
        settings.warehouse,
        "SELECT status, rows_read, rows_loaded, rows_quarantined FROM meta.loaded_files "
        "WHERE file = ?",
        [file],
    )
    assert len(rows) == 1, f"{file} is not in the ledger once: {rows}"
    return rows[0]


def assert_rejected(case: Case, reason: str, settings: Settings, outcome: RunOutcome) -> None:
    """Named in the run's outcome and in quarantine; not a row of it landed."""
    assert (case.file, reason) in outcome.rejected
    assert outcome.exit_status == 3
    assert query(
        settings.warehouse,
        "SELECT reason FROM quarantine.rejected_files WHERE file = ?",
        [case.file],
    ) == [(reason,)]
    assert _ledger(settings, case.file)[0] == "rejected"
    landed = f"SELECT count(*) FROM raw.{case.source} WHERE _source_file = ?"
    assert query(settings.warehouse, landed, [case.file]) == [(0,)]


def assert_landed(case: Case, bad: dict[int, str], settings: Settings) -> None:
    """Quarantined exactly these lines with every reason; the rest of the file is staged."""
    rows = query(
        settings.warehouse,
        f"SELECT _source_line, reasons FROM quarantine.{case.source} WHERE _source_file = ? "
        "ORDER BY _source_line",
        [case.file],
    )
    assert dict(rows) == bad
    read = case.rows_read
    assert _ledger(settings, case.file) == ("loaded", read, read - len(bad), len(bad))
    staged = f"SELECT count(*) FROM staging.{case.source} WHERE _source_file = ?"
    assert query(settings.warehouse, staged, [case.file]) == [(read - len(bad),)]


def assert_staged_values(case: Case, expected: dict[str, object], settings: Settings) -> None:
    if not expected:
        return
    rows = query(
        settings.warehouse,
        f"SELECT {', '.join(expected)} FROM staging.{case.source} WHERE _source_file = ?",
        [case.file],
    )
    assert rows == [tuple(expected.values())]


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_contract_case(case: Case, corpus_runs: CorpusRuns) -> None:
    settings, outcome = corpus_runs(case.group)
    assert outcome.success and outcome.published, outcome.failures
    match case.expected:
        case Rejected(reason=reason):
            assert_rejected(case, reason, settings, outcome)
        case Unrecognised():
            assert case.file in outcome.unrecognised
        case Quarantined(lines=lines):
            assert_landed(case, lines, settings)
        case Loads(staged=staged):
            assert_landed(case, {}, settings)
            assert_staged_values(case, staged, settings)


@pytest.mark.parametrize("group", sorted({c.group for c in CASES if c.run is None}))
def test_no_row_rule_fails_without_naming_its_rows(group: str, corpus_runs: CorpusRuns) -> None:
    """A rule that could not be evaluated must not pass silently for every row."""
    settings, _ = corpus_runs(group)
    silent = query(
        settings.warehouse,
        "SELECT source, reason FROM meta.validation_results "
        "WHERE severity = 'WARN' AND NOT success AND unexpected_count = 0",
    )
    assert silent == []


def test_case_files_are_unique_within_a_run() -> None:
    """Two cases of a run must not share a file, or one would silently replace the other."""
    seen = [(c.group, c.file) for c in CASES]
    assert len(seen) == len(set(seen))
    assert not {f for _, f in seen} & set(SMALL_ORG)
