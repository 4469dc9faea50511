"""Program health: are pairs meeting, completing milestones and earning certificates?"""

import pandas as pd
from markupsafe import Markup

from reports.charts import embed, funnel_chart
from reports.context import ReportContext, Track
from reports.figures import COUNT, RATE, Figure, Row
from reports.layout import Exhibit, Section, Table, not_available
from reports.pages.common import compact, of_track

TITLE = "Program health"
PROGRAM_HEALTH = "marts.program_health"
FCT_PAIRING = "marts.fct_pairing"
HEALTH_KEYS = ("program_id", "relationship_type")

# The funnel's stages, each a subset of the one before, counted in marts.fct_pairing.
FUNNEL = (
    ("Matched", "count(*)"),
    ("Met at least once", "count(*) FILTER (WHERE meetings_completed > 0)"),
    (
        "Completed a milestone",
        "count(*) FILTER (WHERE meetings_completed > 0 AND milestones_completed > 0)",
    ),
    (
        "Eligible for the certificate",
        "count(*) FILTER (WHERE meetings_completed > 0 AND milestones_completed > 0 "
        "AND certificate_eligible)",
    ),
)

# Shares of pairings (their own n) and of scheduled meetings or planned milestones (hidden
# with the program's pairings, since those describe the same few people).
PAIRING_SHARES = (
    ("activation_rate", "Met within 60 days of starting", "pairings whose 60 days have passed"),
    ("certificate_eligible_rate", "Eligible for the certificate", "pairings"),
    ("rematch_rate", "Ended in a rematch", "pairings"),
    ("withdrawal_rate", "Ended in a withdrawal", "pairings"),
)
ACTIVITY_SHARES = (
    ("milestone_completion_rate", "Planned milestones completed", "planned milestones"),
    ("cancellation_rate", "Meetings cancelled in time", "scheduled meetings"),
    ("late_cancellation_rate", "Meetings cancelled late", "scheduled meetings"),
    ("no_show_rate", "Meetings with a no-show", "scheduled meetings"),
)


def funnel_figures(ctx: ReportContext, track: Track) -> list[Figure] | None:
    counts = ctx.reader.query(
        f"SELECT {', '.join(expression for _, expression in FUNNEL)} FROM {FCT_PAIRING} "
        "WHERE program_id = ? AND relationship_type = ?",
        [FCT_PAIRING],
        [track.program_id, track.relationship_type],
    )
    if counts is None:
        return None
    values = [int(v) for v in counts.iloc[0]]
    key = (("program_id", track.program_id), ("relationship_type", track.relationship_type))
    return [
        Figure(
            None if hidden else value,
            COUNT,
            FCT_PAIRING,
            expression,
            key,
            n_column=expression,
            hidden=hidden,
            k=ctx.k,
        )
        for (_, expression), value, hidden in zip(
            FUNNEL, values, ctx.suppression.nested(values), strict=True
        )
    ]


def funnel_exhibit(ctx: ReportContext, track: Track) -> Exhibit | None:
    counts = funnel_figures(ctx, track)
    if counts is None:
        return None
    stages = [stage for stage, _ in FUNNEL]
    chart = None
    if any(c.shown for c in counts):
        chart = embed(
            ctx.chart_id(),
            funnel_chart(stages, counts),
            f"Funnel of pairings from matched to certificate: {track.title}",
        )
    table = Table(
        "Pairings at each stage; each stage is part of the one above",
        ["Stage", "Pairings"],
        [[stage, count] for stage, count in zip(stages, counts, strict=True)],
    )
    return Exhibit(
        "From matched to certificate",
        table,
        chart,
        note=f"A stage is hidden when it, or its drop from the stage above, is under {ctx.k} "
        "pairings.",
    )


