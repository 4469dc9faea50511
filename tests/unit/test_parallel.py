import os
import time

import pytest

from warehouse.parallel import imap_in_processes, map_in_processes


def _pid_and_square(value: int) -> tuple[int, int]:
    return os.getpid(), value * value


@pytest.mark.parametrize("spread", [map_in_processes, imap_in_processes])
def test_results_come_back_in_order_from_forked_workers(spread):
    offset = 7  # closed over: reaches the workers through the fork, it could not be pickled

    def slowly(value: int) -> tuple[int, int]:
        time.sleep(0.02)  # long enough that both workers take items
        return os.getpid(), value + offset

    results = list(spread(slowly, list(range(20)), 2))
    assert [value for _, value in results] == [value + offset for value in range(20)]
    assert os.getpid() not in {pid for pid, _ in results}
    assert len({pid for pid, _ in results}) == 2


@pytest.mark.parametrize("spread", [map_in_processes, imap_in_processes])
def test_one_item_or_one_worker_is_worked_here(spread):
    assert list(spread(_pid_and_square, [3], 2)) == [(os.getpid(), 9)]
    assert list(spread(_pid_and_square, [1, 2], 1)) == [(os.getpid(), 1), (os.getpid(), 4)]


def test_the_stream_is_drawn_only_as_results_are_taken():
    drawn = []

    def stream():
        for value in range(50):
            drawn.append(value)
            yield value

    results = imap_in_processes(_pid_and_square, stream(), 2)
    assert next(results)[1] == 0
    assert len(drawn) == 3  # one per worker, and the one queued behind them
    assert [square for _, square in results] == [value * value for value in range(1, 50)]
    assert len(drawn) == 50


def test_an_error_in_a_worker_reaches_the_caller():
    def fail_on_three(value: int) -> int:
        if value == 3:
            raise ValueError("three")
        return value

    with pytest.raises(ValueError, match="three"):
        list(imap_in_processes(fail_on_three, iter(range(6)), 2))
