"""Wellbeing beyond loneliness: eNPS, psychological safety and sponsorship access ("someone
senior advocates for me"), survey by survey, for people in a program and everyone else.

Every figure is read back by reports.audit from `marts.fct_survey_score` with the SQL that
makes it (a wave's rows, filtered to the group), so the expressions below hold no commas.
"""

from markupsafe import Markup

from reports.charts import COMPARISON as COMPARISON_COLOUR
from reports.charts import PARTICIPANT, BarSeries, bar_chart, embed, likert_chart
from reports.context import ReportContext
from reports.figures import COUNT, PERCENT, POINTS, Estimate, Figure, plain
from reports.layout import Exhibit, Section, Table, not_available
from reports.suppression import FEW_WITH, SMALL
from stats.proportions import wilson_interval

SCORES = "marts.fct_survey_score"
DIM_EMPLOYEE = "marts.dim_employee"
IN_PROGRAM = (
    f"employee_id IN (SELECT employee_id FROM {DIM_EMPLOYEE} "
    "WHERE is_mentee OR is_protege OR has_ally OR is_coachee)"
)
GROUPS = (("in a program", IN_PROGRAM), ("everyone else", f"NOT ({IN_PROGRAM})"))
ENPS_PARTS = (
    ("Promoters (9–10)", "enps >= 9", "#009E73"),
    ("Passives (7–8)", "enps BETWEEN 7 AND 8", "#9aa5b1"),
    ("Detractors (0–6)", "enps <= 6", "#D55E00"),
)
FAVOURABLE = (
    ("psych_safety_fav", "Psychological safety: favourable (4–5)"),
    ("has_advocate_fav", "“Someone senior advocates for me”: favourable (4–5)"),
)


def _count(condition: str, group: str) -> str:
    return f"count(*) FILTER (WHERE {condition} AND {group})"


def _figure(ctx, wave, value, column, unit, n_column, hidden=None, parts=None) -> Figure:
    return Figure(
        None if hidden else value,
        unit,
        SCORES,
        column,
        (("wave", wave),),
        n_column,
        hidden,
        ctx.k,
        None,
        parts,
    )


def _waves(ctx: ReportContext) -> list[tuple[str, object]]:
    frame = ctx.reader.query(
        f"SELECT wave, min(wave_date) AS wave_date FROM {SCORES} GROUP BY wave "
        "ORDER BY wave_date, wave",
        [SCORES],
    )
    return [] if frame is None else [(str(w), plain(d)) for w, d in frame.itertuples(index=False)]


def _value(ctx: ReportContext, expression: str, wave: str) -> float | None:
    return plain(
        ctx.reader.value(f"SELECT {expression} FROM {SCORES} WHERE wave = ?", [SCORES], [wave])
    )


def enps_exhibit(ctx: ReportContext, waves) -> Exhibit:
    labels, segments, rows = [], [[] for _ in ENPS_PARTS], []
    for wave, _ in waves:
        for name, group in GROUPS:
            n_column = f"count(enps) FILTER (WHERE {group})"
            n = int(_value(ctx, n_column, wave) or 0)
            counts = [int(_value(ctx, _count(c, group), wave) or 0) for _, c, _ in ENPS_PARTS]
            reasons = ctx.suppression.breakdown(counts) if ctx.suppression.shows(n) else [SMALL] * 3
            reasons = [FEW_WITH if r == SMALL and ctx.suppression.shows(n) else r for r in reasons]
            shares = []
            for (_, condition, _), count, reason, segment in zip(
                ENPS_PARTS, counts, reasons, segments, strict=True
            ):
                column = (
                    f"avg(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END) "
                    f"FILTER (WHERE enps IS NOT NULL AND {group})"
                )
                parts = f"{_count(condition, group)}|{_count(f'NOT ({condition})', group)}"
                figure = _figure(
                    ctx, wave, count / n if n else None, column, PERCENT, n_column, reason, parts
                )
                shares.append(figure)
                segment.append(figure)
            enps_hidden = next((r for r in reasons if r), None)
            enps = _figure(
                ctx,
                wave,
                100.0 * (counts[0] - counts[2]) / n if n else None,
                f"100.0 * ({_count('enps >= 9', group)} - {_count('enps <= 6', group)}) / "
                f"count(enps) FILTER (WHERE {group})",
                POINTS,
                n_column,
                enps_hidden,
            )
            people = _figure(ctx, wave, n, n_column, COUNT, n_column, ctx.suppression.cell(n))
            labels.append(f"{wave}: {name}")
            rows.append([wave, name, people, *shares, enps])
    chart = embed(
        ctx.chart_id(),
        likert_chart(
            labels, [(p, c, s) for (p, _, c), s in zip(ENPS_PARTS, segments, strict=True)]
        ),
        "eNPS answers by survey and group: promoters, passives and detractors",
    )
    table = Table(
        "How likely respondents are to recommend the organisation as a place to work (0–10). "
        "eNPS = % promoters − % detractors, from −100 to 100",
        ["Survey", "Group", "Respondents", *(p for p, _, _ in ENPS_PARTS), "eNPS"],
        rows,
        numeric_from=2,
    )
    return Exhibit("eNPS: would recommend working here", table, chart)


