"""The true history as HR systems export it: text columns, ids as zero-padded text, ISO dates."""

import numpy as np
import pandas as pd
import pyarrow as pa

from demo.calendar import AS_OF_DAY, calendar_dates, iso_dates
from demo.organisation import DemoOrganisation

STALE_RATING_SHARE = 0.02  # ratings the September export still had at their earlier value


def as_text(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="str")


def ids_or_empty(org: DemoOrganisation, persons: np.ndarray) -> np.ndarray:
    ids = org.employee_ids(np.maximum(persons, 0))
    return np.where(persons >= 0, ids, "")


def rating_texts(rating: np.ndarray, known: np.ndarray) -> np.ndarray:
    text = np.where(rating % 1 == 0, rating.astype(np.int64).astype(str), rating.astype(str))
    return np.where(known, text, "")


def contact_columns(ids: np.ndarray) -> dict[str, np.ndarray]:
    ids = as_text(ids)
    return {
        "Name": ("Person " + ids).to_numpy(),
        "Work Email": ("p" + ids + "@example.com").to_numpy(),
        "Phone": ("+1-555-" + ids.str.zfill(7).str[-7:]).to_numpy(),
    }


def employee_snapshot(org: DemoOrganisation, rng: np.random.Generator, day: int) -> pd.DataFrame:
    """The HRIS export as it stood on `day`: people hired by then, exits up to then, levels then.

    The October export is the truth; the September one still shows a few earlier ratings.
    """
    people, history = org.people, org.history
    present = np.flatnonzero(people["hire_day"].to_numpy() <= day)
    term_day = history.term_day[present]
    left = term_day <= day
    rating = people["rating"].to_numpy()[present]
    if day < AS_OF_DAY:
        stale = rng.random(present.size) < STALE_RATING_SHARE
        rating = np.where(stale, np.clip(rating - rng.choice([-1, 1], present.size), 1, 5), rating)
    ids = org.employee_ids(present)
    department = people["department"].to_numpy(dtype=object)[present]
    department_code = pd.factorize(department, sort=True)[0]
    frame = pd.DataFrame(
        {
            "employee_id": ids,
            "hire_date": iso_dates(people["hire_day"].to_numpy()[present]),
            "termination_date": iso_dates(np.where(left, term_day, np.nan)),
            "termination_type": np.where(
                left, people["termination_type"].to_numpy(dtype=object)[present], ""
            ),
            "job_level": history.levels_on(day)[present].astype(str),
            "department": department,
            "location": people["location"].to_numpy(dtype=object)[present],
            "manager_id": ids_or_empty(org, people["manager"].to_numpy()[present]),
            "gender": people["gender"].to_numpy(dtype=object)[present],
            "ethnicity": people["ethnicity"].to_numpy(dtype=object)[present],
            "performance_rating": rating_texts(rating, people["rating_known"].to_numpy()[present]),
            **contact_columns(ids),
            "cost_center": np.char.add("CC-", (4100 + 10 * department_code).astype(str)),
        }
    )
    return frame.astype("str")


def human_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Headers as people type them: "Employee ID", "Hire Date", "Cost Center"."""
    return frame.rename(columns=lambda name: name.replace("_", " ").title().replace("Id", "ID"))


def job_event_frame(org: DemoOrganisation) -> pd.DataFrame:
    """Hire, moves and termination events, sorted by employee and date."""
    history = org.history
    n = history.hire_day.size
    everyone = np.arange(n)
    left = np.flatnonzero(~np.isnan(history.term_day))
    missing = np.full(n, -1)
    events = pd.concat(
        [
            pd.DataFrame(
                {
                    "person": everyone,
                    "day": history.hire_day.astype(float),
                    "event_type": "hire",
                    "from_level": missing,
                    "to_level": history.level0,
                }
            ),
            history.moves,
            pd.DataFrame(
                {
                    "person": left,
                    "day": history.term_day[left],
                    "event_type": "termination",
                    "from_level": history.final_level[left],
                    "to_level": missing[left],
                }
            ),
        ],
        ignore_index=True,
    ).sort_values(["person", "day"], kind="stable", ignore_index=True)
    return pd.DataFrame(
        {
            "employee_id": as_text(org.employee_ids(events["person"].to_numpy())),
            "effective_date": calendar_dates(events["day"].to_numpy()),
            "event_type": events["event_type"].astype("str"),
            "from_level": events["from_level"].astype("Int64").where(events["from_level"] >= 0),
            "to_level": events["to_level"].astype("Int64").where(events["to_level"] >= 0),
        }
    )


JOB_EVENT_SCHEMA = pa.schema(
    [
        ("employee_id", pa.string()),
        ("effective_date", pa.date32()),
        ("event_type", pa.string()),
        ("from_level", pa.int32()),
        ("to_level", pa.int32()),
    ]
)


def job_event_table(frame: pd.DataFrame) -> pa.Table:
    """Dates as parquet dates (not timestamps), levels as nullable integers."""
    dates = frame["effective_date"].to_numpy().astype("datetime64[D]")
    return pa.Table.from_arrays(
        [
            pa.array(frame["employee_id"].to_numpy(dtype=object), pa.string()),
            pa.array(dates, pa.date32()),
            pa.array(frame["event_type"].to_numpy(dtype=object), pa.string()),
            pa.array(frame["from_level"], pa.int32(), from_pandas=True),
            pa.array(frame["to_level"], pa.int32(), from_pandas=True),
        ],
        schema=JOB_EVENT_SCHEMA,
    )


def program_frame(org: DemoOrganisation) -> pd.DataFrame:
    """Dates as `date` objects so that they become real date cells in the workbook."""
    return pd.DataFrame(
        {
            "program_id": [p.program_id for p in org.programs],
            "program_name": [p.program_name for p in org.programs],
            "start_date": [p.start for p in org.programs],
            "end_date": [p.end for p in org.programs],
            "planned_milestones": [p.planned_milestones for p in org.programs],
            "certificate_threshold": [p.certificate_threshold for p in org.programs],
        }
    )


def pairing_frame(org: DemoOrganisation) -> pd.DataFrame:
    pairings = org.pairings
    return pd.DataFrame(
        {
            "pairing_id": pairings["pairing_id"],
            "program_id": pairings["program_id"],
            "relationship_type": pairings["relationship_type"],
            "advisor_id": org.employee_ids(pairings["advisor"].to_numpy()),
            "participant_id": org.employee_ids(pairings["participant"].to_numpy()),
            "start_date": iso_dates(pairings["start_day"].to_numpy()),
            "end_date": iso_dates(pairings["end_day"].to_numpy()),
            "end_reason": pairings["end_reason"],
        }
    ).astype("str")


def activity_frame(org: DemoOrganisation) -> pd.DataFrame:
    activities = org.activities
    rating = activities["rating"]
    return pd.DataFrame(
        {
            "pairing_id": org.pairings["pairing_id"].to_numpy()[activities["pairing"].to_numpy()],
            "activity_date": iso_dates(activities["day"].to_numpy()),
            "activity_type": activities["activity_type"],
            "milestone": activities["milestone"],
            "status": activities["status"],
            "rating": rating.astype("str").where(rating.notna(), ""),
        }
    ).astype("str")
