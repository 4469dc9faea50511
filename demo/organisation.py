"""The demo organisation as a whole: people, careers, programs, pairings, activities, surveys.

`build_demo_organisation` returns the true, clean history (people are row positions, days are
counted from 2018-01-01); `demo.inbox` turns it into the files HR systems would export.
Everything is drawn from one seeded generator, in a fixed order, with numpy/pandas arrays only.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.activities import draw_activities
from demo.careers import ANNUAL_EXIT, CareerHistory, CareerSimulation
from demo.pairings import settle_pairings
from demo.people import draw_hire_days, draw_people
from demo.programs import (
    PLANTED_EFFECTS,
    PROGRAMS,
    AdvisorPool,
    Program,
    SelectionContext,
    pair_track,
    select_participants,
    volunteer_pool,
)
from demo.surveys import Wave, draw_responses, planned_waves

DEFAULT_SEED = 20261122
RELATIONSHIP_TYPES = ("mentor", "sponsor", "ally", "coach")


@dataclass(frozen=True)
class DemoOrganisation:
    """The true history. `person` columns hold row positions in `people`."""

    people: pd.DataFrame
    history: CareerHistory
    programs: tuple[Program, ...]
    pairings: pd.DataFrame
    activities: pd.DataFrame
    responses: pd.DataFrame
    waves: tuple[Wave, ...]
    planted_effects: dict[str, dict[str, float]]

    def employee_ids(self, persons: np.ndarray) -> np.ndarray:
        return self.people["employee_id"].to_numpy(dtype=object)[persons]

    def participants(self, relationship_type: str, program_id: str | None = None) -> np.ndarray:
        pairings = self.pairings
        chosen = pairings["relationship_type"] == relationship_type
        if program_id is not None:
            chosen &= pairings["program_id"] == program_id
        return np.unique(pairings.loc[chosen, "participant"].to_numpy())


def id_width(population: int) -> int:
    """Digits of a zero-padded employee id, with room for the demo's made-up ids."""
    return max(6, len(str(population + 100)))


def format_employee_ids(numbers: np.ndarray, width: int) -> np.ndarray:
    return pd.Series(numbers).astype("str").str.zfill(width).to_numpy(dtype=object)


def run_programs(
    rng: np.random.Generator, people: pd.DataFrame, careers: CareerSimulation
) -> tuple[pd.DataFrame, dict[tuple[str, str], AdvisorPool]]:
    """Select participants and advisors program by program, in start order, and let each
    program's effect act on its participants' careers before the next program selects."""
    former_mentee = np.zeros(len(people), dtype=bool)
    pairs, pools = [], {}
    for program in sorted(PROGRAMS, key=lambda p: p.start):
        day = program.start_day
        employed = careers.employed_on(day)
        ctx = SelectionContext(people, careers.levels_on(day), former_mentee.copy())
        chosen = {
            track.relationship_type: select_participants(rng, track, ctx, employed)
            for track in program.tracks
        }
        in_program = np.zeros(len(people), dtype=bool)
        in_program[np.concatenate(list(chosen.values()))] = True
        for track in program.tracks:
            kind = track.relationship_type
            pool = volunteer_pool(rng, track, ctx, employed, in_program)
            track_pairs = pair_track(rng, track, chosen[kind], pool, ctx.level)
            participants = track_pairs["participant"].to_numpy()
            pools[(program.program_id, kind)] = pool
            pairs.append(
                track_pairs.assign(
                    program_id=program.program_id,
                    relationship_type=kind,
                    start_day=day,
                    participant_level=ctx.level[participants],
                    open_ended=rng.random(len(track_pairs)) < track.open_ended_share,
                )
            )
            effect = PLANTED_EFFECTS[kind]
            careers.apply_effect(participants, day, effect.voluntary_exit_hr, effect.promotion_hr)
            if kind == "mentor":
                former_mentee[participants] = True
    return pd.concat(pairs, ignore_index=True), pools


