"""Overview: the headline findings of every program, and where to read more."""

from markupsafe import Markup

from reports.context import ReportContext, Track
from reports.figures import POINTS, RATIO, SCORE, Row
from reports.layout import Exhibit, Section, Table, not_available
from reports.pages import advancement, retention, wellbeing
from reports.pages.common import (
    EFFECTS,
    NO_EFFECT,
    OUTCOMES,
    compact,
    of_track,
    outcome_section,
    programs_forest,
    read_effect,
)
from reports.pages.health import HEALTH_KEYS, PROGRAM_HEALTH

TITLE = "Do our programs work?"


def glance_row(ctx: ReportContext, track: Track, health, effects) -> list:
    keys = track.effect_keys
    pairings = participants = activation = ""
    if health is not None and len(of_track(health, track)):
        values = of_track(health, track).iloc[0].to_dict()
        row = Row(
            PROGRAM_HEALTH,
            values,
            HEALTH_KEYS,
            ctx.suppression,
            ctx.suppression.cell(int(values["pairings"])),
        )
        pairings, participants = row.count("pairings"), row.count("participants")
        activation = compact(row.share("activation_rate"))
    found = [
        read_effect(ctx, effects, keys, outcome, unit) if effects is not None else NO_EFFECT
        for outcome, unit in (
            ("retention_12m_diff", POINTS),
            ("promotion_hr", RATIO),
            ("loneliness_did", SCORE),
        )
    ]
    return [track.title, pairings, participants, activation, *(compact(e.adjusted) for e in found)]


def glance_section(ctx: ReportContext, outcomes, effects) -> Section:
    health = ctx.reader.table(PROGRAM_HEALTH)
    table = Table(
        "Adjusted estimates compare people of the same job level, tenure, performance rating, "
        "department and gender; 95% intervals in brackets",
        [
            "Program",
            "Pairings",
            "Participants",
            "Met within 60 days",
            "12-month retention difference (points)",
            "Hazard ratio of promotion",
            "Change in loneliness (points)",
        ],
        [glance_row(ctx, track, health, effects) for track in ctx.tracks],
    )
    return Section(
        "Programs at a glance",
        "at-a-glance",
        findings=[
            Markup(
                "A retention difference above 0, a promotion hazard ratio above 1 and a change "
                "in loneliness below 0 favour the program. Where an interval includes 0 (or 1 "
                "for hazard ratios), the data cannot tell the effect from none."
            )
        ],
        exhibits=[Exhibit("Every program, adjusted estimates", table)]
        + (
            [
                programs_forest(
                    ctx,
                    effects,
                    "retention_12m_diff",
                    POINTS,
                    "12-month retention difference (percentage points)",
                    0.0,
                    "12-month retention difference, by program",
                )
            ]
            if effects is not None
            else []
        ),
    )


def track_section(ctx: ReportContext, track: Track, outcomes, effects) -> Section:
    section, rows = outcome_section(ctx, track, outcomes)
    if not rows:
        return section
    keys = track.effect_keys
    difference = (
        read_effect(ctx, effects, keys, "retention_12m_diff", POINTS)
        if effects is not None
        else NO_EFFECT
    )
    loneliness = (
        read_effect(ctx, effects, keys, "loneliness_did", SCORE) if effects is not None else None
    )
    section.findings += [
        retention.retention_finding(track, rows, difference),
        advancement.promotion_finding(track, rows),
        wellbeing.measure_finding(track, rows, wellbeing.MEASURES[0], loneliness),
    ]
    section.notes.append(
        Markup(
            'More: <a href="retention.html#{0}">retention</a>, '
            '<a href="advancement.html#{0}">advancement</a>, '
            '<a href="wellbeing.html#{0}">wellbeing</a>, '
            '<a href="program-health.html#{0}">program health</a>, '
            '<a href="equity.html#{0}">equity</a>.'
        ).format(track.anchor)
    )
    return section


def build(ctx: ReportContext) -> dict:
    outcomes = ctx.reader.table(OUTCOMES)
    effects = ctx.reader.table(EFFECTS)
    if outcomes is None:
        sections = [not_available("Headlines", "headlines", [OUTCOMES])]
    else:
        sections = [glance_section(ctx, outcomes, effects)]
        sections += [track_section(ctx, track, outcomes, effects) for track in ctx.tracks]
    return {"title": TITLE, "sections": sections}
