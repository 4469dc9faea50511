"""Overview: one verdict per program and outcome, from the adjusted estimates, with the size
of each effect in everyday units; raw comparisons only where they would mislead, and labelled."""

from markupsafe import Markup

from reports.context import ReportContext, Track
from reports.figures import POINTS, SCORE, Figure, Row, plain
from reports.layout import Exhibit, Section, Table, not_available
from reports.pages.common import (
    EFFECTS,
    OUTCOMES,
    capitalised,
    placebo_check,
    placebo_row,
    programs_forest,
)
from reports.verdicts import (
    HARMS,
    HELPS,
    Finding,
    badge,
    compact_estimate,
    evidence_strength,
    legend,
    raw_comparison,
    read_finding,
    retention_value,
    size_sentence,
)
from reports.verdicts import (
    OUTCOMES as VERDICT_OUTCOMES,
)

TITLE = "Do our programs work?"


def track_findings(ctx: ReportContext, track: Track, effects) -> list[Finding]:
    return [
        read_finding(effects, track.effect_keys, outcome, ctx.suppression)
        for outcome in VERDICT_OUTCOMES
    ]


def verdict_table(ctx: ReportContext, found: dict[Track, list[Finding]]) -> Table:
    rows = []
    for track, findings in found.items():
        rows.append(
            [
                Markup('<a href="{}">{}</a>').format(program_file(track), track.title),
                *(
                    Markup('{}<br><span class="size">{}</span>').format(
                        badge(f.verdict), compact_estimate(f.adjusted_estimate)
                    )
                    for f in findings
                ),
            ]
        )
    return Table(
        "Verdicts from the adjusted estimates (people of the same job level, tenure, performance "
        "rating, department and gender compared), with the estimate and its 95% interval: "
        "first-year retention in percentage points, promotion as a hazard ratio, survey measures "
        "as a difference in differences",
        ["Program", *(o.name for o in VERDICT_OUTCOMES)],
        rows,
        numeric_from=99,
    )


def program_file(track: Track) -> str:
    return f"program-{track.anchor}.html"


DIAGNOSTICS = "marts.study_diagnostics"


def balance_of(ctx: ReportContext, track: Track) -> Figure | None:
    """The largest |SMD| after weighting from marts.study_diagnostics (issue 17), when built:
    the first column whose name holds 'smd'."""
    frame = ctx.reader.table(DIAGNOSTICS)
    if frame is None:
        return None
    column = next((c for c in frame.columns if "smd" in c.lower()), None)
    rows = frame.loc[
        (frame["program_id"] == track.program_id)
        & (frame["relationship_type"] == track.relationship_type)
    ]
    if column is None or rows.empty:
        return None
    value = plain(rows.iloc[0][column])
    if value is None:
        return None
    return Figure(value, SCORE, DIAGNOSTICS, column, tuple(track.effect_keys.items()))


def outcome_item(
    finding: Finding,
    track: Track,
    raw_always: bool = False,
    balance: Figure | None = None,
    placebo: Row | None = None,
) -> Markup:
    """One outcome's line: verdict, size, strength, the raw comparison where it would
    mislead, and beside a survey difference in differences the pre-program check."""
    parts = [
        Markup("{} <strong>{}</strong>: {}").format(
            badge(finding.verdict),
            finding.outcome.name,
            size_sentence(finding, track.participants),
        )
    ]
    strength = evidence_strength(finding, balance)
    if strength:
        parts.append(
            Markup('<span class="strength">Strength of evidence: {}.</span>').format(strength)
        )
    misleading = finding.raw_verdict is not finding.verdict and (
        finding.raw_verdict in (HELPS, HARMS) or finding.verdict in (HELPS, HARMS)
    )
    if raw_always or misleading:
        raw = raw_comparison(finding)
        if raw:
            parts.append(Markup('<span class="raw">{}</span>').format(raw))
    adjusted = finding.adjusted_estimate
    if finding.outcome.glossary == "did" and adjusted is not None and adjusted.shown:
        noun = finding.outcome.name[:1].lower() + finding.outcome.name[1:]
        check = placebo_check(track, placebo, noun)
        parts.append(Markup('<span class="check">{}</span>').format(check))
    return Markup("<li>{}</li>").format(Markup(" ").join(parts))


