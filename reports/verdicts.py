"""Verdicts: one per program and outcome, from the adjusted estimate only.

"evidence it helps" when the 95% interval lies wholly on the favourable side of no effect,
"evidence it harms" when wholly on the unfavourable side, "no clear evidence either way" when it
includes no effect, and "not enough data" when there is no estimate to show (not estimable, not
built yet, or about fewer than k people). The size of each effect is put in everyday units, and
a raw (naive) figure only ever appears inside a sentence that calls it a raw comparison.
"""

import math
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from reports.figures import COUNT, P_VALUE, POINTS, RATIO, SCORE, Estimate, Figure, Row, plain
from reports.suppression import Suppression

EFFECTS = "marts.program_effects"
EFFECT_KEYS = ("program_id", "relationship_type", "outcome", "method")
ARMS = "n_treated,n_control"
ADJUSTED_FOR = "job level, tenure, performance rating, department and gender"


@dataclass(frozen=True)
class Outcome:
    code: str
    name: str
    unit: str
    null: float
    higher_is_better: bool
    glossary: str  # anchor on the methodology page


OUTCOMES = (
    Outcome(
        "retention_12m_diff", "Staying (first year)", POINTS, 0.0, True, "retention-difference"
    ),
    Outcome("promotion_hr", "Promotion", RATIO, 1.0, True, "hazard-ratio"),
    Outcome("loneliness_did", "Loneliness", SCORE, 0.0, False, "did"),
    Outcome("engagement_did", "Engagement", SCORE, 0.0, True, "did"),
    Outcome("career_lonely_did", "Feeling alone in one's career", POINTS, 0.0, False, "did"),
)
LEAVING = Outcome("voluntary_exit_hr", "Leaving", RATIO, 1.0, False, "hazard-ratio")
BY_CODE = {o.code: o for o in (*OUTCOMES, LEAVING)}


@dataclass(frozen=True)
class Verdict:
    code: str
    text: str
    symbol: str


HELPS = Verdict("helps", "evidence it helps", "▲")
HARMS = Verdict("harms", "evidence it harms", "▼")
UNCLEAR = Verdict("unclear", "no clear evidence either way", "●")
NO_DATA = Verdict("no-data", "not enough data", "○")
VERDICTS = (HELPS, HARMS, UNCLEAR, NO_DATA)
VERDICT_HELP = {
    HELPS: "95% interval wholly on the favourable side",
    HARMS: "wholly on the unfavourable side",
    UNCLEAR: "the interval includes no effect",
    NO_DATA: "too few people, or not estimable",
}


def glossary(term: str, anchor: str) -> Markup:
    """A statistical term linked to its plain definition on the methodology page."""
    return Markup('<a class="term" href="methodology.html#{}">{}</a>').format(anchor, term)


def badge(verdict: Verdict) -> Markup:
    return Markup('<span class="verdict v-{}"><span aria-hidden="true">{}</span> {}</span>').format(
        verdict.code, verdict.symbol, verdict.text[:1].upper() + verdict.text[1:]
    )


def legend() -> Markup:
    items = Markup("").join(
        Markup("<li>{} {}</li>").format(badge(v), VERDICT_HELP[v]) for v in VERDICTS
    )
    return Markup('<ul class="verdict-legend" aria-label="What the verdicts mean">{}</ul>').format(
        items
    )


@dataclass(frozen=True)
class Finding:
    """One outcome of one program: the adjusted row (and the raw one), read and suppressed."""

    outcome: Outcome
    adjusted: Row | None
    naive: Row | None
    suppression: Suppression

    def estimate(self, row: Row | None) -> Estimate | None:
        if row is None:
            return None
        return row.estimate("estimate", self.outcome.unit, ARMS, "ci_low", "ci_high")

    @property
    def adjusted_estimate(self) -> Estimate | None:
        return self.estimate(self.adjusted)

    @property
    def naive_estimate(self) -> Estimate | None:
        return self.estimate(self.naive)

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.adjusted_estimate, self.outcome)

    @property
    def raw_verdict(self) -> Verdict:
        return verdict_of(self.naive_estimate, self.outcome)

    @property
    def n_treated(self) -> Figure | None:
        return self.adjusted.count("n_treated") if self.adjusted is not None else None

    def extra(self, column: str) -> Figure | None:
        """An optional column of the adjusted row (e_value, e_value_ci), None when absent."""
        if self.adjusted is None or column not in self.adjusted.values:
            return None
        figure = self.adjusted.figure(column, RATIO, ARMS)
        return figure if figure.shown else None


def verdict_of(estimate: Estimate | None, outcome: Outcome) -> Verdict:
    if estimate is None or not estimate.shown or not estimate.has_interval:
        return NO_DATA
    low, high = estimate.low.number, estimate.high.number
    if not (math.isfinite(low) and math.isfinite(high)):
        return NO_DATA
    if low > outcome.null:
        return HELPS if outcome.higher_is_better else HARMS
    if high < outcome.null:
        return HARMS if outcome.higher_is_better else HELPS
    return UNCLEAR


