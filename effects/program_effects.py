"""`marts.program_effects` and `marts.program_effects_by_subgroup`: participants against the
comparison group, per program and relationship type, naive and adjusted (OUTPUTS.md)."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from itertools import pairwise

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import chi2

from effects.cohorts import COMPARISONS_PER_PARTICIPANT, read_cohort, surveys_scored
from effects.memo import non_survey_inputs_digest, recall, remember
from effects.subgroups import subgroups
from stats.did import diff_in_diff
from stats.estimate import Z_95, Estimate, not_estimable, text_levels
from stats.evalue import (
    e_values,
    risk_difference_as_risk_ratio,
    standardised_difference_as_risk_ratio,
)
from stats.proportions import holm_adjust
from stats.survival import (
    TWELVE_MONTHS_DAYS,
    cox_hazard_ratio_and_ph_check,
    km_at,
    retention_difference,
)
from stats.weighting import (
    CensoringWeights,
    Weighting,
    att_weighting,
    censoring_weights,
    no_censoring_weights,
    split_follow_up,
    weighted_hazard_ratio,
    weighted_retention_difference,
)
from warehouse.catalogue import PROGRAM_EFFECTS, PROGRAM_EFFECTS_BY_SUBGROUP
from warehouse.parallel import map_in_processes
from warehouse.tables import write_frame

POOLED = "all"
METHODS = ("naive", "adjusted", "ipw")
# The subgroups' estimates: every method, ipw with a propensity model fitted within the subgroup.
SUBGROUP_METHODS = METHODS
IPW_WEIGHT = "_ipw_weight"
# Per row: how many eligible people it stands for (sampled comparison rows: the trial's
# eligible over those drawn). Every estimate of the comparison group weights rows by it.
SAMPLING_WEIGHT = "sampling_weight"
ENTRY = "_entry"
TREATED = "treated"
CLUSTER = "employee_id"
# Pre-program covariates of the adjusted models, in the forms the data needs: job level as
# categories (small levels merged with a neighbour), tenure in bands, performance rating as a
# number with a missing indicator, department and gender as categories.
LEVEL_GROUP = "level_group"
TENURE_BAND = "tenure_band"
COVARIATES = ("performance_rating",)
CATEGORICAL = (LEVEL_GROUP, TENURE_BAND, "department", "gender")
TENURE_BAND_EDGES = (0.0, 1.0, 2.0, 5.0, 10.0)
# A job level with fewer people than this share of a study (or than MIN_LEVEL_PEOPLE) is
# merged with its neighbour.
MIN_LEVEL_SHARE = 0.02
MIN_LEVEL_PEOPLE = 20
WAVE_PAIR = "wave_pair"
NO_SURVEY_SCORES = "no survey scores"


@dataclass(frozen=True)
class Outcome:
    code: str
    kind: str  # cox | retention | did
    first: str  # duration (survival) or baseline (did) column
    second: str  # event (survival) or follow-up (did) column
    scale: float = 1.0


OUTCOMES = (
    Outcome("voluntary_exit_hr", "cox", "exit_days", "exit_event"),
    Outcome("promotion_hr", "cox", "promotion_days", "promotion_event"),
    Outcome("retention_12m_diff", "retention", "exit_days", "exit_event"),
    Outcome("loneliness_did", "did", "loneliness_baseline", "loneliness_followup"),
    Outcome("engagement_did", "did", "engagement_baseline", "engagement_followup"),
    Outcome("career_lonely_did", "did", "career_lonely_baseline", "career_lonely_followup", 100),
)
SURVEY_OUTCOMES = tuple(o for o in OUTCOMES if o.kind == "did")

COLUMNS = {
    "program_id": "VARCHAR",
    "relationship_type": "VARCHAR",
    "outcome": "VARCHAR",
    "method": "VARCHAR",
    "estimate": "DOUBLE",
    "ci_low": "DOUBLE",
    "ci_high": "DOUBLE",
    "p_value": "DOUBLE",
    "n_treated": "BIGINT",
    "n_control": "BIGINT",
    "note": "VARCHAR",
    "ph_p_value": "DOUBLE",
    "ph_holds": "BOOLEAN",
    "e_value": "DOUBLE",
    "e_value_ci": "DOUBLE",
}
SUBGROUP_COLUMNS = {
    **dict(list(COLUMNS.items())[:2]),
    "subgroup": "VARCHAR",
    "dimension": "VARCHAR",
    "category": "VARCHAR",
    **dict(list(COLUMNS.items())[2:]),
    "p_value_holm": "DOUBLE",
    "p_interaction": "DOUBLE",
}
# Computed over a study's subgroup rows once they are all estimated.
FAMILY_COLUMNS = ("p_value_holm", "p_interaction")


@dataclass(frozen=True)
class Study:
    """Participants (treated = 1) and their comparison group for one program and type, or for
    a type's programs pooled; optionally only the people of one subgroup."""

    program_id: str
    relationship_type: str
    people: pd.DataFrame
    note: str | None = None
    categorical: tuple[str, ...] = CATEGORICAL
    subgroup: str | None = None

    def by_subgroup(self) -> list["Study"]:
        return [
            replace(self, people=self.people.loc[mask].reset_index(drop=True), subgroup=label)
            for label, mask in subgroups(self.people, everyone=False)
        ]


