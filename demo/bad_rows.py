"""Deliberately bad rows, a few per file, each breaking one rule of the input contract.

Bad rows are added next to the clean rows (never replacing one), mostly under made-up employee
ids, so that quarantining them leaves the true history whole.
"""

import numpy as np
import pandas as pd

from demo.calendar import FUTURE_DATE, UNREAL_DATE, UNREAL_DATE_DAY_FIRST
from demo.exports import contact_columns
from demo.survey_layouts import UNKNOWN_LABEL

UNREAL_ACTIVITY_DATE = "2024-06-31"


def insert_after(frame: pd.DataFrame, rows: pd.DataFrame, after: np.ndarray) -> pd.DataFrame:
    """`rows` placed after the given positions of `frame` (in order)."""
    order = np.concatenate([np.arange(len(frame), dtype=float), np.asarray(after) + 0.5])
    together = pd.concat([frame, rows[frame.columns]], ignore_index=True)
    return together.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def spread(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` inserted at evenly spaced places through `frame`."""
    after = (np.arange(1, len(rows) + 1) * len(frame)) // (len(rows) + 1)
    return insert_after(frame, rows, after)


def impostor(template: pd.Series, employee_id: str, **changes: str) -> dict[str, str]:
    """A made-up employee's row: the template's values under a new id and contact details."""
    row = template.to_dict()
    row.update({"employee_id": employee_id, "termination_date": "", "termination_type": ""})
    row.update({column: values[0] for column, values in contact_columns([employee_id]).items()})
    row.update(changes)
    return row


def long_serving_employee(frame: pd.DataFrame) -> pd.Series:
    still_here = (frame["termination_date"] == "") & (frame["hire_date"] < "2024-01-01")
    return frame.loc[still_here.idxmax()]


def bad_october_employees(
    frame: pd.DataFrame, made_up_ids: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    template = long_serving_employee(frame)
    impostors = pd.DataFrame(
        [
            impostor(template, made_up_ids[0], hire_date=FUTURE_DATE),
            impostor(template, made_up_ids[1], hire_date=UNREAL_DATE),
            impostor(
                template,
                made_up_ids[2],
                termination_date="2025-06-30",
                termination_type="resigned",
            ),
            impostor(template, made_up_ids[3], job_level="25"),
        ]
    )
    reasons = [
        "hire_date in the future",
        f"hire_date not a real date ({UNREAL_DATE})",
        "unknown termination_type 'resigned'",
        "job_level 25 out of range",
    ]
    frame = spread(frame, impostors)
    copied = len(frame) // 3
    frame = insert_after(frame, frame.iloc[[copied]], np.array([copied]))
    return frame, [*reasons, "identical duplicate line"]


def bad_september_employees(
    frame: pd.DataFrame, made_up_ids: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    template = long_serving_employee(frame)
    other_department = "Finance" if template["department"] != "Finance" else "Legal"
    impostors = pd.DataFrame(
        [
            impostor(template, made_up_ids[0], hire_date=UNREAL_DATE_DAY_FIRST),
            impostor(template, made_up_ids[1]),
            impostor(template, made_up_ids[1], department=other_department),
        ]
    )
    reasons = [
        f"hire_date not a real date ({UNREAL_DATE_DAY_FIRST})",
        "employee_id twice in one file with different values",
        "employee_id twice in one file with different values",
    ]
    return spread(frame, impostors), reasons


def bad_job_events(frame: pd.DataFrame, unknown_id: str) -> tuple[pd.DataFrame, list[str]]:
    events_per_employee = frame.groupby("employee_id")["event_type"].transform("size")
    hires = frame.loc[frame["event_type"] == "hire"]
    only_hired = hires.loc[
        (events_per_employee.loc[hires.index] == 1)
        & (hires["effective_date"] < pd.Timestamp("2023-06-15"))
    ].iloc[0]
    recent_hire = hires.loc[hires["effective_date"] >= pd.Timestamp("2022-01-01")].iloc[0]
    rows = pd.DataFrame(
        {
            "employee_id": [unknown_id, only_hired["employee_id"], recent_hire["employee_id"]],
            "effective_date": pd.to_datetime(
                [
                    pd.Timestamp("2025-05-01"),
                    pd.Timestamp("2023-06-15"),
                    recent_hire["effective_date"] - pd.Timedelta(days=30),
                ]
            ),
            "event_type": ["promotion", "promotion", "lateral"],
            "from_level": pd.array(
                [3, only_hired["to_level"], recent_hire["to_level"]], dtype="Int64"
            ),
            "to_level": pd.array(
                [4, only_hired["to_level"], recent_hire["to_level"]], dtype="Int64"
            ),
        }
    ).astype({"employee_id": "str", "event_type": "str"})
    reasons = [
        "employee_id not an employee",
        "promotion to_level not above from_level",
        "effective_date before hire_date",
    ]
    return spread(frame, rows), reasons


def next_pairing_ids(frame: pd.DataFrame, count: int) -> list[str]:
    width = len(frame["pairing_id"].iloc[0]) - len("PR-")
    return [f"PR-{len(frame) + k:0{width}d}" for k in range(1, count + 1)]


def bad_pairings(frame: pd.DataFrame, unknown_id: str) -> tuple[pd.DataFrame, list[str]]:
    rows = frame.loc[frame["end_date"] != ""].iloc[:3].copy()
    rows["pairing_id"] = next_pairing_ids(frame, 3)
    rows.iloc[0, rows.columns.get_loc("advisor_id")] = rows.iloc[0]["participant_id"]
    rows.iloc[1, rows.columns.get_loc("advisor_id")] = unknown_id
    too_early = np.datetime64(rows.iloc[2]["start_date"]) - np.timedelta64(10, "D")
    rows.iloc[2, rows.columns.get_loc("end_date")] = str(too_early)
    rows.iloc[2, rows.columns.get_loc("end_reason")] = "withdrawn"
    reasons = [
        "advisor is the participant",
        "advisor_id not an employee",
        "end_date before start_date",
    ]
    return spread(frame, rows), reasons


def bad_activities(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    meetings = frame.loc[frame["activity_type"] == "meeting"]
    summer = meetings.loc[meetings["activity_date"].str.startswith("2024-07")]
    rows = pd.concat([meetings.iloc[[0]], (summer if len(summer) else meetings).iloc[[0]]])
    width = len(frame["pairing_id"].iloc[0]) - len("PR-")
    rows["pairing_id"] = [f"PR-{'9' * (width + 1)}", rows.iloc[1]["pairing_id"]]
    rows["activity_date"] = [rows.iloc[0]["activity_date"], UNREAL_ACTIVITY_DATE]
    reasons = [
        "pairing_id not a pairing",
        f"activity_date not a real date ({UNREAL_ACTIVITY_DATE})",
    ]
    return spread(frame, rows), reasons


def with_bad_survey_rows(
    responses: pd.DataFrame, rng: np.random.Generator, bad_rows: bool
) -> tuple[pd.DataFrame, list[str]]:
    """One wave's responses plus a response nobody can be linked to and an earlier response
    from a real respondent with a label no scale has."""
    responses = responses.assign(unknown_label=False, bad_reason="")
    if not bad_rows:
        return responses, []
    copied = responses.iloc[rng.choice(len(responses), 2, replace=False)]
    reasons = ["no respondent id", f"unknown answer label '{UNKNOWN_LABEL}'"]
    bad = copied.assign(
        person=[-1, copied.iloc[1]["person"]],
        time=copied["time"].to_numpy() - [0.0, 0.05],
        superseded=[False, True],
        unknown_label=[False, True],
        bad_reason=reasons,
    )
    together = pd.concat([responses, bad], ignore_index=True)
    return together.sort_values("time", kind="stable", ignore_index=True), reasons
