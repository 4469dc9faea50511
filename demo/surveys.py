"""Survey waves: who answers, when, and what they answer.

An answer is a latent state (the person's trait, a wave-wide shift and noise) pushed through an
item's response curve: clip(round(center + loading * state + noise)). A program moves its
participants' states from their pairing's start on, by the shift that makes the expected change on
the reported scale equal the planted effect (the curves are non-linear, so the shift is solved for
on the participants' own states).
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy.special import ndtr

from demo.calendar import day_of
from demo.careers import CareerHistory
from demo.programs import PlantedEffect

FIELDING_DAYS = 18
RESPONSE_RATE = 0.65
ANSWERED_TWICE_SHARE = 0.01
SKIPPED_ITEM_SHARE = 0.02
COMMENT_SHARE = 0.06
STATE_NOISE = 0.45
WAVE_SHIFT_SD = 0.15
CALIBRATION_SAMPLE = 20_000  # states enough to solve for an effect's latent shift


@dataclass(frozen=True)
class Wave:
    name: str
    fielding_start: date
    layout: str  # plain | plain_with_wave | plain_labels | qualtrics_csv | qualtrics_tsv
    suffix: str = ".csv"

    @property
    def file_name(self) -> str:
        return f"{self.name}{self.suffix}"

    @property
    def start_day(self) -> int:
        return day_of(self.fielding_start)

    @property
    def is_qualtrics(self) -> bool:
        return self.layout.startswith("qualtrics")


# The first three give every program a baseline before its start and a follow-up after its end;
# more waves add later follow-ups.
WAVES: tuple[Wave, ...] = (
    Wave("2024-02_engagement", date(2024, 2, 5), "plain"),
    Wave("2025-03_pulse", date(2025, 3, 3), "plain_with_wave"),
    Wave("2026-03_pulse", date(2026, 3, 2), "qualtrics_csv"),
    Wave("2026-09_pulse", date(2026, 9, 7), "qualtrics_tsv", ".tsv"),
    Wave("2026-06_pulse", date(2026, 6, 1), "plain_labels"),
    Wave("2025-09_pulse", date(2025, 9, 8), "plain_with_wave"),
)


def planned_waves(count: int) -> tuple[Wave, ...]:
    if not 3 <= count <= len(WAVES):
        raise ValueError(
            f"waves must be between 3 and {len(WAVES)} (a baseline and a follow-up for every "
            f"program), not {count}"
        )
    return tuple(sorted(WAVES[:count], key=lambda wave: wave.fielding_start))


@dataclass(frozen=True)
class Item:
    code: str
    latent: str
    center: float
    loading: float
    noise: float
    low: int
    high: int

    def expected(self, state: np.ndarray) -> np.ndarray:
        """Mean answer given the latent state, over the item's noise."""
        x = self.center + self.loading * state
        cuts = np.arange(self.low, self.high) + 0.5
        return self.low + ndtr((x[:, None] - cuts) / self.noise).sum(axis=1)

    def agreement(self, state: np.ndarray) -> np.ndarray:
        """Probability of answering 4 or more (agree, strongly agree)."""
        return ndtr((self.center + self.loading * state - 3.5) / self.noise)

    def draw(self, rng: np.random.Generator, state: np.ndarray) -> np.ndarray:
        x = self.center + self.loading * state + rng.normal(0, self.noise, state.size)
        return np.clip(np.round(x), self.low, self.high).astype(np.int64)


ITEMS: tuple[Item, ...] = (
    Item("lon_companionship", "loneliness", 1.70, 0.55, 0.5, 1, 3),
    Item("lon_left_out", "loneliness", 1.60, 0.55, 0.5, 1, 3),
    Item("lon_isolated", "loneliness", 1.55, 0.55, 0.5, 1, 3),
    Item("eng_vigor", "engagement", 3.9, 1.0, 0.7, 0, 6),
    Item("eng_dedication", "engagement", 4.1, 1.0, 0.7, 0, 6),
    Item("eng_absorption", "engagement", 3.8, 1.0, 0.7, 0, 6),
    Item("career_alone", "career", 3.3, 0.9, 0.6, 1, 5),
    Item("has_advocate", "advocacy", 2.9, 0.9, 0.6, 1, 5),
    Item("psych_safety", "safety", 3.6, 0.8, 0.6, 1, 5),
    Item("enps", "engagement", 7.0, 1.5, 1.4, 0, 10),
)
ITEM_CODES = tuple(item.code for item in ITEMS)
LATENTS = ("loneliness", "engagement", "career", "advocacy", "safety")