def read_finding(
    effects: pd.DataFrame | None, keys: dict[str, str], outcome: Outcome, suppression: Suppression
) -> Finding:
    rows: dict[str, Row | None] = {"adjusted": None, "naive": None}
    if effects is not None:
        match = effects.loc[effects["outcome"] == outcome.code]
        for column, value in keys.items():
            match = match.loc[match[column] == value]
        for method in rows:
            found = match.loc[match["method"] == method]
            if len(found):
                rows[method] = Row(EFFECTS, found.iloc[0].to_dict(), EFFECT_KEYS, suppression)
    return Finding(outcome, rows["adjusted"], rows["naive"], suppression)


def _derived(row: Row, expression: str, value: float | None, unit: str = COUNT) -> Figure:
    """A figure computed from one warehouse row by SQL `expression` (the audit re-runs it)."""
    base = row.figure("estimate", unit, ARMS)
    return Figure(
        value=None if base.hidden or value is None else value,
        unit=unit,
        source=row.table,
        column=expression,
        key=row.key,
        n_column=ARMS,
        hidden=base.hidden,
        k=base.k,
    )


def leavers_avoided(finding: Finding) -> tuple[Figure, Figure, Figure] | None:
    """Voluntary leavers avoided in the first year: participants × difference / 100, with the
    interval's ends; None when the adjusted difference is not there to use."""
    row = finding.adjusted
    estimate = finding.adjusted_estimate
    if row is None or estimate is None or not estimate.shown or not estimate.has_interval:
        return None
    n = row["n_treated"]
    figures = []
    for column in ("estimate", "ci_low", "ci_high"):
        value = row[column]
        figures.append(
            _derived(row, f"n_treated * {column} / 100", None if n is None else n * value / 100)
        )
    return tuple(figures)  # type: ignore[return-value]


def _fewer_or_more(figure: Figure) -> Markup:
    """'15 fewer' or '3 more' (a count of leavers avoided, signed)."""
    if figure.number is None:
        return Markup("{}").format(figure)
    direction = "fewer" if figure.number >= 0 else "more"
    shown = Figure(
        abs(figure.value),
        figure.unit,
        figure.source,
        f"abs({figure.column})",
        figure.key,
        figure.n_column,
        figure.hidden,
        figure.k,
    )
    return Markup("{} {}").format(shown, direction)


def _count_range(low: Figure, high: Figure) -> Markup:
    """'6 to 24 fewer', '4 to 11 more' or 'from 11 more to 4 fewer'."""
    if low.number is not None and low.number >= 0:
        return Markup("{} to {}").format(_fewer_or_more(low), _fewer_or_more(high))
    if high.number is not None and high.number <= 0:
        return Markup("{} to {}").format(_fewer_or_more(high), _fewer_or_more(low))
    return Markup("from {} to {}").format(_fewer_or_more(low), _fewer_or_more(high))


SCALES = {
    "loneliness_did": "points on the 3–9 loneliness scale (UCLA-3)",
    "engagement_did": "points on the 0–6 engagement scale (UWES-3)",
    "career_lonely_did": "percentage points in the share who feel alone in their career",
}


def size_sentence(finding: Finding, participants: str) -> Markup:
    """The size of the adjusted effect in everyday units, with its interval and n."""
    estimate = finding.adjusted_estimate
    n = finding.n_treated
    among = Markup("{} {}").format(n, participants) if n is not None else Markup("")
    if estimate is None:
        return Markup("No adjusted estimate yet.")
    if not estimate.shown:
        note = finding.adjusted["note"] if finding.adjusted is not None else None
        if estimate.value.hidden:
            return Markup("Not shown: {} (fewer than {} people in a group).").format(
                estimate.value, finding.suppression.k
            )
        return Markup("Not estimable{}").format(f": {note}" if note else ".")
    code = finding.outcome.code
    if code == "retention_12m_diff":
        avoided = leavers_avoided(finding)
        if avoided is not None:
            value, low, high = avoided
            return Markup(
                "About {} people left in the first year among {} than would have without the "
                "program (95% CI {}; a {} of {} percentage points)."
            ).format(
                _fewer_or_more(value),
                among,
                _count_range(low, high),
                glossary("retention difference", "retention-difference"),
                estimate.value,
            )
    if code in ("promotion_hr", "voluntary_exit_hr"):
        verb = "Promoted" if code == "promotion_hr" else "Left voluntarily"
        return Markup(
            "{} at {} times the pace of comparable colleagues (95% CI {} to {}; {}; 1 means the "
            "same pace: a {})."
        ).format(
            verb,
            estimate.value,
            estimate.low,
            estimate.high,
            among,
            glossary("hazard ratio", "hazard-ratio"),
        )
    return Markup(
        "Change beyond comparable colleagues' change: {} {} (95% CI {} to {}; {} answered "
        "before and after; a {})."
    ).format(
        estimate.value,
        SCALES.get(code, ""),
        estimate.low,
        estimate.high,
        among,
        glossary("difference in differences", "did"),
    )


