"""Equity: who gets a sponsor, who takes part, and do programs work alike for every group?"""

import numpy as np
import pandas as pd
from markupsafe import Markup

from reports.charts import COMPARISON as COMPARISON_COLOUR
from reports.charts import PARTICIPANT, BarSeries, ForestRow, bar_chart, embed, forest_chart
from reports.context import COMPARISON, ReportContext, Track
from reports.figures import COUNT, PERCENT, POINTS, RATIO, Estimate, Figure, Row, plain
from reports.layout import Exhibit, Section, Table, not_available
from reports.pages.common import (
    EFFECTS_BY_SUBGROUP,
    OUTCOME_KEYS,
    OUTCOMES,
    SUBGROUP_EFFECTS,
    Effect,
    capitalised,
    compact,
    km_estimate,
    of_track,
    read_effect,
)
from stats.proportions import wilson_interval

TITLE = "Equity"
SPONSORSHIP_ACCESS = "marts.sponsorship_access"
DIM_EMPLOYEE = "marts.dim_employee"
DIMENSIONS = ("gender", "ethnicity")
HOLM = (
    "p-values are Holm-adjusted across the subgroups of each program, outcome and method: "
    "testing many subgroups makes a small p-value likely somewhere by chance alone."
)
TAKES_PART = "is_mentee OR is_protege OR has_ally OR is_coachee"
SUBGROUP_HAZARD = "voluntary_exit_hr"
SIGNIFICANCE = 0.05


def subgroup_label(subgroup: str) -> str:
    """'gender=Woman' → 'Gender: Woman'."""
    dimension, _, category = subgroup.partition("=")
    return f"{capitalised(dimension)}: {category}" if category else subgroup


def breakdown_rows(
    ctx: ReportContext,
    frame: pd.DataFrame,
    table: str,
    key_columns: tuple[str, ...],
    n_column: str,
    breakdown: str,
) -> list[Row]:
    """Rows that are parts of one shown total, with complementary suppression on `n_column`."""
    records = frame.to_dict("records")
    reasons = ctx.suppression.breakdown([int(r[n_column]) for r in records])
    return [
        Row(table, record, key_columns, ctx.suppression, hidden, breakdown)
        for record, hidden in zip(records, reasons, strict=True)
    ]


def range_finding(dimension: str, rows: list[Row], shares: list[Estimate], what: str) -> Markup:
    shown = [
        (row["category"], share) for row, share in zip(rows, shares, strict=True) if share.shown
    ]
    if len(shown) < 2:
        return Markup("")
    low = min(shown, key=lambda item: item[1].value.number)
    high = max(shown, key=lambda item: item[1].value.number)
    return Markup("By {}, the share {} ranges from {} ({}; {}) to {} ({}; {}).").format(
        dimension,
        what,
        low[1].value,
        low[0],
        low[1].interval,
        high[1].value,
        high[0],
        high[1].interval,
    )


def access_section(ctx: ReportContext, access: pd.DataFrame | None) -> Section:
    title, anchor = "Who has a sponsor", "sponsorship-access"
    if access is None:
        return not_available(title, anchor, [SPONSORSHIP_ACCESS])
    section = Section(title, anchor)
    everyone = access.loc[access["dimension"] == "all"]
    if everyone.empty:
        section.unavailable = "No one is employed on the as-of date."
        return section
    keys = ("dimension", "category")
    total = Row(SPONSORSHIP_ACCESS, everyone.iloc[0].to_dict(), keys, ctx.suppression)
    now, ever = total.share("sponsored_now"), total.share("ever_sponsored")
    if now.shown:
        section.findings.append(
            Markup(
                "{} of the {} people employed on {} have a sponsor now ({}); {} have ever had "
                "one ({})."
            ).format(
                now.value,
                total.count("sponsored_now_n"),
                ctx.as_of,
                now.interval,
                ever.value,
                ever.interval,
            )
        )
    for dimension in DIMENSIONS:
        parts = access.loc[access["dimension"] == dimension].sort_values("category")
        if parts.empty:
            continue
        rows = breakdown_rows(
            ctx, parts, SPONSORSHIP_ACCESS, keys, "sponsored_now_n", f"access-{dimension}"
        )
        now_shares = [row.share("sponsored_now") for row in rows]
        ever_shares = [row.share("ever_sponsored") for row in rows]
        section.findings.append(range_finding(dimension, rows, now_shares, "with a sponsor now"))
        chart = embed(
            ctx.chart_id(),
            bar_chart(
                [row["category"] for row in rows],
                [
                    BarSeries("Sponsor now", PARTICIPANT, now_shares),
                    BarSeries("Ever had a sponsor", COMPARISON_COLOUR, ever_shares),
                ],
                "Share of employees",
            ),
            f"Share with a sponsor by {dimension}",
        )
        table = Table(
            f"Employed on the as-of date, by {dimension}, with 95% intervals",
            [capitalised(dimension), "Employees", "Sponsor now", "Ever had a sponsor"],
            [
                [row["category"], row.count("sponsored_now_n"), compact(now), compact(ever)]
                for row, now, ever in zip(rows, now_shares, ever_shares, strict=True)
            ]
            + [["Everyone", total.count("sponsored_now_n"), compact(now), compact(ever)]],
        )
        section.exhibits.append(Exhibit(f"Sponsorship by {dimension}", table, chart))
    return section


