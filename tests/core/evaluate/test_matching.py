"""Action, Resource and policy-variable matching against AWS's own documented cases.

(Each group cites its AWS page; see this package's docstring.)
"""

from __future__ import annotations

from typing import Any

import pytest

from revoke.core.evaluate import (
    PolicyEvaluationError,
    statement_matches,
)
from tests.core.evaluate.helpers import (
    ACCOUNT,
    BUCKET,
    MATCH,
    NO_MATCH,
    decide,
    holds,
    policy,
)

# ---------------------------------------------------------------------------------------------
# Action / NotAction: reference_policies_elements_action.html ("The prefix and the action
# name are case insensitive"; * and ? wildcards), reference_policies_elements_notaction.html
# ("NotAction ... explicitly matches everything except the specified list of actions").
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "action", "expected"),
    [
        ("s3:ListAllMyBuckets", "s3:ListAllMyBuckets", MATCH),
        ("s3:ListAllMyBuckets", "S3:listallmybuckets", MATCH),
        ("IAM:ListAccessKeys", "iam:listaccesskeys", MATCH),
        ("s3:*", "s3:GetObject", MATCH),
        ("s3:*", "s3express:CreateSession", NO_MATCH),
        ("s3:List*", "s3:ListBucket", MATCH),
        ("s3:List*", "s3:GetObject", NO_MATCH),
        ("s3:?etObject", "s3:GetObject", MATCH),
        ("s3:?etObject", "s3:PutObject", NO_MATCH),
        ("s3:?etObject", "s3:GGetObject", NO_MATCH),
        ("iam:*AccessKey*", "iam:CreateAccessKey", MATCH),
        ("*", "anything:AtAll", MATCH),
        (["ec2:RunInstances", "s3:Get*"], "s3:GetObjectAcl", MATCH),
        (["ec2:RunInstances", "s3:Get*"], "s3:PutObject", NO_MATCH),
        ("s3:GetObject", "s3:GetObjectAcl", NO_MATCH),
    ],
)
def test_action_patterns(patterns: Any, action: str, expected: bool) -> None:
    statement = {"Effect": "Allow", "Action": patterns, "Resource": "*"}
    assert statement_matches(statement, action) is expected
    not_statement = {"Effect": "Allow", "NotAction": patterns, "Resource": "*"}
    assert statement_matches(not_statement, action) is (not expected)


def test_notaction_with_deny_denies_everything_but_the_listed_actions() -> None:
    # elements_notaction: a Deny with NotAction denies every action not listed.
    document = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["iam:*", "sts:GetCallerIdentity"], "Resource": "*"},
    )
    assert decide(document, "s3:ListAllMyBuckets") == "explicit_deny"
    assert decide(document, "iam:ListUsers") == "allow"
    assert decide(document, "sts:GetCallerIdentity") == "allow"
    assert decide(document, "sts:AssumeRole") == "explicit_deny"


