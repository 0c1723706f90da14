"""The sandbox for the benchmarks: `revoke sandbox serve`, plus counting and a rate limit.

    python benchmarks/sandbox_server.py --latency-ms 50

prints one JSON line (endpoint URL and root credentials), then serves until stdin closes.
It runs the project's Sandbox (moto behind the fidelity layer, `--latency-ms` and
`--throttle-rate` as in `revoke sandbox serve`) with a thin WSGI wrapper in front that

- counts every request by API action, and how many were throttled, so the benchmark
  reports the calls each contender made as the server saw them (retries included);
- optionally enforces a sustained rate limit: a token bucket (`rate` tokens a second,
  one second of burst) answering `Throttling: Rate exceeded` (HTTP 400, AWS-FACTS fact
  19) after the configured latency, the way IAM throttles an account;
- answers `/__bench__/stats`, `/__bench__/reset` and `/__bench__/config` (JSON body
  with any of `latency_ms`, `throttle_rate`, `rate_limit`) to the benchmark driver.

Benchmark code, not product code: it reaches into the Sandbox's server object to put the
wrapper in front, and says so clearly if that ever moves.
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs

THROTTLE_BODY = (
    b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
    b"<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    b"<RequestId>bench-rate-limit</RequestId></ErrorResponse>"
)


class TokenBucket:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate  # one second of burst
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class Bench:
    """WSGI middleware: count, rate-limit, and answer the driver's control requests."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.layer = sandbox.layer
        self.app = self.layer
        self.lock = threading.Lock()
        self.actions: Counter[str] = Counter()
        self.throttled = 0
        self.bucket: TokenBucket | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__bench__/"):
            return self.control(path, environ, start_response)
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        action = (parse_qs(body.decode("utf-8", "replace")).get("Action") or ["?"])[0]
        with self.lock:
            self.actions[action] += 1
            bucket = self.bucket
        if bucket is not None and not bucket.take():
            time.sleep(self.layer.latency_ms / 1000)
            with self.lock:
                self.throttled += 1
            start_response(
                "400 Bad Request",
                [("Content-Type", "text/xml"), ("Content-Length", str(len(THROTTLE_BODY)))],
            )
            return [THROTTLE_BODY]

        seen: dict[str, str] = {}

        def remember(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen["status"] = status
            return start_response(status, headers, exc_info)

        chunks = list(self.app(environ, remember))
        # The layer's own --throttle-rate answers are 400 Throttling as well.
        if seen.get("status", "").startswith("400") and b"<Code>Throttling<" in b"".join(chunks):
            with self.lock:
                self.throttled += 1
        return chunks

    def control(self, path: str, environ: dict[str, Any], start_response: Any) -> Any:
        if path == "/__bench__/config":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            config = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if "latency_ms" in config:
                self.layer.latency_ms = int(config["latency_ms"])
            if "throttle_rate" in config:
                self.layer.throttle_rate = float(config["throttle_rate"])
            if "rate_limit" in config:
                rate = config["rate_limit"]
                with self.lock:
                    self.bucket = TokenBucket(float(rate)) if rate else None
        with self.lock:
            payload = {
                "requests": sum(self.actions.values()),
                "throttled": self.throttled,
                "actions": dict(self.actions),
                "latency_ms": self.layer.latency_ms,
                "throttle_rate": self.layer.throttle_rate,
                "rate_limit": self.bucket.rate if self.bucket else None,
            }
            if path == "/__bench__/reset":  # the counts so far, then from zero
                self.actions.clear()
                self.throttled = 0
        body = json.dumps(payload).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--throttle-rate", type=float, default=0.0)
    args = parser.parse_args()

    from revoke.sandbox import Sandbox

    sandbox = Sandbox(port=args.port, latency_ms=args.latency_ms, throttle_rate=args.throttle_rate)
    sandbox.start()
    server = getattr(sandbox, "_server", None)
    if server is None or not hasattr(server, "app") or sandbox.layer is None:
        sys.exit("benchmarks/sandbox_server.py: the Sandbox no longer exposes its WSGI server")
    server.app = Bench(sandbox)
    print(
        json.dumps(
            {
                "endpoint_url": sandbox.endpoint_url,
                "account": sandbox.account_id,
                **sandbox.root_credentials,
            }
        ),
        flush=True,
    )
    try:
        sys.stdin.read()  # until the driver closes our stdin (or dies)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
