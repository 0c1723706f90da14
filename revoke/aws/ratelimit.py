"""Client-side pacing of one account's IAM calls, adapting to IAM's throttling (fact 19).

IAM throttles per account (`Throttling: Rate exceeded`, HTTP 400), console and CLI
traffic included, and the limits cannot be raised. botocore's `standard` retries absorb a
burst, but a bulk run that keeps sending faster than IAM accepts spends its time in retry
backoff (base 1 s for a throttle, doubling) and, once a call runs out of attempts, fails a
target. The limiter keeps the whole session just under the rate IAM accepts:

- it does not pace at all until IAM throttles (most runs never see a throttle);
- on a window with throttles it paces every IAM call of the session (retries included) at
  `headroom` x the rate of successful responses in that window: what IAM just accepted;
- it probes upward after every window with at most one throttle: slowly up to that
  ceiling, then faster beyond it, until throttling returns;
- throttling that does not respond to slowing down (two cuts under the accepted rate, and
  still half the share of throttles: a fault, or another tool's load) is left to retries:
  the limiter restores the rate it had and tolerates that share of throttles, instead of
  slowing the run to a crawl.

Why not botocore's `retry_mode="adaptive"` (botocore/retries/adaptive.py): it is the same
idea (a token bucket driven by a CUBIC rate calculator), but it cuts to 0.7 x the measured
send rate on *every* throttled response, with no notion of a window, so a burst of
throttles from concurrent workers compounds the cut (0.7^8 after eight in-flight
throttles), and it keeps cutting on throttling that no rate would avoid; its bucket is per
client, and we make one IAM client per retry budget. Measured side by side in
benchmarks/README.md ("Throttling").

Thread-safe: one limiter is shared by every IAM client of an AwsSession (one account).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The error codes botocore's standard mode treats as throttling that an IAM endpoint can
# send (botocore/retries/standard.py ThrottledRetryableChecker), plus HTTP 429. Not IAM's
# `LimitExceeded`: that is the policy size quota (fact 17), which no pacing cures.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    }
)


def is_throttle(response: Any) -> bool | None:
    """From botocore's `needs-retry` `response` argument (http_response, parsed): True for a
    throttle, False for any other answer, None when there is no answer (connection error)."""
    if not response:
        return None
    http_response, parsed = response
    code = (parsed or {}).get("Error", {}).get("Code") if isinstance(parsed, dict) else None
    if code in THROTTLING_CODES:
        return True
    return getattr(http_response, "status_code", None) == 429


@dataclass
class _Episode:
    """A run of windows with throttles: how it began, and what followed our cuts."""

    rate_before: float | None  # the limiter's rate before the first cut (None: unpaced)
    send_rate: float  # answers per second in the first throttled window
    fraction: float  # the share of throttles in that window
    answers: int  # how many answers that share is measured over
    cuts: int = 0
    answers_since: int = 0  # after the first window, summed (one window is noisy)
    throttles_since: int = 0
    quiet: int = 0  # windows in a row with at most one throttle; three end the episode


class AdaptiveRateLimiter:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: float = 1.0,
        min_samples: int = 10,
        min_rate: float = 1.0,
        headroom: float = 0.9,
        approach: float = 1.05,
        probe: float = 1.25,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._window = window
        self._min_samples = min_samples
        self._min_rate = min_rate
        self._headroom = headroom
        self._approach = approach
        self._probe = probe
        self._lock = threading.Lock()
        # Requests per second, or None: not pacing (no throttle seen, or forgiven).
        self.rate: float | None = None
        self.ceiling: float | None = None  # successful responses/s when IAM last throttled
        self.tolerated = 0.0  # share of throttles shown not to depend on our rate
        self._next_slot = 0.0
        self._window_start = clock()
        self._responses = 0
        self._throttles = 0
        self._episode: _Episode | None = None
        self._clean_windows = 0
        # Counters for reports and tests.
        self.throttles = 0
        self.responses = 0
        self.cuts = 0
        self.reverts = 0
        self.waited = 0.0

    # -- the two hooks ----------------------------------------------------------------------

    def acquire(self) -> float:
        """Wait for this request's slot; the seconds waited."""
        with self._lock:
            if self.rate is None:
                return 0.0
            now = self._clock()
            slot = max(self._next_slot, now)
            self._next_slot = slot + 1.0 / self.rate
            wait = slot - now
            self.waited += wait
        if wait > 0:
            self._sleep(wait)
        return wait

    def record(self, *, throttled: bool) -> None:
        """One answer from IAM (each attempt, retries included)."""
        with self._lock:
            now = self._clock()
            self.responses += 1
            self._responses += 1
            if throttled:
                self.throttles += 1
                self._throttles += 1
            elapsed = now - self._window_start
            if elapsed < self._window:
                return
            if self._responses < self._min_samples and elapsed < 5 * self._window:
                return  # too few answers to judge yet (slow pace): widen the window
            self._close_window(now, elapsed)

    # -- botocore event handlers -------------------------------------------------------------

    def before_send(self, **_kwargs: Any) -> None:
        self.acquire()

    def after_attempt(self, response: Any = None, **_kwargs: Any) -> None:
        throttled = is_throttle(response)
        if throttled is not None:
            self.record(throttled=throttled)

    def attach(self, client: Any) -> None:
        """Pace every IAM request of `client` and learn from every answer.

        `before-send` fires for each attempt, retries included; `needs-retry` after each
        answer. Both handlers return None, so botocore's own retry handler decides retries.
        """
        events = client.meta.events
        events.register("before-send.iam", self.before_send, unique_id=f"revoke-rl-send-{id(self)}")
        events.register(
            "needs-retry.iam", self.after_attempt, unique_id=f"revoke-rl-answer-{id(self)}"
        )

    # -- the control rule ---------------------------------------------------------------------

    def _close_window(self, now: float, elapsed: float) -> None:
        answers, throttles = self._responses, self._throttles
        self._responses = self._throttles = 0
        self._window_start = now
        send_rate = answers / elapsed
        episode = self._episode
        if episode is not None:
            episode.answers_since += answers
            episode.throttles_since += throttles
        if throttles < 2:  # one throttle says little about our pace: the retry absorbs it
            if episode is not None:
                episode.quiet += 1
                if episode.quiet >= 3:
                    self._episode = None
            self._clean_windows += 1
            if self._clean_windows >= 5:
                self.tolerated = 0.0  # what throttled regardless of our rate has stopped
            if self.rate is not None:
                near = self.ceiling is not None and self.rate < self.ceiling
                grown = self.rate * (self._approach if near else self._probe)
                # Not beyond twice what we actually send: when concurrency, not the limiter,
                # sets the pace, an ever-growing rate would mean nothing.
                self.rate = min(grown, max(2 * send_rate, self.rate, self._min_rate))
            return
        self._clean_windows = 0
        fraction = throttles / answers
        if fraction <= self.tolerated:
            return
        if episode is None:
            episode = self._episode = _Episode(self.rate, send_rate, fraction, answers)
        else:
            episode.quiet = 0
            if self._independent_of_rate(episode, fraction):
                self.rate = episode.rate_before
                later = episode.throttles_since / episode.answers_since
                self.tolerated = min(0.9, max(later, episode.fraction) * 1.5)
                self._episode = None
                self.reverts += 1
                return
        goodput = (answers - throttles) / elapsed
        self.ceiling = max(goodput, self._min_rate)
        cut = max(self._min_rate, self._headroom * self.ceiling)
        if self.rate is None:
            self._next_slot = now
        else:
            cut = max(self._min_rate, min(cut, self.rate * self._headroom))
        self.rate = cut
        episode.cuts += 1
        self.cuts += 1

    @staticmethod
    def _independent_of_rate(episode: _Episode, fraction: float) -> bool:
        """Two cuts under the rate IAM accepted, and it still throttles half as large a
        share as before them, in this window and all since: slowing down is not what it
        asks for. (Against a rate limit, a cut under the accepted rate ends the throttling;
        a second cut covers a first window inflated by the endpoint's burst allowance.)"""
        if episode.cuts < 2:
            return False
        # The first share, less two standard errors: a first window that was throttled more
        # than usual by chance must not make the throttling look like it responded.
        first = episode.fraction
        first -= 2 * math.sqrt(first * (1 - first) / max(1, episode.answers))
        later = episode.throttles_since / max(1, episode.answers_since)
        return min(later, fraction) >= 0.5 * max(first, 0.0)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rate": None if self.rate is None else round(self.rate, 2),
                "ceiling": None if self.ceiling is None else round(self.ceiling, 2),
                "tolerated": round(self.tolerated, 3),
                "responses": self.responses,
                "throttles": self.throttles,
                "cuts": self.cuts,
                "reverts": self.reverts,
                "waited_seconds": round(self.waited, 3),
            }
