"""Time validation of one large source: `python bench/validation.py --rows 1000000`.

Writes a synthetic employees export (0.1% bad rows), lands it in a scratch warehouse and
prints the seconds spent landing and validating, and the peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ingest.inbox import InboxFile, file_sha256
from ingest.landing import land_file
from quality.staging import stage_source
from warehouse.db import ensure_schemas
from warehouse.settings import run_date


def synthetic_employees(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hire = pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 5000, rows), unit="D")
    frame = pd.DataFrame(
        {
            "employee_id": [f"{i:07d}" for i in range(rows)],
            "hire_date": hire.strftime("%Y-%m-%d"),
            "job_level": rng.integers(1, 11, rows).astype(str),
            "department": rng.choice(["Eng", "Sales", "Ops", "HR"], rows),
            "manager_id": [f"{max(i // 8, 0):07d}" if i else "" for i in range(rows)],
            "gender": rng.choice(["Woman", "Man", "Non-binary", ""], rows),
            "performance_rating": rng.integers(1, 6, rows).astype(str),
        }
    )
    bad = rng.choice(rows, rows // 1000, replace=False)
    frame.loc[bad, "job_level"] = "25"
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "employees.csv"
        synthetic_employees(args.rows).to_csv(path, index=False)
        con = duckdb.connect(str(Path(scratch) / "bench.duckdb"))
        ensure_schemas(con)
        item = InboxFile(path.name, path, "employees", file_sha256(path), path.stat().st_size)
        started = time.perf_counter()
        land_file(con, item, "bench")
        landed = time.perf_counter()
        result = stage_source(con, "employees", run_date())
        validated = time.perf_counter()
        con.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows:            {result.rows_read:,}")
    print(f"quarantined:     {result.rows_quarantined:,}")
    print(f"landing (s):     {landed - started:.1f}")
    print(f"validation (s):  {validated - landed:.1f}")
    print(f"peak RSS (MiB):  {peak_mib:,.0f}")


if __name__ == "__main__":
    main()
