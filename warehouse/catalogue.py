"""The catalogue of warehouse tables: each table declared once, with its schema, name,
description, columns (name, SQL type, description), key and whether it is sensitive.

Everything else reads it: the DDL of tables written from frames and of the ledger in `meta`
(`Table.ddl`), the check that a table built by a query has its declared columns and types
(`check_columns`), `COMMENT ON` (`apply_comments`; `CREATE OR REPLACE TABLE` drops comments, so
every build re-applies them), the one-row-per-key check (`Table.key`), the pseudonymiser's list
of tables left out of a published copy (`Table.sensitive`), and in `assets/` each asset's key and
Dagster column schema. A `Table` formats as its qualified name, so `f"FROM {RUN_INFO}"` works.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from warehouse.sql import quote_ident, quote_literal


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    description: str
    columns: tuple[Column, ...] = field(repr=False)
    key: tuple[str, ...] | None = None
    sensitive: bool = False

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"{self}: column(s) declared twice: {', '.join(duplicated)}")
        unknown = [k for k in self.key or () if k not in names]
        if unknown:
            raise ValueError(f"{self}: key column(s) not declared: {', '.join(unknown)}")

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def qualified_name(self) -> str:
        return str(self)

    def types(self) -> dict[str, str]:
        """Column name → SQL type, in the table's order."""
        return {c.name: c.type for c in self.columns}

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def ddl(self, *, if_not_exists: bool = False, primary_key: bool = False) -> str:
        """`CREATE [OR REPLACE] TABLE` with the declared columns (and the key as PRIMARY KEY)."""
        columns = [f"{quote_ident(c.name)} {c.type}" for c in self.columns]
        if primary_key and self.key:
            columns.append(f"PRIMARY KEY ({', '.join(quote_ident(k) for k in self.key)})")
        create = "CREATE TABLE IF NOT EXISTS" if if_not_exists else "CREATE OR REPLACE TABLE"
        return f"{create} {self} ({', '.join(columns)})"


def _share(description: str, name: str) -> tuple[Column, ...]:
    return (
        Column(name, "DOUBLE", f"Share of {description} (0–1); NULL when n is 0."),
        Column(f"{name}_ci_low", "DOUBLE", f"Lower bound of the Wilson 95% interval of {name}."),
        Column(f"{name}_ci_high", "DOUBLE", f"Upper bound of the Wilson 95% interval of {name}."),
        Column(f"{name}_n", "BIGINT", f"Denominator of {name}: how many it is a share of."),
    )


def _interval(description: str, name: str) -> tuple[Column, ...]:
    return (
        Column(name, "DOUBLE", description),
        Column(f"{name}_ci_low", "DOUBLE", f"Lower bound of the 95% interval of {name}."),
        Column(f"{name}_ci_high", "DOUBLE", f"Upper bound of the 95% interval of {name}."),
    )


_PROGRAM = "The program (programs.program_id)."
_TYPE = "mentor, sponsor, ally or coach."
_SUBGROUP = (
    "all, or gender=<value> / ethnicity=<value> as given in the HRIS ('not disclosed' where empty)."
)
_GROUP = (
    "The study arm (named group before this release; legacy.<table> shows it under that name): "
    "participant (paired in this program and type; time zero at the first pairing), "
    "comparison (employed on a monthly trial's first day, not an advisor in the program, not "
    "yet paired in it, not a participant of this type in the 12 months before) or advisor."
)

RUN_INFO = Table(
    "marts",
    "run_info",
    "One row: the data's as-of date (where follow-up ends) and when the marts were built.",
    (
        Column(
            "as_of",
            "DATE",
            "The as-of date: MENTORLENS_AS_OF, else the latest hire, termination or job "
            "event not after the day of the run.",
        ),
        Column("as_of_source", "VARCHAR", "Where the as-of date came from."),
        Column("built_at", "TIMESTAMP", "When the marts were built (local time)."),
    ),
)

_PARTICIPATION_FLAGS = (
    Column(
        "is_mentee",
        "BOOLEAN",
        "Ever the mentee of a mentoring pairing (any date, even after a survey wave: to "
        "count someone as a mentee from when they joined, use marts.fct_participation).",
    ),
    Column("is_mentor", "BOOLEAN", "Mentor in at least one pairing."),
    Column("is_protege", "BOOLEAN", "Participant (protégé) of at least one sponsorship pairing."),
    Column("is_sponsor", "BOOLEAN", "Sponsor in at least one pairing."),
    Column(
        "has_ally",
        "BOOLEAN",
        "Ever the supported colleague of an ally pairing: has (had) an ally. Not "
        "is_ally, which is the ally's side.",
    ),
    Column(
        "is_ally",
        "BOOLEAN",
        "Ever the ally (the advisor) of an ally pairing. Not has_ally, the supported "
        "colleague's side.",
    ),
    Column("is_coachee", "BOOLEAN", "Participant of at least one coaching pairing."),
    Column("is_coach", "BOOLEAN", "Coach in at least one pairing."),
    Column("is_advisor", "BOOLEAN", "Mentor, sponsor, ally or coach in at least one pairing."),
)

DIM_EMPLOYEE = Table(
    "marts",
    "dim_employee",
    "One row per employee (everyone in the HRIS snapshot, leavers included), with tenure, "
    "level, demographics and participation flags per relationship type.",
    (
        Column("employee_id", "VARCHAR", "The employee's id (HRIS)."),
        Column("hire_date", "DATE", "Hire date."),
        Column("termination_date", "DATE", "Termination date; NULL while employed."),
        Column(
            "termination_type",
            "VARCHAR",
            "voluntary, involuntary, retirement or other; NULL while employed.",
        ),
        Column(
            "is_employed",
            "BOOLEAN",
            "Employed on the as-of date (hired by then, not terminated by then).",
        ),
        Column(
            "tenure_years",
            "DOUBLE",
            "Years from hire to the as-of date, or to the exit for leavers.",
        ),
        Column("job_level", "BIGINT", "Job level in the HRIS snapshot (1–20)."),
        Column("department", "VARCHAR", "Department (HRIS)."),
        Column("location", "VARCHAR", "Location (HRIS)."),
        Column("manager_id", "VARCHAR", "The manager's employee_id."),
        Column("gender", "VARCHAR", "Gender as given; NULL = not disclosed."),
        Column("ethnicity", "VARCHAR", "Ethnicity as given; NULL = not disclosed."),
        Column(
            "performance_rating", "DOUBLE", "Latest performance rating before any program (1–5)."
        ),
        *_PARTICIPATION_FLAGS,
    ),
    key=("employee_id",),
)

