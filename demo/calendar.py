"""The demo's fixed calendar: days are counted from the first day of recorded history.

Day 0 is 2018-01-01. The model works in float days (an event at 12.3 happened during day 12 and
is recorded on day 13, see `record_day`), so "employed on day d" is simply `exit_time > d`.
"""

from datetime import date

import numpy as np

HISTORY_START = date(2018, 1, 1)
AS_OF = date(2026, 10, 31)
SEPTEMBER_SNAPSHOT = date(2026, 9, 30)
FUTURE_DATE = "2031-01-04"
UNREAL_DATE = "2024-02-31"
UNREAL_DATE_DAY_FIRST = "31/02/2024"

YEAR = 365.25
MONTH = 30.4375

_EPOCH = np.datetime64(HISTORY_START.isoformat(), "D")
_EPOCH_SECONDS = _EPOCH.astype("datetime64[s]")


def day_of(d: date) -> int:
    return (d - HISTORY_START).days


AS_OF_DAY = day_of(AS_OF)


def record_day(time: np.ndarray) -> np.ndarray:
    """The calendar day on which an event at a continuous time is recorded."""
    return np.ceil(time)


def iso_dates(days: np.ndarray) -> np.ndarray:
    """`YYYY-MM-DD` for each day; empty text where the day is missing (NaN or infinite)."""
    days = np.asarray(days, dtype=float)
    known = np.isfinite(days)
    text = np.full(days.shape, "", dtype=object)
    text[known] = np.datetime_as_string(_EPOCH + days[known].astype(np.int64), unit="D")
    return text


def calendar_dates(days: np.ndarray) -> np.ndarray:
    """numpy `datetime64[D]` for each day (NaT where missing)."""
    days = np.asarray(days, dtype=float)
    out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    known = np.isfinite(days)
    out[known] = _EPOCH + days[known].astype(np.int64)
    return out


def iso_timestamps(times: np.ndarray, separator: str = "T") -> np.ndarray:
    """`YYYY-MM-DD HH:MM:SS` (with the given separator) for continuous times in days."""
    seconds = np.round(np.asarray(times, dtype=float) * 86_400).astype(np.int64)
    text = np.datetime_as_string(_EPOCH_SECONDS + seconds, unit="s")
    if separator == "T":
        return text.astype(object)
    return np.char.replace(text, "T", separator).astype(object)
