"""AWS managed policies exist in every account, as in AWS (IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html);
the sandbox loads the one a request names (moto loads none by default)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_an_aws_managed_policy_can_be_attached_and_read_in_any_account(sandbox: Any) -> None:
    iam = sandbox.client("iam")
    iam.create_user(UserName="ci")
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    iam.attach_user_policy(UserName="ci", PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName="ci")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]
    assert (
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]["PolicyName"]
        == "ReadOnlyAccess"
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere",
        "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole",  # its path is service-role/
    ],
)
def test_a_policy_aws_does_not_have_is_still_no_such_entity(sandbox: Any, arn: str) -> None:
    iam = sandbox.client("iam")
    iam.create_user(UserName="ci")
    with pytest.raises(ClientError) as refused:
        iam.attach_user_policy(UserName="ci", PolicyArn=arn)
    assert refused.value.response["Error"]["Code"] == "NoSuchEntity"