FCT_PAIRING = Table(
    "marts",
    "fct_pairing",
    "One row per pairing (relationship): meetings by status, milestones, certificate "
    "eligibility, duration, activation and how it ended. Activities after the as-of date are "
    "not counted.",
    (
        Column("pairing_id", "VARCHAR", "The pairing's id."),
        Column("program_id", "VARCHAR", _PROGRAM),
        Column("relationship_type", "VARCHAR", _TYPE),
        Column("advisor_id", "VARCHAR", "The mentor, sponsor, ally or coach (employee_id)."),
        Column(
            "participant_id", "VARCHAR", "The mentee, protégé or supported colleague (employee_id)."
        ),
        Column("start_date", "DATE", "Start of the pairing."),
        Column("end_date", "DATE", "End of the pairing; NULL while it goes on."),
        Column(
            "end_reason",
            "VARCHAR",
            "completed, rematched, withdrawn or left_company; NULL while it goes on.",
        ),
        Column("is_ongoing", "BOOLEAN", "No end date on or before the as-of date."),
        Column(
            "duration_days", "BIGINT", "Days from start to end, or to the as-of date while ongoing."
        ),
        Column("meetings_completed", "BIGINT", "Meetings held."),
        Column("meetings_cancelled", "BIGINT", "Meetings cancelled in time."),
        Column("meetings_late_cancelled", "BIGINT", "Meetings cancelled late."),
        Column("meetings_no_show", "BIGINT", "Meetings someone did not show up to."),
        Column("milestones_completed", "BIGINT", "Distinct milestone names with status completed."),
        Column(
            "planned_milestones", "BIGINT", "Milestones the program expects a pair to complete."
        ),
        Column(
            "milestone_completion_rate",
            "DOUBLE",
            "milestones_completed / planned_milestones, at most 1; "
            "NULL when the program plans none.",
        ),
        Column(
            "certificate_threshold",
            "DOUBLE",
            "Completion rate that earns the certificate (program's, else 0.8).",
        ),
        Column(
            "mean_meeting_rating", "DOUBLE", "Mean feedback rating of the pairing's meetings (1–5)."
        ),
        Column("meeting_ratings", "BIGINT", "Meetings with a rating."),
        Column("first_meeting_date", "DATE", "Date of the first completed meeting."),
        Column(
            "certificate_eligible",
            "BOOLEAN",
            "milestone_completion_rate ≥ certificate_threshold; NULL when "
            "the program plans no milestones.",
        ),
        Column(
            "activated",
            "BOOLEAN",
            "A completed meeting within 60 days of the start; NULL while those 60 days "
            "have not passed.",
        ),
        Column(
            "participant_job_level_at_start",
            "BIGINT",
            "The participant's job level on the pairing's start date, rebuilt from job events "
            "(else the HRIS snapshot's).",
        ),
        Column(
            "participant_department",
            "VARCHAR",
            "The participant's department in the latest HRIS snapshot: today's, not "
            "necessarily the one at the start (participant_department_at_start).",
        ),
        Column(
            "participant_department_at_start",
            "VARCHAR",
            "The participant's department in the latest employees snapshot of the pairing's "
            "start month or before (a snapshot dated by the year-month in its file name, e.g. "
            "employees_2025-03.csv). NULL when no snapshot is that old.",
        ),
    ),
    key=("pairing_id",),
)

PROGRAM_HEALTH = Table(
    "marts",
    "program_health",
    "Program health per program and relationship type, from marts.fct_pairing: activation, "
    "meeting frequency, cancellations, milestones, certificates, rematches, withdrawals and "
    "ratings. Shares carry Wilson 95% intervals.",
    (
        Column("program_id", "VARCHAR", _PROGRAM),
        Column("program_name", "VARCHAR", "The program's name."),
        Column("relationship_type", "VARCHAR", _TYPE),
        Column("pairings", "BIGINT", "Pairings."),
        Column("participants", "BIGINT", "Distinct participants."),
        Column(
            "pairing_months", "DOUBLE", "Total duration of the pairings in months of 30.4375 days."
        ),
        Column("meetings_completed", "BIGINT", "Meetings held."),
        Column("meetings_per_pairing_month", "DOUBLE", "Meetings held per pairing and month."),
        *_share(
            "pairings with a completed meeting within 60 days (pairings whose 60 days have passed)",
            "activation_rate",
        ),
        *_share("scheduled meetings cancelled in time", "cancellation_rate"),
        *_share("scheduled meetings cancelled late", "late_cancellation_rate"),
        *_share("scheduled meetings with a no-show", "no_show_rate"),
        *_share(
            "planned milestones completed (over pairings × planned_milestones)",
            "milestone_completion_rate",
        ),
        *_share("pairings eligible for the certificate", "certificate_eligible_rate"),
        *_share("pairings ended by a rematch", "rematch_rate"),
        *_share("pairings ended by a withdrawal", "withdrawal_rate"),
        Column("mean_meeting_rating", "DOUBLE", "Mean meeting rating (1–5)."),
        Column("meeting_ratings", "BIGINT", "Meetings with a rating."),
    ),
    key=("program_id", "relationship_type"),
)

MENTOR_TO_SPONSOR = Table(
    "marts",
    "mentor_to_sponsor",
    "Mentor-to-sponsor pathway: share of mentees who gain a sponsor within 12 months of their "
    "mentoring pairing's start, beside colleagues employed on the program's start who were not "
    "mentored in it. Only people whose 12 months have passed by the as-of date count.",
    (
        Column(
            "program_id",
            "VARCHAR",
            "The mentoring program, or all for every mentoring program stacked.",
        ),
        Column(
            "arm",
            "VARCHAR",
            "mentee, or other_employees (employed on the program start, not its mentees).",
        ),
        *_share("people with a sponsor pairing starting within 12 months", "gained_sponsor_12m"),
        Column(
            "window_incomplete",
            "BIGINT",
            "People left out because their 12 months have not passed.",
        ),
    ),
    key=("program_id", "arm"),
)

