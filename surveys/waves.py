"""Survey waves: one wave per survey file's name stem (the Dagster partitions that carry them
are in `assets/partitions.py`)."""

from pathlib import PurePosixPath


def wave_key(relative_path: str) -> str:
    """`surveys/2026-03_pulse.csv` → `2026-03_pulse`: the wave a file brings, by its name."""
    return PurePosixPath(relative_path).stem


def files_of_waves(files: list[str], waves: list[str]) -> list[str] | None:
    """The files of these waves, or None (every file: a full refresh) when they cover all."""
    wanted = [f for f in files if wave_key(f) in set(waves)]
    return None if len(wanted) == len(files) else wanted
