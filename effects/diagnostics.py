"""`marts.covariate_balance` and `marts.study_diagnostics`: is the comparison fair (OUTPUTS.md,
"Balance and overlap", "Pre-trend placebo").

Per study (program, or programs pooled, and relationship type): the ipw weights of
`program_effects` (same propensity model), the standardised mean difference of every
pre-program covariate and category before and after weighting, the overlap of the two groups'
propensities, and the survey pre-trend placebo: among people with two waves before time zero,
the loneliness change between them, participants minus comparison group, which should be 0.
What the weighting makes is remembered between runs (`effects.memo`): a new survey wave
recomputes only the placebo.
"""

import duckdb
import numpy as np
import pandas as pd

from effects.cohorts import read_cohort, surveys_scored
from effects.memo import WEIGHTING, non_survey_inputs_digest, recall, remember
from effects.program_effects import (
    CATEGORICAL,
    CLUSTER,
    COVARIATES,
    POOLED,
    TREATED,
    Study,
    _with_pooled_copies,
    studies,
    study_weighting,
    wave_pairs,
)
from stats.did import diff_in_diff
from stats.estimate import Estimate, not_estimable, text_levels
from stats.weighting import Weighting, standardised_differences
from warehouse.catalogue import (
    COVARIATE_BALANCE,
    PROPENSITY_OVERLAP,
    STUDY_COHORT,
    STUDY_DIAGNOSTICS,
)
from warehouse.tables import SURVEY_SCORES, write_frame

BALANCE_THRESHOLD = 0.1
PLACEBO_OUTCOME = "loneliness"
PRIOR = f"{PLACEBO_OUTCOME}_prior"
BASELINE = f"{PLACEBO_OUTCOME}_baseline"
PLACEBO_PAIR = "placebo_wave_pair"
# Fewer participants than this with two waves before time zero: no placebo.
MIN_PLACEBO_PEOPLE = 5
HISTOGRAM_BINS = 20


def balance_columns(people: pd.DataFrame, categorical: tuple[str, ...]) -> pd.DataFrame:
    """Every pre-program covariate as the balance table shows it: numbers as they are (missing
    filled with the median, plus a `_missing` share), and every category of a categorical one
    as a 0/1 column named `covariate=category` (none left out as a reference)."""
    columns = {}
    for name in COVARIATES:
        values = pd.to_numeric(people[name]).astype(float)
        columns[name] = values.fillna(values.median() if values.notna().any() else 0.0)
        columns[f"{name}_missing"] = values.isna().astype(float)
    for name in categorical:
        levels = text_levels(people[name])
        for level in sorted(levels.unique()):
            columns[f"{name}={level}"] = (levels == level).astype(float)
    return pd.DataFrame(columns, index=people.index).reset_index(drop=True)


def study_balance(study: Study, weighting: Weighting) -> pd.DataFrame:
    balance = standardised_differences(
        balance_columns(study.people, study.categorical),
        weighting.treated,
        weighting.weight,
        weighting.sampling_weight,
    )
    parts = balance["covariate"].str.partition("=")
    return balance.assign(
        program_id=study.program_id,
        relationship_type=study.relationship_type,
        covariate=parts[0],
        category=parts[2].where(parts[1] == "=", None),
    )[list(COVARIATE_BALANCE.types())]


def propensity_histogram(study: Study, weighting: Weighting) -> pd.DataFrame:
    """Both groups' propensities in HISTOGRAM_BINS equal bins from 0 to the largest propensity
    (rounded up to a multiple of 0.05)."""
    top = min(1.0, np.ceil(weighting.propensity.max() / 0.05) * 0.05) or 1.0
    edges = np.linspace(0.0, top, HISTOGRAM_BINS + 1)
    rows = []
    for group, members in (("participant", weighting.treated), ("comparison", ~weighting.treated)):
        counts, _ = np.histogram(weighting.propensity[members], bins=edges)
        rows += [
            {
                "program_id": study.program_id,
                "relationship_type": study.relationship_type,
                "arm": group,
                "bin_low": float(low),
                "bin_high": float(high),
                "people": int(count),
            }
            for low, high, count in zip(edges[:-1], edges[1:], counts, strict=True)
        ]
    return pd.DataFrame(rows, columns=list(PROPENSITY_OVERLAP.types()))