SPONSORSHIP_ACCESS = Table(
    "marts",
    "sponsorship_access",
    "Sponsorship access among employees employed on the as-of date, overall, by gender and by "
    "ethnicity, with Wilson 95% intervals.",
    (
        Column("dimension", "VARCHAR", "all, gender or ethnicity."),
        Column(
            "category",
            "VARCHAR",
            "The gender or ethnicity as given ('not disclosed' where empty), or all.",
        ),
        *_share("employees with a sponsor pairing running on the as-of date", "sponsored_now"),
        *_share("employees with a sponsor pairing started by the as-of date", "ever_sponsored"),
    ),
    key=("dimension", "category"),
)

CAREER_LONELINESS = Table(
    "marts",
    "career_loneliness",
    "Career loneliness per survey wave: share agreeing with 'I feel alone in determining my "
    "career development', with a Wilson 95% interval and the industry benchmark.",
    (
        Column("wave", "VARCHAR", "The survey wave."),
        Column("wave_date", "DATE", "The wave's date (median response time)."),
        *_share("respondents agreeing or strongly agreeing", "career_lonely"),
        Column("industry_benchmark", "DOUBLE", "Share agreeing in an industry survey (0.77)."),
    ),
    key=("wave",),
)

STUDY_COHORT = Table(
    "marts",
    "study_cohort",
    (
        "The study design (sequential monthly trials): one row per program, relationship "
        "type, trial and person: each participant once, at their first pairing (time "
        "zero); comparison people employed on a trial month's first day, not advisors in "
        "the program, not yet paired in it and no participant of the type in the 12 "
        "months before (in a track with over 100,000 eligible person-months, up to 5 per"
        " participant drawn with a fixed seed and weighted by sampling_weight), censored if "
        "paired later; advisors once, "
        "at their first pairing. With covariates as of time zero, follow-up from it and "
        "survey waves."
    ),
    (
        Column("program_id", "VARCHAR", _PROGRAM),
        Column("relationship_type", "VARCHAR", _TYPE),
        Column("employee_id", "VARCHAR", "The employee."),
        Column("arm", "VARCHAR", _GROUP),
        Column(
            "trial_start",
            "DATE",
            (
                "First day of the person's monthly trial (the program's start_date in its"
                " first month)."
            ),
        ),
        Column(
            "trial_eligible",
            "BIGINT",
            (
                "Comparison rows: people eligible as comparison in the trial (where fewer"
                " are listed, up to 5 per participant were drawn); NULL for participants"
                " and advisors."
            ),
        ),
        Column(
            "sampling_weight",
            "DOUBLE",
            (
                "How many eligible people the row stands for: for comparison people drawn"
                " at random, the trial's eligible people divided by those drawn; 1 for"
                " everyone else. Estimates and curves of the comparison group weight rows"
                " by it; counts of people do not."
            ),
        ),
        Column(
            "index_date",
            "DATE",
            (
                "Time zero: participants' and advisors' first pairing start (not before "
                "the program's start); comparison people's trial_start. Follow-up starts "
                "here."
            ),
        ),
        Column(
            "program_end_date",
            "DATE",
            "The program's end_date (follow-up surveys are from here on).",
        ),
        Column(
            "first_pairing_start",
            "DATE",
            "Participants: start of their first pairing in the program.",
        ),
        Column(
            "paired_later_on",
            "DATE",
            (
                "Comparison people later paired in the program: that date, where their "
                "follow-up (and survey follow-up) is censored."
            ),
        ),
        Column(
            "job_level", "BIGINT", "Job level at time zero (from job events, else the snapshot)."
        ),
        Column("tenure_years", "DOUBLE", "Years from hire to time zero."),
        Column(
            "performance_rating", "DOUBLE", "Latest performance rating before any program (1–5)."
        ),
        Column("department", "VARCHAR", "Department."),
        Column("gender", "VARCHAR", "Gender as given; NULL = not disclosed."),
        Column("ethnicity", "VARCHAR", "Ethnicity as given; NULL = not disclosed."),
        Column(
            "follow_up_end",
            "DATE",
            ("End of follow-up: the exit, a later pairing (comparison), or the as-of date."),
        ),
        Column(
            "exit_type", "VARCHAR", "termination_type of an exit by the as-of date; NULL otherwise."
        ),
        Column(
            "exit_days",
            "BIGINT",
            "Days from time zero to a voluntary exit or the end of follow-up.",
        ),
        Column(
            "exit_event",
            "INTEGER",
            "1 when the follow-up ended with a voluntary exit, 0 when censored.",
        ),
        Column(
            "promotion_days",
            "BIGINT",
            (
                "Days from time zero to the first promotion or the end of follow-up; NULL"
                " at the organisation's top job level (nobody to be promoted to)."
            ),
        ),
        Column(
            "promotion_event",
            "INTEGER",
            ("1 when promoted after time zero, 0 when censored; NULL at the top job level."),
        ),
        Column(
            "baseline_wave",
            "VARCHAR",
            (
                "Latest survey wave on or before time zero, at most "
                "MENTORLENS_BASELINE_MAX_MONTHS (default 18) months before it."
            ),
        ),
        Column("baseline_wave_date", "DATE", "Date of the baseline wave."),
        Column("loneliness_baseline", "INTEGER", "UCLA-3 loneliness (3–9) at baseline."),
        Column("engagement_baseline", "DOUBLE", "UWES-3 engagement (0–6) at baseline."),
        Column(
            "career_lonely_baseline",
            "INTEGER",
            "1 when agreeing to feel alone in their career at baseline.",
        ),
        Column(
            "followup_wave",
            "VARCHAR",
            "First survey wave on or after the program's end (by the as-of date).",
        ),
        Column("followup_wave_date", "DATE", "Date of the follow-up wave."),
        Column("loneliness_followup", "INTEGER", "UCLA-3 loneliness (3–9) at follow-up."),
        Column("engagement_followup", "DOUBLE", "UWES-3 engagement (0–6) at follow-up."),
        Column(
            "career_lonely_followup",
            "INTEGER",
            "1 when agreeing to feel alone in their career at follow-up.",
        ),
    ),
    key=("program_id", "relationship_type", "arm", "trial_start", "employee_id"),
)

