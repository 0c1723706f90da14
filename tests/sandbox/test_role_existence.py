"""Roles that do not exist: AssumeRole refuses them, and a session whose role is gone is
denied everything (implicit deny), as in AWS. moto alone assumes any ARN and would let
`revoke ... --assume-role-name WrongName` look fine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox
from tests.sandbox.helpers import ALLOW_ALL, error_of, make_user

ACCOUNT = "123456789012"
# The account root may not assume roles at all: the caller is the sandbox's IAM admin.
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/sandbox-admin"
ORG_ROLE = "OrganizationAccountAccessRole"


def not_authorized(caller: str, role_arn: str) -> str:
    """AWS's AccessDenied for a role the caller may not assume, existing or not."""
    return f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


def assume(sandbox: Sandbox, role_arn: str, **caller: Any) -> dict[str, Any]:
    signer = caller or sandbox.admin_credentials()
    creds: dict[str, Any] = sandbox.client("sts", **signer).assume_role(
        RoleArn=role_arn, RoleSessionName="probe"
    )["Credentials"]
    return creds


def make_role(sandbox: Sandbox, name: str = "ops", policy: dict[str, Any] = ALLOW_ALL) -> str:
    iam = sandbox.client("iam")
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="grant", PolicyDocument=json.dumps(policy))
    return arn


def delete_role(sandbox: Sandbox, name: str = "ops") -> None:
    iam = sandbox.client("iam")
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


