"""Small-group suppression: no figure on a page describes fewer than k people.

Every page and chart decides what to hide here, and nowhere else:

- a cell about fewer than k people is hidden and reads "fewer than k" (`SMALL`);
- a share is hidden when fewer than k people had the attribute (`FEW_WITH`) or fewer than k did
  not (`FEW_WITHOUT`), zero included: a group's 0% or 100% tells about every member. Its label
  says which side is small ("hidden: fewer than 5 did not");
- where hidden cells are parts of a total that is shown (a breakdown by gender that sums to
  everyone, the stages of a funnel), more cells are hidden (`COMPLEMENTARY`) until no hidden
  cell, and no sum of hidden cells, can be worked out by subtraction as fewer than k people.
"""

from collections.abc import Sequence
from dataclasses import dataclass

SMALL = "small"
FEW_WITH = "few-with"
FEW_WITHOUT = "few-without"
COMPLEMENTARY = "complementary"
# Reasons that say the figure itself describes fewer than k people (not a partner cell).
PRIMARY = (SMALL, FEW_WITH, FEW_WITHOUT)


@dataclass(frozen=True)
class Suppression:
    """The rule for one report: k is the smallest group a figure may describe."""

    k: int

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be at least 1, not {self.k}")

    def shows(self, n: int | None) -> bool:
        """Whether a figure about n people may be shown; an unknown n never is."""
        return n is not None and n >= self.k

    def cell(self, n: int | None) -> str | None:
        """Why a cell about n people is hidden, or None when it is shown."""
        return None if self.shows(n) else SMALL

    def share(self, successes: int | None, n: int | None, complement: bool = False) -> str | None:
        """Why a share of n people is hidden: n under k (`SMALL`), or fewer than k with the
        attribute (`FEW_WITH`) or without it (`FEW_WITHOUT`), zero included (0 of 40, 40 of
        40 and 39 of 40 all tell about every member, or all but one). `complement`: the
        successes counted are the share's other side (exits, for a retention share)."""
        if not self.shows(n):
            return SMALL
        if successes is None:
            return None
        with_, without = successes, n - successes
        if complement:
            with_, without = without, with_
        if min(with_, without) >= self.k:
            return None
        return FEW_WITH if with_ <= without else FEW_WITHOUT

    def cells(self, ns: Sequence[int | None]) -> list[str | None]:
        """Each of several cells on its own: no total of them is shown anywhere."""
        return [self.cell(n) for n in ns]

    def breakdown(self, parts: Sequence[int | None]) -> list[str | None]:
        """The parts of a shown total (disjoint groups that add up to it).

        Cells under k are hidden; then, while the hidden cells together hold fewer than k
        people, the smallest shown cell is hidden too. The reader can work out the sum of the
        hidden cells (total minus the shown ones), and that sum is never a figure under k.
        """
        reasons = self.cells(parts)
        sizes = [n or 0 for n in parts]
        while any(reasons) and sum(s for s, r in zip(sizes, reasons, strict=True) if r) < self.k:
            shown = [i for i, r in enumerate(reasons) if r is None]
            if not shown:
                break
            reasons[min(shown, key=lambda i: (sizes[i], i))] = COMPLEMENTARY
        return reasons

    def nested(self, counts: Sequence[int | None]) -> list[str | None]:
        """The stages of a funnel, each a subset of the one before (matched, met, ...).

        The difference between two shown stages counts the people who dropped out between
        them, so a stage is hidden when it is under k or when it lies fewer than k (but more
        than none) below the last shown stage.
        """
        reasons: list[str | None] = []
        last_shown: int | None = None
        for count in counts:
            if not self.shows(count):
                reasons.append(SMALL)
            elif last_shown is not None and 0 < last_shown - count < self.k:
                reasons.append(COMPLEMENTARY)
            else:
                reasons.append(None)
                last_shown = count
        return reasons