def favourable_exhibit(ctx: ReportContext, waves, column: str, title: str) -> Exhibit:
    series = {name: [] for name, _ in GROUPS}
    rows = []
    for wave, _ in waves:
        row = [wave]
        for name, group in GROUPS:
            n_column = f"count({column}) FILTER (WHERE {group})"
            n = int(_value(ctx, n_column, wave) or 0)
            yes = int(_value(ctx, _count(column, group), wave) or 0)
            hidden = ctx.suppression.share(yes, n)
            low, high = (float(b) for b in wilson_interval(yes, max(n, 1)))
            share_column = (
                f"avg(CASE WHEN {column} THEN 1.0 ELSE 0.0 END) "
                f"FILTER (WHERE {column} IS NOT NULL AND {group})"
            )
            parts = f"{_count(column, group)}|{_count(f'NOT {column}', group)}"
            estimate = Estimate(
                _figure(
                    ctx,
                    wave,
                    yes / n if n else None,
                    share_column,
                    PERCENT,
                    n_column,
                    hidden,
                    parts,
                ),
                Figure(None if hidden else low, PERCENT, hidden=hidden, k=ctx.k),
                Figure(None if hidden else high, PERCENT, hidden=hidden, k=ctx.k),
            )
            series[name].append(estimate)
            people = _figure(ctx, wave, n, n_column, COUNT, n_column, ctx.suppression.cell(n))
            row += [people, Markup("{}").format(estimate)]
        rows.append(row)
    colours = (PARTICIPANT, COMPARISON_COLOUR)
    chart = embed(
        ctx.chart_id(),
        bar_chart(
            [w for w, _ in waves],
            [
                BarSeries(f"People {name}", colour, series[name])
                for (name, _), colour in zip(GROUPS, colours, strict=True)
            ],
            "Share answering favourably (4 or 5 of 5)",
        ),
        f"{title}, by survey and group",
    )
    table = Table(
        "Share answering 4 or 5 on a 5-point scale, with 95% intervals. The warehouse keeps "
        "favourable or not: neutral and unfavourable answers are counted together",
        ["Survey", "In a program", "Favourable", "Everyone else", "Favourable"],
        rows,
    )
    return Exhibit(title, table, chart)


def climate_section(ctx: ReportContext) -> Section:
    title, anchor = "Recommending, speaking up and having an advocate", "climate"
    if not ctx.reader.has(SCORES, DIM_EMPLOYEE):
        return not_available(title, anchor, [SCORES, DIM_EMPLOYEE])
    waves = _waves(ctx)
    section = Section(title, anchor)
    if not waves:
        section.unavailable = "No survey has been scored yet."
        return section
    section.findings.append(
        Markup(
            "Survey by survey, people who take part in any program (as mentee, protégé, "
            "supported colleague or coachee on the as-of date) beside everyone else who "
            "answered. These are descriptions, not effects: people who join a program may "
            "differ from those who do not."
        )
    )
    section.exhibits.append(enps_exhibit(ctx, waves))
    for column, name in FAVOURABLE:
        section.exhibits.append(favourable_exhibit(ctx, waves, column, name))
    return section
