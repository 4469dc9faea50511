"""`COMMENT ON` for every mart table and column this layer builds, in one place.

`CREATE OR REPLACE TABLE` drops comments, so every build re-applies them (`apply_comments`). A
column without a comment here is a bug: applying comments to such a table raises.
"""

from dataclasses import dataclass

import duckdb

from warehouse.db import quote_ident, quote_literal


@dataclass(frozen=True)
class TableDoc:
    comment: str
    columns: dict[str, str]


def _share(description: str, name: str) -> dict[str, str]:
    return {
        name: f"Share of {description} (0–1); NULL when n is 0.",
        f"{name}_ci_low": f"Lower bound of the Wilson 95% interval of {name}.",
        f"{name}_ci_high": f"Upper bound of the Wilson 95% interval of {name}.",
        f"{name}_n": f"Denominator of {name}: how many it is a share of.",
    }


def _interval(description: str, name: str) -> dict[str, str]:
    return {
        name: description,
        f"{name}_ci_low": f"Lower bound of the 95% interval of {name}.",
        f"{name}_ci_high": f"Upper bound of the 95% interval of {name}.",
    }


_PROGRAM = "The program (programs.program_id)."
_TYPE = "mentor, sponsor, ally or coach."
_SUBGROUP = (
    "all, or gender=<value> / ethnicity=<value> as given in the HRIS ('not disclosed' where empty)."
)
_GROUP = (
    "participant (paired in this program and type; time zero at the first pairing), "
    "comparison (employed on a monthly trial's first day, not an advisor in the program, not "
    "yet paired in it, not a participant of this type in the 12 months before) or advisor."
)

_RUN_INFO = TableDoc(
    "One row: the data's as-of date (where follow-up ends) and when the marts were built.",
    {
        "as_of": "The as-of date: MENTORLENS_AS_OF, else the latest hire, termination or job "
        "event not after the day of the run.",
        "as_of_source": "Where the as-of date came from.",
        "built_at": "When the marts were built (local time).",
    },
)

_PARTICIPATION_FLAGS = {
    "is_mentee": "Participant of at least one mentoring pairing.",
    "is_mentor": "Mentor in at least one pairing.",
    "is_protege": "Participant (protégé) of at least one sponsorship pairing.",
    "is_sponsor": "Sponsor in at least one pairing.",
    "has_ally": "Participant of at least one ally pairing (has an ally).",
    "is_ally": "Ally in at least one pairing.",
    "is_coachee": "Participant of at least one coaching pairing.",
    "is_coach": "Coach in at least one pairing.",
    "is_advisor": "Mentor, sponsor, ally or coach in at least one pairing.",
}

_DIM_EMPLOYEE = TableDoc(
    "One row per employee (everyone in the HRIS snapshot, leavers included), with tenure, "
    "level, demographics and participation flags per relationship type.",
    {
        "employee_id": "The employee's id (HRIS).",
        "hire_date": "Hire date.",
        "termination_date": "Termination date; NULL while employed.",
        "termination_type": "voluntary, involuntary, retirement or other; NULL while employed.",
        "is_employed": "Employed on the as-of date (hired by then, not terminated by then).",
        "tenure_years": "Years from hire to the as-of date, or to the exit for leavers.",
        "job_level": "Job level in the HRIS snapshot (1–20).",
        "department": "Department (HRIS).",
        "location": "Location (HRIS).",
        "manager_id": "The manager's employee_id.",
        "gender": "Gender as given; NULL = not disclosed.",
        "ethnicity": "Ethnicity as given; NULL = not disclosed.",
        "performance_rating": "Latest performance rating before any program (1–5).",
        **_PARTICIPATION_FLAGS,
    },
)

