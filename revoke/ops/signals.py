"""Stop a run on SIGINT, SIGTERM or SIGHUP without losing what is in flight.

A run that changes principals must not die between an IAM write and its journal record.
So while it writes, these signals do not raise anywhere: the handler sets a `RunStop`,
the workflow stops dispatching new targets, the calls in flight finish and are
journalled, the summary and the JSON are printed, and the command exits 130 (SIGINT),
143 (SIGTERM) or 129 (SIGHUP), as a shell reports a process stopped by that signal.

A second signal while the first waits: leave now, with 128 + its number. Nothing is
lost for good: every write has its `intent` record on disk before it is made
(revoke.ops.containment), and the next run, or `revoke journal reconcile`, journals
what AWS shows for it.

Handlers are installed only in the main thread (Python allows no other), and the
previous ones are put back when the run ends.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from revoke.errors import ExitCode

SIGNAL_EXIT = {
    signal.SIGINT: ExitCode.INTERRUPTED,
    signal.SIGTERM: ExitCode.TERMINATED,
}
if hasattr(signal, "SIGHUP"):  # pragma: no branch - POSIX
    SIGNAL_EXIT[signal.SIGHUP] = ExitCode.HANGUP


class RunStop:
    """Why a run stopped dispatching new targets: a signal, or a journal that failed.

    The first reason wins; setting it is safe from a signal handler and from any thread.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.signum: int | None = None
        self.reason: str | None = None

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self, reason: str, signum: int | None = None) -> None:
        if self._lock.acquire(blocking=False):  # a signal never waits on a worker's lock
            try:
                if self.reason is None:
                    self.reason, self.signum = reason, signum
            finally:
                self._lock.release()
        elif self.reason is None:  # pragma: no cover - a handler racing a worker
            self.reason, self.signum = reason, signum
        self._event.set()

    @property
    def exit_code(self) -> ExitCode | None:
        return SIGNAL_EXIT.get(signal.Signals(self.signum)) if self.signum else None


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:  # pragma: no cover
        return f"signal {signum}"


@contextmanager
def stop_on_signals(stop: RunStop) -> Iterator[RunStop]:
    """Within the block, SIGINT/SIGTERM/SIGHUP set `stop` instead of killing the run."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous: dict[signal.Signals, object] = {}

    def handle(signum: int, _frame: object) -> None:
        name = signal_name(signum)
        if stop.signum is not None:
            _write_stderr(
                f"revoke: {name} again: stopping now, without waiting for the calls in "
                "flight; their intents are journalled: run `revoke journal reconcile`\n"
            )
            os._exit(128 + signum)
        stop.set(f"interrupted by {name}", signum)
        _write_stderr(
            f"revoke: interrupted by {name}: starting no new target; finishing and "
            "journalling the calls in flight (send it again to stop at once)\n"
        )

    for signum in SIGNAL_EXIT:
        try:
            previous[signum] = signal.signal(signum, handle)
        except (OSError, ValueError):  # pragma: no cover - an embedding that forbids it
            continue
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def _write_stderr(text: str) -> None:
    # sys.stderr (what the command's other lines go through, and what tests capture);
    # if the signal landed while the main thread was writing to it, the file descriptor.
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
        return
    except (RuntimeError, OSError, ValueError):  # pragma: no cover - reentrant or closed
        pass
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:  # pragma: no cover - a closed stderr
        pass
