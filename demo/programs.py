"""The demo's three programs, who gets into them, and who advises whom.

Selection is deliberately not at random: high performers and higher levels are chosen more often
(and they would have stayed and been promoted more anyway), women and two ethnic groups get
sponsors less often, and mentees of the 2024 mentoring program are favoured for sponsorship.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from demo.calendar import day_of
from demo.people import TOP_LEVEL, UNDERREPRESENTED_ETHNICITIES, is_underrepresented


@dataclass(frozen=True)
class PlantedEffect:
    """True effect of being a participant, from the pairing's start on.

    Hazard ratios act on the hazards; survey effects are on the scale the pipeline reports
    (UCLA-3 sum points, UWES mean points, percentage points of agreement), for participants.
    """

    voluntary_exit_hr: float = 1.0
    promotion_hr: float = 1.0
    loneliness_did: float = 0.0
    engagement_did: float = 0.0
    career_lonely_did: float = 0.0
    has_advocate_fav_did: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


PLANTED_EFFECTS: dict[str, PlantedEffect] = {
    "mentor": PlantedEffect(
        voluntary_exit_hr=0.7, loneliness_did=-0.8, engagement_did=0.2, career_lonely_did=-12.0
    ),
    "sponsor": PlantedEffect(
        promotion_hr=1.6, engagement_did=0.1, career_lonely_did=-10.0, has_advocate_fav_did=20.0
    ),
    "ally": PlantedEffect(loneliness_did=-0.3),
    "coach": PlantedEffect(),
}


@dataclass(frozen=True)
class SelectionContext:
    """What the program office knows about everyone on the program's start date."""

    people: pd.DataFrame
    level: np.ndarray
    former_mentee: np.ndarray


def mentee_score(ctx: SelectionContext) -> np.ndarray:
    return 0.6 * (ctx.people["rating"].to_numpy() - 3) + 0.15 * (ctx.level - 3)


def coachee_score(ctx: SelectionContext) -> np.ndarray:
    return 0.3 * (ctx.people["rating"].to_numpy() - 3) + 0.4 * (ctx.level - 3)


def ally_partner_score(ctx: SelectionContext) -> np.ndarray:
    return 0.3 * (ctx.people["rating"].to_numpy() - 3) + 1.0 * is_underrepresented(ctx.people)


def protege_score(ctx: SelectionContext) -> np.ndarray:
    woman = ctx.people["gender"].to_numpy(dtype=object) == "Woman"
    minority = np.isin(ctx.people["ethnicity"].to_numpy(dtype=object), UNDERREPRESENTED_ETHNICITIES)
    return (
        0.7 * (ctx.people["rating"].to_numpy() - 3)
        + 0.25 * (ctx.level - 3)
        - 0.6 * woman
        - 0.5 * minority
        + 1.2 * ctx.former_mentee
    )


@dataclass(frozen=True)
class Track:
    """One relationship type within a program."""

    relationship_type: str
    participant_share: float  # of the headcount on the start date
    score: Callable[[SelectionContext], np.ndarray]
    min_participant_level: int
    level_gap: int  # advisors are at least this many levels above their participant
    min_advisor_level: int
    advisor_share: float  # of eligible colleagues who volunteer as advisors
    open_ended_share: float = 0.0  # pairings that simply go on after the program ends
    second_advisor_share: float = 0.0


@dataclass(frozen=True)
class Program:
    program_id: str
    program_name: str
    start: date
    end: date
    certificate_threshold: float | None  # None: the pipeline's default applies
    milestones: tuple[str, ...]
    tracks: tuple[Track, ...]

    @property
    def planned_milestones(self) -> int:
        return len(self.milestones)

    @property
    def start_day(self) -> int:
        return day_of(self.start)

    @property
    def end_day(self) -> int:
        return day_of(self.end)