def _distance(value: float, null: float) -> float:
    return abs(math.log(value)) if null == 1 else abs(value - null)


def raw_comparison(finding: Finding) -> Markup:
    """Why the raw comparison and the adjusted estimate differ, written from their numbers:
    a flip, smaller, larger, about the same, or both unclear. Empty when either is missing."""
    return explain_raw(finding.naive_estimate, finding.adjusted_estimate, finding.outcome)


def explain_raw(naive: Estimate | None, adjusted: Estimate | None, outcome: Outcome) -> Markup:
    if not (naive and adjusted and naive.shown and adjusted.shown and naive.has_interval):
        return Markup("")
    null = outcome.null
    raw = Markup("The {} ({}, {})").format(
        glossary("raw comparison", "naive-adjusted"), naive.value, naive.interval
    )
    n, a = naive.value.number, adjusted.value.number
    if verdict_of(naive, outcome) is UNCLEAR and verdict_of(adjusted, outcome) is UNCLEAR:
        return raw + Markup(
            " and the adjusted estimate ({}) both include no effect: neither can tell."
        ).format(adjusted.value)
    if (n - null) * (a - null) < 0:
        return raw + Markup(
            " points the other way from the adjusted estimate ({}): the direction flips once "
            "people of the same {} are compared, so the raw gap came from who took part, not "
            "from the program."
        ).format(adjusted.value, ADJUSTED_FOR)
    raw_size, adjusted_size = _distance(n, null), _distance(a, null)
    if abs(raw_size - adjusted_size) <= 0.1 * max(raw_size, adjusted_size, 1e-9):
        return raw + Markup(
            " is about the same as the adjusted estimate ({}): who took part explains little of it."
        ).format(adjusted.value)
    if adjusted_size < raw_size:
        return raw + Markup(
            " is larger than the adjusted estimate ({}), in the same direction: part of the raw "
            "gap came from who took part (their {})."
        ).format(adjusted.value, ADJUSTED_FOR)
    return raw + Markup(
        " is smaller than the adjusted estimate ({}), in the same direction: who took part "
        "hid part of the effect."
    ).format(adjusted.value)


def evidence_strength(finding: Finding, balance: Figure | None = None) -> Markup:
    """The strength of the evidence in one phrase: the E-value and balance, when built."""
    parts = []
    e_value, e_value_ci = finding.extra("e_value"), finding.extra("e_value_ci")
    if finding.verdict in (HELPS, HARMS) and e_value_ci is not None:
        strength = "robust" if e_value_ci.value >= 2 else "fragile"
        parts.append(
            Markup(
                "{}: an unrecorded factor would need an {} of {} (point estimate {}) with both "
                "taking part and the outcome to explain it away"
            ).format(strength, glossary("E-value", "e-value"), e_value_ci, e_value or "")
        )
    if balance is not None and balance.shown:
        fair = "fair" if balance.value <= 0.1 else "imperfect"
        parts.append(
            Markup("a {} comparison (largest {} after weighting: {})").format(
                fair, glossary("standardised difference", "balance"), balance
            )
        )
    return Markup("; ").join(parts)


def p_value(finding: Finding) -> Figure | None:
    return finding.adjusted.figure("p_value", P_VALUE, ARMS) if finding.adjusted else None


def compact_estimate(estimate: Estimate | None) -> Markup:
    if estimate is None:
        return Markup("")
    if not estimate.shown or not estimate.has_interval:
        return Markup("{}").format(estimate.value)
    return Markup('{} <span class="ci">({} to {})</span>').format(
        estimate.value, estimate.low, estimate.high
    )


def is_missing(value) -> bool:
    return plain(value) is None


SETTING = "MENTORLENS_REPLACEMENT_COST"


def retention_value(finding: Finding, cost: float | None, participants: str) -> Markup:
    """What the leavers avoided in the first year are worth at the stated replacement cost,
    with the interval and the assumption; nothing where the difference is not estimable."""
    avoided = leavers_avoided(finding)
    if avoided is None:
        return Markup("")
    value, low, high = avoided
    if cost is None:
        return Markup(
            "Set <code>{}</code> (the cost of replacing one leaver) to see what {} {} in the "
            "first year would be worth."
        ).format(
            SETTING,
            _fewer_or_more(value),
            Markup("leavers among {}").format(participants),
        )
    row = finding.adjusted
    # Rounded to the thousand: the interval is far wider than that.
    money = [
        _derived(
            row,
            f"round(n_treated * {column} / 100 * {cost!r}, -3)",
            None if figure.value is None else round(figure.value * cost, -3),
        )
        for column, figure in (("estimate", value), ("ci_low", low), ("ci_high", high))
    ]
    return Markup(
        "{} {} in the first year, at {} per leaver replaced, are worth about {} (95% CI {} to "
        "{}). The cost per leaver is an assumption set in <code>{}</code>, not a figure from "
        "the data; a negative value is a cost."
    ).format(
        _fewer_or_more(value),
        Markup("leavers among {}").format(participants),
        f"{cost:,.0f}",
        money[0],
        money[1],
        money[2],
        SETTING,
    )
