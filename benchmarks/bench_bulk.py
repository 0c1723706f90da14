"""Bulk revocation side by side: what responders compare `revoke` with (issue 8).

    python benchmarks/bench_bulk.py [--users 500] [--repeat 3] [--update-readme]

One session, one sandbox (`revoke sandbox serve`'s Sandbox with `--latency-ms 50`, behind
benchmarks/sandbox_server.py, which counts every call the server answers), N users, and:

  (a) a bash loop of `aws iam put-user-policy` over a sample of the users, extrapolated
      to N (labelled so);
  (b) a sequential boto3 loop of put_user_policy (a short script, as a subprocess);
  (c) `revoke user --from-file users.txt --before now --yes --no-verify`;
  (d) (c) with verification;
  (e) (c) against a rate-limited endpoint (IAM-style Throttling past `--rate-limit` calls
      a second), and (e') against `--throttle-rate` random throttling;
  then, on the rate-limited endpoint, the throttling strategies side by side (revoke's
  limiter, botocore's retry_mode="adaptive", standard retries alone);
  and the memory of (c) over `--memory-users` users against 100 (no latency).

Every contender starts from the same state (no revocation policy on any user). Times are
wall-clock, process start included (a responder's command starts a process too); the
table shows medians of `--repeat` runs, and each run measures every contender in turn, so
ratios compare runs made minutes apart on the same machine. The floor is what latency
alone allows: latency x (calls made one after another + calls made per target /
concurrency), or calls / rate on a rate-limited endpoint.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_startup import compile_bytecode, tool  # noqa: E402
from bench_startup import table as startup_table  # noqa: E402

POLICY_NAME = "AWSRevokeOlderSessions"
SETUP_WORKERS = 8
BOTO3_LOOP = """
import json, sys, boto3
names = open(sys.argv[1]).read().split()
document = open(sys.argv[2]).read()
iam = boto3.client("iam")
for name in names:
    iam.put_user_policy(UserName=name, PolicyName="AWSRevokeOlderSessions", PolicyDocument=document)
"""
BASH_LOOP = """
set -e
while read -r user; do
  aws iam put-user-policy --user-name "$user" --policy-name AWSRevokeOlderSessions \\
      --policy-document "file://$1"