# ---------------------------------------------------------------------------------------------
# Resource / NotResource: reference_policies_elements_resource.html ("In the Resource
# element, the IAM user name is case sensitive"; wildcards stay within a colon-separated
# segment, "If the * wildcard is the last character of a resource ARN segment, it can expand
# to match beyond the colon boundaries"; the amzn-s3-demo-bucket/*/test/* example),
# reference_policies_elements_notresource.html.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        (f"arn:aws:iam::{ACCOUNT}:user/Bob", f"arn:aws:iam::{ACCOUNT}:user/Bob", MATCH),
        (f"arn:aws:iam::{ACCOUNT}:user/Bob", f"arn:aws:iam::{ACCOUNT}:user/bob", NO_MATCH),
        (
            f"arn:aws:iam::{ACCOUNT}:user/accounting/*",
            f"arn:aws:iam::{ACCOUNT}:user/accounting/x",
            MATCH,
        ),
        (f"arn:aws:iam::{ACCOUNT}:user/accounting/*", f"arn:aws:iam::{ACCOUNT}:user/x", NO_MATCH),
        (f"{BUCKET}/*", f"{BUCKET}/any/key.txt", MATCH),
        (f"{BUCKET}/*", BUCKET, NO_MATCH),
        # The page's own list for arn:aws:s3:::amzn-s3-demo-bucket/*/test/*
        (f"{BUCKET}/*/test/*", f"{BUCKET}/1/test/object.jpg", MATCH),
        (f"{BUCKET}/*/test/*", f"{BUCKET}/1/2/test/object.jpg", MATCH),
        (f"{BUCKET}/*/test/*", f"{BUCKET}/1/2/test/3/object.jpg", MATCH),
        (f"{BUCKET}/*/test/*", f"{BUCKET}/1/2/3/test/4/object.jpg", MATCH),
        (f"{BUCKET}/*/test/*", f"{BUCKET}/1///test///object.jpg", MATCH),
        (f"{BUCKET}/*/test/*", f"{BUCKET}/1/test/", MATCH),
        (f"{BUCKET}/*/test/*", f"{BUCKET}//test/object.jpg", MATCH),
        (f"{BUCKET}/*/test/*", f"{BUCKET}/1-test/object.jpg", NO_MATCH),
        (f"{BUCKET}/*/test/*", f"{BUCKET}/test/object.jpg", NO_MATCH),
        (f"{BUCKET}/*/test/*", f"{BUCKET}/1/2/test.jpg", NO_MATCH),
        # A * that ends a segment may run past the colon; one inside a segment may not.
        ("arn:aws:ec2:*:instance/i-1", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1", MATCH),
        (
            f"arn:aws:sqs:us-*-1:{ACCOUNT}:queue1",
            f"arn:aws:sqs:us-east:x-1:{ACCOUNT}:queue1",
            NO_MATCH,
        ),
        (f"arn:aws:sqs:us-*-1:{ACCOUNT}:queue1", f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue1", MATCH),
        (
            f"arn:aws:sqs:us-east-?:{ACCOUNT}:queue1",
            f"arn:aws:sqs:us-east-2:{ACCOUNT}:queue1",
            MATCH,
        ),
        # The resource part (after the fifth colon) may itself hold colons.
        (
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app*",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app:log-stream:s1",
            MATCH,
        ),
        ("*", "*", MATCH),
        (f"{BUCKET}/*", "*", NO_MATCH),
    ],
)
def test_resource_patterns(pattern: str, resource: str, expected: bool) -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [pattern]}
    assert statement_matches(statement, "s3:GetObject", resource) is expected
    not_statement = {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": pattern}
    assert statement_matches(not_statement, "s3:GetObject", resource) is (not expected)


def test_notresource_with_deny_protects_everything_but_the_listed_resources() -> None:
    document = policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": [BUCKET, f"{BUCKET}/*"]},
    )
    assert decide(document, "s3:GetObject", f"{BUCKET}/k") == "allow"
    assert decide(document, "s3:GetObject", "arn:aws:s3:::other-bucket/k") == "explicit_deny"


# ---------------------------------------------------------------------------------------------
# Policy variables: reference_policies_variables.html and the s3:prefix table of the
# condition operators page ("No aws:username in the request context" -> No match).
# ---------------------------------------------------------------------------------------------

PREFIX = {"StringLike": {"s3:prefix": ["home/", "home/${aws:username}/"]}}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"aws:username": "martha_rivera", "s3:prefix": "home/martha_rivera/"}, MATCH),
        ({"aws:username": "nikki_wolf", "s3:prefix": "home/nikki_wolf/"}, MATCH),
        ({"aws:username": "nikki_wolf", "s3:prefix": "home/martha_rivera/"}, NO_MATCH),
        ({"s3:prefix": "home/martha_rivera/"}, NO_MATCH),
        ({"s3:prefix": "home/"}, MATCH),
        ({"AWS:UserName": "martha_rivera", "s3:prefix": "home/martha_rivera/"}, MATCH),
    ],
)
def test_variables_in_condition_values(context: dict[str, Any], expected: bool) -> None:
    assert holds(PREFIX, context) is expected


def test_variable_in_resource_and_its_absence() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": [f"{BUCKET}/home/${{aws:username}}", f"{BUCKET}/home/${{aws:username}}/*"],
    }
    alice = {"aws:username": "alice"}
    assert statement_matches(statement, "s3:GetObject", f"{BUCKET}/home/alice/x", alice)
    assert not statement_matches(statement, "s3:GetObject", f"{BUCKET}/home/bob/x", alice)
    # "the resource that includes a policy variable with no value will not match any
    # resource" - and so a NotResource entry with no value excludes nothing.
    assert not statement_matches(statement, "s3:GetObject", f"{BUCKET}/home/alice/x", {})
    not_statement = {**statement, "NotResource": statement["Resource"]}
    del not_statement["Resource"]
    assert statement_matches(not_statement, "s3:GetObject", f"{BUCKET}/home/alice/x", {})
    assert not statement_matches(not_statement, "s3:GetObject", f"{BUCKET}/home/alice/x", alice)


def test_variable_with_no_value_matches_negated_operators() -> None:
    # "Inverted condition operators like StringNotEquals or StringNotLike do match against a
    # null value" - the page's Deny: "Access is explicitly denied when aws:principaltag/Team
    # is not set".
    document = policy(
        {
            "Effect": "Deny",
            "Action": "s3:GetObject",
            "Resource": f"{BUCKET}/*",
            "Condition": {
                "StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}
            },
        }
    )
    obj = f"{BUCKET}/k"
    tagged = {"s3:ExistingObjectTag/Team": "blue"}
    assert decide(document, "s3:GetObject", obj, tagged) == "explicit_deny"
    assert (
        decide(document, "s3:GetObject", obj, {**tagged, "aws:PrincipalTag/Team": "blue"})
        == "implicit_deny"
    )
    assert (
        decide(document, "s3:GetObject", obj, {**tagged, "aws:PrincipalTag/Team": "red"})
        == "explicit_deny"
    )
    assert not holds({"StringEquals": {"k": "${aws:PrincipalTag/Team}"}}, {"k": "blue"})


def test_variable_default_value_and_special_characters() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-${aws:PrincipalTag/team, 'company-wide'}",
    }
    assert statement_matches(statement, "s3:GetObject", f"{BUCKET}-company-wide")
    assert statement_matches(
        statement, "s3:GetObject", f"{BUCKET}-yellow", {"aws:PrincipalTag/team": "yellow"}
    )
    assert not statement_matches(
        statement, "s3:GetObject", f"{BUCKET}-company-wide", {"aws:PrincipalTag/team": "yellow"}
    )
    # ${*}, ${?}, ${$} are the literal characters, never wildcards.
    assert holds({"StringLike": {"k": "a${*}b"}}, {"k": "a*b"})
    assert not holds({"StringLike": {"k": "a${*}b"}}, {"k": "axxb"})
    assert holds({"StringLike": {"k": "a${?}${$}"}}, {"k": "a?$"})
    assert not holds({"StringLike": {"k": "a${?}"}}, {"k": "ab"})


def test_substituted_values_are_literal_not_wildcards() -> None:
    # A value taken from the request cannot widen a pattern.
    condition = {"StringLike": {"k": "${aws:PrincipalTag/team}-*"}}
    assert holds(condition, {"aws:PrincipalTag/team": "blue", "k": "blue-1"})
    assert not holds(condition, {"aws:PrincipalTag/team": "*", "k": "blue-1"})


def test_variables_are_literal_text_without_version_2012_10_17() -> None:
    # "If you don't include the Version element ..., variables like ${aws:username} are
    # treated as literal strings in the policy."
    statement = {"Effect": "Allow", "Action": "s3:*", "Resource": f"{BUCKET}/${{aws:username}}"}
    alice = {"aws:username": "alice"}
    for version in (None, "2008-10-17"):
        document = policy(statement, version=version)
        assert decide(document, "s3:GetObject", f"{BUCKET}/alice", alice) == "implicit_deny"
        assert decide(document, "s3:GetObject", f"{BUCKET}/${{aws:username}}", alice) == "allow"
    assert decide(policy(statement), "s3:GetObject", f"{BUCKET}/alice", alice) == "allow"
    # The same holds in condition values.
    conditional = {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"StringEquals": {"s3:prefix": "${aws:username}"}},
    }
    for version, literal_wins in ((None, True), ("2008-10-17", True), ("2012-10-17", False)):
        document = policy(conditional, version=version)
        by_value = decide(document, context={**alice, "s3:prefix": "alice"})
        by_text = decide(document, context={**alice, "s3:prefix": "${aws:username}"})
        assert (by_value, by_text) == (
            ("implicit_deny", "allow") if literal_wins else ("allow", "implicit_deny")
        )


def test_multivalued_key_cannot_be_a_variable() -> None:
    with pytest.raises(PolicyEvaluationError, match="single-valued"):
        holds({"StringEquals": {"k": "${aws:TagKeys}"}}, {"k": "a", "aws:TagKeys": ["a", "b"]})