def subgroup_outcome_exhibit(
    ctx: ReportContext, track: Track, outcomes: pd.DataFrame
) -> Exhibit | None:
    rows = of_track(outcomes, track)
    by_group: dict[str, dict[str, Row]] = {"participant": {}, "comparison": {}}
    for group in by_group:
        for dimension in DIMENSIONS:
            parts = rows.loc[
                (rows["arm"] == group) & rows["subgroup"].str.startswith(f"{dimension}=")
            ].sort_values("subgroup")
            for row in breakdown_rows(
                ctx, parts, OUTCOMES, OUTCOME_KEYS, "n", f"{track.anchor}-{group}-{dimension}"
            ):
                by_group[group][row["subgroup"]] = row
    subgroups = sorted(
        set(by_group["participant"]) | set(by_group["comparison"]),
        key=lambda s: (DIMENSIONS.index(s.partition("=")[0]), s),
    )
    if not subgroups:
        return None

    def figures(group: str, subgroup: str) -> list:
        row = by_group[group].get(subgroup)
        if row is None:
            return ["", "", ""]
        return [
            row.count("n"),
            compact(km_estimate(row, "retention_12m")),
            compact(km_estimate(row, "promoted_12m")),
        ]

    def retention(group: str) -> list[Estimate]:
        missing = Figure(None, PERCENT)
        return [
            km_estimate(by_group[group][s], "retention_12m")
            if s in by_group[group]
            else Estimate(missing, missing, missing)
            for s in subgroups
        ]

    labels = [subgroup_label(s) for s in subgroups]
    chart = embed(
        ctx.chart_id(),
        bar_chart(
            labels,
            [
                BarSeries(capitalised(track.participants), PARTICIPANT, retention("participant")),
                BarSeries(capitalised(COMPARISON), COMPARISON_COLOUR, retention("comparison")),
            ],
            "12-month voluntary retention",
        ),
        f"12-month voluntary retention by gender and ethnicity: {track.title}",
    )
    table = Table(
        "12-month voluntary retention and share promoted by 12 months, with 95% intervals",
        [
            "Subgroup",
            capitalised(track.participants),
            "Retention",
            "Promoted",
            capitalised(COMPARISON),
            "Retention",
            "Promoted",
        ],
        [
            [label, *figures("participant", s), *figures("comparison", s)]
            for label, s in zip(labels, subgroups, strict=True)
        ],
    )
    return Exhibit("Outcomes by gender and ethnicity", table, chart)


def subgroup_effects(
    ctx: ReportContext,
    track: Track,
    effects: pd.DataFrame,
    outcome: str = SUBGROUP_HAZARD,
    unit: str = RATIO,
) -> list[tuple[str, Effect]]:
    """Each subgroup's effect on `outcome`. The arms of a subgroup are parts of the program's
    arms, so each dimension's subgroups are suppressed as breakdowns of both arms."""
    rows = of_track(effects, track)
    rows = rows.loc[rows["outcome"] == outcome]
    # One row per subgroup: the adjusted one (the only method some warehouses hold).
    method = "adjusted" if (rows["method"] == "adjusted").any() else "naive"
    rows = rows.loc[rows["method"] == method]
    found = []
    for dimension in DIMENSIONS:
        parts = rows.loc[rows["subgroup"].str.startswith(f"{dimension}=")].sort_values("subgroup")
        treated = ctx.suppression.breakdown([int(n) for n in parts["n_treated"]])
        control = ctx.suppression.breakdown([int(n) for n in parts["n_control"]])
        for subgroup, hidden_treated, hidden_control in zip(
            parts["subgroup"], treated, control, strict=True
        ):
            effect = read_effect(
                ctx,
                of_track(effects, track),
                {"subgroup": subgroup},
                outcome,
                unit,
                SUBGROUP_EFFECTS,
                arms_hidden=(hidden_treated, hidden_control),
                breakdown=f"{track.anchor}-effects-{outcome}-{dimension}",
            )
            found.append((subgroup, effect))
    return found


# Outcomes shown by subgroup: code, unit, x-axis title, null, words for a finding.
SUBGROUP_OUTCOMES = (
    ("retention_12m_diff", POINTS, "12-month retention difference (percentage points)", 0.0),
    (SUBGROUP_HAZARD, RATIO, "Hazard ratio of leaving voluntarily (log scale)", 1.0),
)