_FCT_PAIRING = TableDoc(
    "One row per pairing (relationship): meetings by status, milestones, certificate "
    "eligibility, duration, activation and how it ended. Activities after the as-of date are "
    "not counted.",
    {
        "pairing_id": "The pairing's id.",
        "program_id": _PROGRAM,
        "relationship_type": _TYPE,
        "advisor_id": "The mentor, sponsor, ally or coach (employee_id).",
        "participant_id": "The mentee, protégé or supported colleague (employee_id).",
        "start_date": "Start of the pairing.",
        "end_date": "End of the pairing; NULL while it goes on.",
        "end_reason": "completed, rematched, withdrawn or left_company; NULL while it goes on.",
        "is_ongoing": "No end date on or before the as-of date.",
        "duration_days": "Days from start to end, or to the as-of date while ongoing.",
        "meetings_completed": "Meetings held.",
        "meetings_cancelled": "Meetings cancelled in time.",
        "meetings_late_cancelled": "Meetings cancelled late.",
        "meetings_no_show": "Meetings someone did not show up to.",
        "milestones_completed": "Distinct milestone names with status completed.",
        "planned_milestones": "Milestones the program expects a pair to complete.",
        "milestone_completion_rate": "milestones_completed / planned_milestones, at most 1; "
        "NULL when the program plans none.",
        "certificate_threshold": "Completion rate that earns the certificate (program's, else "
        "0.8).",
        "mean_meeting_rating": "Mean feedback rating of the pairing's meetings (1–5).",
        "meeting_ratings": "Meetings with a rating.",
        "first_meeting_date": "Date of the first completed meeting.",
        "certificate_eligible": "milestone_completion_rate ≥ certificate_threshold; NULL when "
        "the program plans no milestones.",
        "activated": "A completed meeting within 60 days of the start; NULL while those 60 days "
        "have not passed.",
    },
)

_PROGRAM_HEALTH = TableDoc(
    "Program health per program and relationship type, from marts.fct_pairing: activation, "
    "meeting frequency, cancellations, milestones, certificates, rematches, withdrawals and "
    "ratings. Shares carry Wilson 95% intervals.",
    {
        "program_id": _PROGRAM,
        "program_name": "The program's name.",
        "relationship_type": _TYPE,
        "pairings": "Pairings.",
        "participants": "Distinct participants.",
        "pairing_months": "Total duration of the pairings in months of 30.4375 days.",
        "meetings_completed": "Meetings held.",
        "meetings_per_pairing_month": "Meetings held per pairing and month.",
        **_share(
            "pairings with a completed meeting within 60 days (pairings whose 60 days have passed)",
            "activation_rate",
        ),
        **_share("scheduled meetings cancelled in time", "cancellation_rate"),
        **_share("scheduled meetings cancelled late", "late_cancellation_rate"),
        **_share("scheduled meetings with a no-show", "no_show_rate"),
        **_share(
            "planned milestones completed (over pairings × planned_milestones)",
            "milestone_completion_rate",
        ),
        **_share("pairings eligible for the certificate", "certificate_eligible_rate"),
        **_share("pairings ended by a rematch", "rematch_rate"),
        **_share("pairings ended by a withdrawal", "withdrawal_rate"),
        "mean_meeting_rating": "Mean meeting rating (1–5).",
        "meeting_ratings": "Meetings with a rating.",
    },
)

_MENTOR_TO_SPONSOR = TableDoc(
    "Mentor-to-sponsor pathway: share of mentees who gain a sponsor within 12 months of their "
    "mentoring pairing's start, beside colleagues employed on the program's start who were not "
    "mentored in it. Only people whose 12 months have passed by the as-of date count.",
    {
        "program_id": "The mentoring program, or all for every mentoring program stacked.",
        "group": "mentee, or other_employees (employed on the program start, not its mentees).",
        **_share("people with a sponsor pairing starting within 12 months", "gained_sponsor_12m"),
        "window_incomplete": "People left out because their 12 months have not passed.",
    },
)

_SPONSORSHIP_ACCESS = TableDoc(
    "Sponsorship access among employees employed on the as-of date, overall, by gender and by "
    "ethnicity, with Wilson 95% intervals.",
    {
        "dimension": "all, gender or ethnicity.",
        "category": "The gender or ethnicity as given ('not disclosed' where empty), or all.",
        **_share("employees with a sponsor pairing running on the as-of date", "sponsored_now"),
        **_share("employees with a sponsor pairing started by the as-of date", "ever_sponsored"),
    },
)

