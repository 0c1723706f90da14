"""map_bounded, the thread pool of every bulk run: results in input order, at most
`max_workers` at once, and only a window of work queued (memory flat in the targets)."""

from __future__ import annotations

import threading
import time

import pytest

from revoke.ops.pool import map_bounded


def test_results_keep_the_input_order_and_concurrency_stays_bounded() -> None:
    lock = threading.Lock()
    active = {"now": 0, "most": 0}

    def work(item: int) -> int:
        with lock:
            active["now"] += 1
            active["most"] = max(active["most"], active["now"])
        time.sleep(0.001 * (item % 3))
        with lock:
            active["now"] -= 1
        return item * 2

    assert map_bounded(work, list(range(200)), 8) == [i * 2 for i in range(200)]
    assert 1 < active["most"] <= 8


class Watched(list):  # type: ignore[type-arg]
    """A list that counts the items taken from it."""

    taken = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for item in super().__iter__():
            self.taken += 1
            yield item


def test_items_are_taken_only_as_workers_free_up() -> None:
    """Memory flat in the targets: never 1,000 items (or futures) queued ahead of work."""
    items = Watched(range(1000))
    finished: list[int] = []
    lock = threading.Lock()

    def work(item: int) -> int:
        with lock:
            ahead = items.taken - len(finished)
            finished.append(item)
        return ahead

    ahead = map_bounded(work, items, 4)
    assert max(ahead) <= 4


def test_an_error_stops_new_items_and_is_raised_after_running_ones_finish() -> None:
    started: list[int] = []
    finished: list[int] = []
    lock = threading.Lock()

    def work(item: int) -> int:
        with lock:
            started.append(item)
        if item == 3:
            raise ValueError("boom")
        time.sleep(0.01)
        with lock:
            finished.append(item)
        return item

    with pytest.raises(ValueError, match="boom"):
        map_bounded(work, list(range(1000)), 4)
    assert len(started) < 30
    assert sorted(finished) == sorted(i for i in started if i != 3)  # none left half-done


def test_an_interruption_stops_new_items_and_lets_running_ones_finish() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def work(item: int) -> int:
        with lock:
            started.append(item)
        time.sleep(0.01)
        return item

    def on_done(result: int) -> None:
        if result == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        map_bounded(work, list(range(1000)), 4, on_done)
    assert len(started) < 30  # the rest never started