def level_groups(levels: pd.Series) -> pd.Series:
    """Job levels as categories, each level with fewer than MIN_LEVEL_SHARE of the rows (and
    at least MIN_LEVEL_PEOPLE) merged with the next level up (the top ones with the level
    below): a level's own effect need not be linear, and a handful of people cannot carry
    one. Missing levels are a category of their own."""
    numbers = pd.to_numeric(levels, errors="coerce")
    minimum = max(MIN_LEVEL_PEOPLE, MIN_LEVEL_SHARE * len(levels))
    counts = numbers.value_counts().sort_index()
    groups: list[list[float]] = []
    pending: list[float] = []
    for level in counts.index:
        pending.append(level)
        if counts[pending].sum() >= minimum:
            groups.append(pending)
            pending = []
    if pending:
        if groups:
            groups[-1] += pending
        else:
            groups.append(pending)
    label = {level: _level_label(group) for group in groups for level in group}
    named = numbers.map(label)
    return named.where(numbers.notna(), "(missing)").astype("category")


def _level_label(group: list[float]) -> str:
    low, high = int(min(group)), int(max(group))
    return f"L{low:02d}" if low == high else f"L{low:02d}-{high:02d}"


def tenure_bands(years: pd.Series) -> pd.Series:
    """Tenure in bands: under 1 year, 1–2, 2–5, 5–10, 10 or more."""
    edges = [*TENURE_BAND_EDGES, np.inf]
    labels = [f"{lo:g}-{hi:g}y" if np.isfinite(hi) else f"{lo:g}y+" for lo, hi in pairwise(edges)]
    banded = pd.cut(pd.to_numeric(years), edges, right=False, labels=labels)
    return banded


def with_model_covariates(people: pd.DataFrame) -> pd.DataFrame:
    """The study's people with the covariates in the forms the adjusted models use, and the
    (baseline wave, follow-up wave) pair of the survey differences."""
    columns = {
        LEVEL_GROUP: level_groups(people["job_level"]),
        TENURE_BAND: tenure_bands(people["tenure_years"]),
    }
    if "baseline_wave" in people and "followup_wave" in people:
        columns[WAVE_PAIR] = wave_pairs(people["baseline_wave"], people["followup_wave"])
    return people.assign(**columns)


def wave_pairs(first: pd.Series, second: pd.Series) -> pd.Series:
    """'first > second' per row as a category, missing where either wave is. Labels are
    made once per distinct pair: joining a million strings row by row was a third of the
    time it took to set up the studies."""
    first_codes, first_values = pd.factorize(first)
    second_codes, second_values = pd.factorize(second)
    known = (first_codes >= 0) & (second_codes >= 0)
    key = first_codes.astype(np.int64) * len(second_values) + second_codes
    pairs, codes = np.unique(key[known], return_inverse=True)
    labels = [
        f"{first_values[pair // len(second_values)]} > {second_values[pair % len(second_values)]}"
        for pair in pairs
    ]
    all_codes = np.full(len(first), -1, dtype=np.int64)
    all_codes[known] = codes
    return pd.Series(
        pd.Categorical.from_codes(all_codes, categories=labels), index=first.index, name=None
    )


