"""Wellbeing: do participants grow less lonely and more engaged than comparable colleagues?"""

from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from reports.charts import COMPARISON as COMPARISON_COLOUR
from reports.charts import PARTICIPANT, BarSeries, BeforeAfter, bar_chart, before_after_chart, embed
from reports.context import COMPARISON, ReportContext, Track
from reports.figures import PERCENT, POINTS, SCORE, Estimate, Figure, Row
from reports.layout import Exhibit, Section, Table, not_available
from reports.pages.climate import climate_section
from reports.pages.common import (
    EFFECTS,
    OUTCOMES,
    Effect,
    capitalised,
    compact,
    effects_table,
    group_name,
    outcome_rows,
    placebo_check,
    placebo_row,
    read_effect,
    why_they_differ,
)

TITLE = "Wellbeing"
CAREER_LONELINESS = "marts.career_loneliness"


SCALES = {"loneliness": (3.0, 9.0), "engagement": (0.0, 6.0), "career_lonely": (0.0, 1.0)}


@dataclass(frozen=True)
class Measure:
    column: str  # program_outcomes f"{column}_baseline" / f"{column}_followup"
    name: str
    scale: str
    unit: str
    effect: str
    effect_unit: str
    effect_words: str
    tickformat: str
    noun: str  # in a sentence: "loneliness", "feeling alone in one's career"


MEASURES = (
    Measure(
        "loneliness",
        "Loneliness",
        Markup('<a class="term" href="methodology.html#did">UCLA-3</a>, 3 to 9, lower is better'),
        SCORE,
        "loneliness_did",
        SCORE,
        "points",
        ".1f",
        "loneliness",
    ),
    Measure(
        "engagement",
        "Engagement",
        Markup('<a class="term" href="methodology.html#did">UWES-3</a>, 0 to 6, higher is better'),
        SCORE,
        "engagement_did",
        SCORE,
        "points",
        ".1f",
        "engagement",
    ),
    Measure(
        "career_lonely",
        "Feel alone in their career",
        "share agreeing they feel alone in determining their career development",
        PERCENT,
        "career_lonely_did",
        POINTS,
        "percentage points",
        ".0%",
        "feeling alone in one's career",
    ),
)


def survey_figure(row: Row, measure: Measure, wave: str) -> Figure:
    """A group's mean (or share agreeing) at baseline or follow-up, over the people who
    answered both; a share is split like any share of people."""
    column = f"{measure.column}_{wave}"
    if measure.unit == PERCENT:
        return row.counted_figure(column, PERCENT, "survey_n")
    return row.figure(column, measure.unit, "survey_n")


def survey_estimate(row: Row, measure: Measure, wave: str) -> Estimate:
    """survey_figure with its 95% interval (drawn only where the figure itself is shown)."""
    column = f"{measure.column}_{wave}"
    return Estimate(
        survey_figure(row, measure, wave),
        row.figure(f"{column}_ci_low", measure.unit, "survey_n"),
        row.figure(f"{column}_ci_high", measure.unit, "survey_n"),
    )


def measure_finding(
    track: Track,
    rows: dict,
    measure: Measure,
    effect: Effect | None,
    check: Markup | None = None,
) -> Markup:
    """The measure's before and after in both groups and its adjusted difference in
    differences, then `check` (the pre-program placebo) beside it."""
    participants, comparison = rows.get("participant"), rows.get("comparison")
    if participants is None or comparison is None:
        return Markup("")
    before_p = survey_figure(participants, measure, "baseline")
    after_p = survey_figure(participants, measure, "followup")
    before_c = survey_figure(comparison, measure, "baseline")
    after_c = survey_figure(comparison, measure, "followup")
    if not all(f.shown for f in (before_p, after_p, before_c, after_c)):
        return Markup(
            "{} ({}): not shown, because fewer than {} {} or colleagues answered a survey both "
            "before and after the program."
        ).format(measure.name, measure.scale, participants.suppression.k, track.participants)
    sentence = Markup("{} ({}): {} went from {} to {} and {} from {} to {}").format(
        measure.name,
        measure.scale,
        track.participants,
        before_p,
        after_p,
        COMPARISON,
        before_c,
        after_c,
    )
    adjusted = effect.adjusted if effect is not None else None
    beside = Markup(" ") + check if check else Markup("")
    if adjusted is None or not adjusted.shown:
        return sentence + Markup(".") + beside
    # The raw comparison is in the table below, labelled: the sentence keeps to the adjusted.
    said = Markup("; adjusted {} {} {} ({}; {} {} answered before and after).").format(
        Markup('<a class="term" href="methodology.html#did">difference in differences</a>'),
        adjusted.value,
        measure.effect_words,
        adjusted.interval,
        effect.n_treated,
        track.participants,
    )
    return sentence + said + beside


