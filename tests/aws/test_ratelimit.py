"""The adaptive IAM rate limiter (revoke.aws.ratelimit), on a fake clock: it backs off when
IAM throttles, recovers when it stops, and does not crawl on throttling it cannot cure."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from revoke.aws.ratelimit import AdaptiveRateLimiter, is_throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def limiter(clock: FakeClock, **kwargs: Any) -> AdaptiveRateLimiter:
    return AdaptiveRateLimiter(clock=clock, sleep=clock.sleep, **kwargs)


def window(lim: AdaptiveRateLimiter, clock: FakeClock, answers: int, throttles: int) -> None:
    """`answers` answers spread over one second, `throttles` of them throttles."""
    for i in range(answers):
        clock.now += 1.0 / answers
        lim.record(throttled=i < throttles)


def test_no_pacing_until_iam_throttles() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    window(lim, clock, 200, 0)
    assert lim.rate is None
    assert [lim.acquire() for _ in range(50)] == [0.0] * 50
    assert clock.now == pytest.approx(1.0)  # nobody waited


def test_throttling_paces_just_under_the_rate_iam_accepted() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    window(lim, clock, 100, 40)  # 60 accepted in one second
    assert lim.rate == pytest.approx(0.9 * 60)
    start = clock.now
    for _ in range(54):
        lim.acquire()
    assert clock.now - start == pytest.approx(53 / 54)  # 54 requests took a second


def test_recovers_when_throttling_stops() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    window(lim, clock, 100, 40)
    cut = lim.rate
    assert cut is not None
    rates = []
    for _ in range(8):
        window(lim, clock, int(lim.rate or 0) + 1, 0)
        rates.append(lim.rate or 0.0)
    assert rates == sorted(rates) and rates[-1] > 60  # back above the old ceiling, probing
    assert rates[0] == pytest.approx(cut * 1.05)  # slowly while under the ceiling


def test_never_slower_than_the_minimum_rate() -> None:
    clock = FakeClock()
    lim = limiter(clock, min_rate=2.0)
    for _ in range(5):
        window(lim, clock, 20, 20)  # everything throttled: nothing accepted
    assert lim.rate == 2.0


def test_slots_are_handed_out_once_each_across_threads() -> None:
    clock = FakeClock()
    waits: list[float] = []
    lim = AdaptiveRateLimiter(clock=clock, sleep=waits.append)
    window(lim, clock, 100, 40)
    rate = lim.rate
    assert rate is not None
    clock.now = 100.0  # frozen from here: waits show the slot each caller got
    lim._next_slot = clock.now  # noqa: SLF001 - start the schedule at the frozen time

    def worker() -> None:
        for _ in range(100):
            lim.acquire()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots = sorted(round(w * rate) for w in waits if w > 0)
    assert slots == list(range(1, 800))  # 800 callers, 800 distinct slots, one at 0


def test_counts_are_exact_under_concurrency() -> None:
    lim = AdaptiveRateLimiter()

    def worker() -> None:
        for i in range(1000):
            lim.record(throttled=i % 10 == 0)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (lim.responses, lim.throttles) == (8000, 800)


# -- closed-loop simulations: a sender as fast as the limiter allows, against a server -----


def simulate(server: Callable[[float], bool], *, requests: int, capacity: float) -> Any:
    """Send `requests` successful requests; each attempt costs 1/capacity seconds (what
    concurrency and latency allow); a throttled attempt is sent again."""
    clock = FakeClock()
    lim = limiter(clock)
    done = attempts = 0
    while done < requests:
        lim.acquire()
        clock.now += 1.0 / capacity
        attempts += 1
        throttled = server(clock.now)
        lim.record(throttled=throttled)
        done += not throttled
    return SimpleNamespace(seconds=clock.now, attempts=attempts, limiter=lim)


def token_bucket(rate: float, burst: float) -> Callable[[float], bool]:
    state = {"tokens": burst, "at": 0.0}

    def throttled(now: float) -> bool:
        state["tokens"] = min(burst, state["tokens"] + (now - state["at"]) * rate)
        state["at"] = now
        if state["tokens"] >= 1:
            state["tokens"] -= 1
            return False
        return True

    return throttled


@pytest.mark.parametrize(("rate", "burst"), [(50, 50), (20, 40), (100, 10), (5, 5)])
def test_finishes_near_the_rate_limit_of_the_endpoint(rate: float, burst: float) -> None:
    run = simulate(token_bucket(rate, burst), requests=2000, capacity=160)
    floor = 2000 / rate
    assert run.seconds <= 1.15 * floor
    assert run.attempts - 2000 <= 2000 / 6  # throttles stay rare once paced


def test_without_the_limiter_the_same_endpoint_throttles_most_attempts() -> None:
    """The baseline the test above improves on: unpaced, most attempts are throttled (and
    each throttle costs a retry backoff of a second or more in botocore)."""
    server = token_bucket(50, 50)
    clock = FakeClock()
    attempts = done = 0
    while done < 2000:
        clock.now += 1 / 160
        attempts += 1
        done += not server(clock.now)
    assert attempts - 2000 > 2000


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5])
def test_throttling_that_slowing_down_does_not_cure_is_left_to_retries(share: float) -> None:
    rng = random.Random(7)
    run = simulate(lambda _now: rng.random() < share, requests=2000, capacity=160)
    floor = 2000 / (160 * (1 - share))
    assert run.limiter.reverts >= 1
    assert run.limiter.rate is None  # unpaced again
    assert run.seconds <= 1.4 * floor


# -- wiring into botocore -------------------------------------------------------------------


def test_is_throttle_reads_botocore_answers() -> None:
    ok = SimpleNamespace(status_code=200)
    bad = SimpleNamespace(status_code=400)
    assert is_throttle((bad, {"Error": {"Code": "Throttling"}})) is True
    assert is_throttle((SimpleNamespace(status_code=429), {})) is True
    assert is_throttle((ok, {"ResponseMetadata": {}})) is False
    # IAM's LimitExceeded is the size quota (fact 17): slowing down does not cure it.
    assert (
        is_throttle((SimpleNamespace(status_code=409), {"Error": {"Code": "LimitExceeded"}}))
        is False
    )
    assert is_throttle(None) is None  # no answer at all (connection error)


THROTTLE = (
    b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender'
    b"</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    b"<RequestId>1</RequestId></ErrorResponse>"
)
USERS = (
    b'<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult>'
    b"<Users/><IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata>"
    b"<RequestId>2</RequestId></ResponseMetadata></ListUsersResponse>"
)


@pytest.fixture
def throttling_endpoint() -> Iterator[str]:
    """An IAM endpoint that throttles the first two requests, then answers."""
    answered = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answered["count"] += 1
            body = THROTTLE if answered["count"] <= 2 else USERS
            self.send_response(400 if body is THROTTLE else 200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_every_iam_client_of_a_session_feeds_one_limiter(
    throttling_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.retries import standard

    from revoke.aws.session import AwsSession

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.0)
    session = AwsSession(region="us-east-1", endpoint_url=throttling_endpoint)
    session.client("iam").list_users()  # two throttles, retried by botocore, then an answer
    assert (session.iam_limiter.responses, session.iam_limiter.throttles) == (3, 2)
    session.client("iam", attempts=10).list_users()  # the writer client: same limiter
    assert session.iam_limiter.responses == 4
