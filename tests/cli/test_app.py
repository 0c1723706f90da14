"""The command line's boundary (revoke/cli/app.py, revoke/cli/context.py), issue 14:
bad input refused before any call, Ctrl-C or end of input at the prompt, a reader of stdout
that goes away, and no secret in anything printed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import typer
from moto import mock_aws

from tests.helpers import assert_clean_failure, run_cli

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "http://127.0.0.1:9"  # reaching AWS would be a different error (254)


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        yield client


@pytest.mark.parametrize(
    "args",
    [
        ["--before", "0001-01-01T00:00:00Z"],
        ["--before", "1969-12-31T23:59:59Z"],
        ["--before", "9999-06-01T00:00:00Z", "--allow-future"],
        ["--before", "9999-12-31T23:59:59.5Z", "--allow-future"],
    ],
    ids=["year-1", "1969", "year-9999", "year-9999-rounded-up"],
)
def test_a_cutoff_outside_1970_to_9998_is_exit_2_before_any_call(args: list[str]) -> None:
    result = run_cli("--endpoint-url", CLOSED, "--output", "json", "user", "alice", *args)
    assert_clean_failure(result, 2)
    assert result.stderr.startswith("revoke: error: ") and "1970-9998" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # the error and its hint


def _prompted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("revoke.cli.app.stdin_is_terminal", lambda: True)


def test_end_of_input_at_the_prompt_changes_nothing_and_exits_130(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prompted(monkeypatch)
    result = run_cli("--output", "json", "user", "alice", "--before", "-1h", input="")
    assert result.exit_code == 130, (result.exit_code, result.stderr)
    assert "nothing was changed" in result.stderr
    assert "Aborted" not in result.stderr and "Traceback" not in result.stderr
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


def test_ctrl_c_at_the_prompt_changes_nothing_and_exits_130(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prompted(monkeypatch)

    def ctrl_c(*args: Any, **kwargs: Any) -> bool:
        raise typer.Abort()  # what click's confirm raises for KeyboardInterrupt

    monkeypatch.setattr(typer, "confirm", ctrl_c)
    result = run_cli("--output", "json", "user", "alice", "--before", "-1h")
    assert result.exit_code == 130, (result.exit_code, result.stderr)
    assert "nothing was changed" in result.stderr and "Aborted" not in result.stderr
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


def test_a_closed_stdout_is_quiet() -> None:
    """`revoke ... --output json | head -c1`: the reader is gone before revoke writes.

    The read end of the pipe is closed before revoke starts, so its first write fails
    every time (no race with a `head` that may or may not have exited yet).
    """
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "revoke", "--output", "json",
             "user", "alice", "bob", "--before", "@1764392400", "--offline"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr  # what a shell reports for SIGPIPE
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "Exception ignored" not in done.stderr and "BrokenPipe" not in done.stderr


def test_narration_is_scrubbed_like_errors(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from revoke.cli.context import _tell
    from revoke.core import scrub

    scrub.remember("held-secret-of-this-run-42")
    _tell("warning: AWS said: denied for held-secret-of-this-run-42")
    assert "held-secret" not in capsys.readouterr().err


def test_timeout_reaches_the_session_and_ends_with_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from revoke.aws import deadline
    from revoke.ops.context import RunContext

    assert RunContext(timeout=7.5).aws().timeout == 7.5
    started: list[Any] = []
    real = deadline.start_run
    monkeypatch.setattr(deadline, "start_run", lambda s: started.append(real(s)))
    result = run_cli("--timeout", "7.5", "user", "alice", "--before", "now", "--offline")
    assert result.exit_code == 0, result.stderr
    assert started[0] is not None and started[0].seconds == 7.5
    # Over when the run is: a later session in this process has no stale deadline.
    assert deadline.run_deadline() is None


def test_narration_wraps_between_words_at_the_terminal_width() -> None:
    from revoke.cli.context import fit_to_terminal

    arn = "arn:aws:iam::123456789012:user/a-rather-long-user-name-for-the-width"
    line = f"warning: user x still has active access keys ({arn}): add --deactivate-keys"
    wrapped = fit_to_terminal(line, width=40).splitlines()
    assert len(wrapped) > 1
    # Every line fits, but for one that is a single word too long for any line: the ARN.
    assert all(len(part) <= 40 or len(part.split()) == 1 for part in wrapped)
    assert any(arn in part for part in wrapped)  # the ARN whole, on one line
    assert " ".join(" ".join(wrapped).split()) == line  # nothing lost
    assert fit_to_terminal("short", width=40) == "short"
