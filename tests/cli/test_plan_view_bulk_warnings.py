"""A bulk `revoke user --all` at the prompt with more warnings than the plan shows
(WARNINGS_SHOWN): the plan says the first few and how many more, and every one of the
others is printed after the answer, so each reaches stderr once (and all are in the JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.cli.plan_view import LIST_ALL_UP_TO, WARNINGS_SHOWN
from revoke.core.policy import POLICY_NAME
from tests.helpers import run_cli

CUTOFF = "2026-11-01T05:00:00Z"
USERS = LIST_ALL_UP_TO + 5  # a bulk run: counts and the first few, warnings capped
QUESTION = "Write the deny to"


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """USERS users, each with an active access key: one warning each (--deactivate-keys)."""
    monkeypatch.setattr("revoke.cli.app.stdin_is_terminal", lambda: True)
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        ids = []
        for i in range(USERS):
            iam.create_user(UserName=f"u{i:02}")
            ids.append(iam.create_access_key(UserName=f"u{i:02}")["AccessKey"]["AccessKeyId"])
        yield {"iam": iam, "ids": ids}


@pytest.mark.parametrize("answer", ["y", "n"])
def test_every_warning_reaches_stderr_once(keys: dict[str, Any], answer: str) -> None:
    result = run_cli(
        "--output", "json", "user", "--all", "--before", CUTOFF, "--no-verify", input=f"{answer}\n"
    )
    assert result.exit_code == 0, result.stderr
    err = result.stderr
    asked = err.index(QUESTION)
    more = USERS - WARNINGS_SHOWN
    assert f"... and {more} more warnings (printed after the run)" in err[:asked]
    for key_id in keys["ids"]:
        assert err.count(key_id) == 1, (key_id, err)
    before = [k for k in keys["ids"] if err.index(k) < asked]
    assert len(before) == WARNINGS_SHOWN  # the rest came after the answer
    out = json.loads(result.stdout[result.stdout.index("{") :])  # CliRunner echoes the answer
    said = " ".join(out["warnings"])
    assert all(key_id in said for key_id in keys["ids"])
    written = keys["iam"].list_user_policies(UserName="u24")["PolicyNames"]
    assert written == ([POLICY_NAME] if answer == "y" else [])