_CAREER_LONELINESS = TableDoc(
    "Career loneliness per survey wave: share agreeing with 'I feel alone in determining my "
    "career development', with a Wilson 95% interval and the industry benchmark.",
    {
        "wave": "The survey wave.",
        "wave_date": "The wave's date (median response time).",
        **_share("respondents agreeing or strongly agreeing", "career_lonely"),
        "industry_benchmark": "Share agreeing in an industry survey (0.77).",
    },
)

_STUDY_COHORT = TableDoc(
    "The study design (sequential monthly trials): one row per program, relationship type, "
    "trial and person: each participant once, at their first pairing (time zero); comparison "
    "people employed on a trial month's first day, not advisors in the program, not yet "
    "paired in it and no participant of the type in the 12 months before (in a track with "
    "over 100,000 eligible person-months, up to 10 per participant drawn with a fixed seed), "
    "censored if paired later; advisors once, at their "
    "first pairing. With covariates as of time zero, follow-up from it and survey waves.",
    {
        "program_id": _PROGRAM,
        "relationship_type": _TYPE,
        "employee_id": "The employee.",
        "group": _GROUP,
        "trial_start": "First day of the person's monthly trial (the program's start_date in "
        "its first month).",
        "trial_eligible": "Comparison rows: people eligible as comparison in the trial (where "
        "fewer are listed, up to 10 per participant were drawn); NULL for participants and "
        "advisors.",
        "index_date": "Time zero: participants' and advisors' first pairing start (not before "
        "the program's start); comparison people's trial_start. Follow-up starts here.",
        "program_end_date": "The program's end_date (follow-up surveys are from here on).",
        "first_pairing_start": "Participants: start of their first pairing in the program.",
        "paired_later_on": "Comparison people later paired in the program: that date, where "
        "their follow-up (and survey follow-up) is censored.",
        "job_level": "Job level at time zero (from job events, else the snapshot).",
        "tenure_years": "Years from hire to time zero.",
        "performance_rating": "Latest performance rating before any program (1–5).",
        "department": "Department.",
        "gender": "Gender as given; NULL = not disclosed.",
        "ethnicity": "Ethnicity as given; NULL = not disclosed.",
        "follow_up_end": "End of follow-up: the exit, a later pairing (comparison), or the "
        "as-of date.",
        "exit_type": "termination_type of an exit by the as-of date; NULL otherwise.",
        "exit_days": "Days from time zero to a voluntary exit or the end of follow-up.",
        "exit_event": "1 when the follow-up ended with a voluntary exit, 0 when censored.",
        "promotion_days": "Days from time zero to the first promotion or the end of "
        "follow-up; NULL at the organisation's top job level (nobody to be promoted to).",
        "promotion_event": "1 when promoted after time zero, 0 when censored; NULL at the "
        "top job level.",
        "baseline_wave": "Latest survey wave on or before time zero, at most "
        "MENTORLENS_BASELINE_MAX_MONTHS (default 18) months before it.",
        "baseline_wave_date": "Date of the baseline wave.",
        "loneliness_baseline": "UCLA-3 loneliness (3–9) at baseline.",
        "engagement_baseline": "UWES-3 engagement (0–6) at baseline.",
        "career_lonely_baseline": "1 when agreeing to feel alone in their career at baseline.",
        "followup_wave": "First survey wave on or after the program's end (by the as-of date).",
        "followup_wave_date": "Date of the follow-up wave.",
        "loneliness_followup": "UCLA-3 loneliness (3–9) at follow-up.",
        "engagement_followup": "UWES-3 engagement (0–6) at follow-up.",
        "career_lonely_followup": "1 when agreeing to feel alone in their career at follow-up.",
    },
)