def studies(cohort: pd.DataFrame) -> list[Study]:
    """One study per program and relationship type, then per type its programs pooled; a type
    run by a single program is its own pool (its rows are copied, see `_with_pooled_copies`)."""
    compared = cohort.loc[cohort["arm"].isin(["participant", "comparison"])]
    compared = compared.assign(**{TREATED: (compared["arm"] == "participant").astype(int)})
    found = []
    for relationship_type, of_type in compared.groupby("relationship_type", sort=True):
        programs = [
            Study(
                program_id,
                relationship_type,
                with_model_covariates(people.reset_index(drop=True)),
                _sampling_note(people),
            )
            for program_id, people in of_type.groupby("program_id", sort=True, observed=True)
        ]
        found += programs if len(programs) == 1 else [*programs, pooled(programs)]
    return found


def pooled(programs: list[Study]) -> Study:
    """The programs of one type stacked.

    Someone in two programs' cohorts appears once per program, each time with that program's
    time zero and covariates, and the adjusted models add the program as a category (the
    DiD a program fixed effect in every method). Variances are clustered on employee_id, so a
    person recurring across programs and trials does not narrow the intervals.
    """
    people = pd.concat(
        [
            p.people.drop(columns=[LEVEL_GROUP, TENURE_BAND, WAVE_PAIR], errors="ignore")
            for p in programs
        ],
        ignore_index=True,
    )
    return Study(
        POOLED,
        programs[0].relationship_type,
        with_model_covariates(people),
        f"{len(programs)} programs pooled: {', '.join(p.program_id for p in programs)}",
        (*CATEGORICAL, "program_id"),
    )


def _with_pooled_copies(effects: pd.DataFrame) -> pd.DataFrame:
    """Add the pooled rows of types run by one program (the same figures), then order the rows
    by type with the pooled rows last."""
    programs = effects.groupby("relationship_type")["program_id"].unique()
    alone = {kind: ids[0] for kind, ids in programs.items() if POOLED not in ids}
    copies = effects.loc[effects["relationship_type"].isin(alone)].copy()
    copies["note"] = [
        _joined(note, f"one program ({program_id}): the same as its own rows")
        for note, program_id in zip(copies["note"], copies["program_id"], strict=True)
    ]
    copies["program_id"] = POOLED
    combined = pd.concat([effects, copies], ignore_index=True)
    combined["_pooled"] = combined["program_id"] == POOLED
    ordered = combined.sort_values(["relationship_type", "_pooled", "program_id"], kind="stable")
    return ordered.drop(columns="_pooled").reset_index(drop=True)


def _joined(*notes: str | None) -> str | None:
    kept = [n for n in notes if isinstance(n, str) and n]
    return "; ".join(kept) if kept else None


def _sampling_note(people: pd.DataFrame) -> str | None:
    """Say so when a trial's comparison people were sampled (the contract asks for it)."""
    if "trial_eligible" not in people or "trial_start" not in people:
        return None
    comparison = people.loc[people[TREATED] == 0]
    per_trial = comparison.groupby("trial_start", observed=True).agg(
        drawn=("employee_id", "size"), eligible=("trial_eligible", "max")
    )
    if not (per_trial["eligible"] > per_trial["drawn"]).any():
        return None
    return (
        f"comparison people drawn at random (fixed seed): {int(per_trial['drawn'].sum()):,} of "
        f"{int(per_trial['eligible'].sum()):,} eligible person-months, up to "
        f"{COMPARISONS_PER_PARTICIPANT} per participant in each monthly trial, each weighted "
        "by its trial's eligible over drawn"
    )


def _sampling_weights(people: pd.DataFrame) -> str | None:
    """The column of case weights the estimates use: the sampling weight where some comparison
    rows were drawn; None where everyone eligible is in (every weight 1)."""
    if SAMPLING_WEIGHT not in people:
        return None
    weights = pd.to_numeric(people[SAMPLING_WEIGHT]).to_numpy(dtype=float)
    return SAMPLING_WEIGHT if (weights != 1).any() else None


