"""A page per program and relationship type, for its owner: verdicts, retention value, health,
curves, wellbeing, equity and the fairness of the comparison, gathered from the topic pages."""

from dataclasses import replace

from markupsafe import Markup

from reports.context import ReportContext, Track
from reports.figures import COUNT, PERCENT, SCORE, Figure, plain
from reports.layout import Exhibit, Section, Table
from reports.pages.common import EFFECTS, placebo_row
from reports.pages.index import balance_of, program_card, program_file, track_findings
from reports.verdicts import legend, retention_value

DIAGNOSTICS = "marts.study_diagnostics"
BALANCE = "marts.covariate_balance"
# Topic pages whose section for the track is gathered here, in this order.
TOPICS = (
    ("program-health.html", "Program health"),
    ("retention.html", "Retention"),
    ("advancement.html", "Advancement"),
    ("wellbeing.html", "Wellbeing"),
    ("equity.html", "Equity"),
)


def verdicts_section(ctx: ReportContext, track: Track, effects) -> Section:
    findings = track_findings(ctx, track, effects)
    retention = next(f for f in findings if f.outcome.code == "retention_12m_diff")
    value = retention_value(retention, ctx.replacement_cost, track.participants)
    return Section(
        "Does it work?",
        "verdicts",
        findings=[value] if value else [],
        body=legend()
        + program_card(
            findings,
            track,
            raw_always=True,
            balance=balance_of(ctx, track),
            placebo=placebo_row(ctx, track),
        ),
    )


def _unit(column: str) -> tuple[str, str | None]:
    """A diagnostics column's unit and the column counting the people it describes."""
    name = column.lower()
    if "share" in name or "outside" in name:
        return PERCENT, None
    if name.startswith("n_") or name.endswith("_n") or name in ("participants", "trials"):
        return COUNT, column
    return SCORE, None


def fairness_section(ctx: ReportContext, track: Track) -> Section:
    """The study's diagnostics (issue 17's marts.study_diagnostics), read only when built."""
    section = Section("Is the comparison fair?", "fairness")
    section.findings.append(
        Markup(
            "Participants are compared with colleagues employed at the same time who did not "
            "take part; the adjusted estimates compare people of the same job level, tenure, "
            "performance rating, department and gender. What is not recorded (motivation, a "
            "manager's support) cannot be adjusted for: see the "
            '<a href="methodology.html#limits">limits</a>.'
        )
    )
    frame = ctx.reader.table(DIAGNOSTICS)
    if frame is None:
        section.notes.append(
            "Balance and overlap diagnostics appear here once the warehouse has "
            f"{DIAGNOSTICS} (the weighted comparison)."
        )
        return section
    rows = frame.loc[
        (frame["program_id"] == track.program_id)
        & (frame["relationship_type"] == track.relationship_type)
    ]
    if rows.empty:
        section.notes.append("No diagnostics for this program in this run.")
        return section
    values = rows.iloc[0].to_dict()
    key = tuple(track.effect_keys.items())
    table_rows = []
    for column, value in values.items():
        if column in ("program_id", "relationship_type") or not isinstance(
            plain(value), (int, float)
        ):
            continue
        unit, n_column = _unit(column)
        hidden = "small" if n_column and not ctx.suppression.shows(plain(value)) else None
        if column == "share_outside_overlap":
            # A share of the participants: 0% or 100% tells about every one of them.
            participants = plain(values.get("participants"))
            outside = None if participants is None else round(plain(value) * participants)
            hidden = ctx.suppression.share(outside, participants)
        figure = Figure(
            None if hidden else plain(value),
            unit,
            DIAGNOSTICS,
            column,
            key,
            n_column,
            hidden,
            ctx.k,
        )
        table_rows.append([column.replace("_", " "), figure])
    section.exhibits.append(
        Exhibit(
            "Study diagnostics",
            Table(
                Markup(
                    'From {}. A largest <a class="term" href="methodology.html#balance">'
                    "standardised difference</a> of 0.1 or less marks a fair comparison."
                ).format(DIAGNOSTICS),
                ["Diagnostic", "Value"],
                table_rows,
            ),
        )
    )
    return section


def build(ctx: ReportContext, track: Track, topics: dict[str, dict]) -> dict:
    effects = ctx.reader.table(EFFECTS)
    sections = [verdicts_section(ctx, track, effects)]
    for file, title in TOPICS:
        for section in topics.get(file, {}).get("sections", []):
            if section.anchor == track.anchor:
                sections.append(replace(section, title=title, anchor=file.removesuffix(".html")))
    sections.append(fairness_section(ctx, track))
    return {"title": track.title, "sections": sections, "track": track}


__all__ = ["build", "program_file"]
