"""Retention: do participants stay longer than comparable colleagues?"""

from markupsafe import Markup

from reports.context import COMPARISON, ReportContext, Track
from reports.figures import POINTS, RATIO
from reports.layout import Exhibit, Section, not_available
from reports.pages.common import (
    NO_EFFECT,
    NOT_SHOWN,
    OUTCOMES,
    Effect,
    capitalised,
    count_of,
    effects_table,
    km_estimate,
    outcome_section,
    people,
    possessive,
    read_effect,
    why_they_differ,
)
from reports.pages.time_to_event import (
    TimeToEvent,
    curve_exhibit,
    hazard_finding,
    track_and_forest_sections,
)

TITLE = "Retention"
RETENTION = TimeToEvent(
    column="retention",
    horizons=(6, 12, 24),
    duration="exit_days",
    event="exit_event",
    incidence=False,
    y_title="Still employed (no voluntary exit)",
    exhibit_title="Share still employed, month by month",
    table_caption="Voluntary retention (Kaplan–Meier) with 95% intervals",
    hazard_outcome="voluntary_exit_hr",
    hazard_label="Hazard ratio of leaving voluntarily",
)


def retention_finding(track: Track, rows: dict, difference: Effect) -> Markup:
    """'Mentees' 12-month voluntary retention was 92% against 87% for comparable colleagues,
    a difference of 4.6 points (95% CI −1.0 to 10.3; 212 mentees, 1,414 colleagues).'"""
    participants, comparison = rows.get("participant"), rows.get("comparison")
    if participants is None or comparison is None:
        return Markup("There are no retention figures for {} yet.").format(track.participants)
    treated = km_estimate(participants, "retention_12m")
    control = km_estimate(comparison, "retention_12m")
    if not (treated.shown and control.shown):
        return Markup("12-month voluntary retention cannot be shown for {}: {}").format(
            track.participants, NOT_SHOWN
        )
    sentence = Markup("{} 12-month voluntary retention was {} against {} for {}").format(
        capitalised(possessive(track.participants)), treated.value, control.value, COMPARISON
    )
    naive = difference.naive
    if naive is not None and naive.shown and naive.has_interval:
        sentence += Markup(", a raw comparison difference of {} points ({}").format(
            naive.value, naive.interval
        )
    else:
        sentence += Markup(" (")
    return sentence + Markup("; {}, {}).").format(
        people(count_of(participants), track.participants),
        people(count_of(comparison), "colleagues"),
    )


def track_section(ctx: ReportContext, track: Track, outcomes, effects, follow_up) -> Section:
    section, rows = outcome_section(ctx, track, outcomes)
    if not rows:
        return section
    keys = track.effect_keys
    difference = hazard = None
    if effects is not None:
        difference = read_effect(ctx, effects, keys, "retention_12m_diff", POINTS)
        hazard = read_effect(ctx, effects, keys, RETENTION.hazard_outcome, RATIO)
    section.findings.append(retention_finding(track, rows, difference or NO_EFFECT))
    if hazard is not None:
        section.findings += [
            hazard_finding(track, hazard, "left voluntarily", "Below 1 means fewer leavers."),
            Markup(why_they_differ(difference, 0.0)),
        ]
    section.exhibits.append(curve_exhibit(ctx, track, rows, follow_up, RETENTION))
    if hazard is not None:
        section.exhibits.append(
            Exhibit(
                "Raw comparison and adjusted estimates",
                effects_table(
                    [
                        ("12-month retention difference (points)", difference),
                        (RETENTION.hazard_label, hazard),
                    ],
                    track,
                ),
            )
        )
        section.notes += [*difference.notes, *hazard.notes]
    return section


def build(ctx: ReportContext) -> dict:
    outcomes = ctx.reader.table(OUTCOMES)
    if outcomes is None:
        return {"title": TITLE, "sections": [not_available(TITLE, "retention", [OUTCOMES])]}
    sections = track_and_forest_sections(
        ctx,
        outcomes,
        track_section,
        RETENTION,
        "Each line is one program: a point left of the dashed line (1) means "
        "participants left less often than comparable colleagues. Where an interval "
        "crosses the line, the data cannot tell the difference from no effect.",
    )
    return {"title": TITLE, "sections": sections}
