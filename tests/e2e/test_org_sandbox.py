"""End to end in the sandbox, the issue's "done when": `revoke org --before now
--exempt-principal arn:aws:iam::…:role/BreakGlass` with its plan, verification and journal,
and `revoke user alice --all-accounts --before now` across the organization's accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.core.scp import SCP_POLICY_NAME, scp_cutoff, scp_exemptions
from revoke.sandbox import Sandbox
from revoke.state.journal import Journal
from tests.helpers import json_out, run_cli

pytestmark = pytest.mark.slow

ROLE = "OrganizationAccountAccessRole"


@pytest.fixture(scope="module")
def _server() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    _server.reset()
    # The responder acts as an IAM admin of the management account: the fan-out assumes
    # roles, which AWS refuses the account root.
    admin = _server.admin_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", admin["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", admin["aws_secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", _server.endpoint_url)
    return _server


@pytest.fixture
def org(sandbox: Sandbox) -> dict[str, Any]:
    orgs = sandbox.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    accounts = [
        orgs.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"][
            "AccountId"
        ]
        for name in ("prod", "dev")
    ]
    return {
        "orgs": orgs,
        "root": orgs.list_roots()["Roots"][0]["Id"],
        "accounts": accounts,
        "management": sandbox.account_id,
    }


def journal(tmp_path: Path) -> list[dict[str, Any]]:
    return Journal(tmp_path / "state" / "revoke" / "journal.jsonl").records()


def test_revoke_org_plan_apply_verify_journal_lift(
    sandbox: Sandbox, org: dict[str, Any], tmp_path: Path
) -> None:
    break_glass = f"arn:aws:iam::{org['accounts'][0]}:role/BreakGlass"
    args = ["--output", "json", "org", "--before", "now", "--exempt-principal", break_glass]

    plan = run_cli(*args, "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    (planned,) = json_out(plan)["targets"]
    assert planned["status"] == "planned"
    assert sorted(a["id"] for a in planned["covered_accounts"]) == sorted(org["accounts"])
    assert journal(tmp_path) == []

    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert (target["status"], target["verification"]["status"]) == ("applied", "verified")
    assert f"no SCP affects the management account {org['management']}" in result.stderr

    policies = org["orgs"].list_policies_for_target(
        TargetId=org["root"], Filter="SERVICE_CONTROL_POLICY"
    )["Policies"]
    (ours,) = [p for p in policies if p["Name"] == SCP_POLICY_NAME]
    content = json.loads(org["orgs"].describe_policy(PolicyId=ours["Id"])["Policy"]["Content"])
    assert scp_cutoff(content) == target["cutoff"]
    assert scp_exemptions(content) == [break_glass]

    (record,) = journal(tmp_path)
    assert (record["action"], record["target"]["kind"], record["status"]) == (
        "revoke",
        "org",
        "applied",
    )
    assert record["after"] == content

    lifted = run_cli("--output", "json", "lift", "org")
    assert lifted.exit_code == 0, lifted.stderr
    names = [
        p["Name"] for p in org["orgs"].list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    ]
    assert SCP_POLICY_NAME not in names
    assert [r["action"] for r in journal(tmp_path)] == ["revoke", "lift"]


def member_client(sandbox: Sandbox, account: str, service: str) -> Any:
    creds = sandbox.client("sts", **sandbox.admin_credentials()).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="setup"
    )["Credentials"]
    return sandbox.client(service, **creds)


def test_revoke_user_in_all_accounts(sandbox: Sandbox, org: dict[str, Any], tmp_path: Path) -> None:
    prod, dev = org["accounts"]
    # alice exists in both member accounts; in prod she holds a session from before.
    tokens = {}
    for account in (prod, dev):
        iam = member_client(sandbox, account, "iam")
        iam.create_user(UserName="alice")
        iam.put_user_policy(
            UserName="alice",
            PolicyName="grant",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                }
            ),
        )
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        tokens[account] = sandbox.client(
            "sts",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        ).get_session_token()["Credentials"]
    sandbox.client("s3", **tokens[prod]).list_buckets()  # works before the revocation

    plan = run_cli(
        "--output", "json", "user", "alice", "--all-accounts", "--before", "now", "--dry-run"
    )
    assert plan.exit_code == 0, plan.stderr
    assert sorted(t["account"] for t in json_out(plan)["targets"]) == sorted([prod, dev])

    result = run_cli("--output", "json", "user", "alice", "--all-accounts", "--before", "now")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert sorted((t["account"], t["status"]) for t in out["targets"]) == sorted(
        [(prod, "applied"), (dev, "applied")]
    )
    assert all(t["verification"]["status"] == "verified" for t in out["targets"])
    by_account = {a["account"]: a for a in out["accounts"]}
    assert by_account[org["management"]]["absent"] == ["alice"]
    assert by_account[prod]["role_arn"] == f"arn:aws:iam::{prod}:role/{ROLE}"

    # AWS (the sandbox's evaluator) now refuses alice's older session, in each account.
    for account in (prod, dev):
        with pytest.raises(Exception, match="explicit deny"):
            sandbox.client("s3", **tokens[account]).list_buckets()
        iam = member_client(sandbox, account, "iam")
        document = iam.get_user_policy(UserName="alice", PolicyName=POLICY_NAME)["PolicyDocument"]
        assert existing_cutoff(document) == out["cutoff"]

    changes = [r for r in journal(tmp_path) if r["action"] == "revoke"]
    assert sorted(r["account"] for r in changes) == sorted([prod, dev])


def test_a_wrong_assume_role_name_fails_in_every_member_account(
    sandbox: Sandbox, org: dict[str, Any], tmp_path: Path
) -> None:
    # AWS refuses AssumeRole of a role that does not exist; moto alone would not, and a
    # typo in --assume-role-name would have looked like a successful fan-out.
    prod, dev = org["accounts"]
    for account in (prod, dev):
        member_client(sandbox, account, "iam").create_user(UserName="alice")
    result = run_cli(
        "--output", "json", "user", "alice", "--all-accounts", "--before", "now",
        "--assume-role-name", "OrgAdmin",
    )  # fmt: skip
    assert result.exit_code != 0, result.stderr
    by_account = {a["account"]: a for a in json_out(result)["accounts"]}
    for account in (prod, dev):
        assert by_account[account]["status"] == "failed"
        assert by_account[account]["error_code"] == "AccessDenied"
        assert (
            f"is not authorized to perform: sts:AssumeRole on resource: "
            f"arn:aws:iam::{account}:role/OrgAdmin"
        ) in by_account[account]["error"]
        iam = member_client(sandbox, account, "iam")
        assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []
    assert [r for r in journal(tmp_path) if r["action"] == "revoke"] == []


def test_revoke_org_denies_an_old_member_session_and_spares_the_exempt_role(
    sandbox: Sandbox, org: dict[str, Any], tmp_path: Path
) -> None:
    """Issue 17's "done when": the SCP `revoke org` attaches is enforced by the sandbox in a
    member account (SCPs through the evaluator, level by level), so an old session there is
    refused with AWS's SCP wording, while the exempt role's old session and a session issued
    after the cutoff keep working, and the management account is untouched (fact 15)."""
    prod = org["accounts"][0]
    iam = member_client(sandbox, prod, "iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    for role in ("Worker", "BreakGlass"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        iam.put_role_policy(
            RoleName=role,
            PolicyName="all",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                }
            ),
        )

    def session(role: str, name: str) -> dict[str, Any]:
        return dict(
            sandbox.client("sts", **sandbox.admin_credentials()).assume_role(
                RoleArn=f"arn:aws:iam::{prod}:role/{role}", RoleSessionName=name
            )["Credentials"]
        )

    old_worker, old_break_glass = session("Worker", "old"), session("BreakGlass", "old")
    sandbox.client("s3", **old_worker).list_buckets()  # works before the revocation

    break_glass = f"arn:aws:iam::{prod}:role/BreakGlass"
    result = run_cli(
        "--output", "json", "org", "--before", "now", "--exempt-principal", break_glass
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert (target["status"], target["verification"]["status"]) == ("applied", "verified")

    with pytest.raises(Exception) as refused:
        sandbox.client("s3", **old_worker).list_buckets()
    message = str(refused.value)
    assert f"arn:aws:sts::{prod}:assumed-role/Worker/old" in message
    assert "with an explicit deny in a service control policy" in message
    sandbox.client("s3", **old_break_glass).list_buckets()  # exempt: spared

    sandbox.clock.advance(2)  # a session issued after the cutoff is not touched
    sandbox.client("s3", **session("Worker", "fresh")).list_buckets()
    sandbox.client("s3").list_buckets()  # no SCP affects the management account
