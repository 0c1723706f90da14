"""The console script's exit (revoke.cli.app.run): it skips the interpreter's teardown
(issue 8) but still delivers every byte of output, the documented exit code, the exit
handlers, and the work of any thread still running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def revoke(*args: str, tmp_path: Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REVOKE_"))}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env.pop("PYTHONUNBUFFERED", None)  # stdout buffered, as in most shells' pipelines
    argv = [sys.executable, "-m", "revoke"] if code is None else [sys.executable, "-c", code]
    return subprocess.run(
        [*argv, *args], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path
    )


def test_a_large_result_arrives_whole_through_a_pipe(tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    users.write_text("".join(f"user{i:05d}\n" for i in range(2000)))
    found = revoke(
        "--output", "json", "user", "--from-file", str(users), "--before", "2026-11-29T00:00:00Z",
        "--offline", tmp_path=tmp_path,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert len(found.stdout) > 2**16  # more than a pipe holds: written while read
    targets = json.loads(found.stdout)["targets"]
    assert [t["name"] for t in targets] == [f"user{i:05d}" for i in range(2000)]


def test_bad_input_keeps_its_exit_code_and_one_line_error(tmp_path: Path) -> None:
    found = revoke("user", "alice", "--before", "nonsense", "--offline", tmp_path=tmp_path)
    assert found.returncode == 2
    assert found.stdout == ""
    assert found.stderr.startswith("revoke: error: cannot read 'nonsense' as a time")
    assert "Traceback" not in found.stderr


def test_exit_handlers_still_run_and_their_output_is_flushed(tmp_path: Path) -> None:
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stdout.write('exit handler ran'))  # not flushed\n"
        "from revoke.cli.app import run\n"
        "sys.argv = ['revoke', '--version']\n"
        "run()\n"
    )
    found = revoke(tmp_path=tmp_path, code=code)
    assert found.returncode == 0
    assert found.stdout.startswith("revoke ")
    assert found.stdout.endswith("exit handler ran")


def test_a_thread_still_working_finishes_before_the_process_exits(tmp_path: Path) -> None:
    marker = tmp_path / "written-by-thread"
    code = (
        "import sys, threading, time\n"
        "from pathlib import Path\n"
        "def late():\n"
        "    time.sleep(0.5)\n"
        f"    Path({str(marker)!r}).write_text('done')\n"
        "threading.Thread(target=late).start()\n"
        "from revoke.cli.app import run\n"
        "sys.argv = ['revoke', '--version']\n"
        "run()\n"
    )
    found = revoke(tmp_path=tmp_path, code=code)
    assert found.returncode == 0, found.stderr
    assert marker.read_text() == "done"
