"""IAM behaviour the layer adds to moto: the inline size quota (fact 17) and
SimulatePrincipalPolicy with a date context entry (fact 20)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox
from tests.sandbox.helpers import error_of, make_user, revocation_deny


def _padded_policy(size: int) -> str:
    """A valid policy of exactly `size` non-whitespace characters, pretty-printed."""
    base = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    empty = len(json.dumps(base, separators=(",", ":")))
    base["Statement"][0]["Sid"] = "P" * (size - empty)
    text = json.dumps(base, indent=4)  # white space does not count
    assert len("".join(text.split())) == size
    return text


def test_account_summary_reports_the_inline_quotas(sandbox: Sandbox) -> None:
    summary = sandbox.client("iam").get_account_summary()["SummaryMap"]
    assert summary["UserPolicySizeQuota"] == 2048
    assert summary["RolePolicySizeQuota"] == 10240
    assert summary["GroupPolicySizeQuota"] == 5120


def test_user_inline_quota_is_an_aggregate(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="one", PolicyDocument=_padded_policy(1500))
    iam.put_user_policy(UserName="alice", PolicyName="two", PolicyDocument=_padded_policy(548))
    with pytest.raises(ClientError) as over:
        iam.put_user_policy(
            UserName="alice", PolicyName="three", PolicyDocument=_padded_policy(200)
        )
    assert error_of(over) == (
        "LimitExceeded",
        "Maximum policy size of 2048 bytes exceeded for user alice",
        409,
    )
    # Replacing a policy frees its own share first.
    iam.put_user_policy(UserName="alice", PolicyName="two", PolicyDocument=_padded_policy(548))
    assert sorted(iam.list_user_policies(UserName="alice")["PolicyNames"]) == ["one", "two"]


@pytest.mark.parametrize(("kind", "quota"), [("role", 10240), ("group", 5120)])
def test_role_and_group_quotas(sandbox: Sandbox, kind: str, quota: int) -> None:
    iam = sandbox.client("iam")
    if kind == "role":
        iam.create_role(RoleName="ops", AssumeRolePolicyDocument="{}")
        put_policy, entity = iam.put_role_policy, {"RoleName": "ops"}
    else:
        iam.create_group(GroupName="ops")
        put_policy, entity = iam.put_group_policy, {"GroupName": "ops"}

    def put(name: str, document: str) -> None:
        put_policy(**entity, PolicyName=name, PolicyDocument=document)

    put("big", _padded_policy(quota - 200))
    put("fits", _padded_policy(200))
    with pytest.raises(ClientError) as over:
        put("more", _padded_policy(200))
    assert error_of(over) == (
        "LimitExceeded",
        f"Maximum policy size of {quota} bytes exceeded for {kind} ops",
        409,
    )


def test_simulate_principal_policy_with_a_date_context(sandbox: Sandbox) -> None:
    make_user(sandbox)  # inline "grant": allow everything
    iam = sandbox.client("iam")
    cutoff = "2026-11-29T05:00:01Z"
    iam.put_user_policy(
        UserName="alice",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(revocation_deny(cutoff)),
    )
    arn = "arn:aws:iam::123456789012:user/alice"

    def simulate(*entries: dict) -> dict:
        return iam.simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=["s3:ListAllMyBuckets"], ContextEntries=list(entries)
        )["EvaluationResults"][0]

    def issued(at: str) -> dict:
        return {
            "ContextKeyName": "aws:TokenIssueTime",
            "ContextKeyValues": [at],
            "ContextKeyType": "date",
        }

    before = simulate(issued("2026-11-29T05:00:00Z"))
    assert before["EvalDecision"] == "explicitDeny"
    assert before["EvalActionName"] == "s3:ListAllMyBuckets"
    assert before["EvalResourceName"] == "*"
    assert before["MatchedStatements"] == [
        {"SourcePolicyId": "AWSRevokeOlderSessions", "SourcePolicyType": "user"}
    ]
    after = simulate(issued("2026-11-29T05:00:02Z"))
    assert after["EvalDecision"] == "allowed"
    assert after["MatchedStatements"] == [{"SourcePolicyId": "grant", "SourcePolicyType": "user"}]
    # No aws:TokenIssueTime at all: a long-term key (fact 9).
    assert simulate()["EvalDecision"] == "allowed"


def test_simulate_includes_group_policies_and_implicit_deny(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="auditors")
    iam.add_user_to_group(GroupName="auditors", UserName="bob")
    read = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
    }
    iam.put_group_policy(GroupName="auditors", PolicyName="read", PolicyDocument=json.dumps(read))
    results = iam.simulate_principal_policy(
        PolicySourceArn="arn:aws:iam::123456789012:user/bob",
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=["arn:aws:s3:::evidence/log.txt"],
    )["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    assert decisions == {"s3:GetObject": "allowed", "s3:PutObject": "implicitDeny"}
    assert results[0]["MatchedStatements"] == [
        {"SourcePolicyId": "read", "SourcePolicyType": "group"}
    ]
    assert results[1]["MatchedStatements"] == []


def test_simulate_unknown_principal(sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as missing:
        sandbox.client("iam").simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:user/nobody", ActionNames=["s3:GetObject"]
        )
    assert error_of(missing)[:2] == ("NoSuchEntity", "The user with name nobody cannot be found.")


def test_simulate_context_types_and_lists(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument="{}")
    guarded = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ec2:StopInstances",
                "Resource": "*",
                "Condition": {
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                    "ForAnyValue:StringEquals": {"aws:TagKeys": ["incident"]},
                },
            }
        ],
    }
    iam.put_role_policy(RoleName="ops", PolicyName="mfa", PolicyDocument=json.dumps(guarded))

    def decision(mfa: str, age: str, tags: list[str]) -> str:
        return iam.simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:role/ops",
            ActionNames=["ec2:StopInstances"],
            ContextEntries=[
                {
                    "ContextKeyName": "aws:MultiFactorAuthPresent",
                    "ContextKeyValues": [mfa],
                    "ContextKeyType": "boolean",
                },
                {
                    "ContextKeyName": "aws:MultiFactorAuthAge",
                    "ContextKeyValues": [age],
                    "ContextKeyType": "numeric",
                },
                {
                    "ContextKeyName": "aws:TagKeys",
                    "ContextKeyValues": tags,
                    "ContextKeyType": "stringList",
                },
            ],
        )["EvaluationResults"][0]["EvalDecision"]

    assert decision("true", "60", ["owner", "incident"]) == "allowed"
    assert decision("false", "60", ["incident"]) == "implicitDeny"
    assert decision("true", "7200", ["incident"]) == "implicitDeny"
    assert decision("true", "60", ["owner"]) == "implicitDeny"
    with pytest.raises(ClientError) as bad:
        decision("true", "not-a-number", ["incident"])
    assert error_of(bad)[0] == "InvalidInput"
