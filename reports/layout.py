"""What a page is made of: sections of findings, and exhibits (a chart beside its table)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

# A table with longer row labels than this goes below its chart, not beside it.
BESIDE_LABEL_LENGTH = 40


@dataclass
class Table:
    caption: Markup | str
    columns: Sequence[str]
    rows: list[Sequence[Any]]
    numeric_from: int = 1  # columns from this one on hold numbers (right-aligned)
    download: str | None = None  # the CSV's file name, set when the page is written


@dataclass
class Exhibit:
    """A chart and the table of its numbers; either may be missing, never both."""

    title: str
    table: Table | None = None
    chart: Markup | None = None
    note: Markup | str | None = None

    @property
    def arrangement(self) -> str:
        """'beside' for a narrow table next to its chart, else 'below' (or 'alone')."""
        if self.chart is None or self.table is None:
            return "alone"
        narrow = len(self.table.columns) <= 3 and all(
            len(str(row[0])) <= BESIDE_LABEL_LENGTH for row in self.table.rows
        )
        return "beside" if narrow else "below"


@dataclass
class Section:
    title: str
    anchor: str
    findings: list[Markup] = field(default_factory=list)
    exhibits: list[Exhibit] = field(default_factory=list)
    notes: list[Markup | str] = field(default_factory=list)
    unavailable: str | None = None
    body: Markup | None = None  # free-form content after the findings (cards, a legend)


def not_available(title: str, anchor: str, tables: Sequence[str]) -> Section:
    """A section whose tables have not been built in this warehouse yet."""
    return Section(
        title,
        anchor,
        unavailable=f"Not available yet: the warehouse has no {', '.join(tables)} in this run.",
    )