def health_table(row: Row) -> Table:
    rows = [
        [label, compact(row.share(share)), Markup("{} {}").format(row.count(f"{share}_n"), unit)]
        for share, label, unit in PAIRING_SHARES
    ]
    rows += [
        [
            label,
            compact(row.share(share, n_column="pairings")),
            Markup("{} {}").format(row.figure(f"{share}_n", COUNT, "pairings"), unit),
        ]
        for share, label, unit in ACTIVITY_SHARES
    ]
    rows += [
        [
            "Meetings held per pairing per month",
            row.figure("meetings_per_pairing_month", RATE, "pairings"),
            Markup("{} pairing-months").format(row.figure("pairing_months", RATE, "pairings")),
        ],
        [
            "Mean meeting rating (1 to 5)",
            row.figure("mean_meeting_rating", RATE, "pairings"),
            Markup("{} rated meetings").format(row.figure("meeting_ratings", COUNT, "pairings")),
        ],
    ]
    return Table(
        "Shares with 95% intervals; 'Out of' is what each share is a share of",
        ["Measure", "Value (95% CI)", "Out of"],
        rows,
    )


def health_findings(track: Track, row: Row) -> list[Markup]:
    pairings, participants = row.count("pairings"), row.count("participants")
    findings = [
        Markup("{} pairings were matched, with {} {}.").format(
            pairings, participants, track.participants
        )
    ]
    activation = row.share("activation_rate")
    if activation.shown:
        findings.append(
            Markup(
                "{} of pairings met within 60 days of starting ({}; {} pairings whose first 60 "
                "days have passed)."
            ).format(activation.value, activation.interval, row.count("activation_rate_n"))
        )
    milestones = row.share("milestone_completion_rate", n_column="pairings")
    certificate = row.share("certificate_eligible_rate")
    if milestones.shown and certificate.shown:
        findings.append(
            Markup(
                "Pairs completed {} of their planned milestones ({}), and {} of pairings are "
                "eligible for the certificate ({}; {} pairings)."
            ).format(
                milestones.value,
                milestones.interval,
                certificate.value,
                certificate.interval,
                row.count("certificate_eligible_rate_n"),
            )
        )
    meetings = row.figure("meetings_per_pairing_month", RATE, "pairings")
    late = row.share("late_cancellation_rate", n_column="pairings")
    if meetings.shown and late.shown:
        findings.append(
            Markup(
                "Pairs met {} times a month on average; {} of scheduled meetings were cancelled "
                "late ({}; {} scheduled meetings)."
            ).format(
                meetings,
                late.value,
                late.interval,
                row.figure("late_cancellation_rate_n", COUNT, "pairings"),
            )
        )
    return findings


def track_section(ctx: ReportContext, track: Track, health: pd.DataFrame | None) -> Section:
    section = Section(track.title, track.anchor)
    if health is not None:
        match = of_track(health, track)
        if len(match):
            values = match.iloc[0].to_dict()
            row = Row(
                PROGRAM_HEALTH,
                values,
                HEALTH_KEYS,
                ctx.suppression,
                hidden=ctx.suppression.cell(int(values["pairings"])),
            )
            if row.hidden:
                section.findings.append(
                    Markup(
                        "This program has fewer than {} pairings: its figures are hidden."
                    ).format(ctx.k)
                )
            else:
                section.findings += health_findings(track, row)
            section.exhibits.append(Exhibit("Health measures", health_table(row)))
    funnel = funnel_exhibit(ctx, track)
    if funnel is not None:
        section.exhibits.insert(0, funnel)
    if not section.exhibits:
        section.unavailable = (
            f"Not available yet: the warehouse has no {PROGRAM_HEALTH} or {FCT_PAIRING}."
        )
    return section


def build(ctx: ReportContext) -> dict:
    health = ctx.reader.table(PROGRAM_HEALTH)
    if not ctx.tracks:
        return {"title": TITLE, "sections": [not_available(TITLE, "health", ["staging.pairings"])]}
    sections = [track_section(ctx, track, health) for track in ctx.tracks]
    return {"title": TITLE, "sections": sections}
