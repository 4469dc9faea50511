"""Benchmark the whole pipeline on a generated organisation and compare it with the floor.

    python bench/run.py --profile large      # 100,000 employees, 3 waves (+1 added later)
    python bench/run.py --profile xl         # 1,000,000 employees, 5 waves (+1 added later)
    python bench/run.py --profile demo       # the 5,000-employee demo organisation
    python bench/run.py --profile smoke      # 3,000 employees: the test suite's smoke run

Prints wall time per stage and in total, peak resident memory, rows per second, the floor
(a bare DuckDB script reading the same files into typed tables, measured in the same run),
then three runs after the first: one survey wave added to the loaded warehouse, and a full
run with nothing new in the inbox. Each figure is printed as a ratio (to the floor, or to the
first run) beside its target.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import dagster as dg
import duckdb
import psutil

from demo import write_demo_inbox
from ingest.inbox import inbox_paths
from ingest.readers import detect_encoding, sniff_delimiter
from pipelines.runner import run_pipeline
from warehouse.settings import Settings


@dataclass(frozen=True)
class Profile:
    employees: int
    waves: int  # waves in the first run; one more is generated and added afterwards
    targets: dict[str, float]  # figure (as printed under "targets:") -> its ceiling


XL_TARGETS = {
    "validation+staging / floor": 1,
    "ingest / floor": 2,
    "statistics (s)": 60,
    "end to end / floor": 30,
    # Where the validation and statistics designs together should bring it.
    "end to end / floor, goal": 20,
    "peak memory (GiB)": 6,
    "new wave / floor": 2,
}
PROFILES = {
    "smoke": Profile(3_000, 3, {}),
    "demo": Profile(5_000, 3, {"nothing new / first run": 0.2}),
    "large": Profile(100_000, 3, {"end to end (s)": 60}),
    "xl": Profile(1_000_000, 5, XL_TARGETS),
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
SLOWEST_STEPS = 8
STAGE_ORDER = ["ingest", "validation+staging", "marts", "statistics", "reports", "publish"]


def stage_of_steps() -> dict[str, str]:
    from pipelines.jobs import all_assets

    return {
        key.to_python_identifier(): STAGES.get(asset.group_names_by_key[key], "other")
        for asset in all_assets
        for key in asset.keys
    }


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds[event.step_key] = record.timestamp - started[event.step_key]
    return seconds


def stage_seconds(steps: dict[str, float]) -> dict[str, float]:
    stage_of = stage_of_steps()
    totals: dict[str, float] = defaultdict(float)
    for step, seconds in steps.items():
        totals[stage_of.get(step, "other")] += seconds
    return dict(totals)


def floor_seconds(inbox: Path) -> float:
    """The least any design pays: DuckDB reading every file into typed tables, nothing else.

    The faster of two readings: the first may fetch files from disk, and the pipeline, which
    runs after it, reads them from the page cache."""
    return min(_one_floor_reading(inbox) for _ in range(2))


def _one_floor_reading(inbox: Path) -> float:
    con = duckdb.connect(":memory:")
    started = time.perf_counter()
    for number, (_name, path) in enumerate(inbox_paths(inbox)):
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


class PeakMemory:
    """Peak memory of this process and its children (forked estimate workers) while in use:
    this process's resident set every 100 ms, plus what each child holds on its own (its USS
    where the OS reports it: forked children share their parent's pages, so their resident
    sets would count those twice). A USS costs the kernel a walk of the child's page tables,
    which at a million people took CPU from the workers it measured, so children are read
    once a second and their last figures count in between."""

    def __init__(self) -> None:
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        children_bytes, tick = 0, 0
        while not self._stop.wait(0.1):
            if tick % 10 == 0:
                children_bytes = 0
                for child in me.children(recursive=True):
                    # a worker may end between listing and reading
                    with contextlib.suppress(psutil.Error):
                        children_bytes += _private_size(child)
            tick += 1
            self.peak_bytes = max(self.peak_bytes, me.memory_info().rss + children_bytes)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def gib(self) -> float:
        return self.peak_bytes / 1024**3


def _private_size(process: psutil.Process) -> int:
    if psutil.LINUX:
        return process.memory_full_info().uss
    return process.memory_info().rss


def prepare_inbox(root: Path, profile_name: str, profile: Profile) -> tuple[Path, Path, float]:
    """The profile's inbox under `root`, with its last wave held back for the wave run.

    A kept workdir that already holds this profile's inbox is reused: generating 1M
    employees takes minutes and is not part of what is measured. Generation runs in a child
    process so that its memory is not counted as the pipeline's.
    """
    inbox, held_back_dir = root / "inbox", root / "held-back"
    marker = root / "generated.json"
    wanted = {"profile": profile_name, "employees": profile.employees, "waves": profile.waves}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        for path in held_back_dir.iterdir():
            shutil.move(path, inbox / "surveys" / path.name)  # back in, if a run was cut short
        generated = 0.0
    else:
        shutil.rmtree(root, ignore_errors=True)
        began = time.perf_counter()
        # One plain process: a Pool's exit terminates its idle worker while holding the lock
        # that worker waits on, and under the test suite that once left both waiting forever.
        generation = multiprocessing.get_context("spawn").Process(
            target=_generate, args=(inbox, profile.employees, profile.waves + 1)
        )
        generation.start()
        generation.join()
        if generation.exitcode != 0:
            raise SystemExit(f"Generating the {profile_name} inbox failed (see above).")
        generated = time.perf_counter() - began
        marker.write_text(json.dumps(wanted))
    held_back_dir.mkdir(exist_ok=True)
    newest = sorted((inbox / "surveys").iterdir())[-1]
    parked = held_back_dir / newest.name
    shutil.move(newest, parked)
    return parked, newest, generated


def _generate(inbox: Path, employees: int, waves: int) -> None:
    write_demo_inbox(inbox, employees=employees, waves=waves)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="large")
    parser.add_argument(
        "--workdir", type=Path, help="keep the inbox here and reuse it on the next run"
    )
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    root = args.workdir or Path(tempfile.mkdtemp(prefix=f"mentorlens-bench-{args.profile}-"))
    root.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        inbox=root / "inbox",
        warehouse=root / "warehouse" / "mentorlens.duckdb",
        reports=root / "reports",
        dagster_home=root / "dagster_home",
    )
    parked, held_back, generated = prepare_inbox(root, args.profile, profile)
    for produced in (settings.warehouse.parent, settings.reports, settings.dagster_home):
        shutil.rmtree(produced, ignore_errors=True)

    floor = floor_seconds(settings.inbox)
    instance = dg.DagsterInstance.ephemeral()
    with PeakMemory() as memory:
        began = time.perf_counter()
        outcome = run_pipeline(settings, quiet=True, instance=instance)
        total = time.perf_counter() - began
        if not outcome.success:
            raise SystemExit(f"The run failed: {outcome.failures}")
        steps = step_seconds(instance, outcome.run_id)
        rows = rows_read(settings.warehouse)

        shutil.move(parked, held_back)
        began = time.perf_counter()
        wave_outcome = run_pipeline(settings, quiet=True, instance=instance, surveys_only=True)
        wave_seconds = time.perf_counter() - began
        if not wave_outcome.success:
            raise SystemExit(f"The wave run failed: {wave_outcome.failures}")
        wave_steps = step_seconds(instance, wave_outcome.run_id)

        began = time.perf_counter()
        again = run_pipeline(settings, quiet=True, instance=instance)
        again_seconds = time.perf_counter() - began
        if not again.success:
            raise SystemExit(f"The run with nothing new failed: {again.failures}")
    stages, wave_stages = stage_seconds(steps), stage_seconds(wave_steps)

    generation = f"inbox generated in {generated:.1f} s" if generated else "inbox reused"
    print(
        f"mentorlens benchmark, profile {args.profile}: {profile.employees:,} employees, "
        f"{os.cpu_count()} cores ({generation}, not counted)"
    )
    print(f"{'stage':<22}{'full run (s)':>14}{'new wave (s)':>14}")
    for stage in STAGE_ORDER:
        print(f"{stage:<22}{stages.get(stage, 0.0):>14.1f}{wave_stages.get(stage, 0.0):>14.1f}")
    other = total - sum(stages.values())
    wave_other = wave_seconds - sum(wave_stages.values())
    print(f"{'other (Dagster)':<22}{other:>14.1f}{wave_other:>14.1f}")
    print(f"{'total':<22}{total:>14.1f}{wave_seconds:>14.1f}")
    print(f"rows read:            {rows:,}")
    print(f"rows per second:      {rows / total:,.0f}")
    print(f"peak memory (GiB):    {memory.gib:.2f}")
    print(f"floor (s):            {floor:.1f}")
    print(f"pipeline / floor:     {total / floor:.1f}x")
    print(f"new wave (s):         {wave_seconds:.1f} ({wave_seconds / total:.0%} of a full run)")
    print("slowest steps (s, full run / new wave):")
    slowest = sorted(
        steps.keys() | wave_steps.keys(),
        key=lambda step: max(steps.get(step, 0.0), wave_steps.get(step, 0.0)),
        reverse=True,
    )
    for step in slowest[:SLOWEST_STEPS]:
        print(f"  {step:<40}{steps.get(step, 0.0):>8.1f}{wave_steps.get(step, 0.0):>8.1f}")
    how = "the run was skipped" if again.nothing_new else "a whole run"
    print(
        f"nothing new (s):      {again_seconds:.1f} ({again_seconds / total:.0%} of a full run; "
        f"{how})"
    )
    figures = {
        "validation+staging / floor": stages.get("validation+staging", 0.0) / floor,
        "ingest / floor": stages.get("ingest", 0.0) / floor,
        "statistics (s)": stages.get("statistics", 0.0),
        "end to end / floor": total / floor,
        "end to end / floor, goal": total / floor,
        "end to end (s)": total,
        "peak memory (GiB)": memory.gib,
        "new wave / floor": wave_seconds / floor,
        "nothing new / first run": again_seconds / total,
    }
    print(f"targets (floor {floor:.1f} s):")
    for name, value in figures.items():
        _verdict(name, value, profile.targets.get(name))
    if not args.workdir:
        shutil.rmtree(root, ignore_errors=True)


def _verdict(name: str, value: float, target: float | None) -> None:
    if target is None:
        print(f"  {name:<28}{value:>8.2f}  (no target for this profile)")
    else:
        mark = "met" if value <= target else "NOT MET"
        print(f"  {name:<28}{value:>8.2f}  target <= {target:g}: {mark}")


if __name__ == "__main__":
    main()
