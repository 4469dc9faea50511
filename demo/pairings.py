"""How pairings end: completed, withdrawn, rematched to a new advisor, or cut short by an exit."""

import numpy as np
import pandas as pd

from demo.calendar import AS_OF_DAY
from demo.careers import CareerHistory
from demo.programs import AdvisorPool, Program

END_REASONS = np.array(["completed", "withdrawn", "rematched", "left_company"], dtype=object)
WITHDRAWN_SHARE = 0.06
REMATCHED_SHARE = 0.04
SETTLING_IN_DAYS = 30  # nobody withdraws or is rematched before a month has passed


def days_or_never(days: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(days), np.inf, days)


def candidate_day(
    rng: np.random.Generator, start: np.ndarray, until: np.ndarray, share: float
) -> np.ndarray:
    """A day between a month after start and `until` for `share` of the pairings, else never."""
    earliest = start + SETTLING_IN_DAYS
    day = np.floor(earliest + rng.random(start.size) * np.maximum(until - earliest, 1))
    return np.where(rng.random(start.size) < share, day, np.inf)


def end_pairings(
    rng: np.random.Generator,
    pairs: pd.DataFrame,
    history: CareerHistory,
    program_end: np.ndarray,
    open_ended: np.ndarray,
    may_change: bool,
) -> pd.DataFrame:
    """Add end_day (NaN while ongoing) and end_reason ('' while ongoing): the earliest of the
    planned end, a withdrawal, a rematch and either person's exit."""
    start = pairs["start_day"].to_numpy(dtype=float)
    share = (WITHDRAWN_SHARE, REMATCHED_SHARE) if may_change else (0.0, 0.0)
    term = days_or_never(history.term_day)
    candidates = np.column_stack(
        [
            np.where(open_ended, np.inf, program_end),
            candidate_day(rng, start, program_end, share[0]),
            candidate_day(rng, start, (start + program_end) / 2, share[1]),
            np.minimum(term[pairs["advisor"].to_numpy()], term[pairs["participant"].to_numpy()]),
        ]
    )
    end = candidates.min(axis=1)
    ongoing = end > AS_OF_DAY
    return pairs.assign(
        end_day=np.where(ongoing, np.nan, end),
        end_reason=pd.array(np.where(ongoing, "", END_REASONS[candidates.argmin(axis=1)]), "str"),
    )


def settle_pairings(
    rng: np.random.Generator,
    pairs: pd.DataFrame,
    history: CareerHistory,
    programs: dict[str, Program],
    pools: dict[tuple[str, str], AdvisorPool],
    level_gaps: dict[str, int],
) -> pd.DataFrame:
    """End every pairing; a rematched participant continues with a new advisor the next day."""
    program_end = pairs["program_id"].map({k: p.end_day for k, p in programs.items()}).to_numpy()
    open_ended = pairs["open_ended"].to_numpy()
    settled = end_pairings(rng, pairs, history, program_end, open_ended, may_change=True)
    rematched = settled.loc[settled["end_reason"] == "rematched"]
    successors = rematch(rng, rematched, history, pools, level_gaps)
    failed = rematched.index.difference(successors.index)
    settled.loc[failed, "end_reason"] = "withdrawn"
    successors = end_pairings(
        rng,
        successors,
        history,
        program_end[successors.index.to_numpy()],
        open_ended[successors.index.to_numpy()],
        may_change=False,
    )
    return pd.concat([settled, successors], ignore_index=True)


def rematch(
    rng: np.random.Generator,
    rematched: pd.DataFrame,
    history: CareerHistory,
    pools: dict[tuple[str, str], AdvisorPool],
    level_gaps: dict[str, int],
) -> pd.DataFrame:
    """New pairings (indexed like the ones they replace) where a new advisor could be found."""
    successors = []
    for (program_id, kind), group in rematched.groupby(["program_id", "relationship_type"]):
        advisor = pools[(program_id, kind)].match(
            rng, group["participant_level"].to_numpy(), level_gaps[kind]
        )
        successors.append(group.assign(advisor=advisor, start_day=group["end_day"] + 1))
    if not successors:
        return rematched.drop(columns=["end_day", "end_reason"])
    new = pd.concat(successors).drop(columns=["end_day", "end_reason"])
    advisor = new["advisor"].to_numpy()
    start = new["start_day"].to_numpy()
    term = days_or_never(history.term_day)
    valid = (
        (advisor >= 0)
        & (advisor != rematched.loc[new.index, "advisor"].to_numpy())
        & (term[np.maximum(advisor, 0)] > start)
        & (term[new["participant"].to_numpy()] > start)
    )
    return new.loc[valid]