def _arm_sizes(people: pd.DataFrame, outcome: Outcome) -> tuple[int, int]:
    """Participants and comparison members with the outcome observed (survey outcomes: both
    waves; promotion: below the top level)."""
    observed = people[[outcome.first, outcome.second]].notna().all(axis=1).to_numpy()
    treated = int(people[TREATED].to_numpy()[observed].sum())
    return treated, int(observed.sum()) - treated


def _eventless_categories_merged(
    people: pd.DataFrame, event: str, categorical: tuple[str, ...]
) -> pd.DataFrame:
    """Count a category in which nobody had the event with the most common category that had.

    Alone, its hazard ratio would run off to zero and the Cox fit would not converge (a small
    department within a subgroup, say); merged, the participation estimate is unaffected.
    """
    merged = {}
    for column in categorical:
        levels = text_levels(people[column])
        events = people[event].groupby(levels, observed=True).sum()
        with_events = events.index[events > 0]
        if len(with_events) and len(with_events) < len(events):
            target = levels.loc[levels.isin(with_events)].value_counts().index[0]
            merged[column] = levels.where(levels.isin(with_events), target)
    return people.assign(**merged) if merged else people


def study_weighting(study: Study) -> Weighting:
    """ATT weights of the study's people from a logistic propensity model on the adjusted
    models' covariates (pooled studies: also the program)."""
    return att_weighting(study.people, TREATED, COVARIATES, study.categorical)


def study_censoring(study: Study, weighting: Weighting) -> CensoringWeights:
    """Inverse probability of censoring weights for the comparison people who are paired in
    the program later, and censored then (the sequential trials' rule): a pooled logistic
    model of being paired in each calendar month of follow-up, per program, on the
    propensity model's covariates (`stats.weighting.censoring_weights`)."""
    people = study.people
    needed = ("paired_later_on", "follow_up_end", "index_date", "exit_days", "exit_type")
    if not all(c in people for c in needed):
        return no_censoring_weights(len(people))
    index_date = pd.to_datetime(people["index_date"])
    paired = pd.to_datetime(people["paired_later_on"])
    censored = (
        paired.notna()
        & (paired <= pd.to_datetime(people["follow_up_end"]))
        & people["exit_type"].isna()
    ).to_numpy()
    first, end = index_date.min(), pd.to_datetime(people["follow_up_end"]).max()
    if not censored.any() or pd.isna(first) or pd.isna(end):
        return no_censoring_weights(len(people))
    months = pd.date_range(first.to_period("M").to_timestamp(), end, freq="MS")
    return censoring_weights(
        duration=pd.to_numeric(people["exit_days"]).to_numpy(dtype=float),
        censored=censored,
        at_risk=~weighting.treated,
        covariates=weighting.covariates.to_numpy(dtype=float),
        origin=_day_numbers(index_date),
        period_starts=_day_numbers(pd.Series(months)),
        stratum=people["program_id"].astype("str").to_numpy(),
        case_weight=weighting.sampling_weight,
    )


def _day_numbers(dates: pd.Series) -> np.ndarray:
    return ((dates - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)).to_numpy(dtype=float)


