"""A bulk run against an endpoint that throttles three calls in ten (the sandbox's
`throttle_rate`, IAM's `Throttling: Rate exceeded`, fact 19) loses no target: retries and
the adaptive limiter absorb it, and every write is read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from revoke.aws.session import AwsSession
from revoke.sandbox import Sandbox
from tests.helpers import json_out, run_cli

pytestmark = pytest.mark.slow

USERS = 25  # above the bulk threshold (20): the bulk reads are throttled too


def test_thirty_percent_throttled_calls_fail_no_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions: list[AwsSession] = []
    real_init = AwsSession.__init__

    def remember(self: AwsSession, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        sessions.append(self)

    monkeypatch.setattr(AwsSession, "__init__", remember)
    with Sandbox(seed=8) as sandbox:
        setup = sandbox.client("iam")
        names = [f"user{i:03d}" for i in range(USERS)]
        for name in names:
            setup.create_user(UserName=name)
        assert sandbox.layer is not None
        sandbox.layer.throttle_rate = 0.3  # from here on, as `Sandbox(throttle_rate=0.3)`
        users = tmp_path / "users.txt"
        users.write_text("\n".join(names) + "\n")
        for variable, value in sandbox.env().items():
            monkeypatch.setenv(variable, value)

        result = run_cli(
            "--output", "json", "--yes", "--journal", str(tmp_path / "journal.jsonl"),
            "user", "--from-file", str(users), "--before", "now", "--no-verify",
        )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    targets = json_out(result)["targets"]
    assert len(targets) == USERS
    assert {t["status"] for t in targets} == {"applied"}
    assert {t["verification"]["read_back"]["status"] for t in targets} == {"ok"}
    # It was a fight: the endpoint did throttle this run, and the run noticed.
    assert sum(s.iam_limiter.throttles for s in sessions) >= 5
