"""Careers as hazards: competing exit risks and job moves (promotion, lateral, demotion).

All hazards are constant per person, so the time to an event is exponential and a program effect
starting on day s is exact by memorylessness: for the people it treats, the remaining time after s
is simply redrawn with the hazard times the effect's hazard ratio. Job moves are Poisson processes
whose promotions after s are redrawn the same way.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.calendar import AS_OF_DAY, YEAR, record_day
from demo.people import TOP_LEVEL

EXIT_CAUSES = np.array(["voluntary", "involuntary", "retirement", "other"], dtype=object)
VOLUNTARY = 0
MOVE_KINDS = np.array(["promotion", "lateral", "demotion"], dtype=object)
PROMOTION = 0
MOVE_STEPS = np.array([1, 0, -1])
ANNUAL_EXIT = 0.14  # all causes, for sizing the hires


def annual_exit_rates(people: pd.DataFrame) -> np.ndarray:
    """Hazards a year, one column per EXIT_CAUSES entry."""
    performance = people["rating"].to_numpy() - 3
    seniority = people["level0"].to_numpy() - 3
    ones = np.ones(len(people))
    return np.column_stack(
        [
            0.12 * np.exp(-0.35 * performance - 0.04 * seniority),
            0.022 * np.exp(-0.60 * performance),
            0.005 * np.exp(0.15 * seniority),
            0.004 * ones,
        ]
    )


def annual_move_rates(people: pd.DataFrame) -> np.ndarray:
    """Hazards a year, one column per MOVE_KINDS entry."""
    performance = people["rating"].to_numpy() - 3
    seniority = people["level0"].to_numpy() - 3
    can_rise = people["level0"].to_numpy() < TOP_LEVEL
    return np.column_stack(
        [
            0.12 * np.exp(0.35 * performance - 0.06 * seniority) * can_rise,
            0.04 * np.ones(len(people)),
            0.004 * np.exp(-0.50 * performance),
        ]
    )


def poisson_event_times(
    rng: np.random.Generator,
    persons: np.ndarray,
    rates: np.ndarray,
    start: np.ndarray,
    end: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Event times of independent Poisson processes, one per person, on (start, end]."""
    span = np.maximum(end - start, 0.0)
    counts = rng.poisson(rates * span)
    times = np.repeat(start, counts) + rng.random(counts.sum()) * np.repeat(span, counts)
    return np.repeat(persons, counts), times


