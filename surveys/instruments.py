"""The survey items: the single definition of codes, instruments, wordings and scales."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

UCLA3 = "UCLA-3 loneliness"
UWES3 = "UWES-3 engagement"
CAREER_LONELINESS = "career loneliness"
SPONSORSHIP_ACCESS = "sponsorship access"
PSYCH_SAFETY = "psychological safety"
EMPLOYEE_NPS = "employee NPS"
FREE_TEXT = "free text"


def normalise_label(text: str) -> str:
    """Trim, collapse inner whitespace and fold case, so labels match however they are typed."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, eq=False)
class Scale:
    """A closed integer scale; each value may carry any number of labels."""

    name: str
    low: int
    high: int
    labels: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        stray = [value for value in self.labels if not self.low <= value <= self.high]
        if stray:
            raise ValueError(f"{self.name} labels {stray} are outside {self.low}–{self.high}")
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))

    @property
    def range_text(self) -> str:
        return f"{self.low}–{self.high}"

    def value_of_label(self, text: str) -> int | None:
        """The value a label stands for, or None if it is not one of this scale's labels."""
        return self._values_by_label.get(normalise_label(text))

    def describe(self) -> str:
        """The accepted answers in words, e.g. 'Hardly ever, Some of the time, Often or 1–3'."""
        main_labels = [labels[0] for _, labels in sorted(self.labels.items())]
        return ", ".join(main_labels) + " or " + self.range_text if main_labels else self.range_text

    @cached_property
    def _values_by_label(self) -> dict[str, int]:
        return {
            normalise_label(label): value
            for value, labels in self.labels.items()
            for label in labels
        }


@dataclass(frozen=True)
class Item:
    code: str
    instrument: str
    wording: str
    scale: Scale | None  # None: free text, stored as given and never scored


UCLA3_SCALE = Scale(
    "UCLA-3",
    1,
    3,
    {1: ("Hardly ever",), 2: ("Some of the time",), 3: ("Often",)},
)

# The UWES manual offers two wordings for each point: the adverb and the frequency.
UWES_SCALE = Scale(
    "UWES-3",
    0,
    6,
    {
        0: ("Never",),
        1: ("Almost never", "A few times a year or less", "A few times a year, or less"),
        2: ("Rarely", "Once a month or less"),
        3: ("Sometimes", "A few times a month"),
        4: ("Often", "Once a week"),
        5: ("Very often", "A few times a week"),
        6: ("Always", "Every day"),
    },
)

AGREEMENT_SCALE = Scale(
    "agreement",
    1,
    5,
    {
        1: ("Strongly disagree",),
        2: ("Disagree",),
        3: ("Neither agree nor disagree",),
        4: ("Agree",),
        5: ("Strongly agree",),
    },
)

# Anchored labels such as "10 - Extremely likely" are read by their leading number.
ENPS_SCALE = Scale("eNPS", 0, 10)

ITEMS: tuple[Item, ...] = (
    Item(
        "lon_companionship",
        UCLA3,
        "How often do you feel that you lack companionship?",
        UCLA3_SCALE,
    ),
    Item("lon_left_out", UCLA3, "How often do you feel left out?", UCLA3_SCALE),
    Item("lon_isolated", UCLA3, "How often do you feel isolated from others?", UCLA3_SCALE),
    Item("eng_vigor", UWES3, "At my work, I feel bursting with energy", UWES_SCALE),
    Item("eng_dedication", UWES3, "I am enthusiastic about my job", UWES_SCALE),
    Item("eng_absorption", UWES3, "I am immersed in my work", UWES_SCALE),
    Item(
        "career_alone",
        CAREER_LONELINESS,
        "I feel alone in determining my career development",
        AGREEMENT_SCALE,
    ),
    Item(
        "has_advocate",
        SPONSORSHIP_ACCESS,
        "Someone senior actively advocates for my career",
        AGREEMENT_SCALE,
    ),
    Item(
        "psych_safety",
        PSYCH_SAFETY,
        "I can speak up here without fear of embarrassment or punishment",
        AGREEMENT_SCALE,
    ),
    Item(
        "enps",
        EMPLOYEE_NPS,
        "How likely are you to recommend this company as a place to work?",
        ENPS_SCALE,
    ),
    Item("comment", FREE_TEXT, "Anything else you want to tell us?", None),
)

ITEMS_BY_CODE: Mapping[str, Item] = MappingProxyType({item.code: item for item in ITEMS})
ITEM_CODES: tuple[str, ...] = tuple(item.code for item in ITEMS)
SCALED_ITEM_CODES: tuple[str, ...] = tuple(item.code for item in ITEMS if item.scale)


def item_codes_of(instrument: str) -> tuple[str, ...]:
    """The item codes of one instrument, in questionnaire order."""
    codes = tuple(item.code for item in ITEMS if item.instrument == instrument)
    if not codes:
        raise KeyError(f"no items belong to instrument {instrument!r}")
    return codes
