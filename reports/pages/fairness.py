"""Is the comparison fair? Balance of the pre-program covariates before and after weighting (a
Love plot), overlap of the groups' propensities, and the survey pre-trend placebo."""

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from reports.charts import ADJUSTED, COMPARISON, NAIVE, PARTICIPANT, _layout, embed, wrapped
from reports.context import ReportContext, Track
from reports.layout import Exhibit, Section, Table, not_available

TITLE = "Is the comparison fair?"
COVARIATE_BALANCE = "marts.covariate_balance"
STUDY_DIAGNOSTICS = "marts.study_diagnostics"
PROPENSITY_OVERLAP = "marts.propensity_overlap"
GROUP_NAMES = {"participant": "Participants", "comparison": "Comparable colleagues"}
BALANCE_THRESHOLD = 0.1
# More participants than this share outside the comparison group's propensity range: the
# program's participants have no comparable colleagues, and the page says so.
NO_OVERLAP_SHARE = 0.05
COVARIATE_NAMES = {
    "level_group": "Job level",
    "tenure_band": "Tenure",
    "performance_rating": "Performance rating",
    "performance_rating_missing": "Performance rating missing",
    "department": "Department",
    "gender": "Gender",
    "program_id": "Program",
}


def covariate_label(covariate: str, category: object) -> str:
    name = COVARIATE_NAMES.get(covariate, covariate)
    return f"{name}: {category}" if isinstance(category, str) and category else name


def love_plot(rows: pd.DataFrame) -> go.Figure:
    """Each covariate's |SMD| before (open) and after (filled) weighting, with the 0.1 line."""
    pairs = zip(rows["covariate"], rows["category"], strict=True)
    # Wrapped so that a long category from data never runs off a printed page; the table
    # beside the chart has every label whole.
    labels = [wrapped(covariate_label(c, g), width=30, lines=2) for c, g in pairs]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=rows["smd_before"].abs(),
            y=labels,
            mode="markers",
            name="Before weighting (raw comparison)",
            marker={"symbol": "circle-open", "size": 9, "color": NAIVE},
        )
    )
    figure.add_trace(
        go.Scatter(
            x=rows["smd_after"].abs(),
            y=labels,
            mode="markers",
            name="After weighting",
            marker={"symbol": "circle", "size": 9, "color": ADJUSTED},
        )
    )
    figure.add_vline(x=BALANCE_THRESHOLD, line_dash="dash", line_color="#52606d")
    return _layout(
        figure,
        height=max(300, 30 * len(rows) + 120),
        xaxis_title="Absolute standardised mean difference",
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"r": 24, "t": 48, "b": 56},
    )


def propensity_chart(bins: pd.DataFrame) -> go.Figure:
    """Each group's share of people per propensity bin, overlaid (hidden bins not drawn)."""
    figure = go.Figure()
    for group, colour in (("participant", PARTICIPANT), ("comparison", COMPARISON)):
        rows = bins.loc[bins["arm"] == group]
        figure.add_trace(
            go.Bar(
                x=(rows["bin_low"] + rows["bin_high"]) / 2,
                y=rows["share"],
                width=(rows["bin_high"] - rows["bin_low"]) * 0.95,
                name=GROUP_NAMES[group],
                marker={"color": colour},
                opacity=0.6,
            )
        )
    return _layout(
        figure,
        barmode="overlay",
        xaxis_title="Propensity (probability of joining, given the covariates)",
        yaxis_title="Share of the group",
        yaxis_tickformat=".0%",
    )


def propensity_exhibit(ctx: ReportContext, track: Track, overlap: pd.DataFrame) -> Exhibit | None:
    bins = overlap.loc[
        (overlap["program_id"] == track.program_id)
        & (overlap["relationship_type"] == track.relationship_type)
    ].copy()
    if bins.empty:
        return None
    totals = bins.groupby("arm")["people"].transform("sum")
    shown = [ctx.suppression.shows(int(n)) or int(n) == 0 for n in bins["people"]]
    bins["share"] = (bins["people"] / totals).where(shown)
    table_rows = []
    for (low, high), pair in bins.groupby(["bin_low", "bin_high"], sort=True):
        cells = []
        for group in ("participant", "comparison"):
            row = pair.loc[pair["arm"] == group]
            share = row["share"].iloc[0] if len(row) else None
            cells.append(f"hidden: fewer than {ctx.k} people" if pd.isna(share) else f"{share:.1%}")
        table_rows.append([f"{low:.2f}–{high:.2f}", *cells])
    table = Table(
        "Share of each group by propensity (bins with fewer than k people hidden)",
        ["Propensity", "Participants", "Comparable colleagues"],
        table_rows,
    )
    chart = embed(ctx.chart_id(), propensity_chart(bins), f"Propensity histogram, {track.title}")
    return Exhibit("Who was likely to join: the two groups' propensities", table, chart)


