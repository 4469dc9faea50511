"""Reading outcomes and effects for a program track, suppressed, as figures."""

import re
from dataclasses import dataclass, replace

import pandas as pd
from markupsafe import Markup

from reports.charts import ForestRow, embed, forest_chart
from reports.context import COMPARISON, ReportContext, Track
from reports.figures import P_VALUE, PERCENT, SCORE, Estimate, Figure, Row, plain
from reports.layout import Exhibit, Section, Table

OUTCOMES = "marts.program_outcomes"
EFFECTS = "marts.program_effects"
EFFECTS_BY_SUBGROUP = "marts.program_effects_by_subgroup"
OUTCOME_KEYS = ("program_id", "relationship_type", "arm", "subgroup")
EFFECT_KEYS = ("program_id", "relationship_type", "outcome", "method")
SUBGROUP_EFFECT_KEYS = ("program_id", "relationship_type", "subgroup", "outcome", "method")
GROUPS = ("participant", "comparison", "advisor")
EVERYONE = "all"
COUNT_OF = re.compile(r"\b\d+ of \d+\b")
POOLED_NOTE = re.compile(r"programs? pooled")
ADJUSTED_FOR = "job level, tenure, performance rating, department and gender"


# Events behind each Kaplan–Meier column family of marts.program_outcomes.
KM_EVENTS = {"retention": "voluntary_exits", "promoted": "promotions"}


NOT_SHOWN = (
    "a group is too small, too few of it had the outcome (or too few did not), or no one has "
    "been followed that long yet."
)


def km_estimate(row: Row, column: str) -> Estimate:
    """A Kaplan–Meier figure of `marts.program_outcomes` ('retention_12m'), hidden also when
    fewer than k of the group had the event, or all but fewer than k."""
    kind = column.partition("_")[0]
    return row.counted(column, PERCENT, "n", KM_EVENTS[kind], complement=kind == "retention")


def group_name(track: Track, group: str) -> str:
    return {"participant": track.participants, "comparison": COMPARISON}.get(group, track.advisors)


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def possessive(noun: str) -> str:
    return noun + ("'" if noun.endswith("s") else "'s")


def of_track(frame: pd.DataFrame, track: Track) -> pd.DataFrame:
    return frame.loc[
        (frame["program_id"] == track.program_id)
        & (frame["relationship_type"] == track.relationship_type)
    ]


def outcome_rows(
    ctx: ReportContext, outcomes: pd.DataFrame, track: Track, subgroup: str = EVERYONE
) -> dict[str, Row]:
    """Each group's row of `marts.program_outcomes`; a group under k hides the whole row."""
    rows = of_track(outcomes, track)
    rows = rows.loc[rows["subgroup"] == subgroup]
    found = {}
    for group in GROUPS:
        match = rows.loc[rows["arm"] == group]
        if len(match):
            values = match.iloc[0].to_dict()
            hidden = ctx.suppression.cell(int(values["n"]))
            found[group] = Row(OUTCOMES, values, OUTCOME_KEYS, ctx.suppression, hidden)
    return found


def outcome_section(
    ctx: ReportContext, track: Track, outcomes: pd.DataFrame
) -> tuple[Section, dict[str, Row]]:
    """A track's section and its outcome rows; the section says so when there are none."""
    section = Section(track.title, track.anchor)
    rows = outcome_rows(ctx, outcomes, track)
    if not rows:
        section.unavailable = "No outcome figures for this program yet."
    return section, rows


@dataclass(frozen=True)
class Effect:
    """One outcome's naive and adjusted estimates for a track."""

    outcome: str
    naive: Estimate | None
    adjusted: Estimate | None
    naive_p: Figure | None
    adjusted_p: Figure | None
    n_treated: Figure | None
    n_control: Figure | None
    notes: tuple[str | Markup, ...]


@dataclass(frozen=True)
class EffectTable:
    name: str
    key_columns: tuple[str, ...]
    p_column: str


PROGRAM_EFFECTS = EffectTable(EFFECTS, EFFECT_KEYS, "p_value")
SUBGROUP_EFFECTS = EffectTable(EFFECTS_BY_SUBGROUP, SUBGROUP_EFFECT_KEYS, "p_value_holm")


