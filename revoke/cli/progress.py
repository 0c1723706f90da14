"""Progress of long runs, for people, on stderr only (stdout stays one JSON object).

On a terminal: one line per phase (planning, writing, verifying, reading), redrawn in place
(rich, imported only then): the phase, a bar, done/total, elapsed time, rate and ETA. Until
the first target of a phase is done (a bulk read that comes first, a count not known yet)
the bar pulses and the clock runs: a run is never shown frozen. The line is at most
about 70 characters, so an 80-column terminal never wraps it, and it goes away when the
run ends (the summary line stays).

Elsewhere (CI logs, `2> file`): for phases of at least LINES_FROM targets, one line each
time another tenth is done, so a log shows that a 5,000-user run is moving without 5,000
lines; no times, so a log reads the same every run. Short runs print nothing extra.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

LINES_FROM = 50  # targets: below this a run is quick enough to need no progress at all
BAR_WIDTH = 16  # characters: with the counts and the three times, the line fits 80 columns


def _rate_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Targets a second, over rich's recent samples ("" until there are some)."""

        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            if not speed:
                return Text("", style="progress.data.speed")
            shown = f"{speed:.0f}/s" if speed >= 10 else f"{speed:.1f}/s"
            return Text(shown, style="progress.data.speed")

    return RateColumn()


class Progress:
    def __init__(
        self,
        label: str,
        total: int | None,
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
        self._next_line = self._first_line(total)

    @staticmethod
    def _first_line(total: int | None) -> int:
        return max(1, (total or 0) // 10)

    def _wanted(self, total: int | None) -> bool:
        return self.isatty and (total is None or total > 1)

    def __enter__(self) -> Progress:
        if self.isatty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=BAR_WIDTH),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                _rate_column(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._bar.start()
            # Pulsing (no total) until the first target is done: see the module's docstring.
            self._task = self._bar.add_task(self.label, total=None, visible=False)
            self._show()
        return self

    def _show(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, visible=self._wanted(self.total))

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def phase(self, label: str, total: int | None = None) -> None:
        """The next phase of the same run (planning -> writing -> verifying): its own
        label, count and clock. `total` None: not known yet (the bar pulses)."""
        with self._lock:
            self.label, self.total, self.done = label, total, 0
            self._next_line = self._first_line(total)
            if self._bar is not None:  # a task of its own: its clock, and no total yet
                self._bar.remove_task(self._task)
                self._task = self._bar.add_task(label, total=None, visible=False)
                self._show()

    def advance(self, _result: object = None) -> None:
        """One more target done; safe to call from the worker threads."""
        self.add(1)

    def add(self, count: int) -> None:
        """`count` more done (a page of a listing)."""
        with self._lock:
            self.done += count
            if self._bar is not None:
                self._bar.update(self._task, total=self.total, completed=self.done)
            elif (
                not self.isatty
                and self.total
                and self.total >= LINES_FROM
                and (self.done >= self._next_line or self.done == self.total)
            ):
                percent = 100 * self.done // self.total
                self.stream.write(f"{self.label}: {self.done}/{self.total} ({percent}%)\n")
                self.stream.flush()
                self._next_line = self.done + max(1, self.total // 10)
