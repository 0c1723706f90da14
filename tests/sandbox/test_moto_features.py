"""What the toolkit needs from moto still works through the layer: IAM reads and writes,
Organizations, AssumeRole into other accounts, S3 ListBuckets."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox
from tests.sandbox.helpers import error_of, make_user, revocation_deny


def test_iam_reads_and_writes(sandbox: Sandbox) -> None:
    make_user(sandbox)
    iam = sandbox.client("iam")
    assert iam.get_user(UserName="alice")["User"]["Arn"] == "arn:aws:iam::123456789012:user/alice"
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["grant"]
    document = iam.get_user_policy(UserName="alice", PolicyName="grant")["PolicyDocument"]
    assert document["Statement"][0]["Effect"] == "Allow"
    iam.delete_user_policy(UserName="alice", PolicyName="grant")
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Active"


def test_organization_member_accounts_through_the_admin_role(sandbox: Sandbox) -> None:
    org = sandbox.client("organizations")
    org.create_organization(FeatureSet="ALL")
    status = org.create_account(AccountName="prod", Email="prod@example.com")["CreateAccountStatus"]
    member = status["AccountId"]
    assert member != sandbox.account_id
    accounts = {a["Id"] for a in org.list_accounts()["Accounts"]}
    assert {sandbox.account_id, member} <= accounts

    role_arn = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    admin = sandbox.admin_credentials()  # the account root may not assume roles
    creds = sandbox.client("sts", **admin).assume_role(
        RoleArn=role_arn, RoleSessionName="revoke-org"
    )["Credentials"]
    member_iam = sandbox.client("iam", **creds)
    assert sandbox.client("sts", **creds).get_caller_identity()["Account"] == member
    # The role has AdministratorAccess, as AWS gives it: writes in the member account work.
    member_iam.create_user(UserName="mallory")
    assert [u["UserName"] for u in member_iam.list_users()["Users"]] == ["mallory"]
    management = [u["UserName"] for u in sandbox.client("iam").list_users()["Users"]]
    assert management == ["sandbox-admin"]  # mallory is not in the management account

    # A revocation written into the member account applies to its role sessions.
    member_iam.put_role_policy(
        RoleName="OrganizationAccountAccessRole",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(revocation_deny("2999-01-01T00:00:00Z")),
    )
    with pytest.raises(ClientError) as denied:
        member_iam.list_users()
    assert "with an explicit deny in an identity-based policy" in error_of(denied)[1]


def test_user_in_another_account_gets_sessions_there(sandbox: Sandbox) -> None:
    org = sandbox.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="other", Email="other@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    setup = sandbox.client("sts", **sandbox.admin_credentials()).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="setup",
    )["Credentials"]
    other_iam = sandbox.client("iam", **setup)
    other_iam.create_user(UserName="carol")
    key = other_iam.create_access_key(UserName="carol")["AccessKey"]
    all_s3 = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    other_iam.put_user_policy(UserName="carol", PolicyName="s3", PolicyDocument=json.dumps(all_s3))
    carol = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    session = sandbox.client("sts", **carol).get_session_token()["Credentials"]
    identity = sandbox.client("sts", **session).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{member}:user/carol"
    s3 = sandbox.client("s3", **session)
    s3.create_bucket(Bucket="carols-bucket")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["carols-bucket"]
    assert sandbox.client("s3").list_buckets()["Buckets"] == []  # the default account's


def test_s3_list_buckets_for_root(sandbox: Sandbox) -> None:
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="alpha-bucket")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["alpha-bucket"]
