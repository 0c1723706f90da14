"""Each policy type is read with the grammar AWS accepts for it (issue 17, items 1-2).

- RCPs: "Each statement must contain the Principal element. You can only specify "*" ...
  Use the Conditions element to restrict specific principals"; NotPrincipal and NotAction are
  not supported; Allow only in RCPFullAWSAccess; no Action "*" in a customer RCP
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html).
- SCPs: the full IAM language since September 2025 (Condition, resource ARNs and NotAction in
  Allow statements, NotResource, wildcards anywhere in an action), never Principal
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html).
- Identity policies, permissions boundaries, session policies: no Principal ("You cannot use
  the Principal element in an identity-based policy",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
"""

from __future__ import annotations

from typing import Any

import pytest

from revoke.core.evaluate import (
    POLICY_TYPES,
    PolicyEvaluationError,
    PolicyLevel,
    evaluate,
    evaluate_request,
    statement_matches,
)
from revoke.core.scp_proof import evaluate_scp, logic_context
from tests.core.evaluate.helpers import (
    ACCOUNT,
    ALLOW_ALL,
    CUTOFF,
    RCP_FULL_ACCESS,
    policy,
)

ORG = "o-a1b2c3d4e5"
INSIDE = {"aws:PrincipalOrgID": ORG, "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Dev"}
OUTSIDE = {
    "aws:PrincipalOrgID": "o-zzzzzzzzzz",
    "aws:PrincipalArn": "arn:aws:iam::444455556666:role/X",
}
OBJECT = "arn:aws:s3:::amzn-s3-demo-bucket/report.csv"

# The AWS examples, as written there (RCP examples, "Restrict access to only HTTPS connections
# to your resources"; RCP syntax, a data perimeter narrowed by a Condition).
ENFORCE_TLS = policy(
    {
        "Sid": "EnforceSecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["sts:*", "s3:*", "sqs:*", "secretsmanager:*", "kms:*"],
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}},
    }
)
ORG_ONLY = policy(
    {
        "Sid": "EnforceOrgIdentities",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "NotResource": "arn:aws:s3:::public-assets/*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}},
    }
)


def rcp_levels(at_root: dict[str, Any]) -> list[PolicyLevel]:
    return [
        PolicyLevel("root r-ab12", {"RCPFullAWSAccess": RCP_FULL_ACCESS, **at_root}),
        PolicyLevel("account 222222222222", {"RCPFullAWSAccess": RCP_FULL_ACCESS}),
    ]


def with_rcps(at_root: dict[str, Any], context: dict[str, Any], resource: str = OBJECT) -> Any:
    return evaluate_request(
        "s3:GetObject",
        resource,
        context,
        identity={"managed:All": ALLOW_ALL},
        rcps=rcp_levels(at_root),
    )


def refusal(document: dict[str, Any], kind: str) -> str:
    with pytest.raises(PolicyEvaluationError) as refused:
        evaluate({"p": document}, "s3:GetObject", OBJECT, policy_type=kind)  # type: ignore[arg-type]
    message = str(refused.value)
    assert "\n" not in message
    return message


# --- RCPs are read, and decide as AWS documents ----------------------------------------------


def test_rcp_full_aws_access_lets_every_request_through_to_the_other_policies() -> None:
    result = with_rcps({}, INSIDE)
    assert (result.decision, result.decided_by) == ("allow", "identity")
    denied = evaluate_request(
        "s3:GetObject", OBJECT, INSIDE, identity={}, rcps=rcp_levels({})
    )  # "This does not grant access": the identity policies still must allow
    assert (denied.decision, denied.decided_by) == ("implicit_deny", "identity")


def test_an_rcp_deny_over_principal_star_applies_to_every_principal_it_conditions() -> None:
    plain = with_rcps(
        {"EnforceSecureTransport": ENFORCE_TLS}, {**INSIDE, "aws:SecureTransport": "false"}
    )
    assert (plain.decision, plain.decided_by, plain.level) == (
        "explicit_deny",
        "rcp",
        "root r-ab12",
    )
    assert [(d.policy, d.sid) for d in plain.statements] == [
        ("EnforceSecureTransport", "EnforceSecureTransport")
    ]
    assert with_rcps(
        {"EnforceSecureTransport": ENFORCE_TLS}, {**INSIDE, "aws:SecureTransport": "true"}
    ).allowed