def interaction_finding(
    ctx: ReportContext, track: Track, effects: pd.DataFrame, outcome: str, name: str
) -> list[Markup]:
    """Whether the effect differs between a dimension's categories, in words (read only when
    the warehouse has `p_interaction`)."""
    if "p_interaction" not in effects.columns:
        return []
    rows = of_track(effects, track)
    rows = rows.loc[(rows["outcome"] == outcome) & (rows["method"] == "adjusted")]
    said = []
    for dimension in DIMENSIONS:
        values = rows.loc[rows["subgroup"].str.startswith(f"{dimension}="), "p_interaction"]
        values = [plain(v) for v in values if plain(v) is not None]
        if not values:
            continue
        p = values[0]
        words = (
            "the effect differs between them"
            if p < SIGNIFICANCE
            else "no clear evidence that the effect differs between them"
        )
        said.append(
            Markup('{} by {}: {} (<a class="term" href="{}">interaction test</a> p = {}).').format(
                capitalised(name), dimension, words, "methodology.html#interaction", _p_text(p)
            )
        )
    return said


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def subgroup_effect_exhibit(
    ctx: ReportContext,
    track: Track,
    effects: pd.DataFrame,
    outcome: str = SUBGROUP_HAZARD,
    unit: str = RATIO,
    x_title: str = "Hazard ratio of leaving voluntarily (log scale)",
    null: float = 1.0,
) -> tuple[Exhibit, list[Markup]] | None:
    from reports.verdicts import BY_CODE, UNCLEAR, badge, verdict_of

    found = subgroup_effects(ctx, track, effects, outcome, unit)
    if not found:
        return None
    name = BY_CODE[outcome].name if outcome in BY_CODE else outcome
    what = {
        "retention_12m_diff": "first-year retention",
        SUBGROUP_HAZARD: "leaving voluntarily",
    }.get(outcome, name.lower())
    forest_rows, table_rows, findings = [], [], []
    for subgroup, effect in found:
        label = subgroup_label(subgroup)
        forest_rows.append(ForestRow(label, None, effect.adjusted))
        verdict = verdict_of(effect.adjusted, BY_CODE[outcome])
        p = effect.adjusted_p
        if verdict.code in ("helps", "harms") and not (p and p.shown and p.value < SIGNIFICANCE):
            # Many groups are tested: a verdict needs the Holm-adjusted p-value under 5% too.
            verdict = UNCLEAR
        table_rows.append(
            [
                label,
                badge(verdict),
                compact(effect.adjusted),
                effect.adjusted_p or "",
                effect.n_treated or "",
                effect.n_control or "",
            ]
        )
        p = effect.adjusted_p
        if p is not None and p.shown and p.value < SIGNIFICANCE and effect.adjusted.shown:
            findings.append(
                Markup("{}: {} ({}: {}{}, {}; Holm-adjusted p = {}; {} {}).").format(
                    label,
                    verdict.text,
                    what if unit == POINTS else f"hazard ratio of {what}",
                    effect.adjusted.value,
                    " percentage points" if unit == POINTS else "",
                    effect.adjusted.interval,
                    p,
                    effect.n_treated,
                    track.participants,
                )
            )
    if not findings:
        findings.append(
            Markup(
                "After Holm adjustment, no group's effect on {} is distinguishable from no "
                "effect at the 5% level."
            ).format(what)
        )
    findings += interaction_finding(ctx, track, effects, outcome, what)
    chart = None
    if any(r.adjusted is not None and r.adjusted.shown for r in forest_rows):
        chart = embed(
            ctx.chart_id(),
            forest_chart(forest_rows, x_title, null, log_x=null == 1.0),
            f"Forest plot of the effect on {what} by subgroup: {track.title}",
        )
    table = Table(
        Markup(
            "Adjusted effect on {} within each group. A verdict of help or harm needs the "
            "Holm-adjusted p-value under 0.05 as well as the interval. {}"
        ).format(what, HOLM),
        [
            "Group",
            "Verdict",
            "Adjusted (95% CI)",
            "Holm-adjusted p",
            capitalised(track.participants),
            capitalised(COMPARISON),
        ],
        table_rows,
        numeric_from=2,
    )
    return Exhibit(f"Effect on {what}, by group", table, chart), findings


