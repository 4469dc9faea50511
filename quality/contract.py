"""The input contract of INPUTS.md as data: sources, their files, columns, types and keys.

Everything that needs to know what a source looks like reads it from here: file recognition,
the readers (required columns), typing for staging and the expectation suites in
`quality.suites`, which turn these declarations into Great Expectations rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    INTEGER = "integer"
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False  # the file must have this column
    not_null: bool = False  # every row must have a value
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None  # matched case-insensitively
    not_in_future: bool = False

    @property
    def sql_type(self) -> str:
        return {
            Kind.TEXT: "VARCHAR",
            Kind.DATE: "DATE",
            Kind.INTEGER: "BIGINT",
            Kind.NUMBER: "DOUBLE",
        }[self.kind]


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_ID = dict(kind=Kind.TEXT)

EMPLOYEES = Source(
    "employees",
    "HRIS snapshot, one row per person",
    (
        Column("employee_id", required=True, not_null=True, **_ID),
        Column("hire_date", Kind.DATE, required=True, not_null=True, not_in_future=True),
        Column("termination_date", Kind.DATE),
        Column(
            "termination_type",
            allowed=("voluntary", "involuntary", "retirement", "other"),
        ),
        Column("job_level", Kind.INTEGER, required=True, not_null=True, minimum=1, maximum=20),
        Column("department"),
        Column("location"),
        Column("manager_id", **_ID),
        Column("gender"),
        Column("ethnicity"),
        Column("performance_rating", Kind.NUMBER, minimum=1, maximum=5),
    ),
    key=("employee_id",),
)

JOB_EVENTS = Source(
    "job_events",
    "Promotions and other moves, one row per event",
    (
        Column("employee_id", required=True, not_null=True, **_ID),
        Column("effective_date", Kind.DATE, required=True, not_null=True),
        Column(
            "event_type",
            required=True,
            not_null=True,
            allowed=("hire", "promotion", "lateral", "demotion", "termination"),
        ),
        Column("from_level", Kind.INTEGER, minimum=1, maximum=20),
        Column("to_level", Kind.INTEGER, minimum=1, maximum=20),
    ),
    key=("employee_id", "effective_date", "event_type"),
)

PROGRAMS = Source(
    "programs",
    "Program cohorts, one row per cohort",
    (
        Column("program_id", required=True, not_null=True, **_ID),
        Column("program_name"),
        Column("start_date", Kind.DATE, required=True, not_null=True),
        Column("end_date", Kind.DATE, required=True, not_null=True),
        Column("planned_milestones", Kind.INTEGER, minimum=0),
        Column("certificate_threshold", Kind.NUMBER, minimum=0, maximum=1),
    ),
    key=("program_id",),
)

PAIRINGS = Source(
    "pairings",
    "Mentor, sponsor, ally and coach relationships, one row per pairing",
    (
        Column("pairing_id", required=True, not_null=True, **_ID),
        Column("program_id", required=True, not_null=True, **_ID),
        Column(
            "relationship_type",
            required=True,
            not_null=True,
            allowed=("mentor", "sponsor", "ally", "coach"),
        ),
        Column("advisor_id", required=True, not_null=True, **_ID),
        Column("participant_id", required=True, not_null=True, **_ID),
        Column("start_date", Kind.DATE, required=True, not_null=True),
        Column("end_date", Kind.DATE),
        Column("end_reason", allowed=("completed", "rematched", "withdrawn", "left_company")),
    ),
    key=("pairing_id",),
)

ACTIVITIES = Source(
    "activities",
    "Meetings and milestones of a pairing, one row per activity",
    (
        Column("pairing_id", required=True, not_null=True, **_ID),
        Column("activity_date", Kind.DATE, required=True, not_null=True),
        Column("activity_type", required=True, not_null=True, allowed=("meeting", "milestone")),
        Column("milestone"),
        Column(
            "status",
            required=True,
            not_null=True,
            allowed=("completed", "cancelled", "late_cancelled", "no_show"),
        ),
        Column("rating", Kind.INTEGER, minimum=1, maximum=5),
    ),
    key=("pairing_id", "activity_date", "activity_type", "milestone"),
)

# Survey items are validated by the instrument definitions in assets.surveys; the contract
# here covers what every survey file must carry to be linked to a person and a wave.
SURVEYS = Source(
    "surveys",
    "Survey responses, one row per response",
    (
        Column("employee_id", not_null=True, **_ID),
        Column("submitted_at", Kind.DATE, not_in_future=True),
        Column("wave"),
    ),
    key=("wave", "employee_id"),
)

SOURCES: dict[str, Source] = {
    s.name: s for s in (EMPLOYEES, JOB_EVENTS, PROGRAMS, PAIRINGS, ACTIVITIES, SURVEYS)
}

# Load order: a source's references must be validated before it.
SOURCE_ORDER = ("employees", "programs", "job_events", "pairings", "activities", "surveys")

READABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")

_CONTACT_EXACT = {
    "name",
    "first_name",
    "last_name",
    "full_name",
    "preferred_name",
    "display_name",
    "employee_name",
    "recipientfirstname",
    "recipientlastname",
    "recipientemail",
    "ipaddress",
    "ip_address",
    "locationlatitude",
    "locationlongitude",
}
_CONTACT_PATTERN = re.compile(r"(e_?mail|phone|mobile|address|_name$|^name_)")


def normalise_header(name: str) -> str:
    """Header names match case-insensitively after trimming, spaces and hyphens become `_`."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff")).lower()


def source_of(relative_path: str) -> str | None:
    """The source a file in the inbox belongs to, from its name, or None if it matches none."""
    path = PurePosixPath(relative_path.lower())
    if "surveys" in path.parts[:-1] or path.name.startswith("survey"):
        return "surveys"
    for name in ("employees", "job_events", "programs", "pairings", "activities"):
        if path.name.startswith(name):
            return name
    return None


CONTRACT_COLUMNS = frozenset(c for s in SOURCES.values() for c in s.column_names)


def is_contact_column(column: str) -> bool:
    """Names, emails, phones and addresses never pass the raw layer; contract columns always do."""
    if column in CONTRACT_COLUMNS:
        return False
    return column in _CONTACT_EXACT or bool(_CONTACT_PATTERN.search(column))