PROGRAM_OUTCOMES = Table(
    "marts",
    "program_outcomes",
    "Outcomes per program, relationship type, group and subgroup: Kaplan–Meier voluntary "
    "retention and share promoted with 95% intervals, and survey means at baseline and "
    "follow-up. Months are 30.4375 days from time zero (each participant's first pairing; a "
    "comparison person's trial month). A comparison person may count in several trials.",
    (
        Column("program_id", "VARCHAR", _PROGRAM),
        Column("relationship_type", "VARCHAR", _TYPE),
        Column("arm", "VARCHAR", _GROUP),
        Column("subgroup", "VARCHAR", _SUBGROUP),
        Column("n", "BIGINT", "People in the group at time zero (comparison: person-trials)."),
        Column("voluntary_exits", "BIGINT", "Voluntary exits after time zero."),
        Column(
            "promotions",
            "BIGINT",
            "People promoted after time zero (the top job level left out).",
        ),
        *_interval(
            "Kaplan–Meier probability of no voluntary exit by 6 months; NULL beyond the follow-up.",
            "retention_6m",
        ),
        *_interval("Kaplan–Meier probability of no voluntary exit by 12 months.", "retention_12m"),
        *_interval("Kaplan–Meier probability of no voluntary exit by 24 months.", "retention_24m"),
        *_interval(
            "Share promoted by 12 months: cumulative incidence (Aalen–Johansen), exit of any "
            "kind a competing event.",
            "promoted_12m",
        ),
        *_interval(
            "Share promoted by 24 months: cumulative incidence (Aalen–Johansen), exit of any "
            "kind a competing event.",
            "promoted_24m",
        ),
        Column(
            "survey_n",
            "BIGINT",
            "People with both a baseline and a follow-up wave; the survey means are theirs.",
        ),
        *_interval(
            "Mean UCLA-3 loneliness (3–9) at baseline (Student-t interval).", "loneliness_baseline"
        ),
        *_interval(
            "Mean UCLA-3 loneliness (3–9) at follow-up (Student-t interval).", "loneliness_followup"
        ),
        *_interval(
            "Mean UWES-3 engagement (0–6) at baseline (Student-t interval).", "engagement_baseline"
        ),
        *_interval(
            "Mean UWES-3 engagement (0–6) at follow-up (Student-t interval).", "engagement_followup"
        ),
        *_interval(
            "Share feeling alone in their career at baseline (0–1; Wilson interval).",
            "career_lonely_baseline",
        ),
        *_interval(
            "Share feeling alone in their career at follow-up (0–1; Wilson interval).",
            "career_lonely_followup",
        ),
    ),
    key=("program_id", "relationship_type", "arm", "subgroup"),
)

_EFFECT_COLUMNS = (
    Column("program_id", "VARCHAR", "The program, or all for the programs of this type pooled."),
    Column("relationship_type", "VARCHAR", _TYPE),
    Column(
        "outcome",
        "VARCHAR",
        (
            "voluntary_exit_hr, promotion_hr (Cox hazard ratios), retention_12m_diff "
            "(percentage points), loneliness_did (UCLA-3 points), engagement_did (UWES "
            "points), career_lonely_did (percentage points)."
        ),
    ),
    Column(
        "method",
        "VARCHAR",
        (
            "naive (participation alone), adjusted (plus job level as categories, "
            "tenure in bands, performance rating with a missing indicator, department and"
            " gender as of time zero; pooled rows also the program) or ipw (participation "
            "alone, comparison people weighted by ATT weights p/(1 − p) from a logistic "
            "propensity model on those covariates, truncated at the comparison group's 1st "
            "and 99th percentiles, and over follow-up by the inverse probability of not "
            "yet having been paired (and so censored) in the program; weighted Cox, "
            "Kaplan–Meier and DiD with robust variances). Variances are clustered on "
            "employee_id."
        ),
    ),
    Column(
        "estimate",
        "DOUBLE",
        (
            "The effect of participation; NULL when not estimable (too few people or "
            "events, no convergence, separation, a degenerate interval: see note)."
        ),
    ),
    Column("ci_low", "DOUBLE", "Lower bound of the 95% interval."),
    Column("ci_high", "DOUBLE", "Upper bound of the 95% interval."),
    Column("p_value", "DOUBLE", "Two-sided p-value for no effect."),
    Column(
        "n_treated",
        "BIGINT",
        (
            "Participants in the estimate (survey outcomes: those with both waves; "
            "promotion: below the top job level)."
        ),
    ),
    Column("n_control", "BIGINT", "Comparison group members in the estimate (as n_treated)."),
    Column("note", "VARCHAR", "Why an estimate is missing, or what to keep in mind reading it."),
    Column(
        "ph_p_value",
        "DOUBLE",
        "Cox rows: Grambsch–Therneau test of proportional hazards for participation.",
    ),
    Column(
        "ph_holds",
        "BOOLEAN",
        "Cox rows: false when the proportional-hazards test rejects (p < 0.05).",
    ),
    Column(
        "e_value",
        "DOUBLE",
        (
            "Sensitivity (VanderWeele & Ding 2017): how strongly, as a risk ratio, an unmeasured "
            "confounder would have to be associated with both participation and the outcome to "
            "explain the estimate away. Hazard ratios are used directly as risk ratios (the "
            "rare-outcome choice, which overstates it for a common outcome); survey differences "
            "via RR = exp(0.91 × estimate / the follow-up score's SD); retention_12m_diff via "
            "the participants' 12-month exit risk over that risk minus the difference. NULL "
            "where the estimate is."
        ),
    ),
    Column(
        "e_value_ci",
        "DOUBLE",
        "The E-value of the 95% bound nearer no effect: 1 when the interval includes no effect.",
    ),
)

PROGRAM_EFFECTS = Table(
    "marts",
    "program_effects",
    "Program effects: participants against the comparison group, per program (or all pooled), "
    "relationship type, outcome and method (naive, adjusted and ipw), with 95% intervals.",
    _EFFECT_COLUMNS,
    key=("program_id", "relationship_type", "outcome", "method"),
)

PROGRAM_EFFECTS_BY_SUBGROUP = Table(
    "marts",
    "program_effects_by_subgroup",
    "Program effects (naive, adjusted and ipw) within each gender and ethnicity category, "
    "estimated where each arm has at least MENTORLENS_MIN_GROUP_SIZE people; p-values also "
    "Holm-adjusted across the subgroups of one program, type, outcome and method, and a test "
    "of whether the effect differs between a dimension's categories.",
    (
        *_EFFECT_COLUMNS[:2],
        Column(
            "subgroup",
            "VARCHAR",
            "gender=<value> or ethnicity=<value> ('not disclosed' where empty).",
        ),
        Column("dimension", "VARCHAR", "gender or ethnicity."),
        Column("category", "VARCHAR", "The dimension's category ('not disclosed' where empty)."),
        *_EFFECT_COLUMNS[2:],
        Column(
            "p_value_holm",
            "DOUBLE",
            "p_value adjusted (Holm) across the subgroups of one program, type, outcome and "
            "method.",
        ),
        Column(
            "p_interaction",
            "DOUBLE",
            "Does the effect differ between the dimension's categories: Cochran's Q over their "
            "estimates (log hazard ratios for hazard ratios), the Wald test of treatment × "
            "category; the same on every row of one program, type, outcome, method and "
            "dimension; NULL with fewer than two categories estimated.",
        ),
    ),
    key=("program_id", "relationship_type", "subgroup", "outcome", "method"),
)

