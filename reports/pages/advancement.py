"""Advancement: are participants promoted sooner, and do mentees go on to find a sponsor?"""

import pandas as pd
from markupsafe import Markup

from effects.outcomes import PROMOTION_CAUSE
from reports.charts import COMPARISON as COMPARISON_COLOUR
from reports.charts import PARTICIPANT, BarSeries, bar_chart, embed
from reports.context import COMPARISON, ReportContext, Track
from reports.figures import RATIO, Row
from reports.layout import Exhibit, Section, Table, not_available
from reports.pages.common import (
    NOT_SHOWN,
    OUTCOMES,
    compact,
    count_of,
    effects_table,
    km_estimate,
    outcome_section,
    people,
    read_effect,
    why_they_differ,
)
from reports.pages.time_to_event import (
    TimeToEvent,
    curve_exhibit,
    hazard_finding,
    track_and_forest_sections,
)

TITLE = "Advancement"
MENTOR_TO_SPONSOR = "marts.mentor_to_sponsor"
PATHWAY_KEYS = ("program_id", "arm")
PATHWAY_GROUPS = {"mentee": "Mentees", "other_employees": "Other employees"}
PROMOTION = TimeToEvent(
    column="promoted",
    horizons=(12, 24),
    duration="promotion_days",
    event=PROMOTION_CAUSE,
    incidence=True,
    y_title="Promoted since their time zero",
    exhibit_title="Share promoted, month by month",
    table_caption="Share promoted (cumulative incidence: leaving first ends the chance of "
    "promotion) with 95% intervals",
    hazard_outcome="promotion_hr",
    hazard_label="Hazard ratio of promotion",
)


def promotion_finding(track: Track, rows: dict) -> Markup:
    participants, comparison = rows.get("participant"), rows.get("comparison")
    if participants is None or comparison is None:
        return Markup("There are no promotion figures for {} yet.").format(track.participants)
    treated = km_estimate(participants, "promoted_12m")
    control = km_estimate(comparison, "promoted_12m")
    if not (treated.shown and control.shown):
        return Markup("The share promoted by 12 months cannot be shown for {}: {}").format(
            track.participants, NOT_SHOWN
        )
    return Markup(
        "By 12 months, {} of {} had been promoted ({}) against {} of {} ({}; {}, {})."
    ).format(
        treated.value,
        track.participants,
        treated.interval,
        control.value,
        COMPARISON,
        control.interval,
        people(count_of(participants), track.participants),
        people(count_of(comparison), "colleagues"),
    )


def track_section(ctx: ReportContext, track: Track, outcomes, effects, follow_up) -> Section:
    section, rows = outcome_section(ctx, track, outcomes)
    if not rows:
        return section
    section.findings.append(promotion_finding(track, rows))
    hazard = None
    if effects is not None:
        keys = track.effect_keys
        hazard = read_effect(ctx, effects, keys, PROMOTION.hazard_outcome, RATIO)
        section.findings += [
            hazard_finding(track, hazard, "were promoted", "Above 1 means promoted sooner."),
            Markup(why_they_differ(hazard, 1.0)),
        ]
    section.exhibits.append(curve_exhibit(ctx, track, rows, follow_up, PROMOTION))
    if hazard is not None:
        section.exhibits.append(
            Exhibit(
                "Raw comparison and adjusted estimates",
                effects_table([(PROMOTION.hazard_label, hazard)], track),
            )
        )
        section.notes += list(hazard.notes)
    return section


def pathway_rows(ctx: ReportContext, pathway: pd.DataFrame, program_id: str) -> dict[str, Row]:
    rows = {}
    for group in PATHWAY_GROUPS:
        match = pathway.loc[(pathway["program_id"] == program_id) & (pathway["arm"] == group)]
        if len(match):
            rows[group] = Row(
                MENTOR_TO_SPONSOR, match.iloc[0].to_dict(), PATHWAY_KEYS, ctx.suppression
            )
    return rows


def pathway_section(ctx: ReportContext, pathway: pd.DataFrame | None) -> Section:
    title, anchor = "From mentoring to sponsorship", "mentor-to-sponsor"
    if pathway is None:
        return not_available(title, anchor, [MENTOR_TO_SPONSOR])
    names = {t.program_id: t.program_name for t in ctx.tracks}
    programs = [p for p in dict.fromkeys(pathway["program_id"]) if p != "all"]
    if len(programs) > 1:
        programs.append("all")
    section = Section(title, anchor)
    categories, mentees, others, table_rows = [], [], [], []
    for program_id in programs:
        rows = pathway_rows(ctx, pathway, program_id)
        if set(rows) != set(PATHWAY_GROUPS):
            continue
        name = (
            "All mentoring programs" if program_id == "all" else names.get(program_id, program_id)
        )
        mentee = rows["mentee"].share("gained_sponsor_12m")
        other = rows["other_employees"].share("gained_sponsor_12m")
        categories.append(name)
        mentees.append(mentee)
        others.append(other)
        table_rows.append(
            [
                name,
                rows["mentee"].count("gained_sponsor_12m_n"),
                compact(mentee),
                rows["other_employees"].count("gained_sponsor_12m_n"),
                compact(other),
            ]
        )
        if mentee.shown and other.shown:
            section.findings.append(
                Markup(
                    "{}: within 12 months of their mentoring starting, {} of mentees gained a "
                    "sponsor ({}; {} mentees) against {} of other employees ({}; {} people)."
                ).format(
                    name,
                    mentee.value,
                    mentee.interval,
                    rows["mentee"].count("gained_sponsor_12m_n"),
                    other.value,
                    other.interval,
                    rows["other_employees"].count("gained_sponsor_12m_n"),
                )
            )
    if not categories:
        section.unavailable = "No mentoring program has completed its first 12 months yet."
        return section
    chart = embed(
        ctx.chart_id(),
        bar_chart(
            categories,
            [
                BarSeries("Mentees", PARTICIPANT, mentees),
                BarSeries("Other employees", COMPARISON_COLOUR, others),
            ],
            "Gained a sponsor within 12 months",
        ),
        "Share gaining a sponsor within 12 months, mentees against other employees",
    )
    table = Table(
        "Share with a sponsor pairing starting within 12 months, with 95% intervals. Only "
        "people whose 12 months have passed count.",
        ["Program", "Mentees", "Gained a sponsor", "Other employees", "Gained a sponsor"],
        table_rows,
    )
    section.exhibits.append(Exhibit("Mentees who gained a sponsor within 12 months", table, chart))
    return section


def build(ctx: ReportContext) -> dict:
    outcomes = ctx.reader.table(OUTCOMES)
    pathway = pathway_section(ctx, ctx.reader.table(MENTOR_TO_SPONSOR))
    if outcomes is None:
        return {
            "title": TITLE,
            "sections": [not_available(TITLE, "advancement", [OUTCOMES]), pathway],
        }
    sections = track_and_forest_sections(
        ctx,
        outcomes,
        track_section,
        PROMOTION,
        "Each line is one program: a point right of the dashed line (1) means "
        "participants were promoted sooner than comparable colleagues. Where an "
        "interval crosses the line, the data cannot tell the difference from no effect.",
    )
    sections.append(pathway)
    return {"title": TITLE, "sections": sections}
