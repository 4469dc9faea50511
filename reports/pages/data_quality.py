"""Data quality: which files were loaded, which rows were set aside, and why.

Counts here are rows of files (records), not people, and are shown exactly so data owners can
find and fix them. No row's content is shown: the reasons are the checks' templates, with the
offending values left out.
"""

import re

import pandas as pd
from markupsafe import Markup

from quality.data_docs import FOLDER as DATA_DOCS
from quality.data_docs import GX_RESULTS
from reports.charts import OKABE_ITO, embed, stacked_bar_chart
from reports.context import (
    LOADED_FILES,
    REJECTED_FILES,
    VALIDATION_RESULTS,
    ReportContext,
    counted,
)
from reports.figures import DATE, RECORDS, Figure, Row
from reports.layout import Exhibit, Section, Table, not_available

TITLE = "Data quality"
SURVEY_WAVES = "staging.survey_waves"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
WAVE_COUNTS = (
    ("responses", "Responses"),
    ("scored", "Scored"),
    ("superseded", "Replaced by a later answer"),
    ("unfinished", "Unfinished"),
    ("preview", "Previews"),
    ("spam", "Flagged as spam"),
    ("incomplete_loneliness", "Loneliness items missing"),
    ("incomplete_engagement", "Engagement items missing"),
)
# Per source, in meta.loaded_files: (label, expression over its rows).
SOURCE_COUNTS = (
    ("Kept", "sum(rows_loaded) - coalesce(sum(rows_superseded), 0)"),
    ("Replaced by a later file", "coalesce(sum(rows_superseded), 0)"),
    ("Quarantined", "coalesce(sum(rows_quarantined), 0)"),
)
COLOURS = (OKABE_ITO["bluish_green"], OKABE_ITO["sky_blue"], OKABE_ITO["vermillion"])


def without_values(reason: str) -> str:
    """A check's reason template with the offending values left out."""
    return PLACEHOLDER.sub("…", reason)


def status_section(ctx: ReportContext) -> Section:
    quality = ctx.quality
    section = Section("Status of the last run", "status")
    section.findings.append(Markup("{}").format(quality.headline))
    if quality.level == "unknown":
        return section
    section.findings.append(
        Markup("{} on record; {} rejected whole; {} quarantined.").format(
            counted(quality.files, "file"),
            counted(quality.rejected, "file"),
            counted(quality.quarantined, "row"),
        )
    )
    section.notes.append(
        Markup(
            "Counts on this page are rows of files, not people, and are shown exactly so data "
            "owners can find and fix them. Quarantined rows are kept in the warehouse's "
            "<code>quarantine</code> schema with every reason; <code>mentorlens check</code> "
            "explains a file before it is loaded."
        )
    )
    if ctx.reader.has(GX_RESULTS):
        section.notes.append(
            Markup(
                "Every expectation and its latest result, as Great Expectations reports them: "
                '<a href="{}/index.html">the data contract\'s Data Docs</a>.'
            ).format(DATA_DOCS)
        )
    return section


def sources_exhibit(ctx: ReportContext) -> Exhibit | None:
    sources = ctx.reader.query(
        f"SELECT DISTINCT source FROM {LOADED_FILES} WHERE status = 'loaded' ORDER BY source",
        [LOADED_FILES],
    )
    if sources is None or sources.empty:
        return None
    names = [str(s) for s in sources["source"]]
    columns = []
    for _, expression in SOURCE_COUNTS:
        figures = []
        for name in names:
            value = ctx.reader.value(
                f"SELECT {expression} FROM {LOADED_FILES} WHERE source = ? AND status = 'loaded'",
                [LOADED_FILES],
                [name],
            )
            key = (("source", name), ("status", "loaded"))
            figures.append(Figure(int(value or 0), RECORDS, LOADED_FILES, expression, key))
        columns.append(figures)
    chart = embed(
        ctx.chart_id(),
        stacked_bar_chart(
            names,
            [
                (label, colour, figures)
                for (label, _), colour, figures in zip(SOURCE_COUNTS, COLOURS, columns, strict=True)
            ],
            "Rows",
        ),
        "Rows kept, replaced and quarantined, by source",
    )
    table = Table(
        "Rows of the loaded files, by source",
        ["Source", *(label for label, _ in SOURCE_COUNTS)],
        [[name, *(column[i] for column in columns)] for i, name in enumerate(names)],
    )
    return Exhibit("Rows by source", table, chart)