def program_card(
    finding_list: list[Finding],
    track: Track,
    raw_always: bool = False,
    balance: Figure | None = None,
    placebo: Row | None = None,
) -> Markup:
    items = Markup("").join(
        outcome_item(f, track, raw_always, balance, placebo) for f in finding_list
    )
    return Markup(
        '<article class="card program-card" id="card-{}"><h3><a href="{}">{}</a></h3>'
        '<ul class="outcomes">{}</ul></article>'
    ).format(track.anchor, program_file(track), track.title, items)


def verdict_section(ctx: ReportContext, effects) -> Section:
    found = {track: track_findings(ctx, track, effects) for track in ctx.tracks}
    summary = []
    for track, findings in found.items():
        helps = [f.outcome.name.lower() for f in findings if f.verdict is HELPS]
        harms = [f.outcome.name.lower() for f in findings if f.verdict is HARMS]
        if helps or harms:
            said = []
            if helps:
                said.append(Markup("evidence it helps {}").format(", ".join(helps)))
            if harms:
                said.append(Markup("evidence it harms {}").format(", ".join(harms)))
            summary.append(
                Markup("<strong>{}</strong>: {}.").format(track.title, Markup("; ").join(said))
            )
        else:
            summary.append(
                Markup("<strong>{}</strong>: no clear evidence yet on any outcome.").format(
                    track.title
                )
            )
    section = Section("Does each program work?", "verdicts", findings=summary, body=legend())
    section.exhibits.append(Exhibit("Verdict per program and outcome", verdict_table(ctx, found)))
    return section


def cards_section(ctx: ReportContext, effects) -> Section:
    cards = Markup("").join(
        program_card(
            track_findings(ctx, track, effects),
            track,
            balance=balance_of(ctx, track),
            placebo=placebo_row(ctx, track),
        )
        for track in ctx.tracks
    )
    return Section(
        "How large, and how sure",
        "programs",
        findings=[
            Markup(
                "Each line gives the adjusted effect in everyday units with its 95% interval and "
                "the number of people behind it. A raw comparison (participants against everyone "
                "else, before comparing like with like) is shown only where it would tell a "
                "different story, and says so."
            )
        ],
        body=Markup('<div class="cards program-cards">{}</div>').format(cards),
    )


def value_section(ctx: ReportContext, effects) -> Section:
    lines = []
    for track in ctx.tracks:
        retention = read_finding(effects, track.effect_keys, VERDICT_OUTCOMES[0], ctx.suppression)
        value = retention_value(retention, ctx.replacement_cost, track.participants)
        if value:
            lines.append(Markup("<strong>{}</strong>: {}").format(track.title, value))
    return Section(
        "What the retention effects are worth",
        "retention-value",
        findings=lines
        or [Markup("No program has an adjusted first-year retention difference to value yet.")],
        notes=[
            Markup(
                'Leavers avoided = participants × the adjusted <a class="term" '
                'href="methodology.html#retention-difference">retention difference</a>; see '
                '<a href="methodology.html#retention-value">retention value</a>.'
            )
        ],
    )


def build(ctx: ReportContext) -> dict:
    outcomes = ctx.reader.table(OUTCOMES)
    effects = ctx.reader.table(EFFECTS)
    if effects is None and outcomes is None:
        return {"title": TITLE, "sections": [not_available("Verdicts", "verdicts", [EFFECTS])]}
    if effects is None:
        return {"title": TITLE, "sections": [not_available("Verdicts", "verdicts", [EFFECTS])]}
    sections = [
        verdict_section(ctx, effects),
        cards_section(ctx, effects),
        value_section(ctx, effects),
    ]
    forest = Section(
        "First-year retention, every program",
        "retention-forest",
        exhibits=[
            programs_forest(
                ctx,
                effects,
                "retention_12m_diff",
                POINTS,
                "12-month retention difference (percentage points)",
                0.0,
                "12-month retention difference, by program: raw comparison and adjusted",
            )
        ],
    )
    sections.append(forest)
    return {"title": TITLE, "sections": sections, "capitalised": capitalised}
