"""Shares with their Wilson 95% interval, as columns `<name>`, `_ci_low`, `_ci_high`, `_n`."""

from collections.abc import Iterable

import numpy as np
import pandas as pd

from stats.proportions import wilson_interval


def with_shares(frame: pd.DataFrame, shares: Iterable[str]) -> pd.DataFrame:
    """Turn count columns `<name>__successes` and `<name>__n` into the share's columns.

    A share over nobody (n = 0) is NULL, as are its interval bounds.
    """
    frame = frame.copy()
    for name in shares:
        successes = frame.pop(f"{name}__successes").fillna(0).to_numpy(dtype=float)
        n = frame.pop(f"{name}__n").fillna(0).to_numpy(dtype=float)
        low, high = wilson_interval(successes, n)
        frame[name] = np.divide(successes, n, out=np.full_like(n, np.nan), where=n > 0)
        frame[f"{name}_ci_low"] = low
        frame[f"{name}_ci_high"] = high
        frame[f"{name}_n"] = n.astype("int64")
    return frame
