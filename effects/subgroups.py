"""Subgroups reported beside everyone: `all`, then `gender=…` and `ethnicity=…` as given."""

from collections.abc import Iterator

import numpy as np
import pandas as pd

from marts.dim_employee import NOT_DISCLOSED
from stats.estimate import text_levels

EVERYONE = "all"
DIMENSIONS = ("gender", "ethnicity")


def subgroups(frame: pd.DataFrame, everyone: bool = True) -> Iterator[tuple[str, np.ndarray]]:
    """(label, row mask) for everyone (unless `everyone` is False), then each category."""
    if everyone:
        yield EVERYONE, np.ones(len(frame), dtype=bool)
    for dimension in DIMENSIONS:
        values = text_levels(frame[dimension], NOT_DISCLOSED)
        for value in sorted(values.unique()):
            yield f"{dimension}={value}", (values == value).to_numpy()
