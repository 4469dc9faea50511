"""What every page shares: the warehouse, the suppression rule, the as-of date, the
data-quality status of the last run and the programs to report on."""

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime

from markupsafe import Markup

from reports.figures import DATE, RECORDS, Figure, plain
from reports.reader import Reader
from reports.suppression import Suppression

RUN_INFO = "marts.run_info"
LOADED_FILES = "meta.loaded_files"
REJECTED_FILES = "quarantine.rejected_files"
VALIDATION_RESULTS = "meta.validation_results"

# Relationship type → (the relationship, its participants, its advisors), in plain words.
RELATIONSHIPS = {
    "mentor": ("mentoring", "mentees", "mentors"),
    "sponsor": ("sponsorship", "protégés", "sponsors"),
    "ally": ("allyship", "supported colleagues", "allies"),
    "coach": ("coaching", "coachees", "coaches"),
}
COMPARISON = "comparable colleagues"


@dataclass(frozen=True)
class Track:
    """One program and relationship type: the unit every effect is estimated for."""

    program_id: str
    relationship_type: str
    program_name: str

    @property
    def kind(self) -> str:
        return RELATIONSHIPS.get(self.relationship_type, (self.relationship_type,) * 3)[0]

    @property
    def effect_keys(self) -> dict[str, str]:
        """The columns that pick this track's rows out of the effect tables."""
        return {"program_id": self.program_id, "relationship_type": self.relationship_type}

    @property
    def participants(self) -> str:
        return RELATIONSHIPS.get(self.relationship_type, ("", "participants", ""))[1]

    @property
    def advisors(self) -> str:
        return RELATIONSHIPS.get(self.relationship_type, ("", "", "advisors"))[2]

    @property
    def title(self) -> str:
        return f"{self.program_name}: {self.kind}"

    @property
    def anchor(self) -> str:
        safe = "".join(
            c if c.isalnum() else "-" for c in f"{self.program_id}-{self.relationship_type}"
        )
        return safe.lower()


@dataclass(frozen=True)
class Quality:
    """The data-quality status of the last run, from `meta`."""

    level: str  # clean | warnings | problems | unknown
    headline: str
    run_id: str | None
    files: Figure
    rejected: Figure
    quarantined: Figure
    failed_checks: Figure


@dataclass
class ReportContext:
    reader: Reader
    suppression: Suppression
    as_of: Figure
    quality: Quality
    tracks: list[Track]
    built_at: datetime
    newest_files: list = field(default_factory=list)  # reports.freshness.SourceFile
    earlier_failures: list = field(default_factory=list)  # reports.freshness.FailedRun
    replacement_cost: float | None = None  # MENTORLENS_REPLACEMENT_COST
    _chart_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def k(self) -> int:
        return self.suppression.k

    def chart_id(self) -> str:
        return f"chart-{next(self._chart_ids)}"


def read_as_of(reader: Reader, fallback: date | None) -> Figure:
    value = reader.value(f"SELECT as_of FROM {RUN_INFO}", [RUN_INFO])
    if value is not None:
        return Figure(plain(value), DATE, RUN_INFO, "as_of", ())
    return Figure(fallback, DATE)


def read_tracks(reader: Reader) -> list[Track]:
    frame = reader.query(
        "SELECT DISTINCT p.program_id, p.relationship_type, "
        "coalesce(g.program_name, p.program_id) AS program_name "
        "FROM staging.pairings p LEFT JOIN staging.programs g USING (program_id) "
        "ORDER BY program_name, p.program_id, p.relationship_type",
        ["staging.pairings", "staging.programs"],
    )
    if frame is None:
        return []
    return [Track(*(str(v) for v in row)) for row in frame.itertuples(index=False)]


def _latest_run(reader: Reader) -> str | None:
    run = reader.value(
        f"SELECT run_id FROM {VALIDATION_RESULTS} ORDER BY validated_at DESC LIMIT 1",
        [VALIDATION_RESULTS],
    )
    if run is None:
        run = reader.value(
            f"SELECT run_id FROM {LOADED_FILES} ORDER BY loaded_at DESC LIMIT 1", [LOADED_FILES]
        )
    return plain(run)


def _records(reader: Reader, table: str, expression: str, key: dict | None = None) -> Figure:
    """A count of file rows from `meta`: rows of files, not people, so never suppressed."""
    if not reader.has(table):
        return Figure(None, RECORDS)
    key = key or {}
    where, params = key_filter(key)
    value = reader.value(f"SELECT {expression} FROM {table} WHERE {where}", [table], params)
    return Figure(int(plain(value) or 0), RECORDS, table, expression, tuple(key.items()))


def key_filter(key: dict) -> tuple[str, list]:
    """A WHERE clause matching `key` (column → value; None matches NULL) and its parameters."""
    clauses = [f'"{c}" IS NULL' if v is None else f'"{c}" = ?' for c, v in key.items()]
    return " AND ".join(clauses) or "true", [v for v in key.values() if v is not None]


def counted(figure: Figure, noun: str) -> Markup:
    """'1 file', '3 files'."""
    return Markup("{} {}").format(figure, noun if figure.value == 1 else f"{noun}s")


def read_quality(reader: Reader) -> Quality:
    nothing = Figure(None, RECORDS)
    files = _records(reader, LOADED_FILES, "count(*)")
    if not files.value:
        return Quality("unknown", "No file has been loaded yet.", None, *([nothing] * 4))
    run_id = _latest_run(reader)
    rejected = _records(reader, REJECTED_FILES, "count(*)")
    quarantined = _records(reader, LOADED_FILES, "coalesce(sum(rows_quarantined), 0)")
    failed = _records(
        reader, VALIDATION_RESULTS, "count(*) FILTER (WHERE NOT success)", {"run_id": run_id}
    )
    errors = _records(
        reader,
        VALIDATION_RESULTS,
        "count(*) FILTER (WHERE NOT success AND severity = 'ERROR')",
        {"run_id": run_id},
    )
    if rejected.value or errors.value:
        level, headline = (
            "problems",
            Markup("Problems: {} rejected whole, {} failed.").format(
                counted(rejected, "file"), counted(errors, "blocking check")
            ),
        )
    elif quarantined.value or failed.value:
        level, headline = (
            "warnings",
            Markup("Loaded with warnings: {} set aside in quarantine by {}.").format(
                counted(quarantined, "row"), counted(failed, "check")
            ),
        )
    else:
        level, headline = (
            "clean",
            Markup("Clean: {} loaded, no row quarantined, every check passed.").format(
                counted(files, "file")
            ),
        )
    return Quality(level, headline, run_id, files, rejected, quarantined, failed)