done < "$2"
"""


def revocation_document() -> str:
    cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}},
            },
        }
    )


class Sandbox:
    """benchmarks/sandbox_server.py in a subprocess, and the driver's side of it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "sandbox_server.py"), "--latency-ms", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("benchmarks: the sandbox did not start (see the error above)")
        self.info = json.loads(line)
        self.url = self.info["endpoint_url"]
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._iam: Any = None

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def control(self, what: str, **config: Any) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/__bench__/{what}", data=json.dumps(config).encode(), method="POST"
        )
        with self._opener.open(request, timeout=30) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REVOKE_"))}
        env.update(
            AWS_ENDPOINT_URL=self.url,
            AWS_ACCESS_KEY_ID=self.info["aws_access_key_id"],
            AWS_SECRET_ACCESS_KEY=self.info["aws_secret_access_key"],
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=str(self.workdir / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.workdir / "aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            XDG_STATE_HOME=str(self.workdir / "state"),
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        return env

    @property
    def iam(self) -> Any:
        if self._iam is None:
            import boto3
            import botocore.config

            self._iam = boto3.session.Session().client(
                "iam",
                endpoint_url=self.url,
                region_name="us-east-1",
                aws_access_key_id=self.info["aws_access_key_id"],
                aws_secret_access_key=self.info["aws_secret_access_key"],
                config=botocore.config.Config(max_pool_connections=SETUP_WORKERS),
            )
        return self._iam

    def setup(self, fn: Callable[[str], None], names: list[str]) -> None:
        """Run `fn` over names with no latency and no throttling, then restore both."""
        before = self.control("config")
        self.control("config", latency_ms=0, throttle_rate=0.0, rate_limit=None)
        with ThreadPoolExecutor(SETUP_WORKERS) as pool:
            list(pool.map(fn, names))
        self.control(
            "config",
            latency_ms=before["latency_ms"],
            throttle_rate=before["throttle_rate"],
            rate_limit=before["rate_limit"],
        )

    def create_users(self, names: list[str]) -> None:
        self.setup(lambda name: self.iam.create_user(UserName=name), names)

    def clear_revocations(self, names: list[str]) -> None:
        def clear(name: str) -> None:
            try:
                self.iam.delete_user_policy(UserName=name, PolicyName=POLICY_NAME)
            except self.iam.exceptions.NoSuchEntityException:
                pass

        self.setup(clear, names)


def run(argv: list[str], env: dict[str, str], stdout: Path, stderr: Path) -> tuple[float, int, int]:
    """Wall time, exit code and peak RSS (KiB) of one command."""
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, int(usage.ru_maxrss)


def revoke_failures(stdout: Path) -> dict[str, Any]:
    try:
        payload = json.loads(stdout.read_text())
    except ValueError:
        return {"failed": None, "verified": None}
    targets = payload.get("targets", [])
    return {
        "failed": sum(1 for t in targets if t["status"] == "failed"),
        "applied": sum(1 for t in targets if t["status"] == "applied"),
        "verified": sum(1 for t in targets if t["verification"]["status"] == "verified"),
    }


class Bench:
    def __init__(self, args: Any, sandbox: Sandbox, workdir: Path) -> None:
        self.args = args
        self.sandbox = sandbox
        self.workdir = workdir
        self.latency = args.latency_ms / 1000
        self.names = [f"user{i:05d}" for i in range(args.users)]
        self.users_file = workdir / "users.txt"
        self.users_file.write_text("\n".join(self.names) + "\n")
        self.sample_file = workdir / "sample.txt"
        self.sample = self.names[: args.sample]
        self.sample_file.write_text("\n".join(self.sample) + "\n")
        self.document = workdir / "policy.json"
        self.revoke = tool("revoke")

    def revoke_argv(self, *extra: str, variant: str | None = None) -> list[str]:
        argv = [
            "--output",
            "json",
            "--yes",
            "user",
            "--from-file",
            str(self.users_file),
            "--before",
            "now",
            *extra,
        ]
        if self.args.workers:
            argv += ["--max-workers", str(self.args.workers)]
        if variant is None:
            return [self.revoke, *argv]
        return [sys.executable, str(HERE / "revoke_variant.py"), variant, "--", *argv]

    def measure(self, label: str, argv: list[str], **config: Any) -> dict[str, Any]:
        self.sandbox.clear_revocations(self.names)
        self.sandbox.control("config", latency_ms=self.args.latency_ms, **config)
        self.sandbox.control("reset")
        out, err = self.workdir / f"{label}.out", self.workdir / f"{label}.err"
        elapsed, code, rss = run(argv, self.sandbox.env(), out, err)
        stats = self.sandbox.control("reset")
        self.sandbox.control("config", throttle_rate=0.0, rate_limit=None)
        result = {"wall": elapsed, "exit": code, "rss_kib": rss, **stats}
        if argv[0] == self.revoke or "revoke_variant.py" in " ".join(argv):
            result.update(revoke_failures(out))
        else:
            result["failed"] = 0 if code == 0 else f"exit {code}"
        if code not in (0, 3) and not result.get("failed"):
            tail = err.read_text(errors="replace")[-600:]
            print(f"  {label}: exit {code}\n{tail}", file=sys.stderr)
        return result

    # -- contenders --------------------------------------------------------------------------

    def bash_loop(self) -> dict[str, Any]:
        script = self.workdir / "loop.sh"
        script.write_text(BASH_LOOP)
        result = self.measure("a", ["bash", str(script), str(self.document), str(self.sample_file)])
        scale = len(self.names) / len(self.sample)
        result["measured_wall"] = result["wall"]
        result["wall"] *= scale
        result["requests"] = int(result["requests"] * scale)
        result["scale"] = scale
        return result

    def boto3_loop(self) -> dict[str, Any]:
        return self.measure(
            "b",
            [sys.executable, "-c", BOTO3_LOOP, str(self.users_file), str(self.document)],
        )

    def all_contenders(self) -> dict[str, dict[str, Any]]:
        self.document.write_text(revocation_document())
        args = self.args
        found = {
            "a": self.bash_loop(),
            "b": self.boto3_loop(),
            "c": self.measure("c", self.revoke_argv("--no-verify")),
            "d": self.measure("d", self.revoke_argv()),
            "e": self.measure("e", self.revoke_argv("--no-verify"), rate_limit=args.rate_limit),
            "e2": self.measure(
                "e2", self.revoke_argv("--no-verify"), throttle_rate=args.throttle_rate
            ),
        }
        return found

    def strategies(self) -> dict[str, dict[str, Any]]:
        found = {}
        for variant in ("limiter", "adaptive", "standard"):
            found[variant] = self.measure(
                f"s-{variant}",
                self.revoke_argv("--no-verify", variant=variant),
                rate_limit=self.args.rate_limit,
            )
        return found


# -- floors and tables ---------------------------------------------------------------------


def latency_floor(result: dict[str, Any], latency: float, workers: int, n: int) -> float:
    """Latency x (calls made one after another + calls made per target / workers).
    An action the run made at least n/2 times is a per-target one."""
    actions = result.get("actions") or {}
    per_target = sum(c for c in actions.values() if c >= n / 2)
    sequential = sum(c for c in actions.values() if c < n / 2)
    return latency * (sequential + per_target / workers)


def medians(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def contenders_table(
    runs: list[dict[str, dict[str, Any]]], args: Any, workers: int
) -> tuple[str, dict[str, Any]]:
    n, latency = args.users, args.latency_ms / 1000
    labels = {
        "a": f"(a) bash loop of `aws iam put-user-policy` (extrapolated from {args.sample})",
        "b": "(b) boto3 loop of put_user_policy, sequential",
        "c": "(c) `revoke user --from-file users.txt --before now --yes --no-verify`",
        "d": "(d) (c) with verification (read-back, evaluator)",
        "e": f"(e) (c) against a {args.rate_limit:g} calls/s rate limit",
        "e2": f"(e') (c) with {args.throttle_rate:.0%} of calls throttled at random",
    }
    summary: dict[str, Any] = {}
    lines = [
        f"| contender ({n} users, {args.latency_ms} ms latency, median of {len(runs)}) "
        "| wall | calls | users/s | vs (b) | floor | wall / floor | throttled | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in labels.items():
        series = [r[key] for r in runs]
        wall = statistics.median(s["wall"] for s in series)
        calls = statistics.median(s["requests"] for s in series)
        throttled = statistics.median(s["throttled"] for s in series)
        failed = [s.get("failed") for s in series]
        if key in ("a", "b"):
            floor = latency * calls
        elif key == "e":
            answered = statistics.median(s["requests"] - s["throttled"] for s in series)
            floor = max(
                answered / args.rate_limit,
                statistics.median(latency_floor(s, latency, workers, n) for s in series),
            )
        else:
            floor = statistics.median(latency_floor(s, latency, workers, n) for s in series)
        ratios = [r["b"]["wall"] / r[key]["wall"] for r in runs]
        summary[key] = {
            "wall": wall,
            "floor": floor,
            "calls": calls,
            "vs_b": statistics.median(ratios),
            "failed": failed,
        }
        failed_text = "0" if all(f in (0, None) for f in failed) else ", ".join(map(str, failed))
        lines.append(
            f"| {label} | {wall:.2f} s | {calls:.0f} | {n / wall:.0f} | "
            f"{statistics.median(ratios):.1f}x | {floor:.2f} s | {wall / floor:.2f} | "
            f"{throttled:.0f} | {failed_text} |"
        )
    return "\n".join(lines), summary


def strategies_table(runs: list[dict[str, dict[str, Any]]], args: Any) -> str:
    names = {
        "limiter": "revoke's adaptive limiter (as shipped)",
        "adaptive": 'botocore `retry_mode="adaptive"`, no revoke limiter',
        "standard": "botocore standard retries alone",
    }
    lines = [
        f"| throttling strategy, (c) against {args.rate_limit:g} calls/s (median of {len(runs)}) "
        "| wall | calls answered | throttled | wall / (answered / rate) | failed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, label in names.items():
        series = [r[key] for r in runs]
        wall = statistics.median(s["wall"] for s in series)
        answered = statistics.median(s["requests"] - s["throttled"] for s in series)
        throttled = statistics.median(s["throttled"] for s in series)
        failed = [s.get("failed") for s in series]
        failed_text = "0" if all(f == 0 for f in failed) else ", ".join(map(str, failed))
        lines.append(
            f"| {label} | {wall:.2f} s | {answered:.0f} | {throttled:.0f} | "
            f"{wall / (answered / args.rate_limit):.2f} | {failed_text} |"
        )
    return "\n".join(lines)


def memory(args: Any, workdir: Path) -> tuple[str, dict[str, Any]]:
    """Peak RSS of (c) over 100 users, then over `--memory-users`, no latency."""
    rows = []
    found: dict[str, Any] = {}
    with sandbox_session(workdir / "memory") as sandbox:
        sandbox.control("config", latency_ms=0)
        created: list[str] = []
        for count in (100, args.memory_users):
            names = [f"m{i:05d}" for i in range(count)]
            sandbox.create_users(names[len(created) :])
            created = names
            users = workdir / f"memory-{count}.txt"
            users.write_text("\n".join(names) + "\n")
            argv = [
                sys.executable,
                str(HERE / "peak_rss.py"),
                "--output",
                "json",
                "--yes",
                "user",
                "--from-file",
                str(users),
                "--before",
                "now",
                "--no-verify",
            ]
            out, err = workdir / f"memory-{count}.out", workdir / f"memory-{count}.err"
            peak = workdir / f"memory-{count}.rss"
            env = {**sandbox.env(), "PEAK_RSS_FILE": str(peak)}
            elapsed, code, _ = run(argv, env, out, err)
            rss = int(peak.read_text())
            outcome = revoke_failures(out)
            found[str(count)] = {"rss_kib": rss, "wall": elapsed, "exit": code, **outcome}
            rows.append(
                f"| {count:,} users | {rss / 1024:.0f} MiB | {elapsed:.1f} s | "
                f"{outcome.get('applied')} applied, {outcome.get('failed')} failed |"
            )
    ratio = found[str(args.memory_users)]["rss_kib"] / found["100"]["rss_kib"]
    found["ratio"] = ratio
    lines = [
        "| `revoke user --from-file` (no latency) | peak RSS | wall | targets |",
        "|---|---:|---:|---|",
        *rows,
        f"| ratio {args.memory_users:,} / 100 | {ratio:.2f}x (target <= 2x) | | |",
    ]
    return "\n".join(lines), found


@contextmanager
def sandbox_session(workdir: Path) -> Iterator[Sandbox]:
    workdir.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(workdir)
    try:
        yield sandbox
    finally:
        sandbox.close()


def update_readme(path: Path, text: str) -> None:
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    content = path.read_text()
    if begin not in content or end not in content:
        print(f"benchmarks: no {begin} ... {end} markers in {path}; not updated", file=sys.stderr)
        return
    head, rest = content.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="bulk revocation, side by side")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--sample", type=int, default=20, help="users for the bash loop")
    parser.add_argument("--rate-limit", type=float, default=100.0, help="calls/s for (e)")
    parser.add_argument("--throttle-rate", type=float, default=0.3, help="share for (e')")
    parser.add_argument("--workers", type=int, default=0, help="revoke --max-workers")
    parser.add_argument("--memory-users", type=int, default=10000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-strategies", action="store_true")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()

    from revoke.ops.revocation import DEFAULT_MAX_WORKERS

    workers = args.workers or DEFAULT_MAX_WORKERS
    sections = []
    verdicts = []
    if not args.skip_startup:
        from bench_startup import measure

        print("start-up ...", file=sys.stderr)
        startup = measure(21)
        sections.append("Start-up (item 1):\n\n" + startup_table(startup))
        verdicts.append(
            ("start-up within budget", all(r.get("within_budget", True) for r in startup["rows"]))
        )

    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="revoke-bench-") as tmp:
        workdir = Path(tmp)
        with sandbox_session(workdir / "bulk") as sandbox:
            bench = Bench(args, sandbox, workdir)
            print(f"creating {args.users} users ...", file=sys.stderr)
            sandbox.create_users(bench.names)
            runs, strategy_runs = [], []
            for i in range(args.repeat):
                print(f"run {i + 1}/{args.repeat}: contenders ...", file=sys.stderr)
                runs.append(bench.all_contenders())
                if not args.skip_strategies:
                    print(f"run {i + 1}/{args.repeat}: throttling strategies ...", file=sys.stderr)
                    strategy_runs.append(bench.strategies())
        (workdir.parent / "revoke-bench-last.json").write_text(
            json.dumps({"runs": runs, "strategies": strategy_runs}, indent=1, default=str)
        )
        table, summary = contenders_table(runs, args, workers)
        sections.append(f"Bulk revocation (items 2-4), revoke --max-workers {workers}:\n\n{table}")
        c, e, e2 = summary["c"], summary["e"], summary["e2"]
        verdicts += [
            ("(c) at least 10x faster than (b)", c["vs_b"] >= 10),
            ("(c) within 1.5x of its floor", c["wall"] <= 1.5 * c["floor"]),
            ("(e) zero failed targets", all(f == 0 for f in e["failed"])),
            ("(e') zero failed targets", all(f == 0 for f in e2["failed"])),
        ]
        if strategy_runs:
            sections.append(
                "Throttling strategies (item 3):\n\n" + strategies_table(strategy_runs, args)
            )
        if not args.skip_memory:
            print(f"memory: 100 and {args.memory_users} users ...", file=sys.stderr)
            mem_table, mem = memory(args, workdir)
            sections.append("Memory (item 5):\n\n" + mem_table)
            verdicts.append((f"memory {args.memory_users} users <= 2x of 100", mem["ratio"] <= 2))

    machine = f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}"
    checks = "\n".join(f"- {'met' if ok else 'MISSED'}: {name}" for name, ok in verdicts)
    command = "python benchmarks/bench_bulk.py " + " ".join(sys.argv[1:])
    text = (
        f"`{command.strip()}` ({machine})\n\n" + "\n\n".join(sections) + f"\n\nTargets:\n\n{checks}"
    )
    print(text)
    if args.update_readme:
        for path in (ROOT / "README.md", HERE / "README.md"):
            update_readme(path, text)
    if not all(ok for _, ok in verdicts):
        sys.exit(1)


if __name__ == "__main__":
    main()
