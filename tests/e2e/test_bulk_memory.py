"""Memory stays flat in the number of targets (issue 8, item 5): the Python heap's peak
(tracemalloc) of a run over 2,000 users is at most twice that of a run over 100, and grows
by at most 5 KB a target.

Each run is a `revoke` subprocess against the sandbox served from this process, so only
revoke's own allocations are traced. The peak is of allocations, not of RSS: the same
code path allocates the same, so the ratio does not wander with the machine. (The
benchmark measures RSS over 10,000 users: benchmarks/README.md.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from revoke.sandbox import Sandbox

pytestmark = pytest.mark.slow

TRACED = """
import sys, tracemalloc
tracemalloc.start()
from revoke.cli.app import main
try:
    main(sys.argv[1:])
finally:
    print("PEAK", tracemalloc.get_traced_memory()[1], file=sys.stderr)
"""


def peak_of_run(sandbox: Sandbox, names: list[str], tmp_path: Path) -> int:
    users = tmp_path / f"users-{len(names)}.txt"
    users.write_text("\n".join(names) + "\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **sandbox.env(),
    }
    found = subprocess.run(
        [
            sys.executable, "-c", TRACED,
            "--output", "json", "--yes", "--journal", str(tmp_path / f"j-{len(names)}.jsonl"),
            "user", "--from-file", str(users), "--before", "now", "--no-verify",
        ],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr[-2000:]
    statuses = {t["status"] for t in json.loads(found.stdout)["targets"]}
    assert statuses == {"applied"}
    match = re.search(r"^PEAK (\d+)$", found.stderr, re.MULTILINE)
    assert match, found.stderr[-2000:]
    return int(match.group(1))


def test_peak_memory_over_2000_users_is_at_most_twice_that_over_100(tmp_path: Path) -> None:
    with Sandbox() as sandbox:
        names = [f"user{i:04d}" for i in range(2000)]
        iam = sandbox.client("iam")
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda name: iam.create_user(UserName=name), names))
        small = peak_of_run(sandbox, names[:100], tmp_path)
        large = peak_of_run(sandbox, names, tmp_path)
    assert large <= 2 * small, (small, large)
    # The ratio over 2,000 users leaves ~19 KB a user; the target over 10,000 (RSS, the
    # benchmark) leaves ~5 KB. Hold this run to that: about 3 KB a user today.
    assert (large - small) / (len(names) - 100) <= 5 * 1024, (small, large)
