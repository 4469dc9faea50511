"""`marts.program_effects` and `marts.program_effects_by_subgroup`: participants against the
comparison group, per program and relationship type, naive and adjusted (OUTPUTS.md)."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import duckdb
import numpy as np
import pandas as pd

from effects.cohorts import read_cohort, surveys_scored
from effects.memo import recall, remember, survival_inputs_digest
from effects.subgroups import subgroups
from stats.did import diff_in_diff
from stats.estimate import MISSING_LEVEL, Estimate, not_estimable
from stats.proportions import holm_adjust
from stats.survival import (
    cox_hazard_ratio,
    proportional_hazards_check,
    retention_difference,
)
from warehouse.catalogue import PROGRAM_EFFECTS, PROGRAM_EFFECTS_BY_SUBGROUP
from warehouse.parallel import map_in_processes
from warehouse.tables import write_frame

POOLED = "all"
METHODS = ("naive", "adjusted")
TREATED = "treated"
# Pre-program covariates of the adjusted models; department and gender are categories.
COVARIATES = ("job_level", "tenure_years", "performance_rating")
CATEGORICAL = ("department", "gender")
NO_SURVEY_SCORES = "no survey scores"
LATE_PAIRING_DAYS = 30


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
}
SUBGROUP_COLUMNS = {
    **dict(list(COLUMNS.items())[:2]),
    "subgroup": "VARCHAR",
    **dict(list(COLUMNS.items())[2:]),
    "p_value_holm": "DOUBLE",
}


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


def studies(cohort: pd.DataFrame) -> list[Study]:
    """One study per program and relationship type, then per type its programs pooled; a type
    run by a single program is its own pool (its rows are copied, see `_with_pooled_copies`)."""
    compared = cohort.loc[cohort["group"].isin(["participant", "comparison"])]
    compared = compared.assign(**{TREATED: (compared["group"] == "participant").astype(int)})
    found = []
    for relationship_type, of_type in compared.groupby("relationship_type", sort=True):
        programs = [
            Study(program_id, relationship_type, people.reset_index(drop=True), _late_note(people))
            for program_id, people in of_type.groupby("program_id", sort=True)
        ]
        found += programs if len(programs) == 1 else [*programs, pooled(programs)]
    return found


def pooled(programs: list[Study]) -> Study:
    """The programs of one type stacked.

    Someone in two programs' cohorts appears once per program, each time with that program's
    index date and covariates, and the adjusted models add the program as a category. Those
    rows are not independent, so pooled intervals are somewhat too narrow when many recur.
    """
    return Study(
        POOLED,
        programs[0].relationship_type,
        pd.concat([p.people for p in programs], ignore_index=True),
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


def _late_note(people: pd.DataFrame) -> str | None:
    """Participants are followed from the program's start even when paired later: say so."""
    participants = people.loc[people[TREATED] == 1]
    delay = (participants["first_pairing_start"] - participants["index_date"]).dt.days
    late = int((delay > LATE_PAIRING_DAYS).sum())
    if not late:
        return None
    return (
        f"{late} of {len(participants)} participants were paired more than "
        f"{LATE_PAIRING_DAYS} days after the program start"
    )


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
        levels = people[column].astype("str").where(people[column].notna(), MISSING_LEVEL)
        events = people[event].groupby(levels).sum()
        with_events = events.index[events > 0]
        if len(with_events) and len(with_events) < len(events):
            target = levels.loc[levels.isin(with_events)].value_counts().index[0]
            merged[column] = levels.where(levels.isin(with_events), target)
    return people.assign(**merged) if merged else people


def estimate_effect(
    study: Study, outcome: Outcome, method: str, min_group_size: int, surveys: bool = True
) -> dict:
    """One row of `marts.program_effects` (without the program and type)."""
    n_treated, n_control = _arm_sizes(study.people, outcome)
    covariates = COVARIATES if method == "adjusted" else ()
    categorical = study.categorical if method == "adjusted" else ()
    ph_p_value, ph_holds = np.nan, None
    if outcome.kind == "did" and not surveys:
        result = not_estimable(n_treated, n_control, method, NO_SURVEY_SCORES)
    elif min(n_treated, n_control) < min_group_size:
        result = not_estimable(
            n_treated, n_control, method, f"fewer than {min_group_size} people in a group"
        )
    elif outcome.kind == "cox":
        people = _eventless_categories_merged(study.people, outcome.second, categorical)
        model = (people, outcome.first, outcome.second, TREATED, covariates, categorical)
        result = cox_hazard_ratio(*model)
        if np.isfinite(result.estimate):
            ph_p_value, ph_holds = proportional_hazards_check(*model)  # reuses the fit
    elif outcome.kind == "retention":
        result = retention_difference(
            _eventless_categories_merged(study.people, outcome.second, categorical),
            outcome.first,
            outcome.second,
            TREATED,
            covariates=covariates,
            categorical=categorical,
            method=method,
        )
    else:
        result = diff_in_diff(
            study.people,
            outcome.first,
            outcome.second,
            TREATED,
            covariates,
            categorical,
            scale=outcome.scale,
        )
    return _row(outcome, result, study.note, ph_p_value, ph_holds)


def _row(
    outcome: Outcome,
    result: Estimate,
    study_note: str | None,
    ph_p_value: float,
    ph_holds: bool | None,
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
    return [
        keys | estimate_effect(study, outcome, method, min_group_size, surveys)
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
    """Each outcome by both methods, per program and relationship type and pooled."""
    rows = _estimated(studies(cohort), min_group_size, surveys, METHODS, outcomes)
    return _with_pooled_copies(pd.DataFrame(rows, columns=list(COLUMNS)))


def program_effects_by_subgroup(
    cohort: pd.DataFrame,
    min_group_size: int,
    surveys: bool,
    outcomes: tuple[Outcome, ...] = OUTCOMES,
) -> pd.DataFrame:
    """The adjusted effects within each gender and ethnicity category, with p-values also
    Holm-adjusted across the subgroups of one program, type and outcome.

    Only `adjusted`: within a subgroup the naive contrast is as confounded as overall, and
    these estimates exist to ask whether a program works equally for everyone.
    """
    units = [subset for study in studies(cohort) for subset in study.by_subgroup()]
    rows = _estimated(units, min_group_size, surveys, ("adjusted",), outcomes)
    columns = [c for c in SUBGROUP_COLUMNS if c != "p_value_holm"]
    frame = _with_pooled_copies(pd.DataFrame(rows, columns=columns))
    family = ["program_id", "relationship_type", "outcome", "method"]
    frame["p_value_holm"] = frame.groupby(family, sort=False)["p_value"].transform(
        lambda p: holm_adjust(p.to_numpy())
    )
    return frame[list(SUBGROUP_COLUMNS)]


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
    digest = survival_inputs_digest(con, min_group_size)
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
    """What breaks the table's promise: an outcome without both methods, or an estimate
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
    return problems


def hazards_not_proportional(effects: pd.DataFrame) -> list[str]:
    """The hazard ratios whose proportional-hazards test rejects (p < 0.05)."""
    rejected = effects.loc[effects["ph_holds"].eq(False)]
    return [
        f"{r.program_id}/{r.relationship_type} {r.method} {r.outcome} (p = {r.ph_p_value:.3f})"
        for r in rejected.itertuples()
    ]