def before_after_exhibit(ctx: ReportContext, track: Track, rows: dict) -> Exhibit:
    groups = [g for g in ("participant", "comparison") if g in rows]
    table = Table(
        "Mean scores of the people who answered a survey both before and after the program",
        [
            "Group",
            "Answered both",
            *(f"{m.name}: {when}" for m in MEASURES for when in ("before", "after")),
        ],
        [
            [
                capitalised(group_name(track, group)),
                rows[group].count("survey_n"),
                *(
                    survey_figure(rows[group], m, wave)
                    for m in MEASURES
                    for wave in ("baseline", "followup")
                ),
            ]
            for group in groups
        ],
    )
    panels = [
        BeforeAfter(
            f"{m.name}",
            [
                (
                    capitalised(group_name(track, group)),
                    PARTICIPANT if group == "participant" else COMPARISON_COLOUR,
                    survey_estimate(rows[group], m, "baseline"),
                    survey_estimate(rows[group], m, "followup"),
                )
                for group in groups
            ],
            m.tickformat,
            SCALES[m.column],
        )
        for m in MEASURES
    ]
    drawn = any(before.shown and after.shown for p in panels for _, _, before, after in p.groups)
    chart = None
    if drawn:
        chart = embed(
            ctx.chart_id(),
            before_after_chart(panels),
            f"Survey scores before and after the program: {track.title}",
        )
    return Exhibit(
        "Before and after, both groups",
        table,
        chart,
        note="Before: each person's latest survey on or before the program's start. After: "
        "their first survey on or after its end. Only people with both count.",
    )


def track_section(ctx: ReportContext, track: Track, outcomes, effects) -> Section:
    section = Section(track.title, track.anchor)
    rows = outcome_rows(ctx, outcomes, track)
    if not rows:
        section.unavailable = "No survey figures for this program yet."
        return section
    keys = track.effect_keys
    found = {
        m.effect: read_effect(ctx, effects, keys, m.effect, m.effect_unit)
        for m in MEASURES
        if effects is not None
    }
    placebo = placebo_row(ctx, track)
    section.findings += [
        measure_finding(track, rows, m, found.get(m.effect), placebo_check(track, placebo, m.noun))
        for m in MEASURES
    ]
    differ = next((why_they_differ(e, 0.0) for e in found.values() if why_they_differ(e, 0.0)), "")
    if differ:
        first = next(m.name for m in MEASURES if why_they_differ(found[m.effect], 0.0))
        section.findings.append(Markup("{}: {}").format(first, differ))
    section.exhibits.append(before_after_exhibit(ctx, track, rows))
    if found:
        section.exhibits.append(
            Exhibit(
                "Raw comparison and adjusted differences in differences",
                effects_table(
                    [(f"{m.name} ({m.effect_words})", found[m.effect]) for m in MEASURES], track
                ),
            )
        )
        section.notes += [n for e in found.values() for n in e.notes]
    return section


def career_section(ctx: ReportContext, waves: pd.DataFrame | None) -> Section:
    title, anchor = "Feeling alone in one's career, survey by survey", "career-loneliness"
    if waves is None:
        return not_available(title, anchor, [CAREER_LONELINESS])
    section = Section(title, anchor)
    if waves.empty:
        section.unavailable = "No survey has been scored yet."
        return section
    rows = [
        Row(CAREER_LONELINESS, values, ("wave",), ctx.suppression)
        for values in waves.sort_values(["wave_date", "wave"]).to_dict("records")
    ]
    shares = [row.share("career_lonely") for row in rows]
    benchmark = rows[-1].figure("industry_benchmark", PERCENT)
    latest, latest_share = rows[-1], shares[-1]
    if latest_share.shown:
        section.findings.append(
            Markup(
                "In the latest survey ({}, {}), {} of respondents felt alone in determining "
                "their career development ({}; {} respondents), against {} in an industry survey."
            ).format(
                latest["wave"],
                latest.figure("wave_date", "date"),
                latest_share.value,
                latest_share.interval,
                latest.count("career_lonely_n"),
                benchmark,
            )
        )
    chart = embed(
        ctx.chart_id(),
        bar_chart(
            [str(row["wave"]) for row in rows],
            [BarSeries("Feel alone in their career", PARTICIPANT, shares)],
            "Share agreeing",
            benchmark=(f"Industry survey: {benchmark.text}", benchmark.number)
            if benchmark.shown
            else None,
        ),
        "Share feeling alone in their career development, by survey",
    )
    table = Table(
        "Share agreeing or strongly agreeing, with 95% intervals",
        ["Survey", "Respondents", "Feel alone (95% CI)"],
        [
            [row["wave"], row.count("career_lonely_n"), compact(share)]
            for row, share in zip(rows, shares, strict=True)
        ],
    )
    section.exhibits.append(Exhibit("Feel alone in their career development", table, chart))
    return section


def build(ctx: ReportContext) -> dict:
    outcomes = ctx.reader.table(OUTCOMES)
    career = career_section(ctx, ctx.reader.table(CAREER_LONELINESS))
    climate = climate_section(ctx)
    if outcomes is None:
        unavailable = not_available(TITLE, "wellbeing", [OUTCOMES])
        return {"title": TITLE, "sections": [unavailable, career, climate]}
    effects = ctx.reader.table(EFFECTS)
    sections = [track_section(ctx, t, outcomes, effects) for t in ctx.tracks]
    return {"title": TITLE, "sections": [*sections, career, climate]}
