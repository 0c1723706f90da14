"""The run's deadline (`--timeout SECONDS`): no AWS request, retry or credential_process
starts after it, and none of them waits longer than what is left of it.

Kept apart from revoke.aws.session (no boto3 here) so the command line can start the
deadline as it parses the global options without paying for importing boto3.
Monotonic clock: a wall-clock step (NTP, a laptop waking up) neither ends nor extends it.
"""

from __future__ import annotations

import time

from revoke.errors import AwsFailure


class DeadlinePassed(AwsFailure):
    """The run's --timeout passed before AWS answered."""


class Deadline:
    def __init__(self, seconds: float, *, clock: object = time.monotonic) -> None:
        if not seconds > 0:
            raise ValueError("a deadline needs a positive number of seconds")
        self.seconds = seconds
        self._clock = clock
        self._ends = self._now() + seconds

    def _now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    def left(self) -> float:
        return max(0.0, self._ends - self._now())

    def passed(self) -> bool:
        return self.left() <= 0

    def error(self, what: str) -> DeadlinePassed:
        return DeadlinePassed(
            f"{what}: no answer within the run's --timeout of {self.seconds:g} s; stopped waiting",
            code="Timeout",
            hint="check --endpoint-url / AWS_ENDPOINT_URL and the network, or give the run "
            "more time with a larger --timeout",
        )

    def check(self, what: str) -> None:
        if self.passed():
            raise self.error(what)


_run_deadline: Deadline | None = None


def start_run(seconds: float | None) -> Deadline | None:
    """Start (or, with None, clear) the deadline every AWS session of this run shares."""
    global _run_deadline
    _run_deadline = Deadline(seconds) if seconds else None
    return _run_deadline


def run_deadline() -> Deadline | None:
    return _run_deadline
