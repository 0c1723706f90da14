"""Tracing a credential against the LookupEvents floor, side by side (issue 16, item 6).

    python benchmarks/bench_trace.py [--events 5000] [--regions 17] [--latency-ms 300]

A credential with `--events` management events spread over `--regions` regions; the
source is revoke's own LookupEventsSource over a fake CloudTrail that pages as
LookupEvents does (50 events a page) and takes `--latency-ms` per call, behind revoke's
token buckets at the documented floor of two requests a second per account and region
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
Time is simulated: every bucket and every call runs on a fake clock (nothing sleeps), so
the script takes a second and reports what the run would take against AWS:

  (a) revoke: every region at once, one bucket per region (each region on its own clock;
      the run takes as long as the slowest region);
  (b) a sequential loop over the regions, as a script calling `aws cloudtrail
      lookup-events --region R` per region would (one clock for all).

Both read every page; the floor is pages-per-region x max(latency, 0.5 s).
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from revoke.aws.trail_sources import PAGE_SIZE, Limiters, LookupEventsSource, TokenBucket
from revoke.core.trace import Lookup

KEY = "AKIAIOSFODNN7EXAMPLE"
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1",
]  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeTrail:
    """One region's events, paged 50 at a time; each call costs `latency` on `clock`."""

    def __init__(self, region: str, count: int, clock: Clock, latency: float) -> None:
        self.region, self.count, self.clock, self.latency = region, count, clock, latency
        self.calls = 0

    def lookup_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        self.clock.now += self.latency
        start = int(kwargs.get("NextToken") or 0)
        end = min(self.count, start + PAGE_SIZE)
        events = [
            {
                "EventId": f"{self.region}-{n}",
                "CloudTrailEvent": json.dumps(
                    {
                        "eventName": "GetObject" if n % 2 else "DescribeInstances",
                        "eventID": f"{self.region}-{n}",
                        "awsRegion": self.region,
                        "userIdentity": {"accessKeyId": KEY},
                    }
                ),
            }
            for n in range(start, end)
        ]
        return {"Events": events, **({"NextToken": str(end)} if end < self.count else {})}


class Account:
    def __init__(self, counts: dict[str, int], clocks: dict[str, Clock], latency: float) -> None:
        self.trails = {r: FakeTrail(r, counts[r], clocks[r], latency) for r in counts}

    def client(self, service: str, *, region: str, attempts: int) -> FakeTrail:
        return self.trails[region]


class RegionLimiters(Limiters):
    def __init__(self, clocks: dict[str, Clock]) -> None:
        super().__init__()
        self.clocks = clocks

    def bucket(self, account: str, region: str) -> TokenBucket:
        with self._lock:
            found = self._buckets.get((account, region))
            if found is None:
                clock = self.clocks[region]
                found = self._buckets[(account, region)] = TokenBucket(
                    clock=clock, sleep=clock.sleep
                )
            return found


def run(counts: dict[str, int], latency: float, *, parallel: bool) -> dict[str, Any]:
    shared = Clock()
    clocks = {r: (Clock() if parallel else shared) for r in counts}
    account = Account(counts, clocks, latency)
    source = LookupEventsSource(
        lambda _: account,
        home_account="111122223333",
        regions=list(counts),
        limiters=RegionLimiters(clocks),
        workers=len(counts) if parallel else 1,
    )
    answer = source.query([Lookup("AccessKeyId", KEY)])
    seconds = max(c.now for c in clocks.values())
    calls = sum(t.calls for t in account.trails.values())
    return {"seconds": seconds, "calls": calls, "events": len(answer.records)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--regions", type=int, default=17, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--latency-ms", type=float, default=300.0)
    args = parser.parse_args()
    regions = REGIONS[: args.regions]
    base, extra = divmod(args.events, len(regions))
    counts = {r: base + (1 if i < extra else 0) for i, r in enumerate(regions)}
    latency = args.latency_ms / 1000
    pages = max(math.ceil(c / PAGE_SIZE) for c in counts.values())
    floor = latency + (pages - 1) * max(latency, 1 / 2.0)
    rows = [
        ("revoke trace (all regions at once)", run(counts, latency, parallel=True)),
        ("sequential region loop", run(counts, latency, parallel=False)),
    ]
    print(
        f"{args.events:,} events over {len(regions)} regions, {args.latency_ms:g} ms a call, "
        f"LookupEvents floor 2 requests/s per region (simulated time)\n"
    )
    print(f"| {'contender':<36} | {'calls':>5} | {'events':>6} | {'simulated':>10} | vs floor |")
    print(f"|{'-' * 38}|{'-' * 7}|{'-' * 8}|{'-' * 12}|{'-' * 10}|")
    for name, found in rows:
        print(
            f"| {name:<36} | {found['calls']:>5} | {found['events']:>6} | "
            f"{found['seconds']:>8.1f} s | {found['seconds'] / floor:>7.1f}x |"
        )
    print(f"\nfloor: {pages} pages in the fullest region x max(latency, 0.5 s) = {floor:.1f} s")
    ratio = rows[1][1]["seconds"] / rows[0][1]["seconds"]
    print(f"revoke is {ratio:.1f}x faster than the sequential loop")


if __name__ == "__main__":
    main()
