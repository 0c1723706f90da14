"""The sandbox's clock: real time plus an offset that tests can push forward.

Issue times (aws:TokenIssueTime), expiry (fact 5) and the aws:CurrentTime context key
all read this clock, so a test can "wait" twelve hours in a microsecond with
`sandbox.clock.advance(12 * 3600)`. Clients still sign requests with their own wall
clock; that is why the sandbox does not check SigV4 request-time skew.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class SandboxClock:
    """Wall-clock UTC time shifted by a thread-safe, only-forward offset."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The sandbox's current time, an aware UTC datetime."""
        with self._lock:
            offset = self._offset
        return datetime.now(timezone.utc) + offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward. Backwards would let expired tokens live again."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset
