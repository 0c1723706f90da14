"""Progress of long runs, for people, on stderr only (stdout stays one JSON object).

On a terminal: a bar (rich, imported only then). Elsewhere (CI logs, `2> file`): for runs
of at least LINES_FROM targets, one line each time another tenth is done, so a log shows
that a 5,000-user run is moving without 5,000 lines. Short runs print nothing extra.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

LINES_FROM = 50  # targets: below this a run is quick enough to need no progress at all


class Progress:
    def __init__(
        self,
        label: str,
        total: int,
        *,
        stream: TextIO | None = None,
        isatty: bool | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.isatty = self.stream.isatty() if isatty is None else isatty
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None
        self._next_line = max(1, total // 10)

    def __enter__(self) -> Progress:
        if self.isatty and self.total > 1:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def advance(self, _result: object = None) -> None:
        """One more target done; safe to call from the worker threads."""
        with self._lock:
            self.done += 1
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done)
            elif self.total >= LINES_FROM and (
                self.done >= self._next_line or self.done == self.total
            ):
                percent = 100 * self.done // self.total
                self.stream.write(f"{self.label}: {self.done}/{self.total} ({percent}%)\n")
                self.stream.flush()
                self._next_line = self.done + max(1, self.total // 10)
