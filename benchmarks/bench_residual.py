"""`revoke residual --all` beside the per-user loop (issue 15, item 5).

    python benchmarks/bench_residual.py [--users 500] [--latency-ms 20] [--repeat 3]

In-process moto (`mock_aws`), N users each holding an access key, a console password and
a service-specific credential, and two ways to answer "what is still open for every user":

  (a) bulk: revoke.ops.residual.account_report: the credential report, service-specific
      credentials with AllUsers, GetAccountAuthorizationDetails, and the account's AWS
      Sign-In sessions: a handful of paged calls for the whole account;
  (b) per user, one at a time: ListUsers, then every read of `revoke residual user NAME`
      for each user (revoke.ops.residual.per_user_account_report with one worker);
  (c) per user, 8 at a time (the same, with 8 workers).

Requests are counted at botocore's `before-send` (every attempt that would leave the
machine), and `--latency-ms` is added to each, as a network round trip would be. moto
5.2.5 has no ListServiceSpecificCredentials and no AWS Sign-In: those two reads are
answered in memory here, counted as one request each and given the same latency. Times
are wall-clock medians of `--repeat` runs of the workflow in this process (not a process
start); the bulk path does not read SSH keys or MFA enable dates (no account-wide source
lists them), which the per-user loop does: its count includes them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Counter:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.requests = 0

    def hit(self, **_: Any) -> None:
        self.requests += 1
        if self.latency:
            time.sleep(self.latency)


def _fake_missing_reads(counter: Counter, users: list[str]) -> None:
    """Service-specific credentials and sign-in sessions, which moto lacks: one request
    per call, as AWS would answer them."""
    from revoke.aws.credentials import CredentialReader

    def service_credentials(
        self: CredentialReader, user: str | None = None, *, all_users: bool = False
    ) -> list[dict[str, Any]]:
        counter.hit()
        names = users if all_users else [str(user)]
        return [
            {"id": f"ACCA{n}", "user": n, "service": "codecommit.amazonaws.com", "status": "Active"}
            for n in names
        ]

    def signin_sessions(self: CredentialReader, principal_arn: str) -> list[dict[str, Any]]:
        counter.hit()
        return []

    CredentialReader.service_credentials = service_credentials  # type: ignore[method-assign]
    CredentialReader.signin_sessions = signin_sessions  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import os

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "benchmark-not-a-secret")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import boto3
    from moto import mock_aws

    from revoke.aws.session import AwsSession
    from revoke.ops.context import RunContext
    from revoke.ops.residual import account_report, per_user_account_report

    names = [f"user{n:05d}" for n in range(args.users)]
    counter = Counter(args.latency_ms / 1000.0)
    _fake_missing_reads(counter, names)
    ctx = RunContext()

    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        for name in names:
            iam.create_user(UserName=name)
            iam.create_access_key(UserName=name)
            iam.create_login_profile(UserName=name, Password="Correct-Horse-9!")

        def session() -> AwsSession:
            made = AwsSession()
            made.boto.events.register_first("before-send.iam", counter.hit)
            made.boto.events.register_first("before-send.sts", counter.hit)
            return made

        def bulk() -> int:
            report = account_report(ctx, session())
            return report.open

        def loop(workers: int) -> int:
            reports = per_user_account_report(ctx, session(), workers=workers)
            return sum(len(r.open) for r in reports)

        contenders = [
            ("bulk (revoke residual --all)", bulk),
            ("per user, one at a time", lambda: loop(1)),
            ("per user, 8 at a time", lambda: loop(8)),
        ]
        results: dict[str, dict[str, Any]] = {label: {"times": []} for label, _ in contenders}
        for _ in range(args.repeat):
            for label, run in contenders:
                counter.requests = 0
                start = time.perf_counter()
                opened = run()
                results[label]["times"].append(time.perf_counter() - start)
                results[label]["requests"] = counter.requests
                results[label]["open"] = opened

    print(
        f"revoke residual over {args.users} users, in-process moto, {args.latency_ms:g} ms "
        f"a request, median of {args.repeat}\n"
    )
    base = statistics.median(results[contenders[0][0]]["times"])
    print("| contender | requests | wall s | vs bulk | open paths found |")
    print("|---|---:|---:|---:|---:|")
    for label, _ in contenders:
        median = statistics.median(results[label]["times"])
        print(
            f"| {label} | {results[label]['requests']} | {median:.2f} | "
            f"{median / base:.1f}x | {results[label]['open']} |"
        )


if __name__ == "__main__":
    main()
