"""Spread CPU-bound Python work (Cox fits, Great Expectations over chunks) over forked
worker processes that never touch the warehouse."""

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import chain, islice
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


def imap_in_processes(
    function: Callable[[Item], Result], items: Iterable[Item], workers: int | None = None
) -> Iterator[Result]:
    """function(item) for each item, in order, spread over one process per CPU.

    Items are drawn as results are taken, at most one more than there are workers in flight,
    so a stream of chunks read from the warehouse is never all in memory. They are pickled to
    the workers, which exist before the items do. A stream of one item is worked here.
    """
    items = iter(items)
    head = list(islice(items, 2))
    workers = _workers(workers, len(head))
    if workers <= 1:
        yield from map(function, chain(head, items))
        return
    with _forked_pool(workers, function) as pool:
        pending = deque()
        for item in chain(head, items):
            pending.append(pool.submit(_call, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


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