COVARIATE_BALANCE = Table(
    "marts",
    "covariate_balance",
    "Is the comparison fair: per program (or all pooled), relationship type and pre-program "
    "covariate (each category of a categorical one), the participants' and the comparison "
    "group's mean or share before and after ipw weighting, and the standardised mean "
    "differences; |SMD| <= 0.1 after weighting is the usual mark of balance.",
    (
        _EFFECT_COLUMNS[0],
        _EFFECT_COLUMNS[1],
        Column(
            "covariate",
            "VARCHAR",
            "level_group (job level as categories), tenure_band, performance_rating, "
            "performance_rating_missing, department, gender; pooled rows also program_id.",
        ),
        Column("category", "VARCHAR", "The category of a categorical covariate; NULL for numbers."),
        Column("treated_mean", "DOUBLE", "Participants' mean (a share for a category)."),
        Column("comparison_mean", "DOUBLE", "The comparison group's mean, unweighted."),
        Column(
            "comparison_mean_weighted",
            "DOUBLE",
            "The comparison group's mean with the ipw (ATT) weights.",
        ),
        Column(
            "smd_before",
            "DOUBLE",
            "Standardised mean difference, participants minus comparison group, before "
            "weighting: the difference over sqrt((s²_participants + s²_comparison) / 2).",
        ),
        Column(
            "smd_after",
            "DOUBLE",
            "The same after weighting (same denominator, so the two compare).",
        ),
    ),
    key=("program_id", "relationship_type", "covariate", "category"),
)

STUDY_DIAGNOSTICS = Table(
    "marts",
    "study_diagnostics",
    "Per program (or all pooled) and relationship type: the size of the study, the overlap "
    "of participants' and comparison people's propensities, balance after weighting and the "
    "survey pre-trend placebo.",
    (
        _EFFECT_COLUMNS[0],
        _EFFECT_COLUMNS[1],
        Column("participants", "BIGINT", "Participants (one row per person and trial)."),
        Column("comparison_people", "BIGINT", "Distinct comparison people."),
        Column("comparison_rows", "BIGINT", "Comparison person-trials."),
        Column("trials", "BIGINT", "Monthly trials (distinct time zeros of the participants)."),
        Column(
            "effective_comparison_size",
            "DOUBLE",
            "Kish's effective size of the weighted comparison group, (Σw)² / Σw².",
        ),
        Column(
            "share_outside_overlap",
            "DOUBLE",
            "Share of participants whose propensity lies outside the comparison group's range "
            "(no comparable colleague).",
        ),
        Column("max_abs_smd_after", "DOUBLE", "The largest |smd_after| of the study."),
        Column(
            "placebo_estimate",
            "DOUBLE",
            "Survey pre-trend placebo: loneliness (UCLA-3 points) change between two waves "
            "before time zero, participants minus comparison group; should be 0. NULL when "
            "not estimable (see note).",
        ),
        Column("placebo_ci_low", "DOUBLE", "Lower bound of the placebo's 95% interval."),
        Column("placebo_ci_high", "DOUBLE", "Upper bound of the placebo's 95% interval."),
        Column("placebo_n", "BIGINT", "People with two waves before time zero."),
        Column("note", "VARCHAR", "What to keep in mind: no overlap, placebo not made, …"),
    ),
    key=("program_id", "relationship_type"),
)

PROPENSITY_OVERLAP = Table(
    "marts",
    "propensity_overlap",
    "The histogram of propensities (the probability of joining given the pre-program "
    "covariates, from the ipw model) of participants and of the comparison group, per program "
    "(or all pooled) and relationship type: where the two do not overlap, participants have no "
    "comparable colleagues.",
    (
        _EFFECT_COLUMNS[0],
        _EFFECT_COLUMNS[1],
        Column("arm", "VARCHAR", "participant or comparison."),
        Column("bin_low", "DOUBLE", "The bin's lowest propensity (included)."),
        Column("bin_high", "DOUBLE", "The bin's highest propensity (excluded, but 1)."),
        Column(
            "people",
            "BIGINT",
            "People of the group in the bin (comparison: person-trials, unweighted).",
        ),
    ),
    key=("program_id", "relationship_type", "arm", "bin_low"),
)

FCT_SURVEY_SCORE = Table(
    "marts",
    "fct_survey_score",
    "One row per employee and survey wave: the scores of their latest scored response "
    "(unfinished, preview and spam responses are not scored). A score is NULL when any of its "
    "instrument's items was left unanswered.",
    (
        Column(
            "employee_id",
            "VARCHAR",
            "The respondent (employees.employee_id as the survey gave it).",
        ),
        Column("wave", "VARCHAR", "The wave: the file's `wave` column, else the file name's stem."),
        Column("wave_date", "DATE", "The wave's date: the median time of its scored responses."),
        Column(
            "loneliness", "INTEGER", "UCLA-3 loneliness: sum of three items scored 1–3, so 3–9."
        ),
        Column(
            "lonely",
            "BOOLEAN",
            "loneliness at or above the threshold (MENTORLENS_LONELY_THRESHOLD, 6).",
        ),
        Column("engagement", "DOUBLE", "UWES-3 engagement: mean of three items scored 0–6."),
        Column(
            "career_lonely",
            "BOOLEAN",
            "Agrees or strongly agrees: 'I feel alone in determining my career development'.",
        ),
        Column(
            "has_advocate_fav",
            "BOOLEAN",
            "Agrees or strongly agrees: 'Someone senior actively advocates for my career'.",
        ),
        Column(
            "psych_safety_fav",
            "BOOLEAN",
            "Agrees or strongly agrees: 'I can speak up here without fear of "
            "embarrassment or punishment'.",
        ),
        Column(
            "enps",
            "INTEGER",
            "Likelihood to recommend the company as a place to work, 0–10 (9–10 promoters, "
            "0–6 detractors).",
        ),
        Column(
            "has_advocate_neutral",
            "BOOLEAN",
            "Neither agrees nor disagrees (3 of 5): 'Someone senior actively advocates for my "
            "career'. With has_advocate_fav and has_advocate_unfav, exactly one is true when "
            "the item was answered; all three are NULL when it was not.",
        ),
        Column(
            "has_advocate_unfav",
            "BOOLEAN",
            "Disagrees or strongly disagrees (1–2 of 5): 'Someone senior actively advocates "
            "for my career'.",
        ),
        Column(
            "psych_safety_neutral",
            "BOOLEAN",
            "Neither agrees nor disagrees (3 of 5): 'I can speak up here without fear of "
            "embarrassment or punishment'. With psych_safety_fav and psych_safety_unfav, "
            "exactly one is true when the item was answered; all three are NULL when it was not.",
        ),
        Column(
            "psych_safety_unfav",
            "BOOLEAN",
            "Disagrees or strongly disagrees (1–2 of 5): 'I can speak up here without fear of "
            "embarrassment or punishment'.",
        ),
    ),
    key=("employee_id", "wave"),
)


