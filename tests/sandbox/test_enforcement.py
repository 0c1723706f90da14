"""What the sandbox enforces beyond identity policies (issue 17 item 3): SCPs by level in
member accounts, permissions boundaries, session policies (AssumeRole, GetFederationToken);
and what it refuses as AWS does: root AssumeRole, unsigned requests, MFA codes that are not
the device's, IAM names outside botocore's model."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox
from tests.sandbox.helpers import (
    ALLOW_ALL,
    error_of,
    make_user,
    mfa_code,
    revocation_deny,
    virtual_mfa,
)

NO_CLIENT_VALIDATION = Config(parameter_validation=False)


def allow(*actions: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


def deny(*actions: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": list(actions), "Resource": "*"}],
    }


def managed(sandbox: Sandbox, name: str, document: dict[str, Any], **creds: Any) -> str:
    iam = sandbox.client("iam", **creds)
    return str(
        iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    )


# --- MFA ----------------------------------------------------------------------------------


def test_a_code_of_another_device_is_refused(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)
    make_user(sandbox, "bob")
    serial, _ = virtual_mfa(sandbox, "alice")
    _, bobs_seed = virtual_mfa(sandbox, "bob")
    with pytest.raises(ClientError) as refused:
        sandbox.client("sts", **alice).get_session_token(
            SerialNumber=serial, TokenCode=mfa_code(sandbox, bobs_seed)
        )
    assert error_of(refused) == (
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        403,
    )


def test_a_code_is_used_once_and_the_next_one_passes(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", **make_user(sandbox))
    serial, seed = virtual_mfa(sandbox)
    code = mfa_code(sandbox, seed)
    sts.get_session_token(SerialNumber=serial, TokenCode=code)
    with pytest.raises(ClientError) as reused:
        sts.get_session_token(SerialNumber=serial, TokenCode=code)
    assert error_of(reused)[:2] == (
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
    )
    sandbox.clock.advance(30)  # the next 30-second step (RFC 6238), by the sandbox clock
    sts.get_session_token(SerialNumber=serial, TokenCode=mfa_code(sandbox, seed))


def test_a_code_from_long_ago_is_refused(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", **make_user(sandbox))
    serial, seed = virtual_mfa(sandbox)
    with pytest.raises(ClientError) as stale:
        sts.get_session_token(
            SerialNumber=serial, TokenCode=mfa_code(sandbox, seed, step_offset=-4)
        )
    assert error_of(stale)[0] == "AccessDenied"


def test_a_serial_that_is_not_the_users_device_is_refused(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)
    make_user(sandbox, "bob")
    bobs_serial, bobs_seed = virtual_mfa(sandbox, "bob")
    for serial in (bobs_serial, "arn:aws:iam::123456789012:mfa/nobody", "GAHT12345678"):
        with pytest.raises(ClientError) as refused:
            sandbox.client("sts", **alice).get_session_token(
                SerialNumber=serial, TokenCode=mfa_code(sandbox, bobs_seed)
            )
        code, message, status = error_of(refused)
        assert (code, status) == ("AccessDenied", 403)
        assert "associated with this user" in message


# --- IAM names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            {"UserName": "alice smith"},
            "Value 'alice smith' at 'userName' failed to satisfy constraint: Member must "
            r"satisfy regular expression pattern: [\w+=,.@-]+",
        ),
        ({"UserName": "a" * 65}, "Member must have length less than or equal to 64"),
        ({"UserName": "ålice"}, "at 'userName' failed to satisfy constraint"),
        ({"UserName": "alice", "Path": "no-slashes"}, "at 'path' failed to satisfy constraint"),
    ],
)
def test_create_user_names_iam_refuses(
    sandbox: Sandbox, call: dict[str, str], expected: str
) -> None:
    iam = sandbox.client("iam", config=NO_CLIENT_VALIDATION)
    with pytest.raises(ClientError) as refused:
        iam.create_user(**call)
    code, message, status = error_of(refused)
    assert (code, status) == ("ValidationError", 400)
    assert message.startswith("1 validation error detected: ")
    assert expected in message
    assert iam.list_users()["Users"] == []


def test_create_role_names_iam_refuses(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam", config=NO_CLIENT_VALIDATION)
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    with pytest.raises(ClientError) as refused:
        iam.create_role(RoleName="break/glass", AssumeRolePolicyDocument=trust)
    assert error_of(refused)[0] == "ValidationError"
    assert "at 'roleName' failed to satisfy constraint" in error_of(refused)[1]
    iam.create_role(RoleName="Break+Glass=1,a.b@c-d_e", AssumeRolePolicyDocument=trust)


# --- unsigned requests and root AssumeRole ------------------------------------------------


def test_an_unsigned_request_is_missing_its_authentication_token(sandbox: Sandbox) -> None:
    unsigned = Config(signature_version=UNSIGNED)
    with pytest.raises(ClientError) as refused:
        sandbox.client("iam", config=unsigned).list_users()
    assert error_of(refused) == (
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
        403,
    )
    with pytest.raises(ClientError) as refused:
        sandbox.client("organizations", config=unsigned).list_roots()
    assert error_of(refused)[0] == "MissingAuthenticationTokenException"


@pytest.fixture
def role_arn(sandbox: Sandbox) -> str:
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    return str(
        sandbox.client("iam").create_role(RoleName="app", AssumeRolePolicyDocument=trust)["Role"][
            "Arn"
        ]
    )


def test_the_long_term_root_key_is_refused_assume_role(sandbox: Sandbox, role_arn: str) -> None:
    # The sandbox's default credentials are its account root: AWS refuses it AssumeRole.
    with pytest.raises(ClientError) as refused:
        sandbox.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="xx")
    assert error_of(refused) == ("AccessDenied", "Roles may not be assumed by root accounts.", 403)
    # An IAM user allowed sts:AssumeRole may (the sandbox's admin user, AdministratorAccess).
    admin = sandbox.admin_credentials()
    session = sandbox.client("sts", **admin).assume_role(RoleArn=role_arn, RoleSessionName="xx")
    assert session["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/app/xx"


def test_root_session_credentials_never_assume_roles(sandbox: Sandbox, role_arn: str) -> None:
    creds = sandbox.client("sts").get_session_token()["Credentials"]
    with pytest.raises(ClientError) as refused:
        sandbox.client("sts", **creds).assume_role(RoleArn=role_arn, RoleSessionName="xx")
    assert error_of(refused) == ("AccessDenied", "Roles may not be assumed by root accounts.", 403)


# --- permissions boundaries ---------------------------------------------------------------


def test_a_users_permissions_boundary_caps_its_policies(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)  # allowed everything by its identity policy
    boundary = managed(sandbox, "only-s3", allow("s3:*"))
    sandbox.client("iam").put_user_permissions_boundary(
        UserName="alice", PermissionsBoundary=boundary
    )
    sandbox.client("s3", **alice).list_buckets()
    with pytest.raises(ClientError) as refused:
        sandbox.client("sqs", **alice).list_queues()
    assert error_of(refused)[1].endswith(
        "because no permissions boundary allows the sqs:ListQueues action"
    )
    sandbox.client("iam").delete_user_permissions_boundary(UserName="alice")
    sandbox.client("sqs", **alice).list_queues()


def test_a_roles_boundary_with_a_deny_names_the_boundary(sandbox: Sandbox, role_arn: str) -> None:
    iam = sandbox.client("iam")
    iam.put_role_policy(RoleName="app", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        ],
    }
    iam.put_role_permissions_boundary(
        RoleName="app", PermissionsBoundary=managed(sandbox, "no-listing", document)
    )
    admin = sandbox.admin_credentials()
    creds = sandbox.client("sts", **admin).assume_role(RoleArn=role_arn, RoleSessionName="ss")[
        "Credentials"
    ]
    with pytest.raises(ClientError) as refused:
        sandbox.client("s3", **creds).list_buckets()
    assert "with an explicit deny in a permissions boundary" in error_of(refused)[1]


# --- session policies ---------------------------------------------------------------------


def test_assume_role_session_policy_narrows_the_session(sandbox: Sandbox, role_arn: str) -> None:
    iam = sandbox.client("iam")
    iam.put_role_policy(RoleName="app", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    sts = sandbox.client("sts", **sandbox.admin_credentials())
    narrowed = sts.assume_role(
        RoleArn=role_arn, RoleSessionName="narrow", Policy=json.dumps(allow("s3:ListAllMyBuckets"))
    )["Credentials"]
    sandbox.client("s3", **narrowed).list_buckets()
    with pytest.raises(ClientError) as refused:
        sandbox.client("sqs", **narrowed).list_queues()
    assert error_of(refused)[1].endswith(
        "because no session policy allows the sqs:ListQueues action"
    )
    by_arn = sts.assume_role(
        RoleArn=role_arn,
        RoleSessionName="arns",
        PolicyArns=[{"arn": managed(sandbox, "queues", allow("sqs:*"))}],
    )["Credentials"]
    sandbox.client("sqs", **by_arn).list_queues()
    with pytest.raises(ClientError):
        sandbox.client("s3", **by_arn).list_buckets()
    plain = sts.assume_role(RoleArn=role_arn, RoleSessionName="plain")["Credentials"]
    sandbox.client("sqs", **plain).list_queues()  # no session policy: the role's alone
    sandbox.client("s3", **plain).list_buckets()


def test_federation_token_sessions(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)
    sts = sandbox.client("sts", **alice)
    nothing = sts.get_federation_token(Name="contractor")
    assert nothing["FederatedUser"]["Arn"] == (
        "arn:aws:sts::123456789012:federated-user/contractor"
    )
    with pytest.raises(ClientError) as refused:
        sandbox.client("s3", **nothing["Credentials"]).list_buckets()
    assert "because no session policy allows" in error_of(refused)[1]

    scoped = sts.get_federation_token(Name="contractor", Policy=json.dumps(allow("s3:*")))
    creds = scoped["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    who = sandbox.client("sts", **creds).get_caller_identity()
    assert who["Arn"] == "arn:aws:sts::123456789012:federated-user/contractor"
    sandbox.client("s3", **creds).list_buckets()
    with pytest.raises(ClientError) as no_iam:
        sandbox.client("iam", **creds).list_users()
    assert error_of(no_iam)[0] == "AccessDenied"

    # The deny on the user covers the sessions it federated (fact 26).
    sandbox.clock.advance(2)
    cutoff = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    sandbox.client("iam").put_user_policy(
        UserName="alice",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(revocation_deny(cutoff)),
    )
    with pytest.raises(ClientError) as revoked:
        sandbox.client("s3", **creds).list_buckets()
    assert "with an explicit deny in an identity-based policy" in error_of(revoked)[1]


# --- SCPs ---------------------------------------------------------------------------------


@pytest.fixture
def member(sandbox: Sandbox) -> dict[str, Any]:
    """An organization with SCPs enabled and one member account under an OU, and an
    allow-everything session of the member's OrganizationAccountAccessRole."""
    orgs = sandbox.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    account = orgs.create_account(AccountName="prod", Email="prod@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"][
        "Id"
    ]
    orgs.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    creds = sandbox.client("sts", **sandbox.admin_credentials()).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="ops",
    )["Credentials"]
    return {"orgs": orgs, "root": root, "ou": ou, "account": account, "creds": creds}


