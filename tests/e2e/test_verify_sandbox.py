"""End to end in the sandbox: a real session token issued before the cutoff is the probe,
and the revocation is verified in all three layers (the simulator included)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from revoke.sandbox import Sandbox
from tests.helpers import json_out, run_cli

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def _server() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    _server.reset()
    # The responder acts as the account root (a key no IAM user owns).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", _server.root_credentials["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", _server.root_credentials["aws_secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", _server.endpoint_url)
    return _server


def alice_key(sandbox: Sandbox) -> dict[str, str]:
    iam = sandbox.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    return {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }


def probe_profile(
    sandbox: Sandbox, key: dict[str, str], path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> dict[str, Any]:
    """A session token of alice's, written as a named profile (what the responder would
    have from `revoke token issue --write-profile`)."""
    creds = sandbox.client("sts", **key).get_session_token()["Credentials"]
    with path.open("a") as out:
        out.write(
            f"[{name}]\naws_access_key_id = {creds['AccessKeyId']}\n"
            f"aws_secret_access_key = {creds['SecretAccessKey']}\n"
            f"aws_session_token = {creds['SessionToken']}\n"
        )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
    return creds  # type: ignore[no-any-return]


def test_revoke_with_probe_confirms_enforcement(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = alice_key(sandbox)
    creds = probe_profile(sandbox, key, tmp_path / "credentials", monkeypatch, "probe")
    sandbox.client("s3", **creds).list_buckets()  # the token works before the revocation

    result = run_cli(
        "--output", "json", "user", "alice", "--before", "now", "--probe-profile", "probe"
    )
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    ver = target["verification"]
    assert ver["status"] == "verified"
    assert ver["read_back"]["status"] == "ok"
    assert ver["logic"]["status"] == "ok"
    assert ver["logic"]["simulation"]["status"] == "ok"  # the sandbox has a simulator
    assert ver["enforcement"]["status"] == "confirmed"
    assert ver["enforcement"]["attempts"] == 1
    assert "explicit deny in an identity-based policy" in ver["enforcement"]["message"]
    # Neither the probe's secret nor its session token reaches any output.
    for secret in (creds["SecretAccessKey"], creds["SessionToken"]):
        assert secret not in result.stdout + result.stderr

    again = run_cli("--output", "json", "verify", "user", "alice", "--probe-profile", "probe")
    assert again.exit_code == 0, again.stderr
    assert json_out(again)["targets"][0]["verification"]["enforcement"]["status"] == "confirmed"

    status = json_out(run_cli("--output", "json", "status"))
    assert [(t["kind"], t["name"], t["cutoff"]) for t in status["targets"]] == [
        (
            "user",
            "alice",
            target["policy_document"]["Statement"]["Condition"]["DateLessThan"][
                "aws:TokenIssueTime"
            ],
        )
    ]


def test_probe_issued_after_the_cutoff_is_never_denied(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = alice_key(sandbox)
    assert run_cli("--output", "json", "user", "alice", "--before", "-1m").exit_code == 0
    probe_profile(sandbox, key, tmp_path / "credentials", monkeypatch, "late")
    result = run_cli(
        "--output", "json", "verify", "user", "alice", "--probe-profile", "late", "--deadline", "0"
    )
    assert result.exit_code == 3, result.stderr
    enforcement = json_out(result)["targets"][0]["verification"]["enforcement"]
    assert (enforcement["status"], enforcement["attempts"]) == ("unconfirmed", 1)


def test_probe_profile_of_another_user_is_refused_before_anything_changes(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice_key(sandbox)
    iam = sandbox.client("iam")
    iam.create_user(UserName="bob")
    raw = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = {"aws_access_key_id": raw["AccessKeyId"], "aws_secret_access_key": raw["SecretAccessKey"]}
    probe_profile(sandbox, bob, tmp_path / "credentials", monkeypatch, "bob")
    result = run_cli(
        "--output", "json", "user", "alice", "--before", "now", "--probe-profile", "bob"
    )
    assert result.exit_code == 2, result.stderr
    assert "user/bob" in result.stderr
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["grant"]


IP_GUARDRAIL = {  # every request from outside 10.0.0.0/8 is denied, whatever the session
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    ],
}


def guarded_carol(sandbox: Sandbox, path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """carol: Allow * and an IP guardrail the sandbox's clients (127.0.0.1) fall under; her
    long-term key as profile `carol`."""
    iam = sandbox.client("iam")
    iam.create_user(UserName="carol")
    iam.put_user_policy(UserName="carol", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    iam.put_user_policy(
        UserName="carol", PolicyName="office", PolicyDocument=json.dumps(IP_GUARDRAIL)
    )
    raw = iam.create_access_key(UserName="carol")["AccessKey"]
    key = {"aws_access_key_id": raw["AccessKeyId"], "aws_secret_access_key": raw["SecretAccessKey"]}
    path.write_text(
        f"[carol]\naws_access_key_id = {key['aws_access_key_id']}\n"
        f"aws_secret_access_key = {key['aws_secret_access_key']}\n\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
    return key


def test_ledger_probe_issued_after_the_cutoff_is_refused_before_anything_changes(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The review's repro: before the fix, the guardrail's deny "confirmed" enforcement (exit 0)
    # with a token the cutoff does not cover.
    guarded_carol(sandbox, tmp_path / "credentials", monkeypatch)
    issued = run_cli("--profile", "carol", "token", "issue", "--write-profile", "carol-now")
    assert issued.exit_code == 0, issued.stderr
    result = run_cli("--yes", "user", "carol", "--before", "-1h", "--probe-profile", "carol-now")
    assert result.exit_code == 2, result.stderr
    assert "the probe token was issued at" in result.stderr
    assert "cannot show the revocation" in result.stderr
    names = sandbox.client("iam").list_user_policies(UserName="carol")["PolicyNames"]
    assert sorted(names) == ["grant", "office"]


@pytest.mark.parametrize("before", ["-1h", "now"])
def test_probe_denied_by_another_policy_is_inconclusive(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: str
) -> None:
    # A token the ledger does not know (minted elsewhere): issued after a -1h cutoff, or before
    # a "now" one, the guardrail denies it either way, so its explicit deny proves nothing.
    key = guarded_carol(sandbox, tmp_path / "credentials", monkeypatch)
    probe_profile(sandbox, key, tmp_path / "credentials", monkeypatch, "carol-probe")
    result = run_cli(
        "--output", "json", "--yes", "user", "carol", "--before", before,
        "--probe-profile", "carol-probe", "--deadline", "0",
    )  # fmt: skip
    assert result.exit_code == 3, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["status"] == "applied"
    ver = target["verification"]
    assert ver["status"] == "unverified"
    assert ver["enforcement"]["status"] == "inconclusive"
    assert "cannot be attributed to the revocation" in ver["enforcement"]["reason"]
    assert "=> unverified" in result.stderr