def estimate_effect(
    study: Study,
    outcome: Outcome,
    method: str,
    min_group_size: int,
    surveys: bool = True,
    weighting: Weighting | None = None,
    censoring: CensoringWeights | None = None,
) -> dict:
    """One row of `marts.program_effects` (without the program and type); `ipw` rows use
    `weighting` and `censoring` (fitted here when not given)."""
    n_treated, n_control = _arm_sizes(study.people, outcome)
    weights = _sampling_weights(study.people)
    covariates = COVARIATES if method == "adjusted" else ()
    categorical = study.categorical if method == "adjusted" else ()
    ph_p_value, ph_holds = np.nan, None
    too_few_events = (
        _too_few_events(study.people, outcome, min_group_size) if outcome.kind != "did" else None
    )
    if outcome.kind == "did" and not surveys:
        result = not_estimable(n_treated, n_control, method, NO_SURVEY_SCORES)
    elif min(n_treated, n_control) < min_group_size:
        result = not_estimable(
            n_treated, n_control, method, f"fewer than {min_group_size} people in a group"
        )
    elif too_few_events:
        result = not_estimable(n_treated, n_control, method, too_few_events)
    elif method == "ipw":
        weighting = weighting or study_weighting(study)
        censoring = censoring or study_censoring(study, weighting)
        result = _ipw_estimate(study, outcome, weighting, censoring)
    elif outcome.kind == "cox":
        # Pooled: a baseline hazard per program (stratified), not a program term.
        strata = "program_id" if study.program_id == POOLED else None
        categorical = tuple(c for c in categorical if c != strata)
        people = _eventless_categories_merged(study.people, outcome.second, categorical)
        result, ph_p_value, ph_holds = cox_hazard_ratio_and_ph_check(
            people,
            outcome.first,
            outcome.second,
            TREATED,
            covariates,
            categorical,
            cluster=CLUSTER,
            strata=strata,
            weights=weights,
        )
    elif outcome.kind == "retention":
        result = retention_difference(
            _eventless_categories_merged(study.people, outcome.second, categorical),
            outcome.first,
            outcome.second,
            TREATED,
            covariates=covariates,
            categorical=categorical,
            method=method,
            cluster=CLUSTER,
            weights=weights,
        )
    else:
        fixed_effects = [WAVE_PAIR] if WAVE_PAIR in study.people else []
        if study.program_id == POOLED:
            fixed_effects.append("program_id")
        result = diff_in_diff(
            study.people,
            outcome.first,
            outcome.second,
            TREATED,
            covariates,
            [c for c in categorical if c not in fixed_effects],
            scale=outcome.scale,
            fixed_effects=fixed_effects,
            cluster=CLUSTER,
            case_weights=weights,
        )
    return _row(
        outcome, result, study.note, ph_p_value, ph_holds, _e_values(study, outcome, result)
    )


def _ipw_estimate(
    study: Study, outcome: Outcome, weighting: Weighting, censoring: CensoringWeights
) -> Estimate:
    """Participation alone, the comparison group weighted to resemble the participants, and
    each comparison person's follow-up also weighted by the inverse probability of not yet
    having been paired (and so censored) at the time: over follow-up (survival outcomes, as
    counting-process pieces), at the follow-up wave (survey outcomes, where a later pairing
    leaves a person without a follow-up wave)."""
    if outcome.kind in ("cox", "retention"):
        # Only the model's columns are repeated per piece: a cohort has dozens more.
        columns = [outcome.first, outcome.second, TREATED, CLUSTER, "program_id"]
        people, factor = split_follow_up(
            study.people[columns], outcome.first, outcome.second, censoring, ENTRY
        )
        weight = weighting.weight[people.index.to_numpy()] * factor
    if outcome.kind == "cox":
        strata = "program_id" if study.program_id == POOLED else None
        result = weighted_hazard_ratio(
            people, outcome.first, outcome.second, TREATED, weight, CLUSTER, strata, ENTRY
        )
    elif outcome.kind == "retention":
        result = weighted_retention_difference(
            people, outcome.first, outcome.second, TREATED, weight, CLUSTER, entry=ENTRY
        )
    else:
        weight = weighting.weight * censoring.at(_days_to_followup(study.people))
        fixed_effects = [WAVE_PAIR] if WAVE_PAIR in study.people else []
        if study.program_id == POOLED:
            fixed_effects.append("program_id")
        result = diff_in_diff(
            study.people.assign(**{IPW_WEIGHT: weight}),
            outcome.first,
            outcome.second,
            TREATED,
            scale=outcome.scale,
            fixed_effects=fixed_effects,
            cluster=CLUSTER,
            weights=IPW_WEIGHT,
        )
    if not weighting.converged:
        note = "the propensity model did not converge (near separation): weights truncated"
        result = replace(result, note=_joined(result.note, note))
    if not censoring.converged:
        note = "the model of later pairings (censoring weights) did not converge"
        result = replace(result, note=_joined(result.note, note))
    return result


def _days_to_followup(people: pd.DataFrame) -> np.ndarray:
    """Days from each person's time zero to their follow-up wave (NaN: none)."""
    if "followup_wave_date" not in people:
        return np.full(len(people), np.nan)
    days = pd.to_datetime(people["followup_wave_date"]) - pd.to_datetime(people["index_date"])
    return (days / pd.Timedelta(days=1)).to_numpy(dtype=float)


