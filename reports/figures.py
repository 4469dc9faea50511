"""A number shown on a page: its value, its unit, where it came from and whether it is hidden.

Every figure renders as a `<span class="fig">` carrying machine-readable attributes:
`data-source` (warehouse table), `data-column`, `data-key` (JSON: the row it came from),
`data-value` (unrounded), `data-unit` and `data-n-column` (the column counting the people it
describes). A hidden figure carries neither its value nor its n, only `data-hidden`. Tests read
these attributes back and compare them with the warehouse.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from reports.suppression import FEW_WITH, FEW_WITHOUT, SMALL, Suppression

PERCENT = "percent"  # a share 0–1, shown as 91%
POINTS = "points"  # percentage points, shown as 4.6
RATIO = "ratio"  # hazard ratio, shown as 0.73
SCORE = "score"  # a mean or difference on a survey scale, shown as 0.43
RATE = "rate"  # meetings per pairing-month, a rating, shown as 1.4
COUNT = "count"  # people or pairings, shown as 1,414
RECORDS = "records"  # rows of files (data quality): not people, never suppressed
P_VALUE = "p"
DATE = "date"

MINUS = "\u2212"
HIDDEN_TITLES = {
    SMALL: "Hidden: fewer than {k} people",
    FEW_WITH: "Hidden: fewer than {k} people had it, so the share would tell about each of them",
    FEW_WITHOUT: "Hidden: fewer than {k} people did not, so the share would tell about each of "
    "them",
}
MISSING_TEXT = "not available"
HIDDEN_TEXT = "hidden"


def plain(value: Any) -> Any:
    """A warehouse value as a plain Python value; NaN and NA become None."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    try:
        if value != value:  # NaN, pandas NA raises TypeError
            return None
    except TypeError:
        return None
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    return value


def _signed(text: str) -> str:
    return text.replace("-", MINUS)


def format_value(value: Any, unit: str) -> str:
    """The text of a shown value in its unit."""
    if unit == DATE:
        return value.strftime("%-d %B %Y") if isinstance(value, date) else str(value)
    number = float(value)
    if unit == PERCENT:
        percent = 100 * number
        decimals = 1 if 0 < abs(percent) < 10 and round(percent) != percent else 0
        return _signed(f"{percent:.{decimals}f}%")
    if unit == POINTS:
        return _signed(f"{number:.1f}")
    if unit in (RATIO, SCORE):
        return _signed(f"{number:.2f}")
    if unit == RATE:
        return _signed(f"{number:,.1f}")
    if unit in (COUNT, RECORDS):
        return f"{number:,.0f}"
    if unit == P_VALUE:
        return "< 0.001" if number < 0.001 else f"{number:.3f}"
    raise ValueError(f"unknown unit {unit!r}")


def _key_json(key: Mapping[str, Any]) -> str:
    def text(value: Any) -> Any:
        return value.isoformat() if isinstance(value, (date, datetime)) else value

    return json.dumps({name: text(value) for name, value in key.items()}, ensure_ascii=False)


@dataclass(frozen=True)
class Figure:
    value: Any
    unit: str
    source: str | None = None
    column: str | None = None
    key: tuple[tuple[str, Any], ...] = ()
    n_column: str | None = None
    hidden: str | None = None
    k: int = 0
    breakdown: str | None = None
    parts: str | None = None  # SQL counts a share is made of, "|"-separated

    @property
    def shown(self) -> bool:
        return self.hidden is None and self.value is not None

    @property
    def number(self) -> float | None:
        """The value for a chart: None when hidden or missing, so charts never plot it."""
        return float(self.value) if self.shown else None

    @property
    def text(self) -> str:
        if self.hidden == SMALL:
            return f"fewer than {self.k}"
        if self.hidden == FEW_WITH:
            return f"hidden: fewer than {self.k} did"
        if self.hidden == FEW_WITHOUT:
            return f"hidden: fewer than {self.k} did not"
        if self.hidden:
            return HIDDEN_TEXT
        if self.value is None:
            return MISSING_TEXT
        return format_value(self.value, self.unit)

    def __html__(self) -> Markup:
        attributes: dict[str, Any] = {"class": "fig", "data-unit": self.unit}
        if self.source:
            attributes |= {
                "data-source": self.source,
                "data-column": self.column,
                "data-key": _key_json(dict(self.key)),
                "data-n-column": self.n_column,
                "data-parts": self.parts,
                "data-breakdown": self.breakdown,
            }
        if self.hidden:
            attributes["class"] = "fig hidden"
            attributes["data-hidden"] = self.hidden
            attributes["title"] = HIDDEN_TITLES.get(
                self.hidden, "Hidden so that a smaller group cannot be worked out by subtraction"
            ).format(k=self.k)
        elif self.value is None:
            attributes["class"] = "fig missing"
            attributes["data-missing"] = "1"
        else:
            attributes["data-value"] = _raw(self.value)
        rendered = Markup(" ").join(
            Markup('{}="{}"').format(Markup(name), value)
            for name, value in attributes.items()
            if value is not None
        )
        return Markup("<span {}>{}</span>").format(rendered, self.text)

    def __str__(self) -> str:
        return self.text


