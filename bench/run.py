"""Benchmark the whole pipeline on a generated organisation and compare it with the floor.

    python bench/run.py --profile large      # 100,000 employees, 3 waves (+1 added later)
    python bench/run.py --profile xl         # 1,000,000 employees, 5 waves (+1 added later)
    python bench/run.py --profile smoke      # 3,000 employees: the test suite's smoke run

Prints wall time per stage and in total, peak resident memory, rows per second, the floor
(a bare DuckDB script reading the same files into typed tables, measured in the same run),
the ratio of the pipeline to the floor, and the time to add one survey wave to the loaded
warehouse, against the targets of the performance issue.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import dagster as dg
import duckdb

from assets.raw.readers import detect_encoding, sniff_delimiter
from demo import write_demo_inbox
from pipelines.runner import run_pipeline
from pipelines.settings import Settings


@dataclass(frozen=True)
class Profile:
    employees: int
    waves: int  # waves in the first run; one more is generated and added afterwards
    target_seconds: float | None
    target_floor_ratio: float | None
    target_memory_gib: float | None


PROFILES = {
    "smoke": Profile(3_000, 3, None, None, None),
    "large": Profile(100_000, 3, 60, None, None),
    "xl": Profile(1_000_000, 5, None, 4, 6),
}

# Stages are the assets' Dagster groups (their layers).
STAGES = {
    "raw": "ingest",
    "staging": "validation+staging",
    "marts": "marts",
    "effects": "statistics",
    "reports": "reports",
    "publish": "publish",
}
STAGE_ORDER = ["ingest", "validation+staging", "marts", "statistics", "reports", "publish"]


def stage_of_steps() -> dict[str, str]:
    from pipelines.jobs import all_assets

    return {
        key.to_python_identifier(): STAGES.get(asset.group_names_by_key[key], "other")
        for asset in all_assets
        for key in asset.keys
    }


def stage_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    stage_of = stage_of_steps()
    started: dict[str, float] = {}
    totals: dict[str, float] = defaultdict(float)
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            stage = stage_of.get(event.step_key, "other")
            totals[stage] += record.timestamp - started[event.step_key]
    return dict(totals)


def floor_seconds(inbox: Path) -> float:
    """The least any design pays: DuckDB reading every file into typed tables, nothing else."""
    con = duckdb.connect(":memory:")
    started = time.perf_counter()
    for number, path in enumerate(sorted(p for p in inbox.rglob("*") if p.is_file())):
        table = f"t{number}"
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{path}')")
        elif suffix in (".csv", ".tsv", ".txt"):
            _floor_text(con, table, path)
        elif suffix == ".xlsx":
            import pandas as pd

            frame = pd.read_excel(path)  # noqa: F841 - read by DuckDB's replacement scan
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def _floor_text(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    encoding = detect_encoding(path)
    source = path
    if encoding not in ("utf-8", "utf-8-sig"):
        # DuckDB reads UTF-8; a re-encode is part of what reading such a file costs.
        source = path.with_suffix(path.suffix + ".utf8")
        with path.open(encoding=encoding, newline="") as src, source.open("w", newline="") as out:
            shutil.copyfileobj(src, out)
    with source.open(encoding="utf-8-sig", newline="") as handle:
        delimiter = sniff_delimiter(handle.read(65536))
    first = source.open(encoding="utf-8-sig").readline()
    qualtrics_skip = ", skip = 3, header = false" if '"ImportId"' in first else ""
    con.execute(
        f"CREATE TABLE {table} AS SELECT * FROM read_csv('{source}', delim = '{delimiter}', "
        f"quote = '\"', escape = '\"', strict_mode = false, ignore_errors = true"
        f"{qualtrics_skip})"
    )
    if source != path:
        source.unlink()


def rows_read(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT coalesce(sum(rows_read), 0) FROM meta.loaded_files").fetchone()[
            0
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="large")
    parser.add_argument("--workdir", type=Path, help="keep the inbox and warehouse here")
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    root = args.workdir or Path(tempfile.mkdtemp(prefix=f"mentorlens-bench-{args.profile}-"))
    settings = Settings(
        inbox=root / "inbox",
        warehouse=root / "warehouse" / "mentorlens.duckdb",
        reports=root / "reports",
        dagster_home=root / "dagster_home",
    )
    shutil.rmtree(root, ignore_errors=True)

    began = time.perf_counter()
    summary = write_demo_inbox(settings.inbox, employees=profile.employees, waves=profile.waves + 1)
    held_back = sorted(summary.files["surveys"])[-1]
    parked = root / held_back.name
    shutil.move(held_back, parked)
    generated = time.perf_counter() - began

    floor = floor_seconds(settings.inbox)
    instance = dg.DagsterInstance.ephemeral()
    began = time.perf_counter()
    outcome = run_pipeline(settings, quiet=True, instance=instance)
    total = time.perf_counter() - began
    if not outcome.success:
        raise SystemExit(f"The run failed: {outcome.failures}")
    stages = stage_seconds(instance, outcome.run_id)
    rows = rows_read(settings.warehouse)

    shutil.move(parked, held_back)
    wave = held_back.stem
    began = time.perf_counter()
    wave_outcome = run_pipeline(settings, quiet=True, instance=instance, wave=wave)
    wave_seconds = time.perf_counter() - began
    if not wave_outcome.success:
        raise SystemExit(f"The wave run failed: {wave_outcome.failures}")
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    print(
        f"mentorlens benchmark, profile {args.profile}: {profile.employees:,} employees, "
        f"{os.cpu_count()} cores (inbox generated in {generated:.1f} s, not counted)"
    )
    print(f"{'stage':<22}{'seconds':>10}")
    for stage in STAGE_ORDER:
        print(f"{stage:<22}{stages.get(stage, 0.0):>10.1f}")
    print(f"{'other (Dagster)':<22}{total - sum(stages.values()):>10.1f}")
    print(f"{'total':<22}{total:>10.1f}")
    print(f"rows read:            {rows:,}")
    print(f"rows per second:      {rows / total:,.0f}")
    print(f"peak memory (GiB):    {peak_gib:.2f}")
    print(f"floor (s):            {floor:.1f}")
    print(f"pipeline / floor:     {total / floor:.1f}x")
    print(f"new wave (s):         {wave_seconds:.1f} ({wave_seconds / total:.0%} of a full run)")
    print("targets:")
    _verdict("end to end", total, profile.target_seconds, "s")
    _verdict("pipeline / floor", total / floor, profile.target_floor_ratio, "x")
    _verdict("peak memory", peak_gib, profile.target_memory_gib, " GiB")
    _verdict("new wave / full run", wave_seconds / total, 0.2 if args.profile == "xl" else None, "")
    if not args.workdir:
        shutil.rmtree(root, ignore_errors=True)


def _verdict(name: str, value: float, target: float | None, unit: str) -> None:
    if target is None:
        print(f"  {name:<22}{value:>8.2f}{unit}  (no target for this profile)")
    else:
        mark = "met" if value <= target else "NOT MET"
        print(f"  {name:<22}{value:>8.2f}{unit}  target <= {target:g}{unit}: {mark}")


if __name__ == "__main__":
    main()