DIM_PROGRAM = Table(
    "marts",
    "dim_program",
    "One row per program: its name, dates, plan and how many pairings, participants and "
    "advisors it has. Join marts.fct_participation and marts.fct_pairing on program_id.",
    (
        Column("program_id", "VARCHAR", "The program's id (programs.program_id)."),
        Column("program_name", "VARCHAR", "The program's name."),
        Column("start_date", "DATE", "The program's start: the index date of its study."),
        Column("end_date", "DATE", "The program's end; follow-up surveys are from here on."),
        Column("is_running", "BOOLEAN", "No end date on or before the as-of date."),
        Column("planned_milestones", "BIGINT", "Milestones a pair is expected to complete."),
        Column(
            "certificate_threshold",
            "DOUBLE",
            "Milestone completion rate that earns the certificate (NULL: the default 0.8).",
        ),
        Column(
            "relationship_types",
            "VARCHAR",
            "The relationship types of its pairings, comma-separated (mentor, sponsor, ally, "
            "coach).",
        ),
        Column("pairings", "BIGINT", "Pairings in the program."),
        Column("participants", "BIGINT", "Distinct participants (mentees, protégés, …)."),
        Column("advisors", "BIGINT", "Distinct advisors (mentors, sponsors, allies, coaches)."),
        Column("first_pairing_start", "DATE", "Start of its earliest pairing."),
        Column("last_pairing_start", "DATE", "Start of its latest pairing."),
    ),
    key=("program_id",),
)

FCT_PARTICIPATION = Table(
    "marts",
    "fct_participation",
    "One row per person, program and relationship type they took part in as the participant "
    "(mentee, protégé, person with an ally, coachee), with their first pairing's start and "
    "last pairing's end: join survey waves and outcomes on employee_id with "
    "first_pairing_start <= the wave's date to count people as participants only from when "
    "they joined.",
    (
        Column("employee_id", "VARCHAR", "The participant (employees.employee_id)."),
        Column("program_id", "VARCHAR", _PROGRAM),
        Column("relationship_type", "VARCHAR", _TYPE),
        Column(
            "pairings", "BIGINT", "Their pairings of this program and type (rematches add one)."
        ),
        Column("first_pairing_start", "DATE", "Start of their first pairing: when they joined."),
        Column(
            "last_pairing_end",
            "DATE",
            "End of their last pairing; NULL while one of their pairings goes on.",
        ),
        Column(
            "is_ongoing", "BOOLEAN", "A pairing of theirs has no end on or before the as-of date."
        ),
        Column("program_start_date", "DATE", "The program's start (marts.dim_program)."),
        Column("program_end_date", "DATE", "The program's end (marts.dim_program)."),
    ),
    key=("employee_id", "program_id", "relationship_type"),
)

FCT_ACTIVITY = Table(
    "marts",
    "fct_activity",
    "One row per meeting or milestone of a pairing on or before the as-of date, with the "
    "pairing's program, type and people.",
    (
        Column("pairing_id", "VARCHAR", "The pairing (marts.fct_pairing)."),
        Column(
            "activity_number",
            "BIGINT",
            "1, 2, … within the pairing, by date (then type, milestone, status, rating).",
        ),
        Column("program_id", "VARCHAR", _PROGRAM),
        Column("relationship_type", "VARCHAR", _TYPE),
        Column("advisor_id", "VARCHAR", "The mentor, sponsor, ally or coach (employee_id)."),
        Column("participant_id", "VARCHAR", "The mentee, protégé or supported colleague."),
        Column("activity_date", "DATE", "When it happened (or was due)."),
        Column("activity_type", "VARCHAR", "meeting or milestone."),
        Column("milestone", "VARCHAR", "The milestone's name; NULL for meetings."),
        Column(
            "status",
            "VARCHAR",
            "Meetings: completed, cancelled, late_cancelled or no_show; milestones: completed or "
            "cancelled.",
        ),
        Column("rating", "BIGINT", "Feedback rating of a meeting (1–5), if given."),
        Column("days_since_pairing_start", "BIGINT", "Days from the pairing's start."),
    ),
    key=("pairing_id", "activity_number"),
)

