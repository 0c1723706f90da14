"""Bounded concurrency for the workflows: a thread pool that stops cleanly, and one read
on a daemon thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any


def map_bounded(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    max_workers: int,
    on_done: Callable[[Any], None] | None = None,
) -> list[Any]:
    """`fn` over items with at most `max_workers` threads, results in input order.

    `on_done(result)` runs after each item (progress). On an interruption (Ctrl-C) or an
    error the items not yet started are left alone and the ones in flight finish, so
    whatever they changed is journalled; a re-run plans from live state and finishes the
    rest. The error (or interruption) is then raised here.

    Not a ThreadPoolExecutor (issue 8): `max_workers` threads take the next item as they
    finish one, so there is no future per item (10,000 futures and their locks were a
    bulk run's largest allocation) and the calling thread only waits. Measured, it is as
    fast as the executor was (benchmarks/README.md); it is here for memory and the stop.
    """
    if on_done is not None:
        inner = fn

        def fn(item: Any) -> Any:
            result = inner(item)
            on_done(result)
            return result

    if max_workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    results: list[Any] = [None] * len(items)
    queued = iter(enumerate(items))
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def work() -> None:
        while not stop.is_set():
            with lock:
                taken = next(queued, None)
            if taken is None:
                return
            index, item = taken
            try:
                results[index] = fn(item)
            except BaseException as err:  # noqa: BLE001 - re-raised in the caller below
                with lock:
                    errors.append(err)
                stop.set()
                return

    # Daemon threads: a second Ctrl-C while the first waits for in-flight items exits.
    count = min(max_workers, len(items))
    running = [count]
    finished = threading.Condition()

    def worker() -> None:
        try:
            work()
        finally:
            with finished:
                running[0] -= 1
                finished.notify_all()

    def wait_for_workers() -> None:
        # Not Thread.join(): on Python 3.11 a KeyboardInterrupt that lands in join() can
        # mark a thread that is still running as stopped (the except branch of
        # Thread._wait_for_tstate_lock releases the live thread's lock, CPython
        # gh-90882), so a second join returned at once and the process exited with a
        # write in flight and its record unwritten (tests/e2e/test_bulk.py lost one
        # record in 8 runs). A condition over a counter has no such state to corrupt.
        with finished:
            while running[0]:
                finished.wait()

    for n in range(count):
        threading.Thread(target=worker, name=f"revoke-worker-{n}", daemon=True).start()
    try:
        wait_for_workers()
    except BaseException:
        stop.set()
        wait_for_workers()
        raise
    if errors:
        raise errors[0]
    return results


class Background:
    """`fn(*args)` on a daemon thread; `result()` waits for it and returns or raises.

    Not a ThreadPoolExecutor: Python joins every executor thread at exit, so a read left
    behind by a run that stops (an unreachable endpoint retried ten times) would hold the
    exit for half a minute."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(fn, *args), daemon=True).start()

    def _run(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self._value = fn(*args)
        except BaseException as err:  # noqa: BLE001 - re-raised by result()
            self._error = err
        finally:
            self._done.set()

    def result(self) -> Any:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value