_PROGRAM_OUTCOMES = TableDoc(
    "Outcomes per program, relationship type, group and subgroup: Kaplan–Meier voluntary "
    "retention and share promoted with 95% intervals, and survey means at baseline and "
    "follow-up. Months are 30.4375 days from time zero (each participant's first pairing; a "
    "comparison person's trial month). A comparison person may count in several trials.",
    {
        "program_id": _PROGRAM,
        "relationship_type": _TYPE,
        "group": _GROUP,
        "subgroup": _SUBGROUP,
        "n": "People in the group at time zero (comparison: person-trials).",
        "voluntary_exits": "Voluntary exits after time zero.",
        "promotions": "People promoted after time zero (the top job level left out).",
        **_interval(
            "Kaplan–Meier probability of no voluntary exit by 6 months; NULL beyond the follow-up.",
            "retention_6m",
        ),
        **_interval("Kaplan–Meier probability of no voluntary exit by 12 months.", "retention_12m"),
        **_interval("Kaplan–Meier probability of no voluntary exit by 24 months.", "retention_24m"),
        **_interval(
            "Share promoted by 12 months: cumulative incidence (Aalen–Johansen), exit of any "
            "kind a competing event.",
            "promoted_12m",
        ),
        **_interval(
            "Share promoted by 24 months: cumulative incidence (Aalen–Johansen), exit of any "
            "kind a competing event.",
            "promoted_24m",
        ),
        "survey_n": "People with both a baseline and a follow-up wave; the survey means are "
        "theirs.",
        "loneliness_baseline": "Mean UCLA-3 loneliness (3–9) at baseline.",
        "loneliness_followup": "Mean UCLA-3 loneliness (3–9) at follow-up.",
        "engagement_baseline": "Mean UWES-3 engagement (0–6) at baseline.",
        "engagement_followup": "Mean UWES-3 engagement (0–6) at follow-up.",
        "career_lonely_baseline": "Share feeling alone in their career at baseline (0–1).",
        "career_lonely_followup": "Share feeling alone in their career at follow-up (0–1).",
    },
)

_EFFECT_COLUMNS = {
    "program_id": "The program, or all for the programs of this type pooled.",
    "relationship_type": _TYPE,
    "outcome": "voluntary_exit_hr, promotion_hr (Cox hazard ratios), retention_12m_diff "
    "(percentage points), loneliness_did (UCLA-3 points), engagement_did (UWES points), "
    "career_lonely_did (percentage points).",
    "method": "naive (participation alone) or adjusted (plus job level as categories, tenure "
    "in bands, performance rating with a missing indicator, department and gender as of time "
    "zero; pooled rows also the program). Variances are clustered on employee_id.",
    "estimate": "The effect of participation; NULL when not estimable (too few people or "
    "events, no convergence, separation, a degenerate interval: see note).",
    "ci_low": "Lower bound of the 95% interval.",
    "ci_high": "Upper bound of the 95% interval.",
    "p_value": "Two-sided p-value for no effect.",
    "n_treated": "Participants in the estimate (survey outcomes: those with both waves; "
    "promotion: below the top job level).",
    "n_control": "Comparison group members in the estimate (as n_treated).",
    "note": "Why an estimate is missing, or what to keep in mind reading it.",
    "ph_p_value": "Cox rows: Grambsch–Therneau test of proportional hazards for participation.",
    "ph_holds": "Cox rows: false when the proportional-hazards test rejects (p < 0.05).",
}

_PROGRAM_EFFECTS = TableDoc(
    "Program effects: participants against the comparison group, per program (or all pooled), "
    "relationship type, outcome and method (naive and adjusted), with 95% intervals.",
    _EFFECT_COLUMNS,
)

_PROGRAM_EFFECTS_BY_SUBGROUP = TableDoc(
    "Program effects (naive and adjusted) within each gender and ethnicity category, estimated "
    "where each arm has at least MENTORLENS_MIN_GROUP_SIZE people; p-values also "
    "Holm-adjusted across the subgroups of one program, type, outcome and method, and a test "
    "of whether the effect differs between a dimension's categories.",
    {
        **_EFFECT_COLUMNS,
        "subgroup": "gender=<value> or ethnicity=<value> ('not disclosed' where empty).",
        "dimension": "gender or ethnicity.",
        "category": "The dimension's category ('not disclosed' where empty).",
        "p_value_holm": "p_value adjusted (Holm) across the subgroups of one program, type, "
        "outcome and method.",
        "p_interaction": "Does the effect differ between the dimension's categories: Cochran's "
        "Q over their estimates (log hazard ratios for hazard ratios), the Wald test of "
        "treatment × category; the same on every row of one program, type, outcome, method "
        "and dimension; NULL with fewer than two categories estimated.",
    },
)

