"""Issue 9 in the sandbox: `revoke key KEY_ID` contains the owner of a leaked key.

The sandbox makes the containment observable: a session minted with the leaked key before
the run is refused with an explicit deny afterwards, the deactivated key mints nothing
more, and the other key keeps working. The cases of the issue: an AKIA key of a user, an
unknown key, a malformed ID, a key of another account, an ASIA key found through the
token ledger, and an ASIA key nobody can name (the sandbox has no CloudTrail).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.sandbox import Sandbox
from revoke.sandbox.tokens import key_id_for_account
from revoke.state.journal import Journal
from tests.helpers import assert_clean_failure, json_out, run_cli

pytestmark = pytest.mark.slow

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
ROLE = "OrganizationAccountAccessRole"


@pytest.fixture(scope="module")
def _server() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox
        sandbox.reset()  # moto's state is process-global: leave none to later modules


@pytest.fixture
def sandbox(_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    _server.reset()
    # The responder acts as the account root (a key no IAM user owns).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", _server.root_credentials["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", _server.root_credentials["aws_secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", _server.endpoint_url)
    return _server


def journal() -> list[dict[str, Any]]:
    path = Path(os.environ["XDG_STATE_HOME"]) / "revoke" / "journal.jsonl"
    return [r for r in Journal(path).records() if r["action"] != "verify"]


def creds(raw: dict[str, Any]) -> dict[str, str]:
    found = {
        "aws_access_key_id": raw["AccessKeyId"],
        "aws_secret_access_key": raw["SecretAccessKey"],
    }
    if raw.get("SessionToken"):
        found["aws_session_token"] = raw["SessionToken"]
    return found


def make_alice(sandbox: Sandbox, iam: Any | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    iam = iam or sandbox.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    leaked = iam.create_access_key(UserName="alice")["AccessKey"]
    other = iam.create_access_key(UserName="alice")["AccessKey"]
    return leaked, other


def refused(call: Any) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call()
    return str(err.value)


def test_a_leaked_user_key_is_contained_with_the_plan_verification_and_journal(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaked, other = make_alice(sandbox)
    # The attacker used the key and minted a session with it.
    sandbox.client("s3", **creds(leaked)).list_buckets()
    attacker = sandbox.client("sts", **creds(leaked)).get_session_token()["Credentials"]
    sandbox.client("s3", **creds(attacker)).list_buckets()
    profiles = tmp_path / "credentials"
    profiles.write_text(
        "[attacker]\n"
        f"aws_access_key_id = {attacker['AccessKeyId']}\n"
        f"aws_secret_access_key = {attacker['SecretAccessKey']}\n"
        f"aws_session_token = {attacker['SessionToken']}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(profiles))

    plan = run_cli("--output", "json", "key", leaked["AccessKeyId"], "--before", "now", "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    assert json_out(plan)["targets"][0]["status"] == "planned"
    assert journal() == []

    result = run_cli(
        "--output",
        "json",
        "key",
        leaked["AccessKeyId"],
        "--before",
        "now",
        "--probe-profile",
        "attacker",
    )
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["key"]["owner"]["name"] == "alice"
    assert out["key"]["last_used"]["service"] == "s3"  # evidence: the attacker's call
    (target,) = out["targets"]
    assert (target["status"], target["verification"]["status"]) == ("applied", "verified")
    assert target["verification"]["enforcement"]["status"] == "confirmed"

    # The attacker's session is denied, and the leaked key mints nothing more (fact 3).
    assert "explicit deny in an identity-based policy" in refused(
        lambda: sandbox.client("s3", **creds(attacker)).list_buckets()
    )
    assert "InvalidClientTokenId" in refused(
        lambda: sandbox.client("sts", **creds(leaked)).get_session_token()
    )
    # The other key is left alone (and warned about): it still works.
    assert f"keeps other active access keys ({other['AccessKeyId']})" in result.stderr
    sandbox.client("s3", **creds(other)).list_buckets()

    (record,) = journal()
    assert record["target"]["name"] == "alice" and record["status"] == "applied"
    assert [(s["access_key_id"], s["result"]) for s in record["containment"]] == [
        (leaked["AccessKeyId"], "done")
    ]
    assert record["evidence"]["inline_policies"] == {"grant": ALLOW_ALL}
    text = result.stdout + result.stderr + json.dumps(record)
    for secret in (
        leaked["SecretAccessKey"],
        attacker["SecretAccessKey"],
        attacker["SessionToken"],
    ):
        assert secret not in text


def test_an_unknown_key_changes_nothing(sandbox: Sandbox) -> None:
    make_alice(sandbox)
    result = run_cli("--output", "json", "key", key_id_for_account("AKIA", sandbox.account_id))
    assert_clean_failure(result, 254)
    assert "no IAM user in account 123456789012 owns access key" in result.stderr
    assert sandbox.client("iam").list_user_policies(UserName="alice")["PolicyNames"] == ["grant"]
    assert journal() == []


def test_a_malformed_id_is_refused_before_any_call(sandbox: Sandbox) -> None:
    result = run_cli("--output", "json", "key", "AKIA0000000000000000")
    assert_clean_failure(result, 2)
    assert "characters no AWS ID uses: 0" in result.stderr


def test_a_key_of_another_account(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    orgs = sandbox.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    member = orgs.create_account(AccountName="prod", Email="prod@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    # An IAM admin, not the root: --accounts assumes a role, which AWS refuses the root.
    admin = sandbox.admin_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", admin["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", admin["aws_secret_access_key"])
    role = sandbox.client("sts", **admin).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/{ROLE}", RoleSessionName="setup"
    )["Credentials"]
    member_iam = sandbox.client("iam", **creds(role))
    leaked, _ = make_alice(sandbox, member_iam)

    result = run_cli("--output", "json", "key", leaked["AccessKeyId"])
    assert_clean_failure(result, 2)
    assert f"belongs to account {member} (sts:GetAccessKeyInfo)" in result.stderr
    assert f"--accounts {member}" in result.stderr

    # Told where, it acts there through the organization's role, with the same flow.
    result = run_cli("--output", "json", "key", leaked["AccessKeyId"], "--accounts", member)
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["targets"][0]["verification"]["status"] == "verified"
    keys = member_iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert {k["AccessKeyId"]: k["Status"] for k in keys}[leaked["AccessKeyId"]] == "Inactive"
    assert POLICY_NAME in member_iam.list_user_policies(UserName="alice")["PolicyNames"]
    (record,) = journal()
    assert record["account"] == member


def test_a_session_key_found_in_the_token_ledger(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaked, _ = make_alice(sandbox)
    # A token issued with `revoke token issue` is in the ledger, with its issue time.
    with monkeypatch.context() as alice:
        alice.setenv("AWS_ACCESS_KEY_ID", leaked["AccessKeyId"])
        alice.setenv("AWS_SECRET_ACCESS_KEY", leaked["SecretAccessKey"])
        issued = run_cli("token", "issue", "--format", "json")
    assert issued.exit_code == 0, issued.stderr
    token = json.loads(issued.stdout)
    session = {
        "aws_access_key_id": token["AccessKeyId"],
        "aws_secret_access_key": token["SecretAccessKey"],
        "aws_session_token": token["SessionToken"],
    }
    sandbox.client("s3", **session).list_buckets()

    # A cutoff of an hour ago would spare the token (fact 22): it is moved after its issue.
    result = run_cli("--output", "json", "key", token["AccessKeyId"], "--before", "-1h")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["key"]["owner"] == {
        "kind": "user",
        "name": "alice",
        "arn": f"arn:aws:iam::{sandbox.account_id}:user/alice",
        "found_by": "token ledger",
    }
    assert out["key"]["minted_with"] == leaked["AccessKeyId"]
    assert "moved to" in out["key"]["cutoff_reason"]
    assert out["targets"][0]["verification"]["status"] == "verified"
    document = sandbox.client("iam").get_user_policy(UserName="alice", PolicyName=POLICY_NAME)
    assert existing_cutoff(document["PolicyDocument"]) == out["cutoff"]
    assert "explicit deny in an identity-based policy" in refused(
        lambda: sandbox.client("s3", **session).list_buckets()
    )
    # Sessions issued after the cutoff work: only the older ones were revoked.
    sandbox.clock.advance(2)
    fresh = sandbox.client("sts", **creds(leaked)).get_session_token()["Credentials"]
    sandbox.client("s3", **creds(fresh)).list_buckets()
    assert token["SecretAccessKey"] not in result.stdout + result.stderr


def test_a_session_key_nobody_can_name(sandbox: Sandbox) -> None:
    leaked, _ = make_alice(sandbox)
    session = sandbox.client("sts", **creds(leaked)).get_session_token()["Credentials"]
    result = run_cli("--output", "json", "key", session["AccessKeyId"])
    assert_clean_failure(result, 2)
    assert "nothing names the principal of session key" in result.stderr
    # the sandbox answers LookupEvents: the key signed nothing, so no event names it
    assert "not available: NotImplemented" not in result.stderr
    assert "revoke user NAME --before now" in result.stderr
    assert sandbox.client("iam").list_user_policies(UserName="alice")["PolicyNames"] == ["grant"]