def _e_values(study: Study, outcome: Outcome, result: Estimate) -> tuple[float, float]:
    """(e_value, e_value_ci) of an estimate on its outcome's scale (see `stats.evalue`): hazard
    ratios directly; survey differences standardised by the follow-up score's SD in the
    estimate's sample; the retention difference as a ratio of 12-month exit risks, with the
    participants' own (Kaplan–Meier) risk as the reference."""
    bounds = (result.estimate, result.ci_low, result.ci_high)
    if not np.isfinite(result.estimate):
        return np.nan, np.nan
    if outcome.kind == "cox":
        return e_values(*bounds)
    people = study.people
    observed = people[[outcome.first, outcome.second]].notna().all(axis=1)
    if outcome.kind == "did":
        spread = outcome.scale * float(
            pd.to_numeric(people.loc[observed, outcome.second]).astype(float).std()
        )
        ratios = [standardised_difference_as_risk_ratio(b, spread) for b in bounds]
        return e_values(*ratios)
    treated = people.loc[observed & (people[TREATED] == 1)]
    retained = km_at(
        pd.to_numeric(treated[outcome.first]).astype(float),
        pd.to_numeric(treated[outcome.second]).astype(float),
        [TWELVE_MONTHS_DAYS],
    )["survival"].iloc[0]
    # Retention up is exit risk down: the exit-risk difference is minus the estimate.
    ratios = [risk_difference_as_risk_ratio(-b / 100, 1 - retained) for b in bounds]
    return e_values(*ratios)


OUTCOME_EVENTS = {
    "voluntary_exit_hr": "voluntary exits",
    "promotion_hr": "promotions",
    "retention_12m_diff": "voluntary exits",
}


def _too_few_events(people: pd.DataFrame, outcome: Outcome, minimum: int) -> str | None:
    """Why a time-to-event estimate is not made: an arm with fewer than `minimum` events."""
    observed = people[[outcome.first, outcome.second]].notna().all(axis=1).to_numpy()
    events = pd.to_numeric(people[outcome.second]).to_numpy(dtype=float)[observed]
    treated = people[TREATED].to_numpy()[observed] == 1
    for arm, name in ((treated, "participants"), (~treated, "the comparison group")):
        if np.nansum(events[arm]) < minimum:
            return f"fewer than {minimum} {OUTCOME_EVENTS[outcome.code]} among {name}"
    return None


def _row(
    outcome: Outcome,
    result: Estimate,
    study_note: str | None,
    ph_p_value: float,
    ph_holds: bool | None,
    sensitivity: tuple[float, float] = (np.nan, np.nan),
) -> dict:
    return {
        "outcome": outcome.code,
        "method": result.method,
        "estimate": result.estimate,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "p_value": result.p_value,
        "n_treated": result.n_treated,
        "n_control": result.n_control,
        "note": _joined(result.note, study_note),
        "ph_p_value": ph_p_value,
        "ph_holds": ph_holds,
        "e_value": sensitivity[0],
        "e_value_ci": sensitivity[1],
    }


def study_rows(
    study: Study,
    min_group_size: int,
    surveys: bool,
    methods: tuple[str, ...] = METHODS,
    outcomes: tuple[Outcome, ...] = OUTCOMES,
) -> list[dict]:
    """The rows of one study: each outcome by each method."""
    keys = {"program_id": study.program_id, "relationship_type": study.relationship_type}
    if study.subgroup is not None:
        keys["subgroup"] = study.subgroup
    weighting = censoring = None
    if "ipw" in methods:
        weighting = study_weighting(study)
        censoring = study_censoring(study, weighting)
    return [
        keys
        | estimate_effect(study, outcome, method, min_group_size, surveys, weighting, censoring)
        for outcome in outcomes
        for method in methods
    ]


def _estimated(
    units: list[Study],
    min_group_size: int,
    surveys: bool,
    methods: tuple[str, ...],
    outcomes: tuple[Outcome, ...],
) -> list[dict]:
    rows_of = partial(
        study_rows,
        min_group_size=min_group_size,
        surveys=surveys,
        methods=methods,
        outcomes=outcomes,
    )
    return [row for rows in map_in_processes(rows_of, units) for row in rows]