_FCT_SURVEY_SCORE = TableDoc(
    "One row per employee and survey wave: the scores of their latest scored response "
    "(unfinished, preview and spam responses are not scored). A score is NULL when any of its "
    "instrument's items was left unanswered.",
    {
        "employee_id": "The respondent (employees.employee_id as the survey gave it).",
        "wave": "The wave: the file's `wave` column, else the file name's stem.",
        "wave_date": "The wave's date: the median time of its scored responses.",
        "loneliness": "UCLA-3 loneliness: sum of three items scored 1–3, so 3–9.",
        "lonely": "loneliness at or above the threshold (MENTORLENS_LONELY_THRESHOLD, 6).",
        "engagement": "UWES-3 engagement: mean of three items scored 0–6.",
        "career_lonely": "Agrees or strongly agrees: 'I feel alone in determining my career "
        "development'.",
        "has_advocate_fav": "Agrees or strongly agrees: 'Someone senior actively advocates for "
        "my career'.",
        "psych_safety_fav": "Agrees or strongly agrees: 'I can speak up here without fear of "
        "embarrassment or punishment'.",
        "enps": "Likelihood to recommend the company as a place to work, 0–10 (9–10 promoters, "
        "0–6 detractors).",
    },
)


_INPUTS_DIGEST = {
    "inputs_digest": "Digest of what the rows were computed from; a run with another digest "
    "recomputes them."
}


def _survival_memo(table: str, doc: TableDoc) -> TableDoc:
    return TableDoc(
        f"Internal: the hazard-ratio and retention rows of {table} as last computed, kept so "
        "that a run whose cohort (survey columns aside), settings and code are unchanged, such "
        f"as a new survey wave, reuses them. Query {table} instead.",
        {**doc.columns, **_INPUTS_DIGEST},
    )


_STUDY_COHORT_PEOPLE = TableDoc(
    "Internal: marts.study_cohort without its survey columns, as last built, kept so that a "
    "run whose staging tables, as-of date and cohort query are unchanged, such as a new survey "
    "wave, only adds the survey columns. Query marts.study_cohort instead.",
    {
        **{
            column: text
            for column, text in _STUDY_COHORT.columns.items()
            if not column.endswith(("_baseline", "_followup", "_wave", "_wave_date"))
        },
        **_INPUTS_DIGEST,
    },
)


TABLES: dict[str, TableDoc] = {
    "marts.fct_survey_score": _FCT_SURVEY_SCORE,
    "marts.run_info": _RUN_INFO,
    "marts.dim_employee": _DIM_EMPLOYEE,
    "marts.fct_pairing": _FCT_PAIRING,
    "marts.program_health": _PROGRAM_HEALTH,
    "marts.mentor_to_sponsor": _MENTOR_TO_SPONSOR,
    "marts.sponsorship_access": _SPONSORSHIP_ACCESS,
    "marts.career_loneliness": _CAREER_LONELINESS,
    "marts.study_cohort": _STUDY_COHORT,
    "marts.program_outcomes": _PROGRAM_OUTCOMES,
    "marts.program_effects": _PROGRAM_EFFECTS,
    "marts.program_effects_by_subgroup": _PROGRAM_EFFECTS_BY_SUBGROUP,
    "meta.study_cohort_people": _STUDY_COHORT_PEOPLE,
    "meta.program_effects_survival_memo": _survival_memo("marts.program_effects", _PROGRAM_EFFECTS),
    "meta.program_effects_by_subgroup_survival_memo": _survival_memo(
        "marts.program_effects_by_subgroup", _PROGRAM_EFFECTS_BY_SUBGROUP
    ),
}


def apply_comments(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Comment the table and each of its columns; raises if a column has no comment here."""
    doc = TABLES[table]
    schema, name = table.split(".")
    columns = [
        column
        for (column,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, name],
        ).fetchall()
    ]
    undocumented = [c for c in columns if c not in doc.columns]
    if undocumented:
        raise ValueError(f"{table}: no comment for column(s) {', '.join(undocumented)}")
    con.execute(f"COMMENT ON TABLE {table} IS {quote_literal(doc.comment)}")
    for column in columns:
        con.execute(
            f"COMMENT ON COLUMN {table}.{quote_ident(column)} "
            f"IS {quote_literal(doc.columns[column])}"
        )
