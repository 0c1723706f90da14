"""revoke.ops.respond in the sandbox (the issue's "done when"): fed a GuardDuty finding
about a user's key, auto mode contains the key and the sessions it minted; fed the same
finding again, it changes nothing. And the journal rules: retries capped, bad events call
nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from revoke.core.events import parse_event, parse_event_text
from revoke.errors import AwsFailure, BadInput
from revoke.ops.context import RunContext
from revoke.ops.respond import DONE, MAX_ATTEMPTS, history, respond
from revoke.sandbox import Sandbox
from revoke.state.journal import Journal

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def _server() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox
        sandbox.reset()


@pytest.fixture
def sandbox(_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    _server.reset()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", _server.root_credentials["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", _server.root_credentials["aws_secret_access_key"])
    return _server


def context(sandbox: Sandbox, tmp_path: Path) -> RunContext:
    return RunContext(
        endpoint_url=sandbox.endpoint_url,
        region="us-east-1",
        journal_path=tmp_path / "journal.jsonl",
        tell=lambda message: None,
    )


def creds(raw: dict[str, Any]) -> dict[str, str]:
    found = {
        "aws_access_key_id": raw["AccessKeyId"],
        "aws_secret_access_key": raw["SecretAccessKey"],
    }
    if raw.get("SessionToken"):
        found["aws_session_token"] = raw["SessionToken"]
    return found


def finding_for(key_id: str) -> dict[str, Any]:
    text = (FIXTURES / "guardduty-credential-access.json").read_text()
    event: dict[str, Any] = json.loads(text.replace("AKIAIOSFODNN7EXAMPLE", key_id))
    # The finding is about the sandbox's account, whatever it is.
    return event


def refused(call: Any) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call()
    return str(err.value)


def test_auto_contains_the_key_and_its_sessions_and_a_redelivery_changes_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    iam = sandbox.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    leaked = iam.create_access_key(UserName="alice")["AccessKey"]
    attacker = sandbox.client("sts", **creds(leaked)).get_session_token()["Credentials"]
    sandbox.client("s3", **creds(attacker)).list_buckets()  # works before
    account = sandbox.client("sts").get_caller_identity()["Account"]
    event = finding_for(leaked["AccessKeyId"])
    event["detail"]["accountId"] = account
    request = parse_event(event)
    ctx = context(sandbox, tmp_path)

    result = respond(ctx, request, mode="auto")
    assert result.status == "applied", result.to_json()
    assert result.exit_code() == 0
    # The session the key minted is denied, and the key mints nothing more (fact 3).
    assert "explicit deny in an identity-based policy" in refused(
        lambda: sandbox.client("s3", **creds(attacker)).list_buckets()
    )
    assert "InvalidClientTokenId" in refused(
        lambda: sandbox.client("sts", **creds(leaked)).get_session_token()
    )
    records = Journal(ctx.journal_path).records()
    assert [r["action"] for r in records if r["action"] == DONE] == [DONE]
    assert any(r["action"] == "revoke" and r["status"] == "applied" for r in records)
    assert leaked["SecretAccessKey"] not in ctx.journal_path.read_text()

    again = respond(ctx, parse_event(event), mode="auto")
    assert again.status == "duplicate" and again.exit_code() == 0
    assert again.previous is not None and again.previous["action"] == DONE
    assert Journal(ctx.journal_path).records() == records


def test_retries_are_capped_without_a_call(tmp_path: Path) -> None:
    request = parse_event_text((FIXTURES / "guardduty-credential-access.json").read_text())
    journal = Journal(tmp_path / "journal.jsonl")
    for _ in range(MAX_ATTEMPTS):
        journal.append(
            {"action": DONE, "finding_id": request.finding_id, "status": "failed", "error": "x"}
        )
    assert history(journal.records(), request.finding_id).failures == MAX_ATTEMPTS

    def no_aws() -> Any:
        raise AssertionError("called AWS")

    ctx = RunContext(journal_path=journal.path, tell=lambda message: None)
    ctx.aws = no_aws  # type: ignore[method-assign]
    with pytest.raises(AwsFailure) as err:
        respond(ctx, request, mode="auto")
    assert f"failed {MAX_ATTEMPTS} times" in str(err.value)
    assert "revoke key AKIAIOSFODNN7EXAMPLE" in str(err.value.hint)
    # A plan still shows what would be done (read-only), offline here.
    planned = respond(ctx, request, mode="plan", offline=True)
    assert planned.status == "planned"


def test_a_root_finding_is_refused_before_any_call(tmp_path: Path) -> None:
    request = parse_event_text((FIXTURES / "guardduty-root-usage.json").read_text())
    ctx = RunContext(journal_path=tmp_path / "journal.jsonl", tell=lambda message: None)
    ctx.aws = lambda: (_ for _ in ()).throw(AssertionError("called AWS"))  # type: ignore[method-assign]
    with pytest.raises(BadInput):
        respond(ctx, request, mode="plan")
    assert not ctx.journal_path.exists()


def test_the_clock_is_the_contexts(tmp_path: Path) -> None:
    request = parse_event_text((FIXTURES / "guardduty-credential-access.json").read_text())
    fixed = datetime(2026, 11, 29, 5, 0, 0, 400000, tzinfo=timezone.utc)
    ctx = RunContext(journal_path=tmp_path / "j.jsonl", clock=lambda: fixed, tell=print)
    planned = respond(ctx, request, mode="plan", offline=True)
    assert planned.revocation is not None
    assert planned.revocation.cutoff == "2026-11-29T05:00:01Z"  # rounded up (fact 10)
