"""Two installs of revoke side by side on the same bulk run: is this version slower?

    python benchmarks/bench_versions.py OLD_REVOKE NEW_REVOKE [--users 500] [--latency-ms 50]
                                        [--repeat 4]

OLD_REVOKE and NEW_REVOKE are `revoke` executables (e.g. a venv of an older checkout made
with `git archive REV | tar -x -C DIR` and `pip install -e DIR`). Each run gets a fresh
sandbox (served by NEW_REVOKE's `revoke sandbox serve`, so both meet the same double) with
the same users, and runs `revoke user --from-file --before now --yes --no-verify`; the two
alternate, and which goes first alternates, so drift of the machine falls on both. Both
packages are byte-compiled first, as installed tools are. A script, not a test: it prints
a table, the suite never times anything.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def serve(revoke: str, latency_ms: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    cmd = [revoke, "sandbox", "serve", "--port", "0", "--latency-ms", str(latency_ms)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    env = dict(os.environ)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("export "):
            key, value = line[len("export ") :].strip().split("=", 1)
            env[key] = value.strip("'")
        if line.startswith("unset"):
            break
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    return proc, env


def one_run(revoke: str, sandbox_revoke: str, users: int, latency_ms: int) -> float:
    import boto3

    proc, env = serve(sandbox_revoke, latency_ms)
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        names = [f"u{i:05d}" for i in range(users)]
        for name in names:
            iam.create_user(UserName=name)
        with tempfile.TemporaryDirectory() as folder:
            listing = Path(folder) / "users.txt"
            listing.write_text("\n".join(names))
            run_env = dict(env, XDG_STATE_HOME=folder)
            argv = [revoke, "--yes", "--journal", str(Path(folder) / "journal.jsonl"), "user"]
            argv += ["--from-file", str(listing), "--before", "now", "--no-verify"]
            start = time.perf_counter()
            done = subprocess.run(argv, env=run_env, capture_output=True, text=True)
            took = time.perf_counter() - start
            if done.returncode:
                sys.exit(f"{revoke} exited {done.returncode}: {done.stderr[-400:]}")
            return took
    finally:
        proc.terminate()
        proc.wait()


def compile_bytecode(revoke: str) -> None:
    """Byte-compile the revoke package that `revoke` imports, as an installed tool has it
    (as bench_startup.compile_bytecode does): with PYTHONDONTWRITEBYTECODE set, an
    editable install that was never compiled recompiles its modules on every run."""
    python = str(Path(revoke).with_name("python"))
    where = subprocess.run(
        [python, "-c", "import os, revoke; print(os.path.dirname(revoke.__file__))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),  # not a checkout's revoke/ from the current folder
    ).stdout.strip()
    subprocess.run([python, "-m", "compileall", "-q", where], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    for revoke in (args.old, args.new):
        compile_bytecode(revoke)
    walls: dict[str, list[float]] = {"old": [], "new": []}
    for n in range(args.repeat):
        order = [("old", args.old), ("new", args.new)]
        for label, revoke in order if n % 2 == 0 else order[::-1]:
            walls[label].append(one_run(revoke, args.new, args.users, args.latency_ms))
    old, new = statistics.median(walls["old"]), statistics.median(walls["new"])
    print(f"`revoke user --from-file` ({args.users} users, {args.latency_ms} ms latency, ", end="")
    print(f"median of {args.repeat}, fresh sandbox each)\n")
    print("| install | wall | runs | new / old |")
    print("|---|---:|---|---:|")
    print(f"| old: {args.old} | {old:.2f} s | {', '.join(f'{w:.2f}' for w in walls['old'])} | |")
    print(
        f"| new: {args.new} | {new:.2f} s | {', '.join(f'{w:.2f}' for w in walls['new'])} "
        f"| {new / old:.2f}x |"
    )


if __name__ == "__main__":
    main()
