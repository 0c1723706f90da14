"""map_bounded, the thread pool of every bulk run: results in input order, at most
`max_workers` at once, and only a window of work queued (memory flat in the targets)."""

from __future__ import annotations

import threading
import time

import pytest

from revoke.revocation import map_bounded


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


def test_only_a_window_of_items_is_handed_to_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    submitted: list[int] = []
    finished: list[int] = []
    real_submit = ThreadPoolExecutor.submit

    def submit(self: ThreadPoolExecutor, fn, *args):  # type: ignore[no-untyped-def]
        submitted.append(args[0])
        return real_submit(self, fn, *args)

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit)

    def work(item: int) -> int:
        ahead = len(submitted) - len(finished)
        finished.append(item)
        return ahead

    ahead = map_bounded(work, list(range(1000)), 4)
    assert max(ahead) <= 2 * 4  # never 1,000 futures waiting


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