PROGRAMS: tuple[Program, ...] = (
    Program(
        program_id="MEN-2024",
        program_name="Mentoring Circle 2024",
        start=date(2024, 4, 1),
        end=date(2025, 1, 31),
        certificate_threshold=0.75,
        milestones=("Kick-off", "Development plan", "Mid-point review", "Présentation finale"),
        tracks=(
            Track(
                relationship_type="mentor",
                participant_share=0.12,
                score=mentee_score,
                min_participant_level=1,
                level_gap=1,
                min_advisor_level=3,
                advisor_share=0.35,
                second_advisor_share=0.03,
            ),
            Track(
                relationship_type="coach",
                participant_share=0.015,
                score=coachee_score,
                min_participant_level=3,
                level_gap=1,
                min_advisor_level=5,
                advisor_share=0.15,
            ),
        ),
    ),
    Program(
        program_id="ALLY-2024",
        program_name="Allies Network 2024",
        start=date(2024, 9, 1),
        end=date(2025, 6, 30),
        certificate_threshold=None,
        milestones=("Listening session", "Action plan", "Retrospective"),
        tracks=(
            Track(
                relationship_type="ally",
                participant_share=0.08,
                score=ally_partner_score,
                min_participant_level=1,
                level_gap=1,
                min_advisor_level=2,
                advisor_share=0.30,
            ),
        ),
    ),
    Program(
        program_id="SPO-2025",
        program_name="Sponsorship Accelerator 2025",
        start=date(2025, 4, 1),
        end=date(2026, 1, 31),
        certificate_threshold=1.0,
        milestones=("Visibility plan", "Stretch assignment"),
        tracks=(
            Track(
                relationship_type="sponsor",
                participant_share=0.06,
                score=protege_score,
                min_participant_level=2,
                level_gap=2,
                min_advisor_level=5,
                advisor_share=0.40,
                open_ended_share=0.3,
            ),
        ),
    ),
)


def intercept_for_share(score: np.ndarray, share: float) -> float:
    """The logit intercept at which the mean selection probability equals `share`."""
    low, high = -30.0, 30.0
    for _ in range(60):
        middle = (low + high) / 2
        if np.mean(1 / (1 + np.exp(-(middle + score)))) < share:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def select_participants(
    rng: np.random.Generator, track: Track, ctx: SelectionContext, employed: np.ndarray
) -> np.ndarray:
    eligible = np.flatnonzero(
        employed
        & (ctx.level >= track.min_participant_level)
        & (ctx.level + track.level_gap <= TOP_LEVEL)
    )
    wanted = track.participant_share * employed.sum()
    share = min(wanted / max(eligible.size, 1), 0.95)
    score = track.score(ctx)[eligible]
    probability = 1 / (1 + np.exp(-(intercept_for_share(score, share) + score)))
    return eligible[rng.random(eligible.size) < probability]


@dataclass(frozen=True)
class AdvisorPool:
    """Volunteer advisors of one track, sorted by their level on the program's start date."""

    person: np.ndarray
    level: np.ndarray

    def match(
        self, rng: np.random.Generator, participant_level: np.ndarray, gap: int
    ) -> np.ndarray:
        """An advisor per participant, `gap` to `gap + 2` levels above (else anyone higher).

        -1 where nobody in the pool is senior enough.
        """
        if self.person.size == 0:
            return np.full(participant_level.size, -1)
        lowest = np.searchsorted(self.level, participant_level + gap, side="left")
        near = np.searchsorted(self.level, participant_level + gap + 2, side="right")
        highest = np.where(near > lowest, near, self.level.size)
        found = highest > lowest
        pick = lowest + np.floor(rng.random(lowest.size) * (highest - lowest)).astype(np.int64)
        return np.where(found, self.person[np.minimum(pick, self.person.size - 1)], -1)


def volunteer_pool(
    rng: np.random.Generator,
    track: Track,
    ctx: SelectionContext,
    employed: np.ndarray,
    excluded: np.ndarray,
) -> AdvisorPool:
    willing = rng.random(employed.size) < track.advisor_share
    candidates = np.flatnonzero(
        employed & willing & ~excluded & (ctx.level >= track.min_advisor_level)
    )
    order = np.argsort(ctx.level[candidates], kind="stable")
    return AdvisorPool(candidates[order], ctx.level[candidates][order])


def pair_track(
    rng: np.random.Generator,
    track: Track,
    participants: np.ndarray,
    pool: AdvisorPool,
    level: np.ndarray,
) -> pd.DataFrame:
    """Participant-advisor pairs of one track; some participants get a second advisor."""
    advisor = pool.match(rng, level[participants], track.level_gap)
    pairs = pd.DataFrame({"participant": participants, "advisor": advisor})
    seconds = pairs.loc[rng.random(len(pairs)) < track.second_advisor_share]
    if len(seconds):
        second = pool.match(rng, level[seconds["participant"].to_numpy()], track.level_gap)
        seconds = seconds.assign(advisor=second).loc[second != seconds["advisor"].to_numpy()]
        pairs = pd.concat([pairs, seconds], ignore_index=True)
    return pairs.loc[pairs["advisor"].to_numpy() >= 0].reset_index(drop=True)