def member_account(sandbox: Sandbox) -> str:
    orgs = sandbox.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    account: str = orgs.create_account(AccountName="prod", Email="prod@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    return account


# --- AssumeRole ------------------------------------------------------------------------


def test_assume_role_of_a_role_that_does_not_exist_is_denied(sandbox: Sandbox) -> None:
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/DoesNotExist"
    with pytest.raises(ClientError) as denied:
        assume(sandbox, role_arn)
    assert error_of(denied) == ("AccessDenied", not_authorized(ADMIN, role_arn), 403)
    assert len(sandbox.tokens) == 0  # no session was issued


def test_a_user_allowed_everything_still_cannot_assume_a_missing_role(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)  # her policy allows sts:AssumeRole on "*"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/DoesNotExist"
    with pytest.raises(ClientError) as denied:
        assume(sandbox, role_arn, **alice)
    assert error_of(denied) == (
        "AccessDenied",
        not_authorized(f"arn:aws:iam::{ACCOUNT}:user/alice", role_arn),
        403,
    )


def test_role_names_are_case_sensitive_when_assumed(sandbox: Sandbox) -> None:
    make_role(sandbox, "Deploy")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/deploy"
    with pytest.raises(ClientError) as denied:
        assume(sandbox, role_arn)
    assert error_of(denied)[:2] == ("AccessDenied", not_authorized(ADMIN, role_arn))
    assume(sandbox, f"arn:aws:iam::{ACCOUNT}:role/Deploy")  # the exact name works


def test_parameter_validation_comes_before_the_role_lookup(sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as invalid:
        sandbox.client("sts", config=Config(parameter_validation=False)).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/DoesNotExist",
            RoleSessionName="probe",
            DurationSeconds=60,
        )
    assert error_of(invalid)[0] == "ValidationError"


def test_a_role_in_an_account_the_sandbox_does_not_know_is_refused(sandbox: Sandbox) -> None:
    # No such role exists, whichever account the ARN names (see check_assume_role).
    role_arn = "arn:aws:iam::111111111111:role/Anything"
    with pytest.raises(ClientError) as denied:
        assume(sandbox, role_arn)
    assert error_of(denied) == ("AccessDenied", not_authorized(ADMIN, role_arn), 403)
    with pytest.raises(ClientError) as again:  # the lookup did not create the account
        assume(sandbox, f"arn:aws:iam::111111111111:role/{ORG_ROLE}")
    assert error_of(again)[0] == "AccessDenied"


def test_member_account_admin_role_works_and_a_wrong_role_name_does_not(
    sandbox: Sandbox,
) -> None:
    member = member_account(sandbox)
    creds = assume(sandbox, f"arn:aws:iam::{member}:role/{ORG_ROLE}")
    assert sandbox.client("iam", **creds).list_users()["Users"] == []  # AdministratorAccess

    # What `revoke ... --accounts MEMBER --assume-role-name OrgAdmin` asks for.
    wrong = f"arn:aws:iam::{member}:role/OrgAdmin"
    with pytest.raises(ClientError) as denied:
        assume(sandbox, wrong)
    assert error_of(denied) == ("AccessDenied", not_authorized(ADMIN, wrong), 403)
    # ...and a role of that name in the management account is no help in the member's.
    make_role(sandbox, "OrgAdmin")
    with pytest.raises(ClientError):
        assume(sandbox, wrong)


def test_assume_role_with_web_identity_of_a_missing_role(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", config=Config(signature_version=UNSIGNED))
    with pytest.raises(ClientError) as denied:
        sts.assume_role_with_web_identity(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/DoesNotExist",
            RoleSessionName="probe",
            WebIdentityToken="x" * 10,
        )
    assert error_of(denied) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        403,
    )


# --- sessions of a role that is gone ----------------------------------------------------


def test_session_of_a_deleted_role_is_denied(sandbox: Sandbox) -> None:
    role_arn = make_role(sandbox)
    creds = assume(sandbox, role_arn)
    s3 = sandbox.client("s3", **creds)
    s3.list_buckets()  # allowed while the role exists

    delete_role(sandbox)
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/probe"
    with pytest.raises(ClientError) as denied:
        s3.list_buckets()
    assert error_of(denied) == (
        "AccessDenied",
        f"User: {session} is not authorized to perform: s3:ListAllMyBuckets "
        "because no identity-based policy allows the s3:ListAllMyBuckets action",
        403,
    )
    with pytest.raises(ClientError) as iam_denied:
        sandbox.client("iam", **creds).list_users()
    message = error_of(iam_denied)[1]
    assert "because no identity-based policy allows the iam:ListUsers action" in message
    # Who am I needs no permission (fact 13).
    assert sandbox.client("sts", **creds).get_caller_identity()["Arn"] == session


def test_a_recreated_role_does_not_revive_the_old_sessions(sandbox: Sandbox) -> None:
    role_arn = make_role(sandbox)
    old = assume(sandbox, role_arn)
    delete_role(sandbox)
    assert make_role(sandbox) == role_arn  # same name, same ARN, a new role ID

    with pytest.raises(ClientError) as denied:
        sandbox.client("s3", **old).list_buckets()
    assert "no identity-based policy allows" in error_of(denied)[1]
    new = assume(sandbox, role_arn)
    assert sandbox.client("s3", **new).list_buckets()["Buckets"] == []


def test_session_of_a_deleted_member_account_role_is_denied(sandbox: Sandbox) -> None:
    member = member_account(sandbox)
    admin = assume(sandbox, f"arn:aws:iam::{member}:role/{ORG_ROLE}")
    member_iam = sandbox.client("iam", **admin)
    member_iam.create_role(RoleName="ci", AssumeRolePolicyDocument="{}")
    member_iam.put_role_policy(
        RoleName="ci", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL)
    )
    ci = assume(sandbox, f"arn:aws:iam::{member}:role/ci")
    sandbox.client("s3", **ci).list_buckets()

    member_iam.delete_role_policy(RoleName="ci", PolicyName="grant")
    member_iam.delete_role(RoleName="ci")
    with pytest.raises(ClientError) as denied:
        sandbox.client("s3", **ci).list_buckets()
    assert error_of(denied)[0] == "AccessDenied"
    assert "no identity-based policy allows" in error_of(denied)[1]
