"""Meetings (about monthly while a pairing lasts) and the program's milestones."""

import numpy as np
import pandas as pd

from demo.calendar import AS_OF_DAY, MONTH
from demo.careers import grouped_cumsum
from demo.programs import Program

MEETING_STATUSES = np.array(["completed", "cancelled", "late_cancelled", "no_show"], dtype=object)
MEETING_RATINGS = np.array([1, 2, 3, 4, 5])
MEETING_RATING_SHARES = (0.03, 0.07, 0.20, 0.40, 0.30)
RATED_SHARE = 0.7
NEVER_ACTIVATED_SHARE = 0.05


def repeat_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row index repeated `counts` times each, and the 0-based number within each repeat."""
    rows = np.repeat(np.arange(counts.size), counts)
    return rows, grouped_cumsum(np.ones(rows.size, dtype=np.int64), rows) - 1


def pairing_windows(pairings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    start = pairings["start_day"].to_numpy(dtype=float)
    end = pairings["end_day"].to_numpy(dtype=float)
    return start, np.where(np.isnan(end), AS_OF_DAY, end)


def draw_meetings(rng: np.random.Generator, pairings: pd.DataFrame) -> pd.DataFrame:
    start, end = pairing_windows(pairings)
    n = start.size
    gap = MONTH / rng.uniform(0.7, 1.3, n)
    never_activated = rng.random(n) < NEVER_ACTIVATED_SHARE
    first = np.where(never_activated, rng.uniform(61, 90, n), rng.uniform(2, 30, n))
    counts = np.where(end - start >= first, np.floor((end - start - first) / gap) + 1, 0)
    row, k = repeat_rows(counts.astype(np.int64))
    jitter = rng.uniform(-3, 3, row.size)
    day = np.clip(np.round(start[row] + first[row] + k * gap[row] + jitter), start[row], end[row])
    reliability = rng.uniform(0.65, 0.95, n)[row]
    status = np.where(
        rng.random(row.size) < reliability,
        0,
        rng.choice([1, 2, 3], row.size, p=(0.5, 0.3, 0.2)),
    )
    rated = (status == 0) & (rng.random(row.size) < RATED_SHARE)
    rating = rng.choice(MEETING_RATINGS, row.size, p=MEETING_RATING_SHARES)
    return pd.DataFrame(
        {
            "pairing": row,
            "day": day,
            "activity_type": "meeting",
            "milestone": "",
            "status": MEETING_STATUSES[status],
            "rating": pd.Series(rating, dtype="Int64").where(rated),
        }
    )


def milestone_names(
    programs: dict[str, Program], program: np.ndarray, number: np.ndarray
) -> np.ndarray:
    """The name of each program's `number`-th milestone (0-based)."""
    ids = list(programs)
    longest = max(len(p.milestones) for p in programs.values())
    table = np.full((len(ids), max(longest, 1)), "", dtype=object)
    for i, program_id in enumerate(ids):
        table[i, : len(programs[program_id].milestones)] = programs[program_id].milestones
    return table[pd.Index(ids).get_indexer(program), number]


def draw_milestones(
    rng: np.random.Generator, pairings: pd.DataFrame, programs: dict[str, Program]
) -> pd.DataFrame:
    """Milestones are spread evenly over the program; those due after a pairing ended are
    never reached. Most that are reached are completed."""
    start, end = pairing_windows(pairings)
    program = pairings["program_id"].to_numpy(dtype=object)
    planned = pd.Series(program).map({k: p.planned_milestones for k, p in programs.items()})
    program_end = pd.Series(program).map({k: p.end_day for k, p in programs.items()}).to_numpy()
    row, k = repeat_rows(planned.to_numpy(dtype=np.int64))
    due = start[row] + (k + 1) / (planned.to_numpy()[row] + 1) * (program_end[row] - start[row])
    day = np.round(due + rng.uniform(-7, 7, row.size))
    reached = (day >= start[row]) & (day <= end[row])
    names = milestone_names(programs, program[row], k)
    completed = rng.random(row.size) < 0.88
    frame = pd.DataFrame(
        {
            "pairing": row,
            "day": day,
            "activity_type": "milestone",
            "milestone": names,
            "status": np.where(completed, "completed", "cancelled"),
            "rating": pd.array([pd.NA] * row.size, dtype="Int64"),
        }
    )
    return frame.loc[reached]


def draw_activities(
    rng: np.random.Generator, pairings: pd.DataFrame, programs: dict[str, Program]
) -> pd.DataFrame:
    """All activities, `pairing` being the row position in `pairings`."""
    activities = pd.concat(
        [draw_meetings(rng, pairings), draw_milestones(rng, pairings, programs)],
        ignore_index=True,
    )
    activities = activities.astype(
        {"activity_type": "str", "milestone": "str", "status": "str", "day": np.int64}
    )
    return activities.sort_values(["pairing", "day", "activity_type"], ignore_index=True)
