"""Start-up of `revoke`, measured against `aws --version` in the same run (issue 8, item 1).

    python benchmarks/bench_startup.py [--runs 21]

Budget: `revoke --help` and `revoke user alice --before now --offline` each take at most
half the wall time of `aws --version` (AWS CLI v1, the tool responders already have), and
neither imports boto3 or moto (checked with `python -X importtime`). Each command runs
`--runs` times, interleaved so that machine noise falls on all three alike; the table
shows medians.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HEAVY = ("boto3", "botocore", "moto", "pydantic", "rich")


def tool(name: str) -> str:
    """The console script next to this interpreter (the project's virtualenv), else PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"benchmarks: `{name}` not found next to {sys.executable} or on PATH")
    return found


def commands() -> dict[str, list[str]]:
    revoke = tool("revoke")
    return {
        "aws --version": [tool("aws"), "--version"],
        "revoke --help": [revoke, "--help"],
        "revoke user alice --before now --offline": [
            revoke,
            "--output",
            "json",
            "user",
            "alice",
            "--before",
            "now",
            "--offline",
        ],
    }


def quiet_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AWS_PROFILE", None)
    return env


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


def heavy_imports(argv: list[str]) -> list[str]:
    """Top-level packages of HEAVY that `python -X importtime` sees the command import."""
    script = Path(argv[0])
    run = [sys.executable, "-X", "importtime", str(script), *argv[1:]]
    found = subprocess.run(run, capture_output=True, text=True, check=True)
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in found.stderr.splitlines()}
    return sorted(names & set(HEAVY))


def compile_bytecode() -> None:
    """Byte-compile the revoke package the console script imports, as an installed tool
    has it: `pip install .` compiles at install time (the AWS CLI and boto3 were compiled
    so), an editable install writes the .pyc files on its first run. Without this, a
    machine with PYTHONDONTWRITEBYTECODE set (this one) recompiles every changed module on
    every timed run: ~0.15 s of a bulk run spent in the compiler."""
    import compileall

    import revoke

    compileall.compile_dir(str(Path(revoke.__file__).parent), quiet=1)


def measure(runs: int = 21) -> dict[str, Any]:
    compile_bytecode()
    env = quiet_env()
    cmds = commands()
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for argv in cmds.values():  # warm the page cache once, untimed
        wall(argv, env)
    for _ in range(runs):
        for name, argv in cmds.items():
            times[name].append(wall(argv, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    aws = medians["aws --version"]
    rows = []
    for name, argv in cmds.items():
        row = {
            "command": name,
            "median_s": medians[name],
            "min_s": min(times[name]),
            "share_of_aws": medians[name] / aws,
            "heavy_imports": [] if name.startswith("aws") else heavy_imports(argv),
        }
        if not name.startswith("aws"):
            row["within_budget"] = medians[name] <= 0.5 * aws and not row["heavy_imports"]
        rows.append(row)
    return {"runs": runs, "rows": rows}


def table(result: dict[str, Any]) -> str:
    lines = [
        f"| command (median of {result['runs']}, interleaved) | wall | vs `aws --version` "
        "| boto3/moto/pydantic/rich imported | budget (<= 0.5x aws) |",
        "|---|---:|---:|---|---|",
    ]
    for row in result["rows"]:
        budget = (
            "-" if "within_budget" not in row else ("met" if row["within_budget"] else "MISSED")
        )
        imports = (
            "-" if row["command"].startswith("aws") else (", ".join(row["heavy_imports"]) or "none")
        )
        lines.append(
            f"| `{row['command']}` | {row['median_s'] * 1000:.0f} ms | "
            f"{row['share_of_aws']:.2f}x | {imports} | {budget} |"
        )
    return "\n".join(lines)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="revoke start-up vs aws --version")
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    result = measure(args.runs)
    print(table(result))
    if not all(row.get("within_budget", True) for row in result["rows"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
