# %% [markdown]
# # The mentorlens warehouse, as an analyst
#
# A notebook in percent format: open it in Jupyter with `make notebook`, or run it as a plain
# script (`python examples/analyst.py`). It opens the published warehouse read-only (a run
# never waits for you) and answers four questions:
#
# 1. Do women mentees stay longer than comparable women who were not mentored?
# 2. Which departments' pairings meet least often?
# 3. How does eNPS move from wave to wave, for mentees and everyone else?
# 4. What is a program's funnel, from pairings to certificates?
#
# Unlike the reports, the warehouse does not hide small groups: check `n` before quoting.

# %%
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

WAREHOUSE = Path(os.environ.get("MENTORLENS_WAREHOUSE", "data/warehouse/mentorlens.duckdb"))
PROGRAM = os.environ.get("MENTORLENS_EXAMPLE_PROGRAM", "MEN-2024")
DAYS_PER_MONTH = 30.4375

con = duckdb.connect(str(WAREHOUSE), read_only=True)
con.sql("SELECT * FROM marts.run_info").show()

# %% [markdown]
# ## 1. Retention of women mentees against the comparison group
#
# `marts.study_cohort` holds every person of a program's study, followed from the program's
# start (the index date) in days. Kaplan–Meier 12-month retention counts a voluntary exit as the
# event; any other end of follow-up is censored. `marts.program_outcomes` holds the same figure
# with its 95% interval; here it is computed from the people, as a check anyone can follow.

# %%
cohort = con.sql(
    """
    SELECT arm, exit_days, exit_event
    FROM marts.study_cohort
    WHERE relationship_type = 'mentor' AND program_id = $program AND gender = 'Woman'
        AND arm IN ('participant', 'comparison')
    """,
    params={"program": PROGRAM},
).df()


def km_survival(days: pd.Series, events: pd.Series, horizon: float) -> float:
    """Kaplan–Meier survival at `horizon` days (events on a day come before censoring)."""
    table = (
        pd.DataFrame({"days": days, "event": events}).groupby("days")["event"].agg(["sum", "count"])
    )
    at_risk = table["count"][::-1].cumsum()[::-1]
    factors = 1 - table["sum"] / at_risk
    return float(np.prod(factors[table.index <= horizon]))


retention_women_mentees = pd.DataFrame(
    {
        arm: {
            "n": len(people),
            "retention_12m": km_survival(
                people["exit_days"], people["exit_event"], 12 * DAYS_PER_MONTH
            ),
        }
        for arm, people in cohort.groupby("arm")
    }
).T
retention_women_mentees  # noqa: B018 (shown in the notebook)

# %% [markdown]
# ## 2. Departments with the lowest meeting cadence
#
# Meetings held per pairing-month, by the participant's department, from `marts.fct_activity`
# (one row per meeting or milestone) and `marts.fct_pairing` (each pairing's duration). The
# department is the HRIS snapshot's: the exports carry no department history.

# %%
cadence = con.sql(
    """
    WITH held AS (
        SELECT pairing_id, count(*) AS meetings FROM marts.fct_activity
        WHERE activity_type = 'meeting' AND status = 'completed' GROUP BY pairing_id
    )
    SELECT p.program_id, p.relationship_type, p.participant_department AS department,
        count(*) AS pairings, coalesce(sum(h.meetings), 0) AS meetings,
        sum(p.duration_days) / $month AS pairing_months
    FROM marts.fct_pairing p LEFT JOIN held h USING (pairing_id)
    GROUP BY ALL
    """,
    params={"month": DAYS_PER_MONTH},
).df()
by_department = cadence.groupby("department")[["pairings", "meetings", "pairing_months"]].sum()
by_department["meetings_per_pairing_month"] = (
    by_department["meetings"] / by_department["pairing_months"]
)
slowest_departments = by_department.sort_values("meetings_per_pairing_month").head(3)
by_program = cadence.groupby(["program_id", "relationship_type"])[
    ["meetings", "pairing_months"]
].sum()
meetings_per_pairing_month = by_program["meetings"] / by_program["pairing_months"]
slowest_departments  # noqa: B018

# %% [markdown]
# ## 3. eNPS by wave and group
#
# eNPS is the share of promoters (9–10) minus the share of detractors (0–6), times 100.
# A respondent counts as a mentee in a wave only if their first mentoring pairing started on
# or before the wave's date (`marts.fct_participation`), so people who joined later are not
# mentees in earlier waves. `marts.survey_wave_summary` has the same with 95% intervals.

# %%
enps_by_wave = con.sql(
    """
    SELECT s.wave, s.wave_date,
        CASE WHEN EXISTS (
            SELECT 1 FROM marts.fct_participation p
            WHERE p.employee_id = s.employee_id AND p.relationship_type = 'mentor'
                AND p.first_pairing_start <= s.wave_date
        ) THEN 'participant' ELSE 'non_participant' END AS arm,
        count(s.enps) AS n,
        100 * (count(*) FILTER (WHERE s.enps >= 9) - count(*) FILTER (WHERE s.enps <= 6))
            / count(s.enps) AS enps
    FROM marts.fct_survey_score s
    GROUP BY ALL ORDER BY s.wave_date, arm
    """
).df()
career_lonely_by_wave = con.sql(
    "SELECT wave, avg(career_lonely::INT) AS career_lonely FROM marts.fct_survey_score "
    "GROUP BY wave ORDER BY wave"
).df()
enps_by_wave.pivot(index="wave", columns="arm", values="enps")

# %% [markdown]
# ## 4. A program's funnel
#
# From the program's pairings to those active within 60 days, those with a milestone done, and
# those eligible for the certificate (`marts.dim_program`, `marts.fct_pairing`).

# %%
funnel = con.sql(
    """
    SELECT p.program_id, p.relationship_type, count(*) AS pairings,
        count(DISTINCT p.participant_id) AS participants,
        count(p.activated) AS activation_known,
        count(*) FILTER (WHERE p.activated) AS activated,
        count(*) FILTER (WHERE p.milestones_completed > 0) AS with_a_milestone,
        count(p.certificate_eligible) AS certificate_known,
        count(*) FILTER (WHERE p.certificate_eligible) AS certificate_eligible
    FROM marts.fct_pairing p JOIN marts.dim_program g USING (program_id)
    WHERE p.program_id = $program
    GROUP BY ALL ORDER BY ALL
    """,
    params={"program": PROGRAM},
).df()
funnel["activation_rate"] = funnel["activated"] / funnel["activation_known"]
funnel["certificate_eligible_rate"] = funnel["certificate_eligible"] / funnel["certificate_known"]
funnel  # noqa: B018

# %%
con.close()