def track_section(ctx: ReportContext, track: Track, outcomes, effects) -> Section:
    section = Section(track.title, track.anchor)
    if outcomes is not None:
        exhibit = subgroup_outcome_exhibit(ctx, track, outcomes)
        if exhibit is not None:
            section.exhibits.append(exhibit)
    if effects is not None:
        for outcome, unit, x_title, null in SUBGROUP_OUTCOMES:
            found = subgroup_effect_exhibit(ctx, track, effects, outcome, unit, x_title, null)
            if found is not None:
                exhibit, findings = found
                section.exhibits.append(exhibit)
                section.findings += findings
    if not section.exhibits:
        section.unavailable = (
            f"Not available yet: the warehouse has no {OUTCOMES} or {EFFECTS_BY_SUBGROUP}."
        )
    return section


PARTICIPATION_SQL = f"""
SELECT department, count(*) AS employees, count(*) FILTER (WHERE {TAKES_PART}) AS taking_part
FROM {DIM_EMPLOYEE} WHERE is_employed
GROUP BY department ORDER BY department NULLS LAST
"""
EMPLOYED = ("is_employed", True)
# How the pages' figures are read back from marts.dim_employee (see reports.audit).
EMPLOYEES = "count(*)"
TAKING_PART_SHARE = f"avg(CASE WHEN {TAKES_PART} THEN 1.0 ELSE 0.0 END)"
TAKING_PART_PARTS = (
    f"count(*) FILTER (WHERE {TAKES_PART})|count(*) FILTER (WHERE NOT ({TAKES_PART}))"
)


def department_figures(
    ctx: ReportContext, record: dict, low: float, high: float, hidden: str | None
) -> tuple[Figure, Estimate]:
    """(employees, share taking part) of one department; the interval is Wilson's, computed
    here from the two counts."""
    key = (("department", plain(record["department"])), EMPLOYED)
    employees, taking_part = int(record["employees"]), int(record["taking_part"])
    share_hidden = hidden or ctx.suppression.share(taking_part, employees)

    def figure(value: float, column: str | None, reason: str | None, unit: str) -> Figure:
        return Figure(
            None if reason else value,
            unit,
            DIM_EMPLOYEE if column else None,
            column,
            key,
            EMPLOYEES,
            reason,
            ctx.k,
            "departments",
            TAKING_PART_PARTS if unit == PERCENT else None,
        )

    return figure(employees, EMPLOYEES, hidden, COUNT), Estimate(
        figure(taking_part / employees, TAKING_PART_SHARE, share_hidden, PERCENT),
        figure(low, None, share_hidden, PERCENT),
        figure(high, None, share_hidden, PERCENT),
    )


def participation_section(ctx: ReportContext) -> Section:
    title, anchor = "Who takes part, by department", "participation"
    frame = ctx.reader.query(PARTICIPATION_SQL, [DIM_EMPLOYEE])
    if frame is None:
        return not_available(title, anchor, [DIM_EMPLOYEE])
    section = Section(title, anchor)
    if frame.empty:
        section.unavailable = "No one is employed on the as-of date."
        return section
    reasons = ctx.suppression.breakdown([int(n) for n in frame["employees"]])
    lows, highs = (
        np.atleast_1d(bound)
        for bound in wilson_interval(frame["taking_part"].to_numpy(), frame["employees"].to_numpy())
    )
    names, shares, rows = [], [], []
    for record, low, high, hidden in zip(
        frame.to_dict("records"), lows, highs, reasons, strict=True
    ):
        employees, share = department_figures(ctx, record, float(low), float(high), hidden)
        name = plain(record["department"]) or "not recorded"
        names.append(name)
        shares.append(share)
        rows.append([name, employees, compact(share)])
    everyone = Figure(
        int(frame["employees"].sum()),
        COUNT,
        DIM_EMPLOYEE,
        EMPLOYEES,
        (EMPLOYED,),
        EMPLOYEES,
        k=ctx.k,
    )
    rows.append(["Everyone", everyone, ""])
    chart = embed(
        ctx.chart_id(),
        bar_chart(
            names, [BarSeries("Take part in a program", PARTICIPANT, shares)], "Share of employees"
        ),
        "Share of employees taking part in a program, by department",
    )
    table = Table(
        "Employees on the as-of date who are the participant of any pairing (mentee, protégé, "
        "supported colleague or coachee), with 95% intervals",
        ["Department", "Employees", "Take part"],
        rows,
    )
    section.findings.append(
        Markup(
            "Of the {} people employed on {}, the share taking part in a program differs by "
            "department as below."
        ).format(everyone, ctx.as_of)
    )
    section.exhibits.append(Exhibit("Participation by department", table, chart))
    return section


def build(ctx: ReportContext) -> dict:
    outcomes = ctx.reader.table(OUTCOMES)
    effects = ctx.reader.table(EFFECTS_BY_SUBGROUP)
    sections = [
        access_section(ctx, ctx.reader.table(SPONSORSHIP_ACCESS)),
        participation_section(ctx),
    ]
    sections += [track_section(ctx, track, outcomes, effects) for track in ctx.tracks]
    return {"title": TITLE, "sections": sections, "holm": HOLM}
