"""Survey waves: one wave per survey file's name stem."""

from pathlib import PurePosixPath


def wave_key(relative_path: str) -> str:
    """`surveys/2026-03_pulse.csv` → `2026-03_pulse`: the wave a file brings, by its name."""
    return PurePosixPath(relative_path).stem
