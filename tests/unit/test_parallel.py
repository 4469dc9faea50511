import os
import time

from warehouse.parallel import map_in_processes


def _pid_and_square(value: int) -> tuple[int, int]:
    return os.getpid(), value * value


def test_results_come_back_in_order_from_forked_workers():
    spread = map_in_processes
    offset = 7  # closed over: reaches the workers through the fork, it could not be pickled

    def slowly(value: int) -> tuple[int, int]:
        time.sleep(0.02)  # long enough that both workers take items
        return os.getpid(), value + offset

    results = list(spread(slowly, list(range(20)), 2))
    assert [value for _, value in results] == [value + offset for value in range(20)]
    assert os.getpid() not in {pid for pid, _ in results}
    assert len({pid for pid, _ in results}) == 2


def test_one_item_or_one_worker_is_worked_here():
    spread = map_in_processes
    assert list(spread(_pid_and_square, [3], 2)) == [(os.getpid(), 9)]
    assert list(spread(_pid_and_square, [1, 2], 1)) == [(os.getpid(), 1), (os.getpid(), 4)]
