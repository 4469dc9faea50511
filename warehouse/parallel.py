"""Spread CPU-bound Python work (Cox fits) over forked worker processes that never touch the
warehouse."""

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

    The items reach the workers through the fork, not through a pipe: a cohort's model frames
    can be gigabytes, and pickling them cost more than the estimates.
    """
    workers = _workers(workers, len(items))
    if workers <= 1:
        return [function(item) for item in items]
    with _forked_pool(workers, lambda position: function(items[position])) as pool:
        return list(pool.map(_call, range(len(items))))


def _workers(requested: int | None, items: int) -> int:
    """Workers to start: 1 (work in this process) with one CPU, one item, or no fork (Windows)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    workers = requested or available_cpus()
    return min(workers, items)


def _forked_pool(workers: int, function: Callable) -> ProcessPoolExecutor:
    """Workers forked with everything imported and `function` installed: a forked process
    inherits the initializer's arguments, so `function` and what it closes over are never
    pickled."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_install,
        initargs=(function,),
    )


_function: Callable | None = None


def _install(function: Callable) -> None:
    global _function
    _function = function


def _call(argument):
    return _function(argument)