def read_effect(
    ctx: ReportContext,
    effects: pd.DataFrame,
    keys: dict[str, str],
    outcome: str,
    unit: str,
    table: EffectTable = PROGRAM_EFFECTS,
    arms_hidden: tuple[str | None, str | None] = (None, None),
    breakdown: str | None = None,
) -> Effect:
    """Naive and adjusted rows of one outcome. An estimate is hidden when either arm counts
    fewer than k, or when `arms_hidden` (treated, control) hides an arm: complementary
    suppression across subgroups. Each arm's count is hidden on its own terms."""
    match = effects.loc[effects["outcome"] == outcome]
    for column, value in keys.items():
        match = match.loc[match[column] == value]
    estimates, p_values, notes = {}, {}, []
    n_treated = n_control = None
    arms = "n_treated,n_control"
    # Adjusted first: the counts of people shown are read from the adjusted row.
    for method in ("adjusted", "naive"):
        rows = match.loc[match["method"] == method]
        if not len(rows):
            estimates[method] = p_values[method] = None
            continue
        row = Row(
            table.name,
            rows.iloc[0].to_dict(),
            table.key_columns,
            ctx.suppression,
            arms_hidden[0] or arms_hidden[1],
            breakdown,
        )
        estimates[method] = row.estimate("estimate", unit, arms, "ci_low", "ci_high")
        p_values[method] = row.figure(table.p_column, P_VALUE, arms)
        if n_treated is None:
            n_treated = replace(row, hidden=arms_hidden[0]).count("n_treated")
            n_control = replace(row, hidden=arms_hidden[1]).count("n_control")
        notes += [f"{method}: {part}" for part in readable_note(row["note"])]
        if plain(row.values.get("ph_holds")) is False and estimates[method].shown:
            notes.append(
                Markup(
                    "{}: the hazards may not be proportional (test p = {}), so the hazard ratio "
                    "averages an effect that changes over time."
                ).format(method, row.figure("ph_p_value", P_VALUE, arms))
            )
    return Effect(
        outcome,
        estimates["naive"],
        estimates["adjusted"],
        p_values["naive"],
        p_values["adjusted"],
        n_treated,
        n_control,
        tuple(dict.fromkeys(notes)),
    )


NO_EFFECT = Effect("", None, None, None, None, None, None, ())


def readable_note(note: str | None) -> list[str]:
    """The parts of an estimate's note worth telling HR, without counts of people in them
    (a note like "2 of 7 participants were paired late" would describe fewer than k)."""
    parts = []
    for part in (note or "").split("; "):
        if not part or POOLED_NOTE.search(part):
            continue
        parts.append(COUNT_OF.sub("some", part))
    return parts


def why_they_differ(effect: Effect | None, null: float) -> Markup:
    """One sentence on how the raw comparison and the adjusted estimate differ, from their
    numbers (reports.verdicts.explain_raw)."""
    from reports.verdicts import BY_CODE, Outcome, explain_raw

    if effect is None:
        return Markup("")
    outcome = BY_CODE.get(effect.outcome) or Outcome(effect.outcome, "", "", null, True, "")
    return explain_raw(effect.naive, effect.adjusted, outcome)


def compact(estimate: Estimate | None) -> Markup:
    """'0.73 (0.51 to 1.04)' for a table cell."""
    if estimate is None:
        return Markup("not available")
    if not estimate.shown or not estimate.has_interval:
        return Markup("{}").format(estimate.value)
    return Markup('{} <span class="ci">({} to {})</span>').format(
        estimate.value, estimate.low, estimate.high
    )


EFFECTS_CAPTION = (
    "Participants against comparable colleagues. Raw comparison: the two groups as they are "
    f"(naive). Adjusted: people of the same {ADJUSTED_FOR} compared. p: two-sided p-value for "
    "no effect."
)
P_TERM = Markup('<a class="term" href="methodology.html#p-value">p</a>')


def effects_table(rows: list[tuple[str, Effect]], track: Track) -> Table:
    """Naive and adjusted estimates side by side."""
    return Table(
        EFFECTS_CAPTION,
        [
            "Outcome",
            "Raw comparison (95% CI)",
            P_TERM,
            "Adjusted (95% CI)",
            P_TERM,
            capitalised(track.participants),
            capitalised(COMPARISON),
        ],
        [
            [
                name,
                compact(effect.naive),
                effect.naive_p or "",
                compact(effect.adjusted),
                effect.adjusted_p or "",
                effect.n_treated or "",
                effect.n_control or "",
            ]
            for name, effect in rows
        ],
    )