def _raw(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


@dataclass(frozen=True)
class Row:
    """One warehouse row and the figures read from it, suppressed by the report's rule.

    `hidden` hides every figure of the row (its whole group is small, or hidden by
    complementary suppression); otherwise a figure is hidden when its own `n_column` (or the
    smallest of several, comma-separated) counts fewer than k.
    """

    table: str
    values: Mapping[str, Any]
    key_columns: tuple[str, ...]
    suppression: Suppression
    hidden: str | None = None
    breakdown: str | None = None

    def __getitem__(self, column: str) -> Any:
        return plain(self.values[column])

    @property
    def key(self) -> tuple[tuple[str, Any], ...]:
        return tuple((column, self[column]) for column in self.key_columns)

    def population(self, n_column: str) -> int | None:
        sizes = [self[c] for c in n_column.split(",")]
        return None if any(s is None for s in sizes) else int(min(sizes))

    def figure(self, column: str, unit: str, n_column: str | None = None) -> Figure:
        hidden = self.hidden
        if hidden is None and n_column is not None and unit != RECORDS:
            hidden = self.suppression.cell(self.population(n_column))
        return Figure(
            value=None if hidden else self[column],
            unit=unit,
            source=self.table,
            column=column,
            key=self.key,
            n_column=n_column,
            hidden=hidden,
            k=self.suppression.k,
            breakdown=self.breakdown,
        )

    def count(self, column: str) -> Figure:
        """A count of people: it describes as many people as it counts."""
        return self.figure(column, COUNT, n_column=column)

    def share(self, name: str, n_column: str | None = None) -> "Estimate":
        """A share with its interval, from columns `name`, `name_ci_low`, `name_ci_high`.

        A share of people (its own `name_n`) is also hidden when fewer than k of them have, or
        lack, the attribute. A share of something else (`n_column`: meetings, milestones) is
        hidden with the people it describes, and when it is exactly 0% or 100% (none, or all,
        of the group's meetings or milestones: it tells about every member).
        """
        if n_column is not None:
            value = self[name]
            if self.hidden is None and value in (0, 1):
                return replace(self, hidden=FEW_WITH if value == 0 else FEW_WITHOUT).estimate(
                    name, PERCENT, n_column
                )
            return self.estimate(name, PERCENT, n_column)
        return self.counted(name, PERCENT, f"{name}_n")

    def counted(
        self,
        column: str,
        unit: str,
        n_column: str,
        events: str | None = None,
        complement: bool = False,
    ) -> "Estimate":
        """An estimate about n people split in two: those with an event or attribute (the
        column `events`, else share × n) and the rest. Hidden when either side is under k,
        zero included. `complement`: the events are the share's other side (exits for a
        retention share)."""
        row, parts = self._split(column, n_column, events, complement)
        estimate = row.estimate(column, unit, n_column)
        return Estimate(
            *(replace(f, parts=parts) for f in (estimate.value, estimate.low, estimate.high))
        )

    def counted_figure(
        self, column: str, unit: str, n_column: str, events: str | None = None
    ) -> Figure:
        """One figure split like `counted`, without an interval."""
        row, parts = self._split(column, n_column, events)
        return replace(row.figure(column, unit, n_column), parts=parts)

    def _split(
        self, column: str, n_column: str, events: str | None, complement: bool = False
    ) -> tuple["Row", str]:
        """The row hidden when either side of the split is under k, and the SQL of the sides
        (for reports.audit)."""
        n = self[n_column]
        share = self[column]
        if events is None:
            with_event = None if share is None or n is None else round(share * n)
            events = f"round({column} * {n_column})"
        else:
            # A Kaplan–Meier share at a horizon: the events by then are at most the events of
            # the whole follow-up, and about share × n (a 0% by 12 months among people who
            # were promoted later still tells about every one of them).
            with_event = self[events]
            side = f"(1 - {column})" if complement else column
            if share is not None and n is not None and with_event is not None:
                by_then = round((1 - share if complement else share) * n)
                with_event = min(int(with_event), by_then)
                if complement:
                    with_event = n - with_event
                events = f"least({events}, round({side} * {n_column}))"
                if complement:
                    events = f"{n_column} - {events}"
            elif complement and n is not None and with_event is not None:
                with_event = n - int(with_event)
                events = f"{n_column} - {events}"
        parts = f"{events}|{n_column} - ({events})"
        if self.hidden:
            return self, parts
        # `with_event` now counts the share's own side (stayed, for a retention share).
        return replace(self, hidden=self.suppression.share(with_event, n, False)), parts

    def estimate(
        self,
        column: str,
        unit: str,
        n_column: str,
        low: str | None = None,
        high: str | None = None,
    ) -> "Estimate":
        return Estimate(
            self.figure(column, unit, n_column),
            self.figure(low or f"{column}_ci_low", unit, n_column),
            self.figure(high or f"{column}_ci_high", unit, n_column),
        )


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% interval."""

    value: Figure
    low: Figure
    high: Figure

    @property
    def shown(self) -> bool:
        return self.value.shown

    @property
    def has_interval(self) -> bool:
        return self.low.shown and self.high.shown

    @property
    def interval(self) -> Markup:
        """'95% CI 3 to 11', or why there is none."""
        if not self.value.shown:
            return Markup("")
        if not self.has_interval:
            return Markup("no interval")
        return Markup("95% CI {} to {}").format(self.low, self.high)

    def __html__(self) -> Markup:
        if not self.value.shown or not self.has_interval:
            return Markup("{}").format(self.value)
        return Markup("{} ({})").format(self.value, self.interval)
