"""IAM service-specific credentials in the sandbox (moto 5.2.5 has none), through boto3, and
the check a service makes when one is used (the sandbox serves none of those services)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from revoke.sandbox import CredentialRefused, Sandbox
from tests.sandbox.helpers import error_of, make_user

GIT = "codecommit.amazonaws.com"
BEDROCK = "bedrock.amazonaws.com"
SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDexample alice@laptop"


def _all(iam: Any, **kwargs: Any) -> list[dict[str, Any]]:
    found, args = [], dict(kwargs)
    while True:
        page = iam.list_service_specific_credentials(**args)
        found += page["ServiceSpecificCredentials"]
        if not page.get("IsTruncated"):
            return found
        args["Marker"] = page["Marker"]


def test_create_list_deactivate_reset_delete(sandbox: Sandbox) -> None:
    make_user(sandbox)
    iam = sandbox.client("iam")
    git = iam.create_service_specific_credential(UserName="alice", ServiceName=GIT)[
        "ServiceSpecificCredential"
    ]
    assert git["ServiceUserName"] == "alice-at-123456789012"
    assert git["ServicePassword"] and git["Status"] == "Active"
    assert git["ServiceSpecificCredentialId"].startswith("ACCA")
    api_key = iam.create_service_specific_credential(
        UserName="alice", ServiceName=BEDROCK, CredentialAgeDays=30
    )["ServiceSpecificCredential"]
    assert api_key["ServiceCredentialAlias"] and api_key["ServiceCredentialSecret"]
    assert "ServicePassword" not in api_key
    assert (api_key["ExpirationDate"] - api_key["CreateDate"]).days == 30

    listed = iam.list_service_specific_credentials(UserName="alice")
    assert listed["IsTruncated"] is False
    rows = {c["ServiceName"]: c for c in listed["ServiceSpecificCredentials"]}
    assert set(rows) == {GIT, BEDROCK}
    assert "ServicePassword" not in rows[GIT] and "ServiceCredentialSecret" not in rows[BEDROCK]
    assert [c["ServiceName"] for c in _all(iam, UserName="alice", ServiceName=GIT)] == [GIT]

    git_id = git["ServiceSpecificCredentialId"]
    sandbox.use_service_credential(GIT, git["ServiceUserName"], git["ServicePassword"])
    iam.update_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=git_id, Status="Inactive"
    )
    assert _all(iam, UserName="alice", ServiceName=GIT)[0]["Status"] == "Inactive"
    with pytest.raises(CredentialRefused, match="Inactive"):
        sandbox.use_service_credential(GIT, git["ServiceUserName"], git["ServicePassword"])

    reset = iam.reset_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=git_id
    )["ServiceSpecificCredential"]
    assert reset["ServicePassword"] != git["ServicePassword"]
    iam.update_service_specific_credential(
        ServiceSpecificCredentialId=git_id, Status="Active", UserName="alice"
    )
    with pytest.raises(CredentialRefused, match="authentication failed"):
        sandbox.use_service_credential(GIT, git["ServiceUserName"], git["ServicePassword"])
    sandbox.use_service_credential(GIT, git["ServiceUserName"], reset["ServicePassword"])

    iam.delete_service_specific_credential(UserName="alice", ServiceSpecificCredentialId=git_id)
    assert [c["ServiceName"] for c in _all(iam, UserName="alice")] == [BEDROCK]
    with pytest.raises(ClientError) as excinfo:
        iam.delete_service_specific_credential(UserName="alice", ServiceSpecificCredentialId=git_id)
    assert error_of(excinfo)[0] == "NoSuchEntity" and error_of(excinfo)[2] == 404


def test_an_api_key_expires_on_the_sandbox_clock(sandbox: Sandbox) -> None:
    make_user(sandbox)
    iam = sandbox.client("iam")
    key = iam.create_service_specific_credential(
        UserName="alice", ServiceName=BEDROCK, CredentialAgeDays=1
    )["ServiceSpecificCredential"]
    sandbox.clock.advance(86_400)
    assert _all(iam, UserName="alice")[0]["Status"] == "Expired"
    with pytest.raises(CredentialRefused, match="Expired"):
        sandbox.use_service_credential(
            BEDROCK, key["ServiceCredentialAlias"], key["ServiceCredentialSecret"]
        )


def test_all_users_pages_the_whole_account(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    for name in ("alice", "bob", "carol"):
        iam.create_user(UserName=name)
        iam.create_service_specific_credential(UserName=name, ServiceName=GIT)
        iam.create_service_specific_credential(UserName=name, ServiceName=BEDROCK)
    first = iam.list_service_specific_credentials(AllUsers=True, MaxItems=4)
    assert first["IsTruncated"] is True and len(first["ServiceSpecificCredentials"]) == 4
    everything = _all(iam, AllUsers=True, MaxItems=4)
    assert sorted({c["UserName"] for c in everything}) == ["alice", "bob", "carol"]
    assert len(everything) == 6
    assert len(_all(iam, AllUsers=True, ServiceName=GIT)) == 3
    with pytest.raises(ClientError) as excinfo:
        iam.list_service_specific_credentials(AllUsers=True, UserName="alice")
    assert error_of(excinfo)[0] == "InvalidInput"


def test_aws_refusals(sandbox: Sandbox) -> None:
    make_user(sandbox)
    iam = sandbox.client("iam")
    with pytest.raises(ClientError) as excinfo:
        iam.create_service_specific_credential(UserName="nobody", ServiceName=GIT)
    assert error_of(excinfo)[0] == "NoSuchEntity" and error_of(excinfo)[2] == 404
    with pytest.raises(ClientError) as excinfo:
        iam.create_service_specific_credential(UserName="alice", ServiceName="s3.amazonaws.com")
    assert error_of(excinfo)[0] == "NotSupportedService"
    iam.create_service_specific_credential(UserName="alice", ServiceName=GIT)
    iam.create_service_specific_credential(UserName="alice", ServiceName=GIT)
    with pytest.raises(ClientError) as excinfo:
        iam.create_service_specific_credential(UserName="alice", ServiceName=GIT)
    assert error_of(excinfo)[0] == "LimitExceeded" and error_of(excinfo)[2] == 409
    with pytest.raises(ClientError) as excinfo:
        iam.update_service_specific_credential(
            UserName="alice", ServiceSpecificCredentialId="ACCA" + "X" * 17, Status="Inactive"
        )
    assert error_of(excinfo)[0] == "NoSuchEntity"


def test_the_signing_user_is_the_default_and_policies_apply(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)
    own = sandbox.client("iam", **alice)
    own.create_service_specific_credential(UserName="alice", ServiceName=GIT)
    listed = own.list_service_specific_credentials()  # UserName: the signer
    assert [c["UserName"] for c in listed["ServiceSpecificCredentials"]] == ["alice"]
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Action": "iam:CreateServiceSpecificCredential", "Resource": "*"}
        ],
    }
    sandbox.client("iam").put_user_policy(
        UserName="alice", PolicyName="no", PolicyDocument=json.dumps(deny)
    )
    with pytest.raises(ClientError) as excinfo:
        own.create_service_specific_credential(UserName="alice", ServiceName=BEDROCK)
    code, message, _ = error_of(excinfo)
    assert code == "AccessDenied" and "explicit deny" in message


def test_an_inactive_ssh_key_is_refused(sandbox: Sandbox) -> None:
    make_user(sandbox)
    iam = sandbox.client("iam")
    key_id = iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=SSH_KEY)["SSHPublicKey"][
        "SSHPublicKeyId"
    ]
    sandbox.use_ssh_key("alice", key_id)
    iam.update_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id, Status="Inactive")
    with pytest.raises(CredentialRefused, match="Inactive"):
        sandbox.use_ssh_key("alice", key_id)
    with pytest.raises(CredentialRefused, match="no SSH public key"):
        sandbox.use_ssh_key("alice", "APKANOSUCHKEY")


def test_calls_are_in_cloudtrail_without_the_secret(sandbox: Sandbox) -> None:
    make_user(sandbox)
    created = sandbox.client("iam").create_service_specific_credential(
        UserName="alice", ServiceName=GIT
    )["ServiceSpecificCredential"]
    (record,) = [
        r for r in sandbox.trail.events() if r["eventName"] == "CreateServiceSpecificCredential"
    ]
    assert record["requestParameters"] == {"userName": "alice", "serviceName": GIT}
    assert record["responseElements"]["serviceSpecificCredential"]["serviceUserName"]
    assert created["ServicePassword"] not in json.dumps(record)
