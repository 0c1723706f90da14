"""Bulk runs: every user of an account, from a file, with failures, throttling and
interruptions, and a re-run that finishes the rest without redoing or duplicating anything."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.cli.progress import Progress
from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.sandbox import Sandbox
from revoke.state.journal import Journal
from tests.helpers import json_out, run_cli

CUTOFF = "2026-11-01T05:00:00Z"

pytestmark = pytest.mark.slow


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1")


def make_users(iam: Any, count: int, *, keys: bool = False) -> list[str]:
    names = [f"user{i:03d}" for i in range(count)]
    for name in names:
        iam.create_user(UserName=name)
        if keys:
            iam.create_access_key(UserName=name)
    return names


def cli(journal_path: Path, *args: str, input: str | None = None) -> Any:
    return run_cli("--output", "json", "--journal", str(journal_path), *args, input=input)


def revoked(iam: Any, name: str) -> str | None:
    try:
        doc = iam.get_user_policy(UserName=name, PolicyName=POLICY_NAME)["PolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return existing_cutoff(doc)


def revoke_records(journal_path: Path) -> list[dict[str, Any]]:
    return [r for r in Journal(journal_path).records() if r["action"] == "revoke"]


def test_all_users_are_listed_past_the_first_page(iam: Any, tmp_path: Path) -> None:
    names = make_users(iam, 120)  # ListUsers returns 100 a page
    journal_path = tmp_path / "journal.jsonl"
    result = cli(journal_path, "user", "--all", "--before", CUTOFF, "--no-verify")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)  # stdout is one JSON object, progress went to stderr
    assert sorted(t["name"] for t in out["targets"]) == names
    assert {t["status"] for t in out["targets"]} == {"applied"}
    assert all(revoked(iam, n) == CUTOFF for n in names)
    assert "writing: 120/120 (100%)" in result.stderr  # progress for a long, non-tty run
    assert sorted(r["target"]["name"] for r in revoke_records(journal_path)) == names


def test_from_file_reads_names_comments_and_duplicates(iam: Any, tmp_path: Path) -> None:
    make_users(iam, 3)
    listing = tmp_path / "targets.txt"
    listing.write_text("# from the alert\nuser000\n\nUSER000   # same user\nuser002\n")
    journal_path = tmp_path / "journal.jsonl"
    result = cli(journal_path, "user", "--from-file", str(listing), "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    assert [t["name"] for t in json_out(result)["targets"]] == ["user000", "user002"]
    assert revoked(iam, "user001") is None
    piped = cli(journal_path, "user", "--from-file", "-", "--before", CUTOFF, input="user001\n")
    assert [t["name"] for t in json_out(piped)["targets"]] == ["user001"]


def test_injected_failures_are_per_target_and_a_rerun_finishes_them(
    iam: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = make_users(iam, 30, keys=True)
    refused = {"user003", "user017", "user029"}
    from revoke.aws.iam import IamGateway
    from revoke.errors import AwsFailure

    real_put = IamGateway.put_inline

    def put_inline(self: Any, kind: str, name: str, *args: Any) -> None:
        if name in refused:
            raise AwsFailure(f"iam:PutUserPolicy {name}: AccessDenied: no", code="AccessDenied")
        real_put(self, kind, name, *args)

    monkeypatch.setattr(IamGateway, "put_inline", put_inline)
    journal_path = tmp_path / "journal.jsonl"
    args = ("user", "--all", "--before", CUTOFF, "--no-verify", "--deactivate-keys")
    result = cli(journal_path, *args)
    assert result.exit_code == 4  # partial: see each target's status
    statuses = {t["name"]: (t["status"], t.get("error_code")) for t in json_out(result)["targets"]}
    assert {n for n, (s, _) in statuses.items() if s == "failed"} == refused
    assert all(statuses[n] == ("failed", "AccessDenied") for n in refused)
    assert all(revoked(iam, n) == CUTOFF for n in names if n not in refused)
    # Keys were deactivated before the refused write: the journal says so, as "failed".
    failed = [r for r in revoke_records(journal_path) if r["status"] == "failed"]
    assert sorted(r["target"]["name"] for r in failed) == sorted(refused)
    assert all(r["before"] == r["after"] is None for r in failed)

    monkeypatch.setattr(IamGateway, "put_inline", real_put)
    again = cli(journal_path, *args)
    assert again.exit_code == 0, again.stderr
    statuses = {t["name"]: t["status"] for t in json_out(again)["targets"]}
    assert {n for n, s in statuses.items() if s == "applied"} == refused
    assert {n for n, s in statuses.items() if s == "unchanged"} == set(names) - refused
    applied = [r for r in revoke_records(journal_path) if r["status"] == "applied"]
    assert sorted(r["target"]["name"] for r in applied) == names  # once each
    deactivated = Counter(
        s["access_key_id"] for r in revoke_records(journal_path) for s in r["containment"]
    )
    assert len(deactivated) == 30 and set(deactivated.values()) == {1}


def throttle_first_attempt_of_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every IAM write is refused with `Throttling: Rate exceeded` on its first attempt
    (fact 19), as IAM does under load; botocore's standard retries must absorb it."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    from revoke.aws.session import AwsSession

    throttled: list[str] = []
    writes = ("PutUserPolicy", "UpdateAccessKey", "DeleteLoginProfile")
    body = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
        "<Message>Rate exceeded</Message></Error><RequestId>t</RequestId></ErrorResponse>"
    )

    def before_send(request: Any, **_: Any) -> Any:
        text = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        action = next((w for w in writes if f"Action={w}&" in text), None)
        attempt = dict(request.headers).get("amz-sdk-request", b"")
        first = (attempt.decode() if isinstance(attempt, bytes) else attempt).startswith(
            "attempt=1;"
        )
        if action and first:
            throttled.append(action)
            return AWSResponse(request.url, 400, {}, MockRawResponse(body))
        return None

    real_client = AwsSession.client

    def client(self: AwsSession, service: str, **kwargs: Any) -> Any:
        found = real_client(self, service, **kwargs)
        if service == "iam" and not getattr(found, "_throttle_injected", False):
            found.meta.events.register_first("before-send.iam", before_send)
            found._throttle_injected = True
        return found

    monkeypatch.setattr(AwsSession, "client", client)
    return throttled


def test_throttled_writes_are_retried_and_every_target_is_contained(
    iam: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = make_users(iam, 24, keys=True)
    for name in names:
        iam.create_login_profile(UserName=name, Password="Correct-Horse-9!")
    throttled = throttle_first_attempt_of_writes(monkeypatch)
    journal_path = tmp_path / "journal.jsonl"
    result = cli(
        journal_path,
        "user", "--all", "--before", CUTOFF, "--no-verify",
        "--deactivate-keys", "--disable-console",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert {t["status"] for t in json_out(result)["targets"]} == {"applied"}
    assert Counter(throttled) == {
        "PutUserPolicy": 24,
        "UpdateAccessKey": 24,
        "DeleteLoginProfile": 24,
    }
    assert all(revoked(iam, n) == CUTOFF for n in names)
    keys = [k for n in names for k in iam.list_access_keys(UserName=n)["AccessKeyMetadata"]]
    assert {k["Status"] for k in keys} == {"Inactive"}
    assert len(revoke_records(journal_path)) == 24


def test_interrupted_run_resumes_without_redoing_or_duplicating(
    iam: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = make_users(iam, 40, keys=True)
    from revoke.aws.iam import IamGateway

    real_put = IamGateway.put_inline
    writes: list[str] = []

    def put_inline(self: Any, kind: str, name: str, *args: Any) -> None:
        if len(writes) >= 15:
            raise KeyboardInterrupt  # the responder's Ctrl-C, half way through
        writes.append(name)
        real_put(self, kind, name, *args)

    monkeypatch.setattr(IamGateway, "put_inline", put_inline)
    journal_path = tmp_path / "journal.jsonl"
    args = ("user", "--all", "--before", CUTOFF, "--no-verify", "--deactivate-keys")
    result = cli(journal_path, *args, "--max-workers", "4")
    assert result.exit_code == 130 and "interrupted" in result.stderr
    done = {n for n in names if revoked(iam, n) == CUTOFF}
    assert done == set(writes) and 0 < len(done) < len(names)
    first_run = revoke_records(journal_path)
    assert {r["target"]["name"] for r in first_run if r["after"]} == done
    assert Journal(journal_path).verify() == []

    monkeypatch.setattr(IamGateway, "put_inline", real_put)
    again = cli(journal_path, *args)  # the same cutoff, as the first run told the responder
    assert again.exit_code == 0, again.stderr
    statuses = {t["name"]: t["status"] for t in json_out(again)["targets"]}
    assert {n for n, s in statuses.items() if s == "unchanged"} == done
    assert {n for n, s in statuses.items() if s == "applied"} == set(names) - done
    records = revoke_records(journal_path)
    written = Counter(r["target"]["name"] for r in records if r["after"] != r["before"])
    assert set(written) == set(names) and set(written.values()) == {1}
    deactivated = Counter(s["access_key_id"] for r in records for s in r["containment"])
    assert len(deactivated) == 40 and set(deactivated.values()) == {1}
    assert Journal(journal_path).verify() == []


def test_progress_lines_only_for_long_runs_off_a_terminal() -> None:
    stream = io.StringIO()
    with Progress("applying", 10, stream=stream, isatty=False) as progress:
        for _ in range(10):
            progress.advance()
    assert stream.getvalue() == ""
    with Progress("applying", 200, stream=stream, isatty=False) as progress:
        for _ in range(200):
            progress.advance()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "applying: 20/200 (10%)" and lines[-1] == "applying: 200/200 (100%)"
    assert len(lines) == 10


# -- a real process, a real Ctrl-C, against the sandbox ----------------------------------


def revoke_exe() -> list[str]:
    found = shutil.which("revoke", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "revoke"]


@pytest.fixture
def slow_sandbox() -> Iterator[Sandbox]:
    with Sandbox(latency_ms=40) as sandbox:
        yield sandbox


def test_sigint_mid_run_then_rerun_in_the_sandbox(slow_sandbox: Sandbox, tmp_path: Path) -> None:
    iam = slow_sandbox.client("iam")
    names = [f"u{i:02d}" for i in range(30)]
    for name in names:
        iam.create_user(UserName=name)
    journal_path = tmp_path / "journal.jsonl"
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": slow_sandbox.endpoint_url,
        "AWS_ACCESS_KEY_ID": slow_sandbox.root_credentials["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": slow_sandbox.root_credentials["aws_secret_access_key"],
        "REVOKE_JOURNAL": str(journal_path),
    }
    command = [*revoke_exe(), "user", "--all", "--before", "-1m", "--no-verify"]
    proc = subprocess.Popen(
        [*command, "--max-workers", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_lines(journal_path)) < 4:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr.decode()
    assert b"revoke: interrupted" in stderr and b"Traceback" not in stderr
    cutoff = next(
        line.split("--before ")[1].rstrip(")")
        for line in stderr.decode().splitlines()
        if "to resume an interrupted run" in line
    )
    first = {json.loads(line)["target"]["name"] for line in _lines(journal_path)}
    assert 0 < len(first) < len(names)  # stopped half way; in-flight targets journalled

    rerun = subprocess.run(
        [*revoke_exe(), "user", "--all", "--before", cutoff, "--no-verify"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    statuses = {t["name"]: t["status"] for t in json.loads(rerun.stdout)["targets"]}
    assert {n for n, s in statuses.items() if s == "unchanged"} == first
    assert {n for n, s in statuses.items() if s == "applied"} == set(names) - first
    journalled = Counter(json.loads(line)["target"]["name"] for line in _lines(journal_path))
    assert set(journalled) == set(names) and set(journalled.values()) == {1}
    assert Journal(journal_path).verify() == []


def _lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text().splitlines() if '"action":"revoke"' in line]
    except FileNotFoundError:
        return []