def attach_scp(member: dict[str, Any], target: str, document: dict[str, Any], name: str) -> str:
    orgs = member["orgs"]
    policy_id = orgs.create_policy(
        Name=name,
        Description=name,
        Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps(document),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=policy_id, TargetId=target)
    return str(policy_id)


def test_an_scp_binds_only_once_scps_are_enabled(sandbox: Sandbox, member: dict[str, Any]) -> None:
    attach_scp(member, member["ou"], deny("s3:*"), "no-s3")
    sandbox.client("s3", **member["creds"]).list_buckets()  # the type is not enabled yet
    member["orgs"].enable_policy_type(RootId=member["root"], PolicyType="SERVICE_CONTROL_POLICY")
    with pytest.raises(ClientError) as refused:
        sandbox.client("s3", **member["creds"]).list_buckets()
    message = error_of(refused)[1]
    assert message.startswith(
        f"User: arn:aws:sts::{member['account']}:assumed-role/OrganizationAccountAccessRole/ops"
    )
    assert message.endswith("with an explicit deny in a service control policy")
    sandbox.client("sqs", **member["creds"]).list_queues()
    sandbox.client("s3").list_buckets()  # the management account: no SCP affects it


def test_every_level_must_allow(sandbox: Sandbox, member: dict[str, Any]) -> None:
    orgs = member["orgs"]
    orgs.enable_policy_type(RootId=member["root"], PolicyType="SERVICE_CONTROL_POLICY")
    # An allow list at the OU: FullAWSAccess replaced by an SCP allowing SQS only.
    attach_scp(member, member["ou"], allow("sqs:*"), "sqs-only")
    sandbox.client("s3", **member["creds"]).list_buckets()  # FullAWSAccess still at the OU
    orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member["ou"])
    sandbox.client("sqs", **member["creds"]).list_queues()
    with pytest.raises(ClientError) as refused:
        sandbox.client("s3", **member["creds"]).list_buckets()
    assert error_of(refused)[1].endswith(
        "because no service control policy allows the s3:ListAllMyBuckets action"
    )
