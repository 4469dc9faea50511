"""What the retention and advancement pages share: curves over time beside the table of
their values at fixed horizons, naive and adjusted hazard ratios, and a forest plot."""

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from reports.charts import (
    COMPARISON,
    PARTICIPANT,
    Curve,
    embed,
    step_chart,
)
from reports.context import ReportContext, Track
from reports.curves import follow_up_counts, group_curve
from reports.figures import RATIO
from reports.layout import Exhibit, Section, Table, not_available
from reports.pages.common import (
    EFFECTS,
    Effect,
    capitalised,
    compact,
    group_name,
    km_estimate,
    of_track,
    programs_forest,
)


@dataclass(frozen=True)
class TimeToEvent:
    """One outcome followed from the program's start: voluntary exit or promotion."""

    column: str  # program_outcomes columns are f"{column}_{h}m"
    horizons: tuple[int, ...]
    duration: str  # marts.study_cohort columns
    event: str
    incidence: bool  # plot the share with the event (promotion), not the share without
    y_title: str
    exhibit_title: str
    table_caption: str
    hazard_outcome: str
    hazard_label: str


def curve_exhibit(
    ctx: ReportContext,
    track: Track,
    rows: dict,
    follow_up: pd.DataFrame | None,
    outcome: TimeToEvent,
) -> Exhibit:
    """The table of the horizons and the curves, from `follow_up` (`follow_up_counts`)."""
    table = Table(
        outcome.table_caption,
        ["Group", "People", *(f"{h} months" for h in outcome.horizons)],
        [
            [
                capitalised(group_name(track, group)),
                row.count("n"),
                *(compact(km_estimate(row, f"{outcome.column}_{h}m")) for h in outcome.horizons),
            ]
            for group, row in rows.items()
        ],
    )
    curves = []
    if follow_up is not None:
        of_this_track = of_track(follow_up, track)
        for group, colour in (("participant", PARTICIPANT), ("comparison", COMPARISON)):
            points = group_curve(
                of_this_track.loc[of_this_track["arm"] == group],
                ctx.suppression,
                incidence=outcome.incidence,
            )
            if points is not None:
                curves.append(Curve(capitalised(group_name(track, group)), colour, points))
    chart = None
    if curves:
        chart = embed(
            ctx.chart_id(),
            step_chart(curves, outcome.y_title),
            f"{outcome.exhibit_title}: {track.title}",
        )
    return Exhibit(
        outcome.exhibit_title,
        table,
        chart,
        note=f"Shaded bands are 95% intervals. A curve stops where fewer than {ctx.k} people "
        f"are still followed, and is not drawn for a group where fewer than {ctx.k} people had "
        "the event (or did not)."
        if chart is not None
        else "No curve: the study cohort is not available, or a group is too small.",
    )


def hazard_finding(track: Track, hazard: Effect, verb: str, reading: str) -> Markup:
    adjusted = hazard.adjusted
    if adjusted is None or not adjusted.shown:
        return Markup("The adjusted hazard ratio is not available for {}.").format(
            track.participants
        )
    return Markup(
        "Compared with colleagues of the same job level, tenure, performance, department and "
        "gender, {} {} at {} times their rate (a {}; {}; {} = {}). {}"
    ).format(
        track.participants,
        verb,
        adjusted.value,
        Markup('<a class="term" href="methodology.html#hazard-ratio">hazard ratio</a>'),
        adjusted.interval,
        Markup('<a class="term" href="methodology.html#p-value">p</a>'),
        hazard.adjusted_p,
        reading,
    )


TrackSection = Callable[..., Section]


def track_and_forest_sections(
    ctx: ReportContext,
    outcomes: pd.DataFrame,
    track_section: TrackSection,
    outcome: TimeToEvent,
    explanation: str,
) -> list[Section]:
    """A section per program and type (`track_section(ctx, track, outcomes, effects,
    follow_up)`), then all programs side by side in a forest plot of the hazard ratio."""
    effects = ctx.reader.table(EFFECTS)
    follow_up = follow_up_counts(ctx.reader, outcome.duration, outcome.event)
    sections = [track_section(ctx, t, outcomes, effects, follow_up) for t in ctx.tracks]
    if effects is None:
        sections.append(not_available("All programs side by side", "all-programs", [EFFECTS]))
    elif ctx.tracks:
        sections.append(forest_section(ctx, effects, outcome, explanation))
    return sections


def forest_section(
    ctx: ReportContext,
    effects: pd.DataFrame,
    outcome: TimeToEvent,
    explanation: str,
) -> Section:
    exhibit = programs_forest(
        ctx,
        effects,
        outcome.hazard_outcome,
        RATIO,
        outcome.hazard_label,
        1.0,
        f"{outcome.hazard_label}, by program",
    )
    return Section(
        "All programs side by side",
        "all-programs",
        findings=[Markup(explanation)],
        exhibits=[exhibit],
    )