def test_an_rcp_narrows_principals_with_a_condition_not_with_principal() -> None:
    rcp = {"EnforceOrgIdentities": ORG_ONLY}
    assert with_rcps(rcp, INSIDE).allowed
    outside = with_rcps(rcp, OUTSIDE)
    assert (outside.decision, outside.decided_by) == ("explicit_deny", "rcp")
    # NotResource, supported in RCPs: the exempt prefix is not denied to anybody.
    assert with_rcps(rcp, OUTSIDE, "arn:aws:s3:::public-assets/logo.png").allowed


def test_an_rcp_holding_the_issue_time_deny_revokes_older_sessions() -> None:
    rcp = policy(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": CUTOFF}},
        }
    )
    before = with_rcps({"Revoke": rcp}, {**INSIDE, "aws:TokenIssueTime": "2026-11-29T09:59:59Z"})
    after = with_rcps({"Revoke": rcp}, {**INSIDE, "aws:TokenIssueTime": "2026-11-29T10:00:01Z"})
    long_term = with_rcps({"Revoke": rcp}, INSIDE)  # no aws:TokenIssueTime (fact 9)
    assert (before.decision, after.decision, long_term.decision) == (
        "explicit_deny",
        "allow",
        "allow",
    )


def test_an_rcp_statement_matches_with_its_type() -> None:
    statement = ORG_ONLY["Statement"][0]
    assert statement_matches(statement, "s3:GetObject", OBJECT, OUTSIDE, policy_type="rcp")
    assert not statement_matches(statement, "s3:GetObject", OBJECT, INSIDE, policy_type="rcp")
    with pytest.raises(PolicyEvaluationError, match="Principal belongs in resource-based"):
        statement_matches(statement, "s3:GetObject", OBJECT, OUTSIDE)


# --- what AWS refuses in an RCP --------------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        f"arn:aws:iam::{ACCOUNT}:role/Dev",
        {"AWS": "*"},  # "You can only specify "*"": not the object form
        ["*"],
    ],
)
def test_an_rcp_naming_a_principal_is_refused_in_one_line(principal: object) -> None:
    document = policy({"Effect": "Deny", "Principal": principal, "Action": "s3:*", "Resource": "*"})
    message = refusal(document, "rcp")
    assert 'an RCP\'s Principal can only be "*"' in message
    assert "narrow principals with a Condition" in message
    assert "orgs_manage_policies_rcps_syntax.html" in message


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, 'must have "Principal": "*"'),
        (
            {"Effect": "Deny", "NotPrincipal": {"AWS": "x"}, "Action": "s3:*", "Resource": "*"},
            "NotPrincipal is not supported in an RCP",
        ),
        (
            {"Effect": "Deny", "Principal": "*", "NotAction": "s3:*", "Resource": "*"},
            "NotAction is not supported in an RCP",
        ),
        (
            {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
            "must be a Deny; Allow is only supported in RCPFullAWSAccess",
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            "must be a Deny",
        ),
        (
            {"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "*"], "Resource": "*"},
            'cannot deny Action "*"',
        ),
    ],
)
def test_what_rcp_syntax_does_not_support_is_refused(
    statement: dict[str, Any], message: str
) -> None:
    assert message in refusal(policy(statement), "rcp")


def test_an_rcp_or_scp_version_must_be_2012_10_17() -> None:
    old = policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        version="2008-10-17",
    )
    assert "an RCP's Version must be '2012-10-17'" in refusal(old, "rcp")
    scp = policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, version="2008-10-17")
    assert "an SCP's Version must be '2012-10-17'" in refusal(scp, "scp")
    assert evaluate({"p": scp}, "s3:GetObject").explicit_deny  # IAM takes 2008-10-17