def program_effects(
    cohort: pd.DataFrame,
    min_group_size: int,
    surveys: bool,
    outcomes: tuple[Outcome, ...] = OUTCOMES,
) -> pd.DataFrame:
    """Each outcome by every method, per program and relationship type and pooled."""
    rows = _estimated(studies(cohort), min_group_size, surveys, METHODS, outcomes)
    return _with_pooled_copies(pd.DataFrame(rows, columns=list(COLUMNS)))


def program_effects_by_subgroup(
    cohort: pd.DataFrame,
    min_group_size: int,
    surveys: bool,
    outcomes: tuple[Outcome, ...] = OUTCOMES,
) -> pd.DataFrame:
    """Both methods' effects within each gender and ethnicity category, with p-values also
    Holm-adjusted across the subgroups of one program, type, outcome and method, and per
    dimension a test of whether the effect differs between its categories (`p_interaction`).

    The interaction test is Cochran's Q over the categories' estimates (log hazard ratios for
    hazard ratios) with their clustered standard errors: the categories hold different people,
    so their estimates are independent, and Q is the Wald test of treatment × category in a
    model fitted separately per category (every covariate's effect free to differ too).
    """
    units = [subset for study in studies(cohort) for subset in study.by_subgroup()]
    rows = _estimated(units, min_group_size, surveys, SUBGROUP_METHODS, outcomes)
    columns = [c for c in SUBGROUP_COLUMNS if c not in FAMILY_COLUMNS]
    frame = _with_pooled_copies(pd.DataFrame(rows, columns=columns))
    parts = [str(label).partition("=") for label in frame["subgroup"]]
    frame["dimension"] = pd.Series([p[0] for p in parts], index=frame.index, dtype="object")
    frame["category"] = pd.Series([p[2] for p in parts], index=frame.index, dtype="object")
    family = ["program_id", "relationship_type", "outcome", "method"]
    frame["p_value_holm"] = frame.groupby(family, sort=False)["p_value"].transform(
        lambda p: holm_adjust(p.to_numpy())
    )
    frame["p_interaction"] = np.nan
    for keys, rows in frame.groupby([*family, "dimension"], sort=False):
        frame.loc[rows.index, "p_interaction"] = _interaction_p(rows, keys[2].endswith("_hr"))
    return frame[list(SUBGROUP_COLUMNS)]


