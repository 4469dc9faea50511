"""Run independent estimates in worker processes: Cox fits are CPU-bound Python loops."""

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def available_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def map_in_processes(
    function: Callable[[Item], Result], items: Sequence[Item], workers: int | None = None
) -> list[Result]:
    """[function(item) for item in items], spread over one process per CPU.

    `function` must be picklable (a module-level function or a partial of one). Workers are
    forked, so they start at once with everything imported; they only compute and never touch
    the warehouse. With one CPU, one item or no fork (Windows) everything runs in this process.
    """
    workers = min(workers or available_cpus(), len(items))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(function, items))
