"""LookupEvents' rate limit kept from the first call: a token bucket (`TokenBucket`) at
2 requests a second per account and region, one bucket a place (`Limiters`). Why not
revoke.aws.ratelimit.AdaptiveRateLimiter: see the package docstring."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

LOOKUP_RATE = 2.0  # requests a second, per account and region


class TokenBucket:
    """`rate` requests a second, at most `burst` at once; `acquire` waits for a token.

    The clock and sleep are injected: tests and the benchmark run on a fake clock, and the
    seconds a run would have waited are counted in `waited`."""

    def __init__(
        self,
        rate: float = LOOKUP_RATE,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()
        self.acquired = 0
        self.waited = 0.0

    def acquire(self) -> float:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
            self.acquired += 1
            self.waited += wait
        if wait > 0:
            self._sleep(wait)
        return wait


class Limiters:
    """One bucket per (account, region), made on first use; shared by every lookup."""

    def __init__(self, make: Callable[[], TokenBucket] = TokenBucket) -> None:
        self._make = make
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, account: str, region: str) -> TokenBucket:
        with self._lock:
            found = self._buckets.get((account, region))
            if found is None:
                found = self._buckets[(account, region)] = self._make()
            return found

    def buckets(self) -> dict[tuple[str, str], TokenBucket]:
        with self._lock:
            return dict(self._buckets)