def overlap_sentence(track: Track, row: pd.Series) -> Markup:
    outside = row["share_outside_overlap"]
    if pd.isna(outside):
        return Markup("The overlap of {} and {} cannot be measured.").format(
            track.participants, "comparable colleagues"
        )
    if outside > NO_OVERLAP_SHARE:
        return Markup(
            "<strong>{:.0%} of {} have no comparable colleague</strong>: nobody in the "
            "comparison group was as likely to join as they were. The weighted estimates "
            "describe the others; for these people the data cannot say what the program did."
        ).format(outside, track.participants)
    if outside == 0:
        return Markup(
            "Every one of the {} has comparable colleagues (a propensity within the comparison "
            "group's range); after weighting, the comparison group counts as about {:,.0f} "
            "people."
        ).format(track.participants, row["effective_comparison_size"])
    return Markup(
        "Almost every one of the {} has comparable colleagues ({:.1%} outside the comparison "
        "group's range of propensities); after weighting, the comparison group counts as "
        "about {:,.0f} people."
    ).format(track.participants, outside, row["effective_comparison_size"])


def balance_sentence(rows: pd.DataFrame) -> Markup:
    worst = rows.loc[rows["smd_after"].abs().idxmax()]
    before = rows["smd_before"].abs().max()
    after = abs(worst["smd_after"])
    verdict = (
        "every covariate is within the usual mark of 0.1"
        if after <= BALANCE_THRESHOLD
        else Markup(
            "<strong>{}</strong> is still {:.2f} apart, above the usual mark of 0.1"
        ).format(covariate_label(worst["covariate"], worst["category"]), after)
    )
    return Markup(
        "Before weighting the largest standardised difference was {:.2f}; after it {}."
    ).format(before, verdict)


def placebo_sentence(row: pd.Series) -> Markup:
    if pd.isna(row["placebo_estimate"]):
        return Markup(
            "The survey pre-trend check could not be made: too few people answered two surveys "
            "before their time zero."
        )
    covers = row["placebo_ci_low"] <= 0 <= row["placebo_ci_high"]
    return Markup(
        "Pre-trend check: before the program, loneliness changed by {:+.2f} UCLA-3 points more "
        "among participants than among colleagues (95% CI {:+.2f} to {:+.2f}; {:,} people with "
        "two surveys before time zero). {}"
    ).format(
        row["placebo_estimate"],
        row["placebo_ci_low"],
        row["placebo_ci_high"],
        int(row["placebo_n"]),
        "The groups were on the same path, as a fair comparison needs."
        if covers
        else Markup(
            "<strong>They were already drifting apart</strong>: read the wellbeing "
            "differences with care."
        ),
    )


def track_section(ctx: ReportContext, track: Track, balance, diagnostics, overlap=None) -> Section:
    section = Section(track.title, f"fair-{track.anchor}")
    key = (diagnostics["program_id"] == track.program_id) & (
        diagnostics["relationship_type"] == track.relationship_type
    )
    if not key.any():
        section.unavailable = "No comparison was made for this program."
        return section
    row = diagnostics.loc[key].iloc[0]
    if not ctx.suppression.shows(int(row["participants"])):
        section.unavailable = f"Fewer than {ctx.k} participants: not shown."
        return section
    rows = balance.loc[
        (balance["program_id"] == track.program_id)
        & (balance["relationship_type"] == track.relationship_type)
    ].reset_index(drop=True)
    section.findings = [overlap_sentence(track, row)]
    if len(rows):
        section.findings.append(balance_sentence(rows))
    section.findings.append(placebo_sentence(row))
    if len(rows):
        table = Table(
            "Standardised mean differences of the pre-program covariates",
            ["Covariate", "Before weighting", "After weighting"],
            [
                [
                    covariate_label(r.covariate, r.category),
                    f"{r.smd_before:+.2f}",
                    f"{r.smd_after:+.2f}",
                ]
                for r in rows.itertuples()
            ],
        )
        chart = embed(
            ctx.chart_id(),
            love_plot(rows),
            f"Love plot of covariate balance for {track.title}",
        )
        section.exhibits.append(Exhibit("Balance before and after weighting", table, chart))
    if overlap is not None:
        exhibit = propensity_exhibit(ctx, track, overlap)
        if exhibit is not None:
            section.exhibits.append(exhibit)
    return section


def build(ctx: ReportContext) -> dict:
    balance = ctx.reader.table(COVARIATE_BALANCE)
    diagnostics = ctx.reader.table(STUDY_DIAGNOSTICS)
    if balance is None or diagnostics is None:
        return {
            "title": TITLE,
            "sections": [not_available(TITLE, "fair", [COVARIATE_BALANCE, STUDY_DIAGNOSTICS])],
        }
    if not ctx.tracks:
        return {"title": TITLE, "sections": [not_available(TITLE, "fair", ["staging.pairings"])]}
    overlap = ctx.reader.table(PROPENSITY_OVERLAP)
    sections = [track_section(ctx, track, balance, diagnostics, overlap) for track in ctx.tracks]
    return {"title": TITLE, "sections": sections}