def count_of(row: Row | None) -> Figure | None:
    return row.count("n") if row is not None else None


def people(figure: Figure | None, noun: str) -> Markup:
    """'212 mentees' or 'fewer than 5 mentees'."""
    if figure is None:
        return Markup("no {}").format(noun)
    return Markup("{} {}").format(figure, noun)


def programs_forest(
    ctx: ReportContext,
    effects: pd.DataFrame,
    outcome: str,
    unit: str,
    x_title: str,
    null: float,
    title: str,
) -> Exhibit:
    """One outcome's naive and adjusted estimates for every program, as a forest plot beside
    the table of its numbers and the people behind each."""
    rows, table_rows = [], []
    for track in ctx.tracks:
        keys = track.effect_keys
        effect = read_effect(ctx, effects, keys, outcome, unit)
        rows.append(ForestRow(track.title, effect.naive, effect.adjusted))
        table_rows.append(
            [
                track.title,
                compact(effect.naive),
                compact(effect.adjusted),
                effect.n_treated or "",
                effect.n_control or "",
            ]
        )
    log_x = null == 1.0
    chart = embed(
        ctx.chart_id(),
        forest_chart(rows, f"{x_title} (log scale)" if log_x else x_title, null, log_x),
        f"Forest plot: {title}",
    )
    table = Table(
        f"{x_title}, participants against comparable colleagues",
        [
            "Program",
            "Raw comparison (95% CI)",
            "Adjusted (95% CI)",
            "Participants",
            capitalised(COMPARISON),
        ],
        table_rows,
    )
    return Exhibit(title, table, chart)


# --- The survey pre-trend placebo beside each wellbeing finding ---------------------------------

DIAGNOSTICS = "marts.study_diagnostics"
DIAGNOSTIC_KEYS = ("program_id", "relationship_type")
PLACEBO = ("placebo_estimate", "placebo_ci_low", "placebo_ci_high", "placebo_n")
# The measure the placebo is made on (effects.diagnostics.PLACEBO_OUTCOME).
PLACEBO_MEASURE = "loneliness"


def placebo_row(ctx: ReportContext, track: Track) -> Row | None:
    """The track's row of marts.study_diagnostics, when the warehouse has the placebo."""
    frame = ctx.reader.table(DIAGNOSTICS)
    if frame is None or not set(PLACEBO) <= set(frame.columns):
        return None
    rows = of_track(frame, track)
    if rows.empty:
        return None
    return Row(DIAGNOSTICS, rows.iloc[0].to_dict(), DIAGNOSTIC_KEYS, ctx.suppression)


def placebo_check(track: Track, row: Row | None, measure: str = PLACEBO_MEASURE) -> Markup:
    """One sentence to read beside a survey difference in differences (of `measure`): did
    participants and colleagues move alike before the program? The check is made on
    loneliness; beside another measure it says so."""
    lead = Markup("Check: ")
    if row is None:
        return lead + Markup("no pre-program check available for this program yet.")
    estimate = row.estimate("placebo_estimate", SCORE, "placebo_n", *PLACEBO[1:3])
    if row["placebo_estimate"] is None:
        return lead + Markup(
            "no pre-program check possible: too few people with two surveys before time zero."
        )
    if not estimate.shown:
        return lead + Markup(
            "not shown: fewer than {} people answered two surveys before time zero."
        ).format(row.suppression.k)
    if measure != PLACEBO_MEASURE:
        lead = Markup("Check (made on loneliness; {} has none of its own): ").format(measure)
    detail = Markup("difference {} UCLA-3 points, {}, n = {}").format(
        estimate.value, estimate.interval, row.count("placebo_n")
    )
    low, high = row["placebo_ci_low"], row["placebo_ci_high"]
    if low is not None and high is not None and low <= 0 <= high:
        return lead + Markup(
            "before the program, {} and colleagues' loneliness moved alike ({})."
        ).format(possessive(track.participants), detail)
    return lead + Markup(
        "before the program, {} and colleagues' loneliness changed differently ({}): "
        "<strong>read this finding with care</strong>."
    ).format(possessive(track.participants), detail)
