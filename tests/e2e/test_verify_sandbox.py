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
