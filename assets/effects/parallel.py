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

    Workers are forked, so they start at once with everything imported and the items in
    memory; they only compute and never touch the warehouse. With one CPU, one item or no
    fork (Windows) everything runs in this process.
    """
    workers = min(workers or available_cpus(), len(items))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    # The items reach the workers through the fork, not through a pipe: a cohort's model
    # frames can be gigabytes, and pickling them cost more than the estimates.
    global _FORKED
    _FORKED = (function, items)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_call_forked, range(len(items))))
    finally:
        _FORKED = None


_FORKED: tuple[Callable, Sequence] | None = None


def _call_forked(position: int):
    function, items = _FORKED
    return function(items[position])