SURVEY_WAVE_SUMMARY = Table(
    "marts",
    "survey_wave_summary",
    "Each survey wave's scores for everyone (relationship_type and arm all) and, per "
    "relationship type, for its participants by the wave's date against everyone else who "
    "answered: respondents, means, favourable shares with Wilson 95% intervals and eNPS with "
    "its 95% interval. Small groups are not hidden: check the n columns.",
    (
        Column("wave", "VARCHAR", "The survey wave."),
        Column("wave_date", "DATE", "The wave's date (median response time)."),
        Column("relationship_type", "VARCHAR", "all, or mentor, sponsor, ally or coach."),
        Column(
            "arm",
            "VARCHAR",
            "all; participant (a pairing of this type started on or before the wave's date) or "
            "non_participant (every other respondent, including people who joined later).",
        ),
        Column("respondents", "BIGINT", "People with a scored response in the wave."),
        Column("loneliness_mean", "DOUBLE", "Mean UCLA-3 loneliness (3–9)."),
        Column("loneliness_n", "BIGINT", "Respondents with a loneliness score."),
        Column("engagement_mean", "DOUBLE", "Mean UWES-3 engagement (0–6)."),
        Column("engagement_n", "BIGINT", "Respondents with an engagement score."),
        *_share("respondents lonely (UCLA-3 at or above the threshold)", "lonely"),
        *_share("respondents feeling alone in their career development", "career_lonely"),
        *_share("respondents agreeing someone senior advocates for them", "has_advocate_fav"),
        *_share("respondents agreeing they can speak up without fear", "psych_safety_fav"),
        Column("enps_promoters", "BIGINT", "Respondents answering 9 or 10."),
        Column("enps_detractors", "BIGINT", "Respondents answering 0 to 6."),
        Column("enps_n", "BIGINT", "Respondents answering the eNPS question."),
        Column(
            "enps",
            "DOUBLE",
            "Employee net promoter score: 100 × (promoters − detractors) / enps_n (−100…100).",
        ),
        Column(
            "enps_ci_low",
            "DOUBLE",
            "Lower bound of the 95% interval of enps (normal approximation, multinomial variance).",
        ),
        Column("enps_ci_high", "DOUBLE", "Upper bound of the 95% interval of enps."),
        *_share(
            "respondents neither agreeing nor disagreeing someone senior advocates for them",
            "has_advocate_neutral",
        ),
        *_share("respondents disagreeing someone senior advocates for them", "has_advocate_unfav"),
        *_share(
            "respondents neither agreeing nor disagreeing they can speak up without fear",
            "psych_safety_neutral",
        ),
        *_share("respondents disagreeing they can speak up without fear", "psych_safety_unfav"),
    ),
    key=("wave", "relationship_type", "arm"),
)


_INPUTS_DIGEST = Column(
    "inputs_digest",
    "VARCHAR",
    "Digest of what the rows were computed from; a run with another digest recomputes them.",
)


def _memo(table: Table, kind: str, rows: str) -> Table:
    return Table(
        "meta",
        f"{table.name}_{kind}_memo",
        f"Internal: {rows} of {table} as last computed, kept so that a run whose cohort "
        "(survey columns aside), settings and code are unchanged, such as a new survey wave, "
        f"reuses them. Query {table} instead.",
        (*table.columns, _INPUTS_DIGEST),
    )


def _survival_memo(table: Table) -> Table:
    return _memo(table, "survival", "the hazard-ratio and retention rows")


def _weighting_memo(table: Table) -> Table:
    return _memo(
        table, "weighting", "the rows made by the propensity weighting (the placebo left out)"
    )


STUDY_COHORT_PEOPLE = Table(
    "meta",
    "study_cohort_people",
    "Internal: marts.study_cohort without its survey columns, as last built, kept so that a "
    "run whose staging tables, as-of date and cohort query are unchanged, such as a new survey "
    "wave, only adds the survey columns. Query marts.study_cohort instead.",
    (
        *(
            c
            for c in STUDY_COHORT.columns
            if not c.name.endswith(("_baseline", "_followup", "_wave", "_wave_date"))
        ),
        _INPUTS_DIGEST,
    ),
)
PROGRAM_EFFECTS_SURVIVAL_MEMO = _survival_memo(PROGRAM_EFFECTS)
PROGRAM_EFFECTS_BY_SUBGROUP_SURVIVAL_MEMO = _survival_memo(PROGRAM_EFFECTS_BY_SUBGROUP)
WEIGHTING_MEMOS = tuple(
    _weighting_memo(t) for t in (COVARIATE_BALANCE, STUDY_DIAGNOSTICS, PROPENSITY_OVERLAP)
)

LOADED_FILES = Table(
    "meta",
    "loaded_files",
    "One row per inbox file seen: its hash, status and row counts. "
    "rows_read = rows_loaded + rows_quarantined for every loaded file.",
    (
        Column("file", "VARCHAR", "The file's path relative to the inbox."),
        Column("source", "VARCHAR", "The source it was recognised as (employees, surveys, …)."),
        Column("sha256", "VARCHAR", "SHA-256 of the file's bytes: a repeat is recognised by it."),
        Column("size_bytes", "BIGINT", "Size of the file in bytes."),
        Column(
            "status",
            "VARCHAR",
            "loaded, duplicate (of a file already loaded), rejected (whole) or unrecognised.",
        ),
        Column("reason", "VARCHAR", "Why the file was rejected or is a duplicate."),
        Column("duplicate_of", "VARCHAR", "The file this one repeats, byte for byte."),
        Column("layout", "VARCHAR", "The layout detected (plain, or a survey tool's export)."),
        Column("encoding", "VARCHAR", "The text encoding detected."),
        Column("delimiter", "VARCHAR", "The delimiter detected in a text file."),
        Column("rows_read", "BIGINT", "Data rows read from the file."),
        Column("rows_loaded", "BIGINT", "Rows that passed validation into staging."),
        Column("rows_quarantined", "BIGINT", "Rows that failed validation into quarantine."),
        Column(
            "rows_superseded",
            "BIGINT",
            "Survey rows replaced by the same person's later response in the wave.",
        ),
        Column("dropped_contact_columns", "VARCHAR", "Contact columns kept in raw only."),
        Column("run_id", "VARCHAR", "The run that loaded the file (meta.runs)."),
        Column("loaded_at", "TIMESTAMP", "When the file was loaded."),
    ),
    key=("file",),
)

REJECTED_FILES = Table(
    "quarantine",
    "rejected_files",
    "Files rejected whole, with the reason in one sentence.",
    (
        Column("file", "VARCHAR", "The file's path relative to the inbox."),
        Column("source", "VARCHAR", "The source it was recognised as, if any."),
        Column("reason", "VARCHAR", "Why the whole file was rejected, in one sentence."),
        Column("sha256", "VARCHAR", "SHA-256 of the file's bytes."),
        Column("run_id", "VARCHAR", "The run that rejected it (meta.runs)."),
        Column("rejected_at", "TIMESTAMP", "When it was rejected."),
    ),
)

RUNS = Table(
    "meta",
    "runs",
    "One row per pipeline run that reached the warehouse.",
    (
        Column("run_id", "VARCHAR", "Dagster's run id."),
        Column("started_at", "TIMESTAMP", "When the run started."),
        Column("finished_at", "TIMESTAMP", "When the run finished."),
        Column("status", "VARCHAR", "The run's outcome."),
        Column("as_of", "DATE", "The data's as-of date the run used (marts.run_info)."),
        Column("files_loaded", "BIGINT", "Files the run loaded."),
        Column("files_rejected", "BIGINT", "Files the run rejected whole."),
        Column("message", "VARCHAR", "What went wrong, or a note on the run."),
        Column(
            "build",
            "VARCHAR",
            "Digest of the settings, code and file ledger the run published from: a later run "
            "with the same digest and nothing new in the inbox publishes nothing.",
        ),
    ),
    key=("run_id",),
)