def files_exhibit(ctx: ReportContext, files: pd.DataFrame) -> Exhibit:
    keys = ("file",)
    rows = []
    for values in files.to_dict("records"):
        row = Row(LOADED_FILES, values, keys, ctx.suppression)
        rows.append(
            [
                row["file"],
                row["source"],
                row["status"],
                *(
                    row.figure(column, RECORDS)
                    for column in (
                        "rows_read",
                        "rows_loaded",
                        "rows_quarantined",
                        "rows_superseded",
                    )
                ),
            ]
        )
    return Exhibit(
        "Files",
        Table(
            "Every file seen, with its rows: read = loaded + quarantined; 'replaced' rows were "
            "loaded but a later file has the same records",
            ["File", "Source", "Status", "Read", "Loaded", "Quarantined", "Replaced"],
            rows,
            numeric_from=3,
        ),
    )


def rejected_exhibit(ctx: ReportContext) -> Exhibit | None:
    rejected = ctx.reader.table(REJECTED_FILES, order_by=["file"])
    if rejected is None:
        return None
    return Exhibit(
        "Files rejected whole",
        Table(
            "Files that could not be read or failed a blocking rule; nothing from them was loaded",
            ["File", "Source", "Reason"],
            [[r["file"], r["source"], r["reason"]] for r in rejected.to_dict("records")],
            numeric_from=3,
        ),
    )


def checks_exhibit(ctx: ReportContext) -> Exhibit | None:
    run_id = ctx.quality.run_id
    failed = ctx.reader.query(
        f"SELECT source, severity, reason, sum(unexpected_count) AS rows_flagged "
        f"FROM {VALIDATION_RESULTS} WHERE run_id = ? AND NOT success "
        "GROUP BY ALL ORDER BY source, severity, reason",
        [VALIDATION_RESULTS],
        [run_id],
    )
    if failed is None:
        return None
    rows = []
    for values in failed.to_dict("records"):
        key = (
            ("run_id", run_id),
            ("source", values["source"]),
            ("severity", values["severity"]),
            ("reason", values["reason"]),
            ("success", False),
        )
        flagged = Figure(
            int(values["rows_flagged"] or 0),
            RECORDS,
            VALIDATION_RESULTS,
            "sum(unexpected_count)",
            key,
        )
        rows.append(
            [values["source"], without_values(str(values["reason"])), values["severity"], flagged]
        )
    return Exhibit(
        "Checks that flagged rows in the last run",
        Table(
            "ERROR checks block publication; WARN checks set rows aside in quarantine",
            ["Source", "What was wrong", "Severity", "Rows"],
            rows,
            numeric_from=3,
        ),
    )


def waves_exhibit(ctx: ReportContext) -> Exhibit | None:
    waves = ctx.reader.table(SURVEY_WAVES, order_by=["wave_date", "wave"])
    if waves is None:
        return None
    rows = []
    for values in waves.to_dict("records"):
        row = Row(SURVEY_WAVES, values, ("wave",), ctx.suppression)
        rows.append(
            [
                row["wave"],
                row.figure("wave_date", DATE),
                *(row.figure(c, RECORDS) for c, _ in WAVE_COUNTS),
            ]
        )
    return Exhibit(
        "Survey waves",
        Table(
            "Responses per wave and why some were not scored",
            ["Wave", "Date", *(label for _, label in WAVE_COUNTS)],
            rows,
            numeric_from=1,
        ),
    )


def build(ctx: ReportContext) -> dict:
    files = ctx.reader.table(LOADED_FILES, order_by=["source", "file"])
    if files is None:
        return {"title": TITLE, "sections": [not_available(TITLE, "files", [LOADED_FILES])]}
    loading = Section("Files and rows", "files")
    loading.exhibits += [e for e in (sources_exhibit(ctx), files_exhibit(ctx, files)) if e]
    rejected = rejected_exhibit(ctx)
    if rejected is not None:
        loading.exhibits.append(rejected)
    checks = Section("Checks", "checks")
    checks.exhibits += [e for e in (checks_exhibit(ctx),) if e]
    if not checks.exhibits:
        checks.unavailable = "No check results are recorded yet."
    surveys = Section("Surveys", "surveys")
    waves = waves_exhibit(ctx)
    if waves is None:
        surveys.unavailable = f"Not available yet: the warehouse has no {SURVEY_WAVES}."
    else:
        surveys.exhibits.append(waves)
    return {"title": TITLE, "sections": [status_section(ctx), loading, checks, surveys]}