def pre_trend_placebo(study: Study, min_people: int = MIN_PLACEBO_PEOPLE) -> Estimate:
    """Loneliness change from the wave before the baseline to the baseline (both before time
    zero), participants minus comparison group, a fixed effect per pair of waves (pooled: per
    program too), clustered on employee_id: 0 when the groups were on the same path."""
    people = study.people
    if PRIOR not in people:
        return not_estimable(0, 0, "placebo", "no survey scores")
    fixed_effects = [PLACEBO_PAIR]
    if study.program_id == POOLED:
        fixed_effects.append("program_id")
    both = people[[PRIOR, BASELINE]].notna().all(axis=1)
    n_treated = int(people.loc[both, TREATED].sum())
    n_control = int(both.sum()) - n_treated
    if min(n_treated, n_control) < min_people:
        return not_estimable(
            n_treated,
            n_control,
            "placebo",
            f"fewer than {min_people} people in a group with two survey waves before time zero",
        )
    return diff_in_diff(
        people, PRIOR, BASELINE, TREATED, fixed_effects=fixed_effects, cluster=CLUSTER
    )


# Each cohort row with the last wave before its baseline wave and that wave's loneliness,
# in the cohort's order. The rows are matched by rowid: joined on their five keys in pandas,
# they took a second at xl.
COHORT_WITH_PRIOR_WAVES_SQL = f"""
SELECT c.*, p.prior_wave, p.{PRIOR}
FROM {STUDY_COHORT} c LEFT JOIN (
    SELECT c.rowid AS cohort_row, s.wave AS prior_wave,
        CAST(s.{PLACEBO_OUTCOME} AS DOUBLE) AS {PRIOR}
    FROM {STUDY_COHORT} c JOIN {SURVEY_SCORES} s
        ON s.employee_id = c.employee_id AND s.wave_date < c.baseline_wave_date
    QUALIFY row_number() OVER (PARTITION BY c.rowid ORDER BY s.wave_date DESC, s.wave DESC) = 1
) p ON p.cohort_row = c.rowid
ORDER BY c.rowid
"""


def fairness(study: Study) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """(covariate balance, study diagnostics row without the placebo, propensity histogram)
    of one study: all that its propensity weighting makes, none of it from survey scores."""
    weighting = study_weighting(study)
    balance = study_balance(study, weighting)
    people = study.people
    outside = weighting.share_outside_comparison_range
    notes = []
    if outside > 0:
        notes.append(
            f"{outside:.1%} of participants have no comparable colleague (their "
            "propensity lies outside the comparison group's range)"
        )
    if not weighting.converged:
        notes.append("the propensity model did not converge (near separation)")
    trials = people.loc[people[TREATED] == 1, "index_date"]
    if "trial_start" in people:
        trials = people.loc[people[TREATED] == 1, "trial_start"]
    row = {
        "program_id": study.program_id,
        "relationship_type": study.relationship_type,
        "participants": int(people[TREATED].sum()),
        "comparison_people": int(people.loc[people[TREATED] == 0, "employee_id"].nunique()),
        "comparison_rows": int((people[TREATED] == 0).sum()),
        "trials": int(trials.nunique()),
        "effective_comparison_size": weighting.effective_comparison_size,
        "share_outside_overlap": outside,
        "max_abs_smd_after": float(balance["smd_after"].abs().max()),
        "note": "; ".join(notes) or None,
    }
    return balance, row, propensity_histogram(study, weighting)