def grouped_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running sum of values restarting at each new group (groups sorted)."""
    if values.size == 0:
        return values.copy()
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    total = np.cumsum(values)
    before_group = total[starts] - values[starts]
    return total - np.repeat(before_group, np.diff(np.r_[starts, values.size]))


def feasible_moves(person: np.ndarray, kind: np.ndarray, level0: np.ndarray) -> np.ndarray:
    """Which moves (sorted by person, then time) keep the level within 1..TOP_LEVEL.

    A move that would leave the range is dropped and the rest re-checked: each pass drops the
    first offending move of each person, so a later move can become valid again.
    """
    step = MOVE_STEPS[kind]
    kept = np.ones(person.size, dtype=bool)
    while True:
        level = level0[person] + grouped_cumsum(np.where(kept, step, 0), person)
        offending = np.flatnonzero(kept & ((level > TOP_LEVEL) | (level < 1)))
        if offending.size == 0:
            return kept
        _, first = np.unique(person[offending], return_index=True)
        kept[offending[first]] = False


def levels_on(
    level0: np.ndarray, person: np.ndarray, step: np.ndarray, time: np.ndarray, day: float
) -> np.ndarray:
    before = time <= day
    rises = np.bincount(person[before], weights=step[before], minlength=level0.size)
    return level0 + rises.astype(np.int64)


@dataclass(frozen=True)
class CareerHistory:
    """What happened, as recorded: days are integer calendar days (NaN = still employed)."""

    hire_day: np.ndarray
    term_day: np.ndarray
    term_type: np.ndarray
    level0: np.ndarray
    final_level: np.ndarray
    moves: pd.DataFrame  # person, day, event_type, from_level, to_level

    def employed_on(self, day: float) -> np.ndarray:
        return (self.hire_day <= day) & ~(self.term_day <= day)

    def levels_on(self, day: float) -> np.ndarray:
        moves = self.moves
        step = moves["to_level"].to_numpy() - moves["from_level"].to_numpy()
        return levels_on(
            self.level0, moves["person"].to_numpy(), step, moves["day"].to_numpy(), day
        )


class CareerSimulation:
    """Latent exit times and job moves for everyone, changed by program effects as they start."""

    def __init__(self, rng: np.random.Generator, people: pd.DataFrame) -> None:
        self._rng = rng
        self._hire_day = people["hire_day"].to_numpy()
        self._level0 = people["level0"].to_numpy()
        origin = np.maximum(self._hire_day, 0).astype(float)
        n = origin.size
        self._exit_rates = annual_exit_rates(people) / YEAR
        self._exit_time = origin[:, None] + rng.exponential(1.0 / self._exit_rates)
        self._move_rates = annual_move_rates(people) / YEAR
        self._exit_ratio = np.ones(n)
        self._promotion_ratio = np.ones(n)
        everyone = np.arange(n)
        self._moves = pd.DataFrame({"person": [], "time": [], "kind": []})
        for kind in range(MOVE_KINDS.size):
            person, time = poisson_event_times(
                rng, everyone, self._move_rates[:, kind], origin, AS_OF_DAY
            )
            self._add_moves(person, time, np.full(person.size, kind))

    def _add_moves(self, person: np.ndarray, time: np.ndarray, kind: np.ndarray) -> None:
        added = pd.DataFrame({"person": person, "time": time, "kind": kind})
        moves = pd.concat([self._moves, added], ignore_index=True).astype(
            {"person": np.int64, "time": float, "kind": np.int64}
        )
        moves = moves.sort_values(["person", "time"], kind="stable", ignore_index=True)
        # Two moves of one kind recorded on one day would share a job-event key.
        same_day = moves.assign(day=record_day(moves["time"].to_numpy())).duplicated(
            ["person", "day", "kind"]
        )
        self._moves = moves.loc[~same_day.to_numpy()].reset_index(drop=True)
        self._feasible = None

    def _feasible_moves(self) -> pd.DataFrame:
        if self._feasible is None:
            moves = self._moves
            kept = feasible_moves(
                moves["person"].to_numpy(), moves["kind"].to_numpy(), self._level0
            )
            self._feasible = moves.loc[kept].reset_index(drop=True)
        return self._feasible

    def employed_on(self, day: float) -> np.ndarray:
        return (self._hire_day <= day) & (self._exit_time.min(axis=1) > day)

    def levels_on(self, day: float) -> np.ndarray:
        moves = self._feasible_moves()
        return levels_on(
            self._level0,
            moves["person"].to_numpy(),
            MOVE_STEPS[moves["kind"].to_numpy()],
            moves["time"].to_numpy(),
            day,
        )

    def apply_effect(
        self, persons: np.ndarray, day: float, exit_hr: float, promotion_hr: float
    ) -> None:
        """From `day` on, multiply these people's voluntary-exit and promotion hazards."""
        persons = np.unique(persons)
        if exit_hr != 1.0:
            self._exit_ratio[persons] *= exit_hr
            rate = self._exit_rates[persons, VOLUNTARY] * self._exit_ratio[persons]
            self._exit_time[persons, VOLUNTARY] = day + self._rng.exponential(1.0 / rate)
        if promotion_hr != 1.0:
            self._promotion_ratio[persons] *= promotion_hr
            moves = self._moves
            redrawn = (
                np.isin(moves["person"].to_numpy(), persons)
                & (moves["kind"].to_numpy() == PROMOTION)
                & (moves["time"].to_numpy() > day)
            )
            self._moves = moves.loc[~redrawn].reset_index(drop=True)
            rate = self._move_rates[persons, PROMOTION] * self._promotion_ratio[persons]
            person, time = poisson_event_times(
                self._rng, persons, rate, np.full(persons.size, float(day)), AS_OF_DAY
            )
            self._add_moves(person, time, np.full(person.size, PROMOTION))

    def history(self) -> CareerHistory:
        """Exits and moves as recorded on the as-of date."""
        exit_time = self._exit_time.min(axis=1)
        term_day = record_day(exit_time)
        terminated = term_day <= AS_OF_DAY
        moves = self._feasible_moves()
        person = moves["person"].to_numpy()
        day = record_day(moves["time"].to_numpy())
        within = (day < term_day[person]) & (day <= AS_OF_DAY)
        person, day, kind = person[within], day[within], moves["kind"].to_numpy()[within]
        step = MOVE_STEPS[kind]
        to_level = self._level0[person] + grouped_cumsum(step, person)
        final_level = self._level0 + np.bincount(person, weights=step, minlength=term_day.size)
        return CareerHistory(
            hire_day=self._hire_day,
            term_day=np.where(terminated, term_day, np.nan),
            term_type=np.where(terminated, EXIT_CAUSES[self._exit_time.argmin(axis=1)], ""),
            level0=self._level0,
            final_level=final_level.astype(np.int64),
            moves=pd.DataFrame(
                {
                    "person": person,
                    "day": day,
                    "event_type": pd.array(MOVE_KINDS[kind], dtype="str"),
                    "from_level": to_level - step,
                    "to_level": to_level,
                }
            ),
        )