@dataclass(frozen=True)
class SurveyOutcome:
    """A reported survey outcome and the latent state it reads."""

    latent: str
    items: tuple[str, ...]
    statistic: str  # sum | mean | agreement
    scale: float = 1.0  # 100 for percentage points

    def expected(self, state: np.ndarray) -> float:
        items = [item for item in ITEMS if item.code in self.items]
        if self.statistic == "agreement":
            per_row = sum(item.agreement(state) for item in items) / len(items)
        else:
            per_row = sum(item.expected(state) for item in items)
            if self.statistic == "mean":
                per_row = per_row / len(items)
        return float(np.mean(per_row)) * self.scale

    def shift_for(self, state: np.ndarray, effect: float) -> float:
        """The latent shift that changes the expected outcome over these states by `effect`."""
        state = state[:: max(1, state.size // CALIBRATION_SAMPLE)]
        baseline = self.expected(state)
        low, high = -6.0, 6.0
        for _ in range(40):
            middle = (low + high) / 2
            if self.expected(state + middle) - baseline < effect:
                low = middle
            else:
                high = middle
        return (low + high) / 2


SURVEY_OUTCOMES: dict[str, SurveyOutcome] = {
    "loneliness_did": SurveyOutcome(
        "loneliness", ("lon_companionship", "lon_left_out", "lon_isolated"), "sum"
    ),
    "engagement_did": SurveyOutcome(
        "engagement", ("eng_vigor", "eng_dedication", "eng_absorption"), "mean"
    ),
    "career_lonely_did": SurveyOutcome("career", ("career_alone",), "agreement", 100.0),
    "has_advocate_fav_did": SurveyOutcome("advocacy", ("has_advocate",), "agreement", 100.0),
}

REMARKS = np.array(
    [
        "More time for learning would help.",
        "My manager is great.",
        "Too many meetings.",
        "Career paths are unclear.",
        "Thanks for asking.",
        "Workload is high this quarter.",
        "I'd like more feedback.",
        "Café in the office is a nice touch.",
    ],
    dtype=object,
)
TRICKY_REMARKS = (
    "Good team, but the tooling is slow,\nand onboarding took months.",
    "<script>alert(1)</script>",
)


def draw_respondents(
    rng: np.random.Generator,
    people: pd.DataFrame,
    history: CareerHistory,
    waves: tuple[Wave, ...],
) -> pd.DataFrame:
    """Everyone employed throughout a wave's fielding answers with probability about 65%;
    a few of them had already answered earlier in the wave (`superseded` rows)."""
    engagement = people["engagement"].to_numpy()
    intercept = np.log(RESPONSE_RATE / (1 - RESPONSE_RATE))
    frames = []
    for number, wave in enumerate(waves):
        start = wave.start_day
        employed = history.employed_on(start) & history.employed_on(start + FIELDING_DAYS)
        willing = rng.random(employed.size) < 1 / (1 + np.exp(-(intercept + 0.3 * engagement)))
        person = np.flatnonzero(employed & willing)
        office_hours = (8 + 10 * rng.random(person.size)) / 24
        time = start + rng.integers(0, FIELDING_DAYS, person.size) + office_hours
        frames.append(pd.DataFrame({"person": person, "wave": number, "time": time}))
    respondents = pd.concat(frames, ignore_index=True)
    again = respondents.loc[rng.random(len(respondents)) < ANSWERED_TWICE_SHARE]
    opened = np.array([wave.start_day for wave in waves])[again["wave"].to_numpy()]
    since_opening = again["time"].to_numpy() - opened
    earlier = again.assign(time=opened + since_opening * rng.uniform(0.1, 0.9, len(again)))
    respondents = pd.concat(
        [respondents.assign(superseded=False), earlier.assign(superseded=True)],
        ignore_index=True,
    )
    return respondents.sort_values(["wave", "time"], ignore_index=True)


def latent_states(
    rng: np.random.Generator, people: pd.DataFrame, respondents: pd.DataFrame, n_waves: int
) -> dict[str, np.ndarray]:
    person = respondents["person"].to_numpy()
    wave_shift = rng.normal(0, WAVE_SHIFT_SD, (n_waves, len(LATENTS)))
    wave = respondents["wave"].to_numpy()
    return {
        latent: people[latent].to_numpy()[person]
        + wave_shift[wave, i]
        + rng.normal(0, STATE_NOISE, person.size)
        for i, latent in enumerate(LATENTS)
    }


def apply_program_effects(
    states: dict[str, np.ndarray],
    respondents: pd.DataFrame,
    participation_start: dict[str, np.ndarray],
    effects: dict[str, PlantedEffect],
) -> None:
    person = respondents["person"].to_numpy()
    time = respondents["time"].to_numpy()
    for kind, effect in effects.items():
        treated = time >= participation_start[kind][person]
        if not treated.any():
            continue
        for name, outcome in SURVEY_OUTCOMES.items():
            target = getattr(effect, name)
            if target:
                state = states[outcome.latent]
                state[treated] += outcome.shift_for(state[treated], target)


def draw_answers(rng: np.random.Generator, states: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every item for every response; a few responses skip an item or two."""
    answers = pd.DataFrame(
        {item.code: item.draw(rng, states[item.latent]) for item in ITEMS}
    ).astype("Int64")
    partial = rng.random(len(answers)) < SKIPPED_ITEM_SHARE
    return answers.mask(partial[:, None] & (rng.random(answers.shape) < 0.2))


def draw_comments(rng: np.random.Generator, respondents: pd.DataFrame) -> np.ndarray:
    n = len(respondents)
    comment = np.where(rng.random(n) < COMMENT_SHARE, rng.choice(REMARKS, n), "").astype(object)
    wave = respondents["wave"].to_numpy()
    for number in np.unique(wave):
        commented = np.flatnonzero((wave == number) & (comment != ""))[: len(TRICKY_REMARKS)]
        comment[commented] = TRICKY_REMARKS[: commented.size]
    return comment


def draw_responses(
    rng: np.random.Generator,
    people: pd.DataFrame,
    history: CareerHistory,
    participation_start: dict[str, np.ndarray],
    effects: dict[str, PlantedEffect],
    waves: tuple[Wave, ...],
) -> pd.DataFrame:
    """One row per response: person, wave (position in `waves`), time (days), superseded,
    the items as nullable integers, and comment."""
    respondents = draw_respondents(rng, people, history, waves)
    states = latent_states(rng, people, respondents, len(waves))
    apply_program_effects(states, respondents, participation_start, effects)
    answers = draw_answers(rng, states)
    comment = pd.array(draw_comments(rng, respondents), dtype="str")
    return pd.concat([respondents, answers], axis=1).assign(comment=comment)
