"""The journal's group commit (issue 8): the threads of a bulk run queue their records and
one of them writes every queued record of a file (or remote store) with one fsync while the
others wait; each caller returns only once its own record is written."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Pending:
    """One caller's records waiting for a group commit (see Journal.append_many)."""

    bodies: list[dict[str, Any]]
    done: bool = False
    error: BaseException | None = None


@dataclass
class _Commits:
    """One file's group commit: records queued, and whether a writer is at work."""

    queue: list[_Pending] = field(default_factory=list)
    writing: bool = False


# One condition for every file of the process; flock serialises between processes.
_commit = threading.Condition(threading.Lock())
_files: dict[str, _Commits] = {}


def group_commit(
    key: str, bodies: list[dict[str, Any]], write_batch: Callable[[list[dict[str, Any]]], None]
) -> None:
    """Queue `bodies` (in order, one caller's records) for the journal named `key` and
    return once `write_batch` wrote them (raising what the write raised)."""
    # Group commit: the threads of a bulk run queue their records; one of them writes
    # every queued record of this file with one fsync while the others wait, and all
    # of them are woken when it is done. Each call still returns only once its own
    # record is on disk (issue 8: one fsync per target serialised a 500-target run).
    #
    # The waiters wait on a condition, not on the writer's lock: with a lock, threads
    # whose records were already on disk queued for it behind the next writer's
    # fsync just to learn so, and the next writer found only one or two records
    # queued; batches fell to two records and the fsyncs to half the records
    # (tests/state/test_journal_concurrency.py failed 4 runs in 10).
    pending = _Pending(bodies)
    with _commit:
        state = _files.setdefault(key, _Commits())
        state.queue.append(pending)
        while not pending.done:
            if state.writing:
                _commit.wait()
                continue
            batch, state.queue = state.queue, []
            state.writing = True
            _commit.release()
            try:
                write_batch([body for p in batch for body in p.bodies])
            except BaseException as err:  # noqa: BLE001 - given to every record it carried
                for queued in batch:
                    queued.error = err
            finally:
                _commit.acquire()
                for queued in batch:
                    queued.done = True
                state.writing = False
                _commit.notify_all()
    if pending.error is not None:
        raise pending.error