def test_a_missing_version_is_taken_and_read_as_iam_reads_it() -> None:
    # The syntax pages say "must include" yet show whole policies without a Version: refusing
    # could fail a valid policy, so the policy is taken; without a Version, a ${...} variable is
    # literal text (policy variables), so this deny names no real bucket and never applies.
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::${aws:PrincipalAccount}-data/*",
    }
    unversioned = policy(statement, version=None)
    context = {**INSIDE, "aws:PrincipalAccount": ACCOUNT}
    bucket = f"arn:aws:s3:::{ACCOUNT}-data/x"
    assert not with_rcps({"NoVersion": unversioned}, context, bucket).explicit_deny
    assert with_rcps({"Versioned": policy(statement)}, context, bucket).explicit_deny


# --- SCPs: the full IAM language, no Principal -----------------------------------------------


def test_an_scp_takes_what_the_2025_update_added_and_evaluates_it() -> None:
    # An allow list replacing FullAWSAccess at the OU: an Allow with a resource ARN, a Condition
    # and a wildcard inside the action, and an Allow with NotAction and NotResource.
    reports = policy(
        {
            "Effect": "Allow",
            "Action": "s3:*Object",
            "Resource": "arn:aws:s3:::reports/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ops"}},
        },
        {"Effect": "Allow", "NotAction": "s3:*", "NotResource": "arn:aws:iam::*:role/Admin"},
    )
    scps = [
        PolicyLevel("root r-ab12", {"FullAWSAccess": ALLOW_ALL}),
        PolicyLevel("ou ou-ab12-abcdefgh", {"Reports": reports}),
    ]

    def decide(action: str, resource: str, team: str) -> str:
        context = {"aws:PrincipalTag/team": team}
        return evaluate_request(
            action, resource, context, identity={"managed:All": ALLOW_ALL}, scps=scps
        ).decision

    assert decide("s3:GetObject", "arn:aws:s3:::reports/q3.csv", "ops") == "allow"
    assert decide("s3:GetObject", "arn:aws:s3:::reports/q3.csv", "dev") == "implicit_deny"
    assert decide("s3:GetObject", "arn:aws:s3:::other/q3.csv", "ops") == "implicit_deny"
    assert decide("ec2:DescribeInstances", "*", "dev") == "allow"
    assert decide("iam:DeleteRole", f"arn:aws:iam::{ACCOUNT}:role/Admin", "dev") == "implicit_deny"


@pytest.mark.parametrize("element", ["Principal", "NotPrincipal"])
def test_an_scp_naming_a_principal_is_refused(element: str) -> None:
    document = policy({"Effect": "Deny", element: "*", "Action": "s3:*", "Resource": "*"})
    message = refusal(document, "scp")
    assert f"{element} is not supported in an SCP" in message
    assert "orgs_manage_policies_scps_syntax.html" in message


def test_the_org_logic_check_reads_our_scp_as_an_scp() -> None:
    # revoke org's layer 2 (revoke.core.scp_proof) goes through evaluate_request's SCP part.
    ours = policy(
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": CUTOFF}},
        }
    )
    probe = f"arn:aws:iam::{ACCOUNT}:role/Dev"
    assert evaluate_scp(ours, logic_context(CUTOFF, probe, before=True)).decided_by == "scp"
    with pytest.raises(PolicyEvaluationError, match="scp target: .*not supported in an SCP"):
        evaluate_scp(ENFORCE_TLS, logic_context(CUTOFF, probe, before=True))


# --- identity-based policies, boundaries, session policies -----------------------------------


@pytest.mark.parametrize("kind", ["identity", "boundary", "session"])
def test_an_identity_boundary_or_session_policy_with_principal_is_still_refused(kind: str) -> None:
    message = refusal(RCP_FULL_ACCESS, kind)
    assert "Principal belongs in resource-based policies and RCPs" in message
    assert "reference_policies_elements_principal.html" in message


def test_the_request_refuses_a_principal_in_the_identity_part_and_takes_it_in_the_rcp_part() -> (
    None
):
    with pytest.raises(PolicyEvaluationError, match="^identity: policy 'inline:P', statement 0"):
        evaluate_request("s3:GetObject", OBJECT, {}, identity={"inline:P": RCP_FULL_ACCESS})
    assert evaluate_request(
        "s3:GetObject", OBJECT, {}, identity={"inline:P": ALLOW_ALL}, rcps=rcp_levels({})
    ).allowed


def test_a_compiled_policy_is_cached_per_type() -> None:
    # The same text compiled as an RCP first must still be refused as an identity policy.
    assert evaluate({"p": RCP_FULL_ACCESS}, "s3:GetObject", policy_type="rcp").allowed
    with pytest.raises(PolicyEvaluationError, match="Principal belongs"):
        evaluate({"p": RCP_FULL_ACCESS}, "s3:GetObject")


def test_an_unknown_policy_type_is_refused() -> None:
    assert POLICY_TYPES == ("identity", "boundary", "session", "scp", "rcp")
    with pytest.raises(PolicyEvaluationError, match="policy type must be one of"):
        evaluate({"p": ALLOW_ALL}, "s3:GetObject", policy_type="resource")  # type: ignore[arg-type]