def _interaction_p(rows: pd.DataFrame, ratio: bool) -> float:
    """Cochran's Q p-value over the estimated categories of one dimension; NaN under two."""
    estimated = rows.loc[rows["estimate"].notna() & rows["ci_low"].notna()]
    if len(estimated) < 2:
        return np.nan
    values = estimated[["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float)
    if ratio:
        values = np.log(values)
    std_error = (values[:, 2] - values[:, 1]) / (2 * Z_95)
    if not (std_error > 0).all():
        return np.nan
    weight = 1 / std_error**2
    pooled = float(weight @ values[:, 0] / weight.sum())
    q = float(weight @ (values[:, 0] - pooled) ** 2)
    return float(chi2.sf(q, len(estimated) - 1))


def build_program_effects(con: duckdb.DuckDBPyConnection, min_group_size: int) -> pd.DataFrame:
    """Write `marts.program_effects`; returns its rows."""
    effects = _with_remembered_survival(
        con, PROGRAM_EFFECTS, COLUMNS, program_effects, min_group_size
    )
    write_frame(con, PROGRAM_EFFECTS, effects, COLUMNS)
    return effects


def build_program_effects_by_subgroup(con: duckdb.DuckDBPyConnection, min_group_size: int) -> int:
    effects = _with_remembered_survival(
        con,
        PROGRAM_EFFECTS_BY_SUBGROUP,
        SUBGROUP_COLUMNS,
        program_effects_by_subgroup,
        min_group_size,
    )
    return write_frame(con, PROGRAM_EFFECTS_BY_SUBGROUP, effects, SUBGROUP_COLUMNS)


def _with_remembered_survival(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    estimate: Callable[..., pd.DataFrame],
    min_group_size: int,
) -> pd.DataFrame:
    """`estimate(cohort, min_group_size, surveys, outcomes)` for every outcome, reusing the
    survival rows of an earlier run when nothing they depend on has changed (`memo`)."""
    cohort, surveys = read_cohort(con), surveys_scored(con)
    digest = non_survey_inputs_digest(con, min_group_size)
    remembered = recall(con, table, digest)
    if remembered is None:
        effects = estimate(cohort, min_group_size, surveys)
        survival = effects.loc[~effects["outcome"].isin([o.code for o in SURVEY_OUTCOMES])]
        remember(con, table, digest, survival, columns)
        return effects
    fresh = estimate(cohort, min_group_size, surveys, SURVEY_OUTCOMES)
    return _in_table_order(pd.concat([remembered, fresh], ignore_index=True))[list(columns)]


def _in_table_order(effects: pd.DataFrame) -> pd.DataFrame:
    """Rows by type, program (pooled last), subgroup (as first listed), outcome and method."""
    rank = {
        "_pooled": effects["program_id"] == POOLED,
        "_outcome": effects["outcome"].map({o.code: i for i, o in enumerate(OUTCOMES)}),
        "_method": effects["method"].map({m: i for i, m in enumerate(METHODS)}),
    }
    if "subgroup" in effects:
        rank["_subgroup"] = effects["subgroup"].map(
            {label: i for i, label in enumerate(effects["subgroup"].unique())}
        )
    subgroup = ["_subgroup"] if "subgroup" in effects else []
    order = ["relationship_type", "_pooled", "program_id", *subgroup, "_outcome", "_method"]
    ordered = effects.assign(**rank).sort_values(order, kind="stable")
    return ordered.drop(columns=list(rank)).reset_index(drop=True)


def missing_estimates(effects: pd.DataFrame) -> list[str]:
    """What breaks the table's promise: an outcome without all three methods, or an estimate
    without its interval or group sizes. Empty when the table is whole."""
    problems = []
    for (program_id, relationship_type), rows in effects.groupby(
        ["program_id", "relationship_type"], sort=True
    ):
        present = set(zip(rows["outcome"], rows["method"], strict=True))
        problems += [
            f"{program_id}/{relationship_type}: no {method} {outcome.code}"
            for outcome in OUTCOMES
            for method in METHODS
            if (outcome.code, method) not in present
        ]
    estimated = effects.loc[effects["estimate"].notna()]
    incomplete = estimated[["ci_low", "ci_high", "n_treated", "n_control"]].isna().any(axis=1)
    problems += [
        f"{r.program_id}/{r.relationship_type}: {r.method} {r.outcome} lacks its interval or n"
        for r in estimated.loc[incomplete].itertuples()
    ]
    unexplained = effects.loc[effects["estimate"].isna() & effects["note"].isna()]
    problems += [
        f"{r.program_id}/{r.relationship_type}: {r.method} {r.outcome} is not estimable "
        "without a note saying why"
        for r in unexplained.itertuples()
    ]
    half_made = effects.loc[
        effects["estimate"].isna() & effects[["ci_low", "ci_high", "p_value"]].notna().any(axis=1)
    ]
    problems += [
        f"{r.program_id}/{r.relationship_type}: {r.method} {r.outcome} has no estimate but "
        "an interval or p-value"
        for r in half_made.itertuples()
    ]
    return problems


def not_estimable_rows(effects: pd.DataFrame) -> list[str]:
    """Each row published without figures, with its note: what the check reports."""
    missing = effects.loc[effects["estimate"].isna()]
    return [
        f"{r.program_id}/{r.relationship_type} {r.method} {r.outcome}: {r.note}"
        for r in missing.itertuples()
    ]


def hazards_not_proportional(effects: pd.DataFrame) -> list[str]:
    """The hazard ratios whose proportional-hazards test rejects (p < 0.05)."""
    rejected = effects.loc[effects["ph_holds"].eq(False)]
    return [
        f"{r.program_id}/{r.relationship_type} {r.method} {r.outcome} (p = {r.ph_p_value:.3f})"
        for r in rejected.itertuples()
    ]
