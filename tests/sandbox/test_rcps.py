"""An organization with resource control policies (issue 17, items 1-2): an RCP as AWS writes
it, with "Principal": "*" (AWS Organizations User Guide, RCP syntax,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html),
never stops the sandbox deciding a member account's requests.

The sandbox does not enforce RCPs (revoke.sandbox.orgscp); the request used here is one AWS
would not put under an RCP either: s3:ListAllMyBuckets authorizes no resource, and "RCPs apply
to the resources that are authorized as part of an operation request"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox
from tests.sandbox.helpers import error_of

DENY_S3_OUTSIDE_ORG = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EnforceOrgIdentities",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        }
    ],
}
DENY_SQS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}],
}


def attach(orgs: Any, target: str, kind: str, document: dict[str, Any], name: str) -> None:
    policy_id = orgs.create_policy(
        Name=name, Description=name, Type=kind, Content=json.dumps(document)
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=policy_id, TargetId=target)


def test_a_member_account_under_an_rcp_is_decided_not_internal_failure(sandbox: Sandbox) -> None:
    orgs = sandbox.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    for kind in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        orgs.enable_policy_type(RootId=root, PolicyType=kind)
    account = orgs.create_account(AccountName="prod", Email="prod@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"][
        "Id"
    ]
    orgs.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    attach(orgs, ou, "RESOURCE_CONTROL_POLICY", DENY_S3_OUTSIDE_ORG, "org-identities-only")
    attach(orgs, account, "RESOURCE_CONTROL_POLICY", DENY_S3_OUTSIDE_ORG, "again-at-account")
    attach(orgs, ou, "SERVICE_CONTROL_POLICY", DENY_SQS, "no-sqs")
    creds = sandbox.client("sts", **sandbox.admin_credentials()).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="ops",
    )["Credentials"]

    sandbox.client("s3", **creds).list_buckets()
    with pytest.raises(ClientError) as refused:
        sandbox.client("sqs", **creds).list_queues()
    code, message, _ = error_of(refused)
    assert code != "InternalFailure"
    assert message.endswith("with an explicit deny in a service control policy")
