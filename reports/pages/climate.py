"""Wellbeing beyond loneliness: eNPS, psychological safety and sponsorship access ("someone
senior advocates for me"), survey by survey, for people in a program and everyone else.

Every figure is read back by reports.audit from `marts.fct_survey_score` with the SQL that
makes it (a wave's rows, filtered to the group), so the expressions below hold no commas.
"""

from markupsafe import Markup

from reports.charts import embed, likert_chart
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
# The 1–5 agreement items in three bands, as survey platforms show them: the flags
# `<item>_fav`, `<item>_neutral` and `<item>_unfav` of `marts.fct_survey_score`.
AGREEMENT_BANDS = (
    ("Favourable (4–5)", "fav", "#009E73"),
    ("Neutral (3)", "neutral", "#9aa5b1"),
    ("Unfavourable (1–2)", "unfav", "#D55E00"),
)
AGREEMENT = (
    ("psych_safety", "Psychological safety: “I can speak up here without fear”"),
    ("has_advocate", "Sponsorship access: “Someone senior actively advocates for me”"),
)
# Every column the section reads, so an older warehouse reads as not available, not a crash.
COLUMNS = (
    "wave",
    "wave_date",
    "employee_id",
    "enps",
    *(f"{item}_{band}" for item, _ in AGREEMENT for _, band, _ in AGREEMENT_BANDS),
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


def _has_columns(ctx: ReportContext) -> bool:
    schema, table = SCORES.split(".")
    found = ctx.reader.query(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [SCORES],
        [schema, table],
    )
    return found is not None and set(COLUMNS) <= set(found["column_name"])


def _band_counts(ctx: ReportContext, answered: str, bands) -> dict:
    """(wave, group condition) -> (the people of the group who answered, how many of them fall
    in each band). One scan: each row's group is found once, not once per count."""
    counts = ", ".join(f"count(*) FILTER (WHERE {c})" for c in bands)
    frame = ctx.reader.query(
        f"SELECT wave, in_program, count({answered}), {counts} "
        f"FROM (SELECT *, {IN_PROGRAM} AS in_program FROM {SCORES}) "
        "WHERE in_program IS NOT NULL GROUP BY ALL",
        [SCORES],
    )
    group_of = {True: GROUPS[0][1], False: GROUPS[1][1]}
    return {
        (str(wave), group_of[bool(in_program)]): (int(n), [int(c) for c in cs])
        for wave, in_program, n, *cs in frame.itertuples(index=False)
    }


def _band_shares(ctx, wave, group, answered, bands, counted, intervals=False):
    """One wave and group: (respondents, each band's share) over the people who answered;
    `counted` is `_band_counts` of the item.

    The bands are the parts of the respondents: a band under k is hidden, and another with it
    when the hidden ones together would be fewer than k (`Suppression.breakdown`)."""
    n_column = f"count({answered}) FILTER (WHERE {group})"
    n, counts = counted.get((wave, group), (0, [0] * len(bands)))
    reasons = ctx.suppression.breakdown(counts) if ctx.suppression.shows(n) else [SMALL] * 3
    reasons = [FEW_WITH if r == SMALL and ctx.suppression.shows(n) else r for r in reasons]
    shares = []
    for condition, count, reason in zip(bands, counts, reasons, strict=True):
        column = (
            f"avg(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END) "
            f"FILTER (WHERE {answered} IS NOT NULL AND {group})"
        )
        parts = f"{_count(condition, group)}|{_count(f'NOT ({condition})', group)}"
        figure = _figure(
            ctx, wave, count / n if n else None, column, PERCENT, n_column, reason, parts
        )
        if intervals:
            low, high = (float(b) for b in wilson_interval(count, max(n, 1)))
            figure = Estimate(
                figure,
                Figure(None if reason else low, PERCENT, hidden=reason, k=ctx.k),
                Figure(None if reason else high, PERCENT, hidden=reason, k=ctx.k),
            )
        shares.append(figure)
    people = _figure(ctx, wave, n, n_column, COUNT, n_column, ctx.suppression.cell(n))
    return n_column, n, counts, reasons, people, shares


def enps_exhibit(ctx: ReportContext, waves) -> Exhibit:
    labels, segments, rows = [], [[] for _ in ENPS_PARTS], []
    bands = [c for _, c, _ in ENPS_PARTS]
    counted = _band_counts(ctx, "enps", bands)
    for wave, _ in waves:
        for name, group in GROUPS:
            n_column, n, counts, reasons, people, shares = _band_shares(
                ctx, wave, group, "enps", bands, counted
            )
            for segment, figure in zip(segments, shares, strict=True):
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


def agreement_exhibit(ctx: ReportContext, waves, item: str, title: str) -> Exhibit:
    """Favourable / neutral / unfavourable answers to one 1–5 item, by survey and group."""
    labels, segments, rows = [], [[] for _ in AGREEMENT_BANDS], []
    bands = [f"{item}_{band}" for _, band, _ in AGREEMENT_BANDS]
    answered = f"{item}_fav"
    counted = _band_counts(ctx, answered, bands)
    for wave, _ in waves:
        for name, group in GROUPS:
            *_, people, shares = _band_shares(
                ctx, wave, group, answered, bands, counted, intervals=True
            )
            for segment, estimate in zip(segments, shares, strict=True):
                segment.append(estimate.value)
            labels.append(f"{wave}: {name}")
            rows.append([wave, name, people, *(Markup("{}").format(e) for e in shares)])
    chart = embed(
        ctx.chart_id(),
        likert_chart(
            labels,
            [(p, c, s) for (p, _, c), s in zip(AGREEMENT_BANDS, segments, strict=True)],
        ),
        f"{title}: favourable, neutral and unfavourable answers by survey and group",
    )
    table = Table(
        "Share answering 4 or 5 (agree), 3 (neither) and 1 or 2 (disagree) on a 5-point "
        "scale, with 95% intervals, among those who answered the question",
        ["Survey", "Group", "Respondents", *(p for p, _, _ in AGREEMENT_BANDS)],
        rows,
        numeric_from=2,
    )
    return Exhibit(title, table, chart)


def climate_section(ctx: ReportContext) -> Section:
    title, anchor = "Recommending, speaking up and having an advocate", "climate"
    if not ctx.reader.has(SCORES, DIM_EMPLOYEE):
        return not_available(title, anchor, [SCORES, DIM_EMPLOYEE])
    if not _has_columns(ctx):
        return Section(
            title,
            anchor,
            unavailable=f"Not available yet: this warehouse's {SCORES} predates the "
            "neutral and unfavourable answers; the next pipeline run adds them.",
        )
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
    for item, name in AGREEMENT:
        section.exhibits.append(agreement_exhibit(ctx, waves, item, name))
    return section
