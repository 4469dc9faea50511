"""A hand-built cohort whose comparison group is sampled at very different rates in two
trials with different risks: what the sampling weights must undo (issue #16)."""

import numpy as np
import pandas as pd

FOLLOW_UP_DAYS = 730.0
# Per trial: comparison people eligible, drawn, their yearly exit and promotion hazards, and
# their mean survey change. Trial A is risky and sparsely drawn, trial B safe and densely.
TRIALS = {
    "A": {"eligible": 2000, "drawn": 100, "exit": 0.7, "promotion": 0.1, "change": 1.0},
    "B": {"eligible": 2000, "drawn": 1000, "exit": 0.1, "promotion": 0.4, "change": -1.0},
}
PARTICIPANTS_PER_TRIAL = 200
EXIT_HR = 0.7


def full_cohort(seed: int = 0) -> pd.DataFrame:
    """Every eligible comparison person and the participants of both trials, with exit and
    promotion (competing: whichever comes first) and a survey change; `drawn` marks the
    comparison people a sample of TRIALS' sizes would keep, `sampling_weight` their weight."""
    rng = np.random.default_rng(seed)
    frames = []
    for trial, spec in TRIALS.items():
        for treated, n in ((0, spec["eligible"]), (1, PARTICIPANTS_PER_TRIAL)):
            exit_rate = spec["exit"] * (EXIT_HR if treated else 1.0) / 365.25
            exit_day = rng.exponential(1 / exit_rate, n)
            promotion_day = rng.exponential(365.25 / spec["promotion"], n)
            end = np.minimum.reduce([exit_day, promotion_day, np.full(n, FOLLOW_UP_DAYS)])
            drawn = np.ones(n, dtype=bool)
            weight = np.ones(n)
            if not treated:
                drawn = np.zeros(n, dtype=bool)
                drawn[rng.choice(n, spec["drawn"], replace=False)] = True
                weight[:] = spec["eligible"] / spec["drawn"]
            baseline = rng.normal(5.0, 1.0, n)
            frames.append(
                pd.DataFrame(
                    {
                        "employee_id": [f"{trial}{treated}-{i}" for i in range(n)],
                        "trial": trial,
                        "treated": treated,
                        "exit_days": np.minimum(exit_day, FOLLOW_UP_DAYS),
                        "exit_event": (exit_day <= FOLLOW_UP_DAYS).astype(int),
                        "promotion_days": end,
                        # 1: promoted, 2: left first (competing), 0: censored.
                        "promotion_cause": np.select(
                            [end == promotion_day, end == exit_day], [1, 2], 0
                        ),
                        "baseline": baseline,
                        "followup": baseline + spec["change"] + rng.normal(0, 1.0, n),
                        "drawn": drawn,
                        "sampling_weight": weight,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def sampled_cohort(seed: int = 0) -> pd.DataFrame:
    full = full_cohort(seed)
    return full.loc[full["drawn"]].reset_index(drop=True)