def number_pairings(pairings: pd.DataFrame) -> pd.DataFrame:
    program_order = {p.program_id: i for i, p in enumerate(PROGRAMS)}
    ordered = (
        pairings.assign(_program=pairings["program_id"].map(program_order))
        .sort_values(["start_day", "_program", "relationship_type", "participant", "advisor"])
        .drop(columns="_program")
        .reset_index(drop=True)
    )
    width = max(6, len(str(len(ordered))))
    numbers = pd.Series(np.arange(1, len(ordered) + 1)).astype("str").str.zfill(width)
    ordered.insert(0, "pairing_id", ("PR-" + numbers).astype("str"))
    return ordered.astype({"program_id": "str", "relationship_type": "str"})


def first_participation(pairings: pd.DataFrame, population: int) -> dict[str, np.ndarray]:
    """Per relationship type, each person's first start day as a participant (inf: never)."""
    starts = {}
    for kind in RELATIONSHIP_TYPES:
        of_kind = pairings.loc[pairings["relationship_type"] == kind]
        first = of_kind.groupby("participant")["start_day"].min()
        day = np.full(population, np.inf)
        day[first.index.to_numpy()] = first.to_numpy()
        starts[kind] = day
    return starts


def assign_managers(
    rng: np.random.Generator, department: pd.Series, level: np.ndarray, active: np.ndarray
) -> np.ndarray:
    """A current colleague one or two levels up in the same department (else anyone higher
    there); -1 for the most senior people."""
    code, _ = pd.factorize(department, sort=True)
    key = code * 100 + level
    pool = np.flatnonzero(active)
    pool = pool[np.argsort(key[pool], kind="stable")]
    pool_key = key[pool]
    lowest = np.searchsorted(pool_key, key + 1, side="left")
    near = np.searchsorted(pool_key, key + 2, side="right")
    highest = np.where(near > lowest, near, np.searchsorted(pool_key, code * 100 + 99, "right"))
    pick = lowest + np.floor(rng.random(key.size) * (highest - lowest)).astype(np.int64)
    return np.where(highest > lowest, pool[np.minimum(pick, pool.size - 1)], -1)


def describe_people(
    rng: np.random.Generator, people: pd.DataFrame, history: CareerHistory
) -> pd.DataFrame:
    active = np.isnan(history.term_day)
    manager = assign_managers(rng, people["department"], history.final_level, active)
    return people.assign(
        employee_id=pd.array(
            format_employee_ids(np.arange(1, len(people) + 1), id_width(len(people))), "str"
        ),
        term_day=history.term_day,
        termination_type=pd.array(history.term_type, dtype="str"),
        job_level=history.final_level,
        manager=manager,
    )


def build_demo_organisation(
    employees: int = 5000, seed: int = DEFAULT_SEED, waves: int = 3
) -> DemoOrganisation:
    """A reproducible organisation with a headcount of about `employees` on the as-of date."""
    if employees < 100:
        raise ValueError(f"employees must be at least 100, not {employees}")
    wave_plan = planned_waves(waves)
    rng = np.random.default_rng(seed)
    people = draw_people(rng, draw_hire_days(rng, employees, ANNUAL_EXIT))
    careers = CareerSimulation(rng, people)
    pairs, pools = run_programs(rng, people, careers)
    history = careers.history()
    programs = {p.program_id: p for p in PROGRAMS}
    gaps = {t.relationship_type: t.level_gap for p in PROGRAMS for t in p.tracks}
    pairings = number_pairings(settle_pairings(rng, pairs, history, programs, pools, gaps))
    activities = draw_activities(rng, pairings, programs)
    starts = first_participation(pairings, len(people))
    responses = draw_responses(rng, people, history, starts, PLANTED_EFFECTS, wave_plan)
    return DemoOrganisation(
        people=describe_people(rng, people, history),
        history=history,
        programs=PROGRAMS,
        pairings=pairings,
        activities=activities,
        responses=responses,
        waves=wave_plan,
        planted_effects={kind: e.as_dict() for kind, e in PLANTED_EFFECTS.items()},
    )
