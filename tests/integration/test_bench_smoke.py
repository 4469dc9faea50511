"""The benchmark script runs end to end on a small organisation and prints every figure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIGURES = [
    "ingest",
    "validation+staging",
    "marts",
    "statistics",
    "reports",
    "publish",
    "total",
    "rows per second:",
    "peak memory (GiB):",
    "floor (s):",
    "pipeline / floor:",
    "new wave (s):",
]


def test_the_benchmark_prints_every_figure(tmp_path):
    project = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--profile", "smoke", "--workdir", str(tmp_path / "b")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    for figure in FIGURES:
        assert any(line.startswith(figure) for line in lines), figure
    total = next(line for line in lines if line.startswith("total"))
    assert float(total.split()[-1]) > 0
