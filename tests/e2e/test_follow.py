"""Issue 16's "done when", in the sandbox: a leaked access key assumes two roles (one in a
member account), mints a federation token, and its admin session creates an access key for
another user; `revoke key KEY --follow --before now` leaves none of those sessions or
credentials working while the roles' other sessions keep working, and every change is
journalled and liftable. The sandbox records CloudTrail for every request and answers
LookupEvents, so the trace is the real one (revoke.ops.trace over the sandbox's trail)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from revoke.core.sessiondeny import SESSION_POLICY_NAME, denied_sessions
from revoke.sandbox import Sandbox
from revoke.state.journal import Journal
from tests.helpers import json_out, run_cli

pytestmark = pytest.mark.slow

ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
ROLE = "OrganizationAccountAccessRole"


@pytest.fixture(scope="module")
def _server() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox
        sandbox.reset()


@pytest.fixture
def sandbox(_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    _server.reset()
    # An IAM admin, not the root: --accounts assumes roles, which AWS refuses the root.
    admin = _server.admin_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", admin["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", admin["aws_secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", _server.endpoint_url)
    return _server


def creds(raw: dict[str, Any]) -> dict[str, str]:
    found = {
        "aws_access_key_id": raw["AccessKeyId"],
        "aws_secret_access_key": raw["SecretAccessKey"],
    }
    if raw.get("SessionToken"):
        found["aws_session_token"] = raw["SessionToken"]
    return found


def trust(account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def works(sandbox: Sandbox, credentials: dict[str, str]) -> bool:
    try:
        sandbox.client("s3", **credentials).list_buckets()
    except botocore.exceptions.ClientError:
        return False
    return True


def journal(tmp_path: Path) -> list[dict[str, Any]]:
    return [
        r
        for r in Journal(tmp_path / "state" / "revoke" / "journal.jsonl").records()
        if r["action"] not in ("verify", "intent")
    ]


def member_env(sandbox: Sandbox, account: str, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = sandbox.client("sts", **sandbox.admin_credentials()).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="responder"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", issued["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", issued["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", issued["SessionToken"])


@pytest.fixture
def incident(sandbox: Sandbox) -> dict[str, Any]:
    orgs = sandbox.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    prod = orgs.create_account(AccountName="prod", Email="prod@example.com")["CreateAccountStatus"][
        "AccountId"
    ]
    home = sandbox.account_id
    iam = sandbox.client("iam")
    for user in ("alice", "bob"):
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="grant", PolicyDocument=ALLOW_ALL)
    leaked = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.create_role(RoleName="Admin", AssumeRolePolicyDocument=trust(home))
    iam.put_role_policy(RoleName="Admin", PolicyName="all", PolicyDocument=ALLOW_ALL)
    setup = sandbox.client("sts", **sandbox.admin_credentials()).assume_role(
        RoleArn=f"arn:aws:iam::{prod}:role/{ROLE}", RoleSessionName="setup"
    )["Credentials"]
    prod_iam = sandbox.client("iam", **creds(setup))
    prod_iam.create_role(RoleName="Deployer", AssumeRolePolicyDocument=trust(home))
    prod_iam.put_role_policy(RoleName="Deployer", PolicyName="all", PolicyDocument=ALLOW_ALL)

    # the roles' legitimate sessions, from before the incident (an admin's: not root's)
    sts = sandbox.client("sts", **sandbox.admin_credentials())
    legit_admin = sts.assume_role(RoleArn=f"arn:aws:iam::{home}:role/Admin", RoleSessionName="ci")[
        "Credentials"
    ]
    legit_deployer = sts.assume_role(
        RoleArn=f"arn:aws:iam::{prod}:role/Deployer", RoleSessionName="ci"
    )["Credentials"]

    attacker = sandbox.client("sts", **creds(leaked))
    admin = attacker.assume_role(
        RoleArn=f"arn:aws:iam::{home}:role/Admin", RoleSessionName="pivot"
    )["Credentials"]
    deployer = attacker.assume_role(
        RoleArn=f"arn:aws:iam::{prod}:role/Deployer", RoleSessionName="pivot-prod"
    )["Credentials"]
    federated = attacker.get_federation_token(Name="fed", Policy=ALLOW_ALL)["Credentials"]
    bob_key = sandbox.client("iam", **creds(admin)).create_access_key(UserName="bob")["AccessKey"]
    found = {
        "home": home,
        "prod": prod,
        "leaked": leaked,
        "attacker": {
            "admin": creds(admin),
            "deployer": creds(deployer),
            "federated": creds(federated),
            "leaked": creds(leaked),
            "bob_key": creds(bob_key),
        },
        "legit": {"admin": creds(legit_admin), "deployer": creds(legit_deployer)},
        "bob_key": bob_key["AccessKeyId"],
    }
    for name, credentials in found["attacker"].items():
        assert works(sandbox, credentials), name
    return found


def test_follow_contains_the_tree_and_spares_the_roles_other_sessions(
    sandbox: Sandbox,
    incident: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = incident["leaked"]["AccessKeyId"]
    accounts = f"{incident['home']},{incident['prod']}"
    args = ["--output", "json", "key", key, "--follow", "--before", "now", "--accounts", accounts]

    plan = run_cli(*args, "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    planned = json_out(plan)
    assert planned["action"] == "follow" and planned["dry_run"] is True
    assert {(t["account"], t["kind"], t["name"]) for t in planned["targets"]} == {
        (incident["home"], "role", "Admin"),
        (incident["prod"], "role", "Deployer"),
        (incident["home"], "user", "alice"),
        (incident["home"], "user", "bob"),
    }
    assert journal(tmp_path) == []

    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    for text in (result.stdout, result.stderr):  # no secret in output
        for credentials in incident["attacker"].values():
            assert credentials["aws_secret_access_key"] not in text
    by_name = {t["name"]: t for t in out["targets"]}
    assert all(t["status"] == "applied" for t in out["targets"]), out["targets"]
    assert by_name["Admin"]["verification"]["status"] == "verified"
    admin_doc = by_name["Admin"]["policy_document"]
    assert by_name["Admin"]["policy_name"] == SESSION_POLICY_NAME
    assert [u.split(":")[1] for u in denied_sessions(admin_doc)["userids"]] == ["pivot"]
    cases = {c["case"]: c for c in by_name["Admin"]["verification"]["logic"]["cases"]}
    assert cases["other_session_of_the_role"]["denied_by_revocation"] is False

    # None of the attacker's sessions or credentials works; the roles' other sessions do.
    for name, credentials in incident["attacker"].items():
        assert not works(sandbox, credentials), name
    for name, credentials in incident["legit"].items():
        assert works(sandbox, credentials), name
    status = {
        k["AccessKeyId"]: k["Status"]
        for user in ("alice", "bob")
        for k in sandbox.client("iam").list_access_keys(UserName=user)["AccessKeyMetadata"]
    }
    assert status[key] == status[incident["bob_key"]] == "Inactive"

    # Every change journalled, and liftable.
    records = journal(tmp_path)
    journalled = {(r["account"], r["target"]["kind"], r["target"]["name"]) for r in records}
    assert journalled == {(t["account"], t["kind"], t["name"]) for t in planned["targets"]}
    for kind, name in (("role", "Admin"), ("user", "alice"), ("user", "bob")):
        lifted = run_cli("--output", "json", "--yes", "lift", kind, name)
        assert lifted.exit_code == 0, lifted.stderr
    assert (
        SESSION_POLICY_NAME
        not in sandbox.client("iam").list_role_policies(RoleName="Admin")["PolicyNames"]
    )
    member_env(sandbox, incident["prod"], monkeypatch)
    lifted = run_cli("--output", "json", "--yes", "lift", "role", "Deployer")
    assert lifted.exit_code == 0, lifted.stderr
    assert works(sandbox, incident["attacker"]["deployer"])  # lifted: works again
    assert works(sandbox, incident["attacker"]["admin"])


def test_scope_role_denies_every_session_of_the_roles(
    sandbox: Sandbox, incident: dict[str, Any]
) -> None:
    key = incident["leaked"]["AccessKeyId"]
    accounts = f"{incident['home']},{incident['prod']}"
    result = run_cli(
        "--output", "json", "key", key, "--follow", "--before", "now",
        "--accounts", accounts, "--scope", "role",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    roles = [t for t in json_out(result)["targets"] if t["kind"] == "role"]
    assert {t["policy_name"] for t in roles} == {"AWSRevokeOlderSessions"}
    assert not works(sandbox, incident["legit"]["admin"])


def test_a_second_run_changes_nothing(sandbox: Sandbox, incident: dict[str, Any]) -> None:
    key = incident["leaked"]["AccessKeyId"]
    accounts = f"{incident['home']},{incident['prod']}"
    args = ["--output", "json", "key", key, "--follow", "--before", "now", "--accounts", accounts]
    assert run_cli(*args).exit_code == 0
    again = run_cli(*args)
    assert again.exit_code == 0, again.stderr
    roles = [t for t in json_out(again)["targets"] if t["kind"] == "role"]
    assert roles and all(t["status"] in ("unchanged", "applied") for t in roles)
    for t in roles:
        assert denied_sessions(t["policy_document"])["userids"]
