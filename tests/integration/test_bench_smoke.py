"""The benchmark script runs end to end on a small organisation and prints every figure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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
    process = subprocess.Popen(
        [sys.executable, "bench/run.py", "--profile", "smoke", "--workdir", str(tmp_path / "b")],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        # A run that hangs says where: every process of the run prints its threads' stacks.
        os.killpg(process.pid, signal.SIGABRT)
        stdout, stderr = process.communicate()
        pytest.fail(f"the benchmark did not finish in 300 s; its stacks:\n{stderr[-20000:]}")
    assert process.returncode == 0, stderr[-2000:]
    lines = stdout.splitlines()
    for figure in FIGURES:
        assert any(line.startswith(figure) for line in lines), figure
    total = next(line for line in lines if line.startswith("total"))
    assert float(total.split()[-1]) > 0