VALIDATION_RESULTS = Table(
    "meta",
    "validation_results",
    "Every expectation and check evaluated, per run and source.",
    (
        Column("run_id", "VARCHAR", "The run (meta.runs)."),
        Column("source", "VARCHAR", "The source, or survey wave, validated."),
        Column("check_name", "VARCHAR", "The check's name."),
        Column(
            "expectation",
            "VARCHAR",
            "The Great Expectations expectation type, or the dataset rule.",
        ),
        Column("column_name", "VARCHAR", "The column checked, if one."),
        Column("severity", "VARCHAR", "row (the row is quarantined) or blocking (the run fails)."),
        Column("success", "BOOLEAN", "Whether the check passed."),
        Column("unexpected_count", "BIGINT", "Rows that broke it."),
        Column("element_count", "BIGINT", "Rows it was evaluated on."),
        Column("reason", "VARCHAR", "The readable reason given to the rows that broke it."),
        Column("validated_at", "TIMESTAMP", "When it was evaluated."),
    ),
)

INBOX_FILES = Table(
    "meta",
    "inbox_files",
    "The files in the inbox when the last run started, and what it did with each.",
    (
        Column("file", "VARCHAR", "The file's path relative to the inbox."),
        Column("source", "VARCHAR", "The source it was recognised as; NULL if none."),
        Column("sha256", "VARCHAR", "SHA-256 of the file's bytes."),
        Column("size_bytes", "BIGINT", "Size of the file in bytes."),
        Column(
            "action",
            "VARCHAR",
            "load (new or changed), duplicate (of a file already loaded), unrecognised or "
            "unchanged.",
        ),
    ),
)

SURVEY_COMMENTS = Table(
    "staging",
    "survey_comments",
    "SENSITIVE: free-text survey comments. Kept for authorised review only; never shown in a "
    "report or copied to another table.",
    (
        Column("employee_id", "VARCHAR", "The respondent."),
        Column("wave", "VARCHAR", "The survey wave."),
        Column("comment", "VARCHAR", "The free-text comment, as written."),
        Column("_source_file", "VARCHAR", "The inbox file it came from."),
        Column("_source_line", "BIGINT", "Its physical line in that file (header row = 1)."),
    ),
    sensitive=True,
)

# The ledger `warehouse.db.ensure_schemas` creates in every warehouse.
LEDGER: tuple[Table, ...] = (LOADED_FILES, REJECTED_FILES, RUNS, VALIDATION_RESULTS)

CATALOGUE: tuple[Table, ...] = (
    FCT_SURVEY_SCORE,
    RUN_INFO,
    DIM_EMPLOYEE,
    FCT_PAIRING,
    PROGRAM_HEALTH,
    MENTOR_TO_SPONSOR,
    SPONSORSHIP_ACCESS,
    CAREER_LONELINESS,
    STUDY_COHORT,
    PROGRAM_OUTCOMES,
    PROGRAM_EFFECTS,
    PROGRAM_EFFECTS_BY_SUBGROUP,
    COVARIATE_BALANCE,
    STUDY_DIAGNOSTICS,
    PROPENSITY_OVERLAP,
    DIM_PROGRAM,
    FCT_PARTICIPATION,
    FCT_ACTIVITY,
    SURVEY_WAVE_SUMMARY,
    STUDY_COHORT_PEOPLE,
    PROGRAM_EFFECTS_SURVIVAL_MEMO,
    PROGRAM_EFFECTS_BY_SUBGROUP_SURVIVAL_MEMO,
    *WEIGHTING_MEMOS,
    *LEDGER,
    INBOX_FILES,
    SURVEY_COMMENTS,
)
TABLES: dict[str, Table] = {str(t): t for t in CATALOGUE}
# Built by the survey layer; every use must cope with it missing (no survey scored yet).
SURVEY_SCORES = FCT_SURVEY_SCORE


def table(name: "str | Table") -> Table:
    """The catalogue's table for a qualified name (a `Table` is returned as it is)."""
    if isinstance(name, Table):
        return name
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"{name} is not in the table catalogue (warehouse/catalogue.py)") from None


def sensitive_tables() -> list[Table]:
    """Tables left out of a pseudonymised published copy."""
    return [t for t in CATALOGUE if t.sensitive]


def _actual_columns(con: duckdb.DuckDBPyConnection, t: Table) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
        "current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [t.schema, t.name],
    ).fetchall()


def check_columns(con: duckdb.DuckDBPyConnection, name: "str | Table") -> None:
    """Raise unless the table in the warehouse has exactly its declared columns and types."""
    t = table(name)
    actual = _actual_columns(con, t)
    declared = list(t.types().items())
    if actual != declared:
        raise ValueError(
            f"{t} does not match its declaration in the table catalogue: built "
            f"{_describe(actual, declared)}"
        )


def _describe(actual: Iterable[tuple[str, str]], declared: Iterable[tuple[str, str]]) -> str:
    actual, declared = list(actual), list(declared)
    extra = [f"{n} {k}" for n, k in actual if (n, k) not in declared]
    missing = [f"{n} {k}" for n, k in declared if (n, k) not in actual]
    if not extra and not missing:
        return "the declared columns in another order"
    return f"{', '.join(extra) or 'nothing'} instead of {', '.join(missing) or 'nothing'}"


def apply_comments(con: duckdb.DuckDBPyConnection, name: "str | Table") -> None:
    """Comment the table and each of its columns; raises if a column is not declared."""
    t = table(name)
    columns = [column for column, _ in _actual_columns(con, t)]
    descriptions = {c.name: c.description for c in t.columns}
    undocumented = [c for c in columns if c not in descriptions]
    if undocumented:
        raise ValueError(f"{t}: no comment for column(s) {', '.join(undocumented)}")
    con.execute(f"COMMENT ON TABLE {t} IS {quote_literal(t.description)}")
    for column in columns:
        con.execute(
            f"COMMENT ON COLUMN {t}.{quote_ident(column)} IS {quote_literal(descriptions[column])}"
        )