def every_fairness(all_studies: list[Study]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """`fairness` of every study: balance, diagnostics rows (placebo columns empty) and
    histogram, before the pooled copies."""
    parts = [fairness(study) for study in all_studies]
    balance = [part[0] for part in parts]
    histogram = [part[2] for part in parts]
    return (
        pd.concat(balance, ignore_index=True) if balance else _empty(COVARIATE_BALANCE),
        pd.DataFrame([part[1] for part in parts], columns=list(STUDY_DIAGNOSTICS.types())),
        pd.concat(histogram, ignore_index=True) if histogram else _empty(PROPENSITY_OVERLAP),
    )


def _empty(table) -> pd.DataFrame:
    return pd.DataFrame(columns=list(table.types()))


def with_placebos(rows: pd.DataFrame, all_studies: list[Study]) -> pd.DataFrame:
    """The diagnostics rows of `every_fairness` with each study's placebo, its note last."""
    rows = rows.set_index(["program_id", "relationship_type"], drop=False)
    for study in all_studies:
        placebo = pre_trend_placebo(study)
        key = (study.program_id, study.relationship_type)
        rows.loc[key, "placebo_estimate"] = placebo.estimate
        rows.loc[key, "placebo_ci_low"] = placebo.ci_low
        rows.loc[key, "placebo_ci_high"] = placebo.ci_high
        rows.loc[key, "placebo_n"] = placebo.n_treated + placebo.n_control
        if placebo.note and not np.isfinite(placebo.estimate):
            notes = [rows.loc[key, "note"], f"placebo: {placebo.note}"]
            rows.loc[key, "note"] = "; ".join(n for n in notes if isinstance(n, str))
    return rows.reset_index(drop=True)


def diagnostics(
    all_studies: list[Study],
    fair: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(covariate balance, study diagnostics, propensity histogram) of every study; `fair`,
    when given, is their `every_fairness`, remembered from an earlier run."""
    balance, rows, histogram = fair if fair is not None else every_fairness(all_studies)
    return (
        _pooled(balance, COVARIATE_BALANCE),
        _pooled(with_placebos(rows, all_studies), STUDY_DIAGNOSTICS),
        _pooled(histogram, PROPENSITY_OVERLAP),
    )


def _pooled(frame: pd.DataFrame, table) -> pd.DataFrame:
    """Types run by one program get their pooled rows copied, as in program_effects."""
    if frame.empty:
        return pd.DataFrame(columns=list(table.types()))
    if "note" not in frame:
        copied = _with_pooled_copies(frame.assign(note=None))
        return copied[list(table.types())]
    return _with_pooled_copies(frame)[list(table.types())]


def read_cohort_with_prior_waves(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not surveys_scored(con):
        return read_cohort(con)
    cohort = read_cohort(con, COHORT_WITH_PRIOR_WAVES_SQL)
    cohort[PLACEBO_PAIR] = wave_pairs(cohort["prior_wave"], cohort["baseline_wave"])
    return cohort


def build_study_diagnostics(
    con: duckdb.DuckDBPyConnection,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Write `marts.covariate_balance`, `marts.study_diagnostics` and
    `marts.propensity_overlap`; returns the three."""
    all_studies = studies(read_cohort_with_prior_waves(con))
    balance, table, histogram = diagnostics(all_studies, _remembered_fairness(con, all_studies))
    write_frame(con, COVARIATE_BALANCE, balance)
    write_frame(con, STUDY_DIAGNOSTICS, table)
    write_frame(con, PROPENSITY_OVERLAP, histogram)
    return balance, table, histogram


def _remembered_fairness(
    con: duckdb.DuckDBPyConnection, all_studies: list[Study]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """`every_fairness` of the studies as an earlier run left it when no input has changed
    since (`effects.memo`; the digest is of the cohort's columns other than surveys');
    else computed, and remembered."""
    digest = non_survey_inputs_digest(con)
    tables = (COVARIATE_BALANCE, STUDY_DIAGNOSTICS, PROPENSITY_OVERLAP)
    remembered = [recall(con, table, digest, WEIGHTING) for table in tables]
    if all(rows is not None for rows in remembered):
        return tuple(remembered)
    fair = every_fairness(all_studies)
    for table, rows in zip(tables, fair, strict=True):
        remember(con, table, digest, rows, table.types(), WEIGHTING)
    return fair


def imbalanced(balance: pd.DataFrame, threshold: float = BALANCE_THRESHOLD) -> list[str]:
    """Each covariate (category) whose |SMD| after weighting exceeds the threshold."""
    over = balance.loc[balance["smd_after"].abs() > threshold]
    return [
        f"{r.program_id}/{r.relationship_type} {r.covariate}"
        + (f"={r.category}" if isinstance(r.category, str) else "")
        + f" (SMD {r.smd_after:+.2f})"
        for r in over.itertuples()
    ]


__all__ = ["CATEGORICAL", "build_study_diagnostics", "imbalanced"]
