"""The evaluator against AWS's own documented cases.

Each group cites the AWS page its cases come from (IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/<page>). Where a table on that page gives
"Match" / "No match" rows, the rows are copied as they are.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from revoke.core.evaluate import (
    EvaluationResult,
    PolicyEvaluationError,
    StatementRef,
    evaluate,
    parse_policy_date,
    statement_matches,
)

UTC = timezone.utc
ACCOUNT = "111122223333"


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return document


def holds(condition: dict[str, Any], context: dict[str, Any] | None = None) -> bool:
    """Whether a Condition block matches: the statement is otherwise all-encompassing."""
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
    return statement_matches(statement, "s3:GetObject", "*", context)


def decide(
    document: dict[str, Any],
    action: str = "s3:GetObject",
    resource: str = "*",
    context: dict[str, Any] | None = None,
) -> str:
    return evaluate({"inline:test": document}, action, resource, context).decision


MATCH, NO_MATCH = True, False


# ---------------------------------------------------------------------------------------------
# Evaluation logic: reference_policies_evaluation-logic.html
# "By default, all requests are implicitly denied ... An explicit allow in an identity-based
# or resource-based policy overrides this default ... An explicit deny in any policy overrides
# any allows."
# ---------------------------------------------------------------------------------------------

ALLOW_S3 = policy({"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})
DENY_DELETE = policy(
    {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
)


def test_no_statement_matches_is_an_implicit_deny() -> None:
    result = evaluate({"p": ALLOW_S3}, "ec2:RunInstances")
    assert result == EvaluationResult("implicit_deny", (), ())
    assert not result.allowed and not result.explicit_deny


def test_no_policies_at_all_is_an_implicit_deny() -> None:
    assert evaluate({}, "s3:GetObject").decision == "implicit_deny"


def test_an_allow_allows_and_names_the_statement() -> None:
    result = evaluate({"managed:S3": ALLOW_S3}, "s3:GetObject")
    assert result.allowed
    assert result.matched_allows == (StatementRef("managed:S3", 0, "S3", "Allow"),)
    assert result.matched_denies == ()


def test_an_explicit_deny_in_another_policy_beats_the_allow() -> None:
    result = evaluate([("managed:S3", ALLOW_S3), ("inline:Guard", DENY_DELETE)], "s3:DeleteObject")
    assert result.decision == "explicit_deny"
    assert result.explicit_deny and not result.allowed
    assert result.matched_denies == (StatementRef("inline:Guard", 0, "NoDelete", "Deny"),)
    assert result.matched_allows == (StatementRef("managed:S3", 0, "S3", "Allow"),)


def test_an_explicit_deny_in_the_same_policy_beats_the_allow() -> None:
    both = policy(ALLOW_S3["Statement"][0], DENY_DELETE["Statement"][0])
    result = evaluate({"p": both}, "s3:DeleteObject")
    assert result.decision == "explicit_deny"
    assert result.matched_denies == (StatementRef("p", 1, "NoDelete", "Deny"),)
    assert decide(both, "s3:GetObject") == "allow"


def test_a_deny_without_any_allow_is_still_reported_as_explicit() -> None:
    assert decide(DENY_DELETE, "s3:DeleteObject") == "explicit_deny"
    assert decide(DENY_DELETE, "s3:GetObject") == "implicit_deny"


def test_statement_may_be_a_single_object_and_policy_may_be_json_text() -> None:
    single = {"Version": "2012-10-17", "Statement": ALLOW_S3["Statement"][0]}
    assert decide(single, "s3:PutObject") == "allow"
    text = json.dumps(single)
    result = evaluate({"text": text}, "s3:PutObject")
    assert result.matched_allows == (StatementRef("text", 0, "S3", "Allow"),)


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

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"


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
# Multiple keys and values: reference_policies_condition-logic-multiple-context-keys-or-values
# .html. Operators AND, keys AND, values OR; a negated operator's values NOR. The rows are
# the page's table for StringEquals + ArnNotLike.
# ---------------------------------------------------------------------------------------------

MULTI = {
    "StringEquals": {
        "aws:PrincipalTag/department": ["finance", "hr", "legal"],
        "aws:PrincipalTag/role": ["audit", "security"],
    },
    "ArnNotLike": {
        "aws:PrincipalArn": [
            "arn:aws:iam::222222222222:user/Ana",
            "arn:aws:iam::222222222222:user/Mary",
        ]
    },
}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (
            {
                "aws:PrincipalTag/department": "legal",
                "aws:PrincipalTag/role": "audit",
                "aws:PrincipalArn": "arn:aws:iam::222222222222:user/Nikki",
            },
            MATCH,
        ),
        (
            {
                "aws:PrincipalTag/department": "hr",
                "aws:PrincipalTag/role": "audit",
                "aws:PrincipalArn": "arn:aws:iam::222222222222:user/Mary",
            },
            NO_MATCH,
        ),
        (
            {
                "aws:PrincipalTag/department": "hr",
                "aws:PrincipalTag/role": "payroll",
                "aws:PrincipalArn": "arn:aws:iam::222222222222:user/Nikki",
            },
            NO_MATCH,
        ),
        (
            {
                "aws:PrincipalTag/department": "hr",
                "aws:PrincipalArn": "arn:aws:iam::222222222222:user/Nikki",
            },
            NO_MATCH,
        ),
        ({"aws:PrincipalArn": "arn:aws:iam::222222222222:user/Nikki"}, NO_MATCH),
    ],
)
def test_multiple_keys_and_values(context: dict[str, Any], expected: bool) -> None:
    assert holds(MULTI, context) is expected


# ---------------------------------------------------------------------------------------------
# The table of every condition operator family:
# reference_policies_elements_condition_operators.html (String, Numeric, Date, Boolean,
# Binary, IP address, ARN, ...IfExists, Null sections; rows marked "doc" are the page's own
# tables) and reference_policies_condition-single-vs-multi-valued-context-keys.html plus
# reference_policies_condition_examples-multi-valued-context-keys.html for set operators.
# ---------------------------------------------------------------------------------------------

JOB = {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
ENV = {
    "StringEqualsIgnoreCase": {"aws:RequestTag/environment": ["preprod", "storage"]},
    "ForAnyValue:StringEquals": {"aws:TagKeys": "environment"},
}
ORGPATHS = {
    "ForAllValues:StringNotLike": {
        "aws:ResourceOrgPaths": [
            "o-acorg/r-acroot/ou-acroot-mediaou/",
            "o-acorg/r-acroot/ou-acroot-sportsou/*",
        ]
    }
}
SOURCE_ARN = {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-west-2:123456789012:TOPIC-ID"}}
LOG_ARNS = {
    "ForAllValues:ArnLike": {
        "logs:LogGeneratingResourceArns": [
            "arn:aws::cloudfront:123456789012:distribution/*",
            "arn:aws::cloudfront:123456789012:distribution/support*",
        ]
    }
}
INSTANCE_TYPE = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
KEY1 = {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}
KEY12 = {"ForAllValues:StringNotLike": {"aws:TagKeys": ["key1*", "key2*"]}}
WEBSERVER = {"ForAnyValue:StringEquals": {"aws:TagKeys": "webserver"}}
BINARY = {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}

CONDITION_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # --- String (doc) ---
    ("doc: job-category match", JOB, {"aws:PrincipalTag/job-category": "iamuser-admin"}, MATCH),
    ("doc: job-category other", JOB, {"aws:PrincipalTag/job-category": "dev-ops"}, NO_MATCH),
    ("doc: job-category absent", JOB, {}, NO_MATCH),
    (
        "StringEquals is case sensitive",
        JOB,
        {"aws:PrincipalTag/job-category": "IAMUSER-ADMIN"},
        NO_MATCH,
    ),
    ("key names are not", JOB, {"AWS:PRINCIPALTAG/JOB-CATEGORY": "iamuser-admin"}, MATCH),
    ("StringNotEquals other", {"StringNotEquals": {"k": ["a", "b"]}}, {"k": "c"}, MATCH),
    ("StringNotEquals is NOR", {"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"}, NO_MATCH),
    (
        "StringEqualsIgnoreCase",
        {"StringEqualsIgnoreCase": {"k": "PreProd"}},
        {"k": "pREPROD"},
        MATCH,
    ),
    (
        "StringNotEqualsIgnoreCase",
        {"StringNotEqualsIgnoreCase": {"k": "PreProd"}},
        {"k": "preprod"},
        NO_MATCH,
    ),
    ("StringLike *", {"StringLike": {"k": "home/*"}}, {"k": "home/alice/x"}, MATCH),
    ("StringLike ?", {"StringLike": {"k": "t?.micro"}}, {"k": "t2.micro"}, MATCH),
    ("StringLike whole string", {"StringLike": {"k": "home/"}}, {"k": "home/alice"}, NO_MATCH),
    ("StringLike case sensitive", {"StringLike": {"k": "Home/*"}}, {"k": "home/x"}, NO_MATCH),
    ("StringLike no regex meaning", {"StringLike": {"k": "a.b[c]"}}, {"k": "a.b[c]"}, MATCH),
    ("StringLike no regex meaning 2", {"StringLike": {"k": "a.b"}}, {"k": "axb"}, NO_MATCH),
    ("StringNotLike", {"StringNotLike": {"k": ["a*", "b*"]}}, {"k": "bob"}, NO_MATCH),
    ("StringNotLike other", {"StringNotLike": {"k": ["a*", "b*"]}}, {"k": "carol"}, MATCH),
    ("StringEquals number in policy", {"StringEquals": {"k": 10}}, {"k": "10"}, MATCH),
    ("StringEquals bool context", {"StringEquals": {"k": "true"}}, {"k": True}, MATCH),
    # ForAnyValue with a string operator (doc table, aws:TagKeys + RequestTag/environment)
    (
        "doc: env 1",
        ENV,
        {"aws:TagKeys": ["environment"], "aws:RequestTag/environment": "preprod"},
        MATCH,
    ),
    (
        "doc: env 2",
        ENV,
        {"aws:TagKeys": ["environment", "costcenter"], "aws:RequestTag/environment": "PreProd"},
        MATCH,
    ),
    (
        "doc: env 3",
        ENV,
        {"aws:TagKeys": ["Environment"], "aws:RequestTag/Environment": "preprod"},
        NO_MATCH,
    ),
    (
        "doc: env 4",
        ENV,
        {"aws:TagKeys": ["costcenter"], "aws:RequestTag/environment": "preprod"},
        NO_MATCH,
    ),
    ("doc: env 5", ENV, {"aws:RequestTag/environment": "storage"}, NO_MATCH),
    ("doc: env 6", ENV, {"aws:TagKeys": ["environment"]}, NO_MATCH),
    ("doc: env 7", ENV, {}, NO_MATCH),
    # Wildcard matching section: ForAllValues:StringNotLike on aws:ResourceOrgPaths, inside a
    # Deny "unless the resource being accessed is in a specific set of organizational units".
    # That page's table labels these rows from the boundary's side ("Match" = inside the
    # OUs, not denied); the condition itself, as its operator is defined ("None of the
    # values of the context key in the request can match any of the context key values in
    # your policy"), is the reverse in all three rows, absent key included.
    (
        "doc: orgpaths sports (inside, condition false)",
        ORGPATHS,
        {"aws:ResourceOrgPaths": ["o-acorg/r-acroot/ou-acroot-sportsou/costcenter/"]},
        NO_MATCH,
    ),
    (
        "doc: orgpaths media (outside, condition true)",
        ORGPATHS,
        {"aws:ResourceOrgPaths": ["o-acorg/r-acroot/ou-acroot-mediaou/costcenter/"]},
        MATCH,
    ),
    ("doc: orgpaths absent (condition true)", ORGPATHS, {}, MATCH),
    # --- Numeric (doc example: s3:max-keys NumericLessThanEquals 10) ---
    ("max-keys 10", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, MATCH),
    ("max-keys 9", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 9}, MATCH),
    (
        "max-keys 11",
        {"NumericLessThanEquals": {"s3:max-keys": "10"}},
        {"s3:max-keys": "11"},
        NO_MATCH,
    ),
    ("max-keys absent", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {}, NO_MATCH),
    ("NumericEquals decimal", {"NumericEquals": {"n": "10"}}, {"n": "10.0"}, MATCH),
    ("NumericEquals float", {"NumericEquals": {"n": 0.1}}, {"n": "0.1"}, MATCH),
    ("NumericNotEquals", {"NumericNotEquals": {"n": ["1", "2"]}}, {"n": 3}, MATCH),
    ("NumericNotEquals NOR", {"NumericNotEquals": {"n": ["1", "2"]}}, {"n": 2}, NO_MATCH),
    ("NumericLessThan", {"NumericLessThan": {"n": "10"}}, {"n": "10"}, NO_MATCH),
    ("NumericGreaterThan", {"NumericGreaterThan": {"n": "10"}}, {"n": "10.5"}, MATCH),
    ("NumericGreaterThanEquals", {"NumericGreaterThanEquals": {"n": "-1"}}, {"n": "-1"}, MATCH),
    ("Numeric values OR", {"NumericEquals": {"n": ["1", "5"]}}, {"n": 5}, MATCH),
    # --- Date (doc example: aws:TokenIssueTime DateGreaterThan 2020-01-01T00:00:01Z) ---
    (
        "doc: issued in 2020",
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"},
        MATCH,
    ),
    (
        "doc: long-term key",
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        {},
        NO_MATCH,
    ),
    (
        "DateEquals",
        {"DateEquals": {"d": "2026-11-29T10:00:00Z"}},
        {"d": "2026-11-29T19:00:00+09:00"},
        MATCH,
    ),
    (
        "DateEquals fraction",
        {"DateEquals": {"d": "2026-11-29T10:00:00Z"}},
        {"d": "2026-11-29T10:00:00.001Z"},
        NO_MATCH,
    ),
    (
        "DateNotEquals",
        {"DateNotEquals": {"d": "2026-11-29T10:00:00Z"}},
        {"d": "2026-11-29T10:00:01Z"},
        MATCH,
    ),
    (
        "DateLessThanEquals",
        {"DateLessThanEquals": {"d": "2026-11-29T10:00:00Z"}},
        {"d": 1795946400},
        MATCH,
    ),
    (
        "DateGreaterThanEquals",
        {"DateGreaterThanEquals": {"d": "2026-11-29"}},
        {"d": "2026-11-29T00:00:00Z"},
        MATCH,
    ),
    (
        "DateGreaterThan",
        {"DateGreaterThan": {"d": "2026-11-29"}},
        {"d": "2026-11-28T23:59:59Z"},
        NO_MATCH,
    ),
    (
        "aws:CurrentTime window (doc: reference_policies_examples_aws-dates)",
        {
            "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
            "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"},
        },
        {"aws:CurrentTime": datetime(2020, 5, 1, tzinfo=UTC)},
        MATCH,
    ),
    # --- Bool (doc table: aws:SecureTransport) ---
    (
        "doc: secure false",
        {"Bool": {"aws:SecureTransport": "false"}},
        {"aws:SecureTransport": "false"},
        MATCH,
    ),
    (
        "doc: secure true",
        {"Bool": {"aws:SecureTransport": "false"}},
        {"aws:SecureTransport": "true"},
        NO_MATCH,
    ),
    ("doc: secure absent", {"Bool": {"aws:SecureTransport": "false"}}, {}, NO_MATCH),
    (
        "Bool python bool",
        {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        {"aws:MultiFactorAuthPresent": True},
        MATCH,
    ),
    (
        "Bool JSON true",
        {"Bool": {"aws:MultiFactorAuthPresent": True}},
        {"aws:MultiFactorAuthPresent": "True"},
        MATCH,
    ),
    # --- Binary (doc table) ---
    ("doc: binary match", BINARY, {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, MATCH),
    ("doc: binary other", BINARY, {"key": "ASIAIOSFODNN7EXAMPLE"}, NO_MATCH),
    ("doc: binary absent", BINARY, {}, NO_MATCH),
    # --- IP address (doc table + IPv6 example; "IAM uses the default prefix value of /32") ---
    (
        "doc: ip in range",
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "203.0.113.1"},
        MATCH,
    ),
    (
        "doc: ip outside",
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "198.51.100.1"},
        NO_MATCH,
    ),
    (
        "ip v4 or v6 list",
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}},
        {"aws:SourceIp": "2001:db8:1234:5678::99"},
        MATCH,
    ),
    (
        "ip v6 outside",
        {"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}},
        {"aws:SourceIp": "2001:db8:1234:5679::1"},
        NO_MATCH,
    ),
    (
        "ip bare is /32",
        {"IpAddress": {"aws:SourceIp": "203.0.113.7"}},
        {"aws:SourceIp": "203.0.113.7"},
        MATCH,
    ),
    (
        "ip bare is /32 2",
        {"IpAddress": {"aws:SourceIp": "203.0.113.7"}},
        {"aws:SourceIp": "203.0.113.8"},
        NO_MATCH,
    ),
    (
        "ip v4 against v6",
        {"IpAddress": {"aws:SourceIp": "::/0"}},
        {"aws:SourceIp": "203.0.113.8"},
        NO_MATCH,
    ),
    (
        "NotIpAddress",
        {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "198.51.100.1"},
        MATCH,
    ),
    (
        "NotIpAddress inside",
        {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "203.0.113.9"},
        NO_MATCH,
    ),
    # --- ARN (doc table; "Each of the six colon-delimited components ... checked separately") ---
    (
        "doc: arn match",
        SOURCE_ARN,
        {"aws:SourceArn": "arn:aws:sns:us-west-2:123456789012:TOPIC-ID"},
        MATCH,
    ),
    (
        "doc: arn other account",
        SOURCE_ARN,
        {"aws:SourceArn": "arn:aws:sns:us-west-2:777788889999:TOPIC-ID"},
        NO_MATCH,
    ),
    ("doc: arn absent", SOURCE_ARN, {}, NO_MATCH),
    (
        "ArnLike account wildcard",
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}},
        {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Admin"},
        MATCH,
    ),
    (
        "ArnLike wildcard stays in its part",
        {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:TOPIC"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-1:999:123456789012:TOPIC"},
        NO_MATCH,
    ),
    (
        "ArnLike resource part",
        {"ArnLike": {"aws:SourceArn": "arn:aws:logs:*:*:log-group:a*"}},
        {"aws:SourceArn": "arn:aws:logs:eu-west-1:1:log-group:abc:*"},
        MATCH,
    ),
    (
        "ArnLike case sensitive",
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}},
        {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Admin"},
        NO_MATCH,
    ),
    (
        "ArnLike non-ARN request",
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
        {"aws:SourceArn": "not-an-arn"},
        NO_MATCH,
    ),
    (
        "ArnNotLike",
        {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}},
        {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Dev"},
        MATCH,
    ),
    (
        "ArnNotEquals same",
        {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}},
        {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/BreakGlass"},
        NO_MATCH,
    ),
    # ForAllValues:ArnLike (doc table, logs:LogGeneratingResourceArns)
    (
        "doc: logs 1",
        LOG_ARNS,
        {
            "logs:LogGeneratingResourceArns": [
                "arn:aws::cloudfront:123456789012:distribution/costcenter"
            ]
        },
        MATCH,
    ),
    (
        "doc: logs 2",
        LOG_ARNS,
        {
            "logs:LogGeneratingResourceArns": [
                "arn:aws::cloudfront:123456789012:distribution/costcenter",
                "arn:aws::cloudfront:123456789012:distribution/support2025",
            ]
        },
        MATCH,
    ),
    # The page prints "No match" for [distribution/costcenter, distribution/admin], which its
    # own policy contradicts: distribution/* covers distribution/admin. We keep the operator's
    # definition ("All of the ARNs in the request context must match at least one of the ARN
    # patterns in your policy") and pin both readings' inputs.
    (
        "logs 3 as the operator defines it",
        LOG_ARNS,
        {
            "logs:LogGeneratingResourceArns": [
                "arn:aws::cloudfront:123456789012:distribution/costcenter",
                "arn:aws::cloudfront:123456789012:distribution/admin",
            ]
        },
        MATCH,
    ),
    (
        "logs 3 with one ARN outside every pattern",
        LOG_ARNS,
        {
            "logs:LogGeneratingResourceArns": [
                "arn:aws::cloudfront:123456789012:distribution/costcenter",
                "arn:aws::cloudfront:123456789012:function/admin",
            ]
        },
        NO_MATCH,
    ),
    (
        "doc: logs 4",
        LOG_ARNS,
        {
            "logs:LogGeneratingResourceArns": [
                "arn:aws::cloudfront:777788889999:distribution/costcenter"
            ]
        },
        NO_MATCH,
    ),
    ("doc: logs 5 absent", LOG_ARNS, {}, MATCH),
    # --- ...IfExists (doc table: ec2:InstanceType) ---
    ("doc: t1.micro", INSTANCE_TYPE, {"ec2:InstanceType": "t1.micro"}, MATCH),
    ("doc: m2.micro", INSTANCE_TYPE, {"ec2:InstanceType": "m2.micro"}, NO_MATCH),
    ("doc: no instance type", INSTANCE_TYPE, {}, MATCH),
    (
        "IfExists present still compares",
        {"DateLessThanIfExists": {"d": "2026-01-01T00:00:00Z"}},
        {"d": "2026-06-01T00:00:00Z"},
        NO_MATCH,
    ),
    ("NotEqualsIfExists absent", {"StringNotEqualsIfExists": {"k": "a"}}, {}, MATCH),
    # --- Null (doc: "true (the key doesn't exist - it is null) or false") ---
    (
        "doc: Null false, temporary creds",
        {"Null": {"aws:TokenIssueTime": "false"}},
        {"aws:TokenIssueTime": "2026-11-29T09:00:00Z"},
        MATCH,
    ),
    ("doc: Null false, long-term key", {"Null": {"aws:TokenIssueTime": "false"}}, {}, NO_MATCH),
    ("Null true, long-term key", {"Null": {"aws:TokenIssueTime": "true"}}, {}, MATCH),
    (
        "Null true, temporary creds",
        {"Null": {"aws:TokenIssueTime": True}},
        {"aws:TokenIssueTime": "2026-11-29T09:00:00Z"},
        NO_MATCH,
    ),
    ("Null true, empty list", {"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": []}, MATCH),
    ("Null true, empty string", {"Null": {"k": "true"}}, {"k": ""}, MATCH),
    # --- Set operators (multivalued examples page, Deny tables) ---
    ("doc: key1 legal", KEY1, {"aws:TagKeys": ["key1:legal"]}, NO_MATCH),
    ("doc: key1 hr+personnel", KEY1, {"aws:TagKeys": ["key1:hr", "key1:personnel"]}, NO_MATCH),
    ("doc: key2 audit", KEY1, {"aws:TagKeys": ["key2:audit"]}, MATCH),
    ("doc: key1 absent", KEY1, {}, MATCH),
    ("doc: key12 legal", KEY12, {"aws:TagKeys": ["key1:legal"]}, NO_MATCH),
    ("doc: key12 hr+personnel", KEY12, {"aws:TagKeys": ["key1:hr", "key1:personnel"]}, NO_MATCH),
    ("doc: key12 hr+audit", KEY12, {"aws:TagKeys": ["key1:hr", "key2:audit"]}, NO_MATCH),
    ("doc: key12 key3", KEY12, {"aws:TagKeys": ["key3:legal"]}, MATCH),
    ("doc: key12 absent", KEY12, {}, MATCH),
    ("doc: webserver", WEBSERVER, {"aws:TagKeys": ["webserver"]}, MATCH),
    (
        "doc: env+webserver+test",
        WEBSERVER,
        {"aws:TagKeys": ["environment", "webserver", "test"]},
        MATCH,
    ),
    ("doc: env+test", WEBSERVER, {"aws:TagKeys": ["environment", "test"]}, NO_MATCH),
    ("doc: webserver absent", WEBSERVER, {}, NO_MATCH),
    # ForAllValues: "true if every context key value in the request matches at least one
    # context key value in the policy. It also returns true if there are no context keys in
    # the request or if the context key value resolves to a null dataset, such as an empty
    # string." ForAnyValue needs one value to match, so an empty set never does.
    (
        "ForAllValues subset",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ["a"]},
        MATCH,
    ),
    (
        "ForAllValues not subset",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ["a", "c"]},
        NO_MATCH,
    ),
    (
        "ForAllValues empty list",
        {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}},
        {"aws:TagKeys": []},
        MATCH,
    ),
    (
        "ForAllValues empty string",
        {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}},
        {"aws:TagKeys": ""},
        MATCH,
    ),
    ("ForAllValues absent", {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}, {}, MATCH),
    (
        "ForAnyValue empty list",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}},
        {"aws:TagKeys": []},
        NO_MATCH,
    ),
    (
        "ForAnyValue empty string",
        {"ForAnyValue:StringLike": {"aws:TagKeys": "*"}},
        {"aws:TagKeys": ""},
        NO_MATCH,
    ),
    (
        "ForAllValues:StringNotEquals none match",
        {"ForAllValues:StringNotEquals": {"t": ["a", "b"]}},
        {"t": ["c", "d"]},
        MATCH,
    ),
    (
        "ForAllValues:StringNotEquals one matches",
        {"ForAllValues:StringNotEquals": {"t": ["a", "b"]}},
        {"t": ["c", "a"]},
        NO_MATCH,
    ),
    (
        "ForAnyValue:StringNotEquals one differs",
        {"ForAnyValue:StringNotEquals": {"t": ["a", "b"]}},
        {"t": ["a", "c"]},
        MATCH,
    ),
    (
        "ForAnyValue:StringNotEquals all listed",
        {"ForAnyValue:StringNotEquals": {"t": ["a", "b"]}},
        {"t": ["a", "b"]},
        NO_MATCH,
    ),
    (
        "ForAnyValue:StringNotEquals absent",
        {"ForAnyValue:StringNotEquals": {"t": ["a"]}},
        {},
        NO_MATCH,
    ),
    ("set operator on a single value", {"ForAnyValue:StringEquals": {"t": "a"}}, {"t": "a"}, MATCH),
    ("ForAllValues:Bool", {"ForAllValues:Bool": {"b": "true"}}, {"b": [True, "true"]}, MATCH),
    ("ForAnyValue:Bool", {"ForAnyValue:Bool": {"b": "true"}}, {"b": [False, "false"]}, NO_MATCH),
    # "If the key is not present, evaluate the condition element as true" holds for a set
    # operator too; without IfExists the same ForAnyValue is false.
    (
        "ForAnyValue:StringEqualsIfExists absent",
        {"ForAnyValue:StringEqualsIfExists": {"t": "a"}},
        {},
        MATCH,
    ),
    (
        "single-element list is a single value",
        JOB,
        {"aws:PrincipalTag/job-category": ["iamuser-admin"]},
        MATCH,
    ),
]


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [pytest.param(c, ctx, e, id=name) for name, c, ctx, e in CONDITION_CASES],
)
def test_condition_operators(
    condition: dict[str, Any], context: dict[str, Any], expected: bool
) -> None:
    assert holds(condition, context) is expected


def test_the_orgpaths_deny_from_the_wildcard_section() -> None:
    # The Deny of that example must not stop a request from inside the sports OU.
    document = policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": ORGPATHS},
    )
    sports = {"aws:ResourceOrgPaths": ["o-acorg/r-acroot/ou-acroot-sportsou/costcenter/"]}
    other = {"aws:ResourceOrgPaths": ["o-acorg/r-acroot/ou-acroot-financeou/"]}
    assert decide(document, context=sports) == "allow"
    assert decide(document, context=other) == "explicit_deny"


def test_negated_ifexists_in_a_deny_denies_when_the_key_is_missing() -> None:
    # "If you are using an "Effect": "Deny" element with a negated condition operator like
    # StringNotEqualsIfExists, the request is still denied even if the condition key is not
    # present." (condition operators, ...IfExists)
    document = policy(
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}},
        }
    )
    assert decide(document) == "explicit_deny"
    assert decide(document, context={"aws:RequestedRegion": "eu-west-1"}) == "implicit_deny"
    assert decide(document, context={"aws:RequestedRegion": "us-east-1"}) == "explicit_deny"


# ---------------------------------------------------------------------------------------------
# A missing key: "If the key that you specify in a policy condition is not present in the
# request context, the values do not match and the condition is false. If the policy
# condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and
# the right key is not present, the condition is true. This logic applies to all condition
# operators except ...IfExists and Null check." (condition operators, Important)
# ---------------------------------------------------------------------------------------------

POSITIVE = {
    "StringEquals": "x",
    "StringEqualsIgnoreCase": "x",
    "StringLike": "*",
    "NumericEquals": "1",
    "NumericLessThan": "1",
    "NumericLessThanEquals": "1",
    "NumericGreaterThan": "1",
    "NumericGreaterThanEquals": "1",
    "DateEquals": "2026-01-01T00:00:00Z",
    "DateLessThan": "2026-01-01T00:00:00Z",
    "DateLessThanEquals": "2026-01-01T00:00:00Z",
    "DateGreaterThan": "2026-01-01T00:00:00Z",
    "DateGreaterThanEquals": "2026-01-01T00:00:00Z",
    "Bool": "true",
    "BinaryEquals": "QmluYXJ5",
    "IpAddress": "0.0.0.0/0",
    "ArnEquals": "arn:aws:iam::*:*",
    "ArnLike": "arn:*:*:*:*:*",
}
NEGATED = {
    "StringNotEquals": "x",
    "StringNotEqualsIgnoreCase": "x",
    "StringNotLike": "*",
    "NumericNotEquals": "1",
    "DateNotEquals": "2026-01-01T00:00:00Z",
    "NotIpAddress": "0.0.0.0/0",
    "ArnNotEquals": "arn:aws:iam::*:*",
    "ArnNotLike": "arn:*:*:*:*:*",
}


@pytest.mark.parametrize(("operator", "value"), sorted(POSITIVE.items()))
def test_missing_key_fails_a_positive_operator_unless_ifexists(operator: str, value: str) -> None:
    assert holds({operator: {"k": value}}, {"other": "x"}) is False
    assert holds({f"{operator}IfExists": {"k": value}}, {"other": "x"}) is True
    assert holds({operator: {"k": value}}, {"k": []}) is False  # an empty set is no value


@pytest.mark.parametrize(("operator", "value"), sorted(NEGATED.items()))
def test_missing_key_satisfies_a_negated_operator(operator: str, value: str) -> None:
    assert holds({operator: {"k": value}}, {}) is True
    assert holds({f"{operator}IfExists": {"k": value}}, {}) is True


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


# ---------------------------------------------------------------------------------------------
# The revocation deny (AWS-FACTS facts 8, 9, 10): DateLessThan on aws:TokenIssueTime.
# ---------------------------------------------------------------------------------------------

CUTOFF = "2026-11-29T10:00:00Z"


def revocation(operator: str = "DateLessThan", cutoff: object = CUTOFF) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {operator: {"aws:TokenIssueTime": cutoff}},
        },
    }


ALLOW_ALL = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})


def revoked(issued: object | None, document: dict[str, Any] | None = None) -> EvaluationResult:
    context = {} if issued is None else {"aws:TokenIssueTime": issued}
    return evaluate(
        {"managed:Admin": ALLOW_ALL, "inline:AWSRevokeOlderSessions": document or revocation()},
        "s3:ListAllMyBuckets",
        context=context,
    )


@pytest.mark.parametrize(
    ("issued", "denied"),
    [
        ("2026-11-29T09:59:59Z", True),
        (datetime(2026, 11, 29, 9, 59, 59, 999999, tzinfo=UTC), True),
        ("2026-11-29T10:00:00Z", False),  # strict: at the cutoff is not before it (fact 10)
        (datetime(2026, 11, 29, 10, 0, tzinfo=UTC), False),
        ("2026-11-29T10:00:00.400Z", False),  # fact 10's own example
        (datetime(2026, 11, 29, 10, 0, 0, 400000, tzinfo=UTC), False),
        ("2026-11-29T10:00:01Z", False),
        # The same instants written in another zone.
        ("2026-11-29T18:59:59+09:00", True),
        ("2026-11-29T19:00:00+09:00", False),
        (datetime(2026, 11, 29, 4, 59, 59, tzinfo=timezone(timedelta(hours=-5))), True),
        # Epoch seconds (1795946400 is the cutoff).
        (1795946399, True),
        (1795946400, False),
        ("1795946399", True),
        (1795946399.999, True),
    ],
)
def test_revocation_deny_around_the_cutoff(issued: object, denied: bool) -> None:
    result = revoked(issued)
    assert result.explicit_deny is denied
    assert result.decision == ("explicit_deny" if denied else "allow")
    if denied:
        assert result.matched_denies == (
            StatementRef("inline:AWSRevokeOlderSessions", 0, None, "Deny"),
        )


@pytest.mark.parametrize(
    "cutoff",
    [
        CUTOFF,
        "2026-11-29T19:00:00+09:00",
        "2026-11-29T05:00:00-05:00",
        1795946400,
        "1795946400",
        "2026-11-29T10:00:00.000Z",
    ],
)
def test_the_cutoff_may_be_written_in_any_zone_or_as_epoch(cutoff: object) -> None:
    document = revocation(cutoff=cutoff)
    assert revoked("2026-11-29T09:59:59Z", document).explicit_deny
    assert not revoked("2026-11-29T10:00:00Z", document).explicit_deny


def test_revocation_deny_does_not_touch_long_term_keys() -> None:
    # Fact 9: aws:TokenIssueTime is absent for a request signed with an access key; a
    # condition on a missing key is false.
    result = revoked(None)
    assert result.decision == "allow"
    assert result.matched_denies == ()


def test_revocation_deny_with_ifexists_denies_long_term_keys_too() -> None:
    document = revocation("DateLessThanIfExists")
    assert revoked(None, document).explicit_deny
    assert revoked("2026-11-29T09:59:59Z", document).explicit_deny
    assert not revoked("2026-11-29T10:00:00Z", document).explicit_deny


def test_revocation_deny_beats_an_allow_in_the_same_evaluation_for_every_action() -> None:
    for action in ("ec2:DescribeInstances", "iam:CreateAccessKey", "s3:PutObject"):
        result = evaluate(
            {"a": ALLOW_ALL, "r": revocation()},
            action,
            f"{BUCKET}/x",
            {"aws:TokenIssueTime": "2026-11-01T00:00:00Z"},
        )
        assert result.explicit_deny


# ---------------------------------------------------------------------------------------------
# Dates: parse_policy_date. "You must specify date/time values with one of the W3C
# implementations of the ISO 8601 date formats or in epoch (UNIX) time" (condition
# operators, Date). www.w3.org/TR/NOTE-datetime: YYYY-MM, YYYY-MM-DD, ...Thh:mmTZD,
# ...Thh:mm:ssTZD, ...Thh:mm:ss.sTZD.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-29T10:00:00Z", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T10:00Z", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T10:00:00.085Z", datetime(2026, 11, 29, 10, 0, 0, 85000, tzinfo=UTC)),
        ("2026-11-29T10:00:00.123456789Z", datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-29T19:00:00+09:00", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T19:00:00+0900", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T05:30:00-04:30", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29", datetime(2026, 11, 29, tzinfo=UTC)),
        ("2026-11", datetime(2026, 11, 1, tzinfo=UTC)),
        # A zone-less time: read as UTC (AWS documents no other reading; see the module).
        ("2026-11-29T10:00:00", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        (1795946400, datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("1795946400", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        (1795946400.5, datetime(2026, 11, 29, 10, 0, 0, 500000, tzinfo=UTC)),
        (
            datetime(2026, 11, 29, 19, tzinfo=timezone(timedelta(hours=9))),
            datetime(2026, 11, 29, 10, tzinfo=UTC),
        ),
        (datetime(2026, 11, 29, 10), datetime(2026, 11, 29, 10, tzinfo=UTC)),
    ],
)
def test_parse_policy_date(value: Any, expected: datetime) -> None:
    parsed = parse_policy_date(value)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "2026-11-29T24:00:00Z",
        "2026-11-29 10:00:00Z",
        "2026-11-29T10:00:00+25:00",
        True,
        None,
        "2026-11-29T10:00:00ZZ",
    ],
)
def test_parse_policy_date_refuses_what_is_not_a_date(value: Any) -> None:
    with pytest.raises(PolicyEvaluationError, match="date"):
        parse_policy_date(value)


def test_a_naive_date_in_a_policy_is_utc() -> None:
    # The same instant with and without Z decides the same way.
    naive = revocation(cutoff="2026-11-29T10:00:00")
    assert revoked("2026-11-29T09:59:59Z", naive).explicit_deny
    assert not revoked("2026-11-29T10:00:00Z", naive).explicit_deny


def test_fractions_beyond_the_microsecond_are_compared_exactly() -> None:
    condition = {"DateLessThan": {"d": "2026-11-29T10:00:00.0000001Z"}}
    assert holds(condition, {"d": "2026-11-29T10:00:00Z"})
    assert not holds(condition, {"d": "2026-11-29T10:00:00.0000001Z"})
    assert holds(
        {"DateEquals": {"d": "2026-11-29T10:00:00.5Z"}}, {"d": "2026-11-29T10:00:00.500000000Z"}
    )


# ---------------------------------------------------------------------------------------------
# Malformed input: a clear PolicyEvaluationError, never a silent allow or deny.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"DateLessThen": {"aws:TokenIssueTime": CUTOFF}},
            r"unknown condition operator 'DateLessThen' \(did you mean 'DateLessThan'\?\)",
        ),
        ({"StringEqualz": {"k": "v"}}, "unknown condition operator 'StringEqualz'"),
        ({"stringequals": {"k": "v"}}, "unknown condition operator 'stringequals'"),
        (
            {"ForEveryValue:StringEquals": {"k": "v"}},
            "unknown condition operator 'ForEveryValue:StringEquals'",
        ),
        ({"NullIfExists": {"k": "true"}}, "IfExists cannot be added to Null"),
        ({"ForAnyValue:Null": {"k": "true"}}, "Null takes no ForAllValues"),
        ({"DateLessThan": {"aws:TokenIssueTime": "soon"}}, "not valid for the Date operators"),
        (
            {"DateLessThan": {"aws:CurrentTime": "${aws:TokenIssueTime}"}},
            "policy variables are not supported",
        ),
        ({"NumericLessThan": {"s3:max-keys": "ten"}}, "not valid for the Numeric operators"),
        ({"Bool": {"aws:SecureTransport": "yes"}}, "not valid for the Bool operators"),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}, "IP address operators"),
        ({"BinaryEquals": {"k": "not base64!"}}, "not valid for the Binary operators"),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*"}}, "not an ARN"),
        ({"Null": {"k": "maybe"}}, "not valid for the Null operators"),
        ({"StringEquals": {"k": {"nested": "object"}}}, "is not a string, number or boolean"),
        ({"StringEquals": {"k": []}}, "no values"),
        ({"StringEquals": {}}, "expected an object"),
        ("DateLessThan", "Condition must be an object"),
    ],
)
def test_malformed_conditions_raise(condition: Any, message: str) -> None:
    document = policy({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition})
    with pytest.raises(PolicyEvaluationError, match=message):
        evaluate({"inline:Bad": document}, "s3:GetObject", context={"k": "v"})


def test_errors_name_the_policy_and_statement() -> None:
    document = policy(
        {"Sid": "Fine", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Sid": "Broken",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThen": {"k": CUTOFF}},
        },
    )
    with pytest.raises(PolicyEvaluationError) as caught:
        evaluate({"inline:AWSRevokeOlderSessions": document}, "s3:GetObject")
    text = str(caught.value)
    assert "inline:AWSRevokeOlderSessions" in text and "statement 1 (Sid 'Broken')" in text
    assert isinstance(caught.value, ValueError)


def test_unknown_operator_raises_even_when_the_statement_would_not_apply() -> None:
    document = policy(
        {"Effect": "Deny", "Action": "ec2:*", "Resource": "*", "Condition": {"Bogus": {"k": "v"}}}
    )
    with pytest.raises(PolicyEvaluationError, match="Bogus"):
        evaluate({"p": document}, "s3:GetObject")


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Effect": "allow", "Action": "*", "Resource": "*"}, "Effect must be"),
        ({"Action": "*", "Resource": "*"}, "Effect must be"),
        ({"Effect": "Allow", "Resource": "*"}, "exactly one of Action or NotAction"),
        (
            {"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"},
            "exactly one of Action",
        ),
        ({"Effect": "Allow", "Action": "*"}, "exactly one of Resource or NotResource"),
        ({"Effect": "Allow", "Action": [], "Resource": "*"}, "non-empty string or list"),
        ({"Effect": "Allow", "Action": ["s3:*", 3], "Resource": "*"}, "non-empty string or list"),
        (
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"},
            "Principal belongs in resource-based",
        ),
        (
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Conditions": {}},
            "unknown statement element 'Conditions'",
        ),
        ({"Effect": "Allow", "Action": "*", "Resource": "*", "Sid": 7}, "Sid must be a string"),
    ],
)
def test_malformed_statements_raise(statement: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyEvaluationError, match=message):
        evaluate({"p": policy(statement)}, "s3:GetObject")


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        ({"p": {"Version": "2012-10-17"}}, "no Statement"),
        ({"p": {"Version": "2024-01-01", "Statement": []}}, "Version must be"),
        ({"p": {"Statement": "Allow"}}, "Statement must be an object or a list"),
        ({"p": {"Statement": [], "Extra": 1}}, "unknown policy element 'Extra'"),
        ({"p": ["not", "a", "policy"]}, "must be a JSON object"),
        ({"p": "{not json"}, "not valid JSON"),
        ({"p": '{"Statement": [], "Statement": []}'}, "duplicate JSON key 'Statement'"),
        (ALLOW_S3, "looks like a single policy document"),
        ([ALLOW_S3], "expected \\(label, policy\\) pairs"),
        ({7: ALLOW_S3}, "label 7 is not a string"),
    ],
)
def test_malformed_documents_raise(policies: Any, message: str) -> None:
    with pytest.raises(PolicyEvaluationError, match=message):
        evaluate(policies, "s3:GetObject")


@pytest.mark.parametrize(
    ("condition", "context", "message"),
    [
        (
            {"DateLessThan": {"aws:TokenIssueTime": CUTOFF}},
            {"aws:TokenIssueTime": "not a date"},
            "request value",
        ),
        ({"NumericLessThan": {"n": "1"}}, {"n": "abc"}, "request value"),
        (
            {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            {"aws:SourceIp": "10.0.0.300"},
            "request value",
        ),
        ({"Bool": {"b": "true"}}, {"b": "yes"}, "request value"),
        (
            {"StringEquals": {"aws:TagKeys": "a"}},
            {"aws:TagKeys": ["a", "b"]},
            "needs ForAllValues: or ForAnyValue:",
        ),
    ],
)
def test_request_values_of_the_wrong_type_raise(
    condition: dict[str, Any], context: dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyEvaluationError, match=message):
        holds(condition, context)


def test_context_keys_that_differ_only_in_case_must_agree() -> None:
    assert holds(
        JOB,
        {
            "aws:principaltag/job-category": "iamuser-admin",
            "AWS:PrincipalTag/Job-Category": "iamuser-admin",
        },
    )
    with pytest.raises(PolicyEvaluationError, match="differ only in case"):
        holds(JOB, {"aws:principaltag/job-category": "a", "AWS:PrincipalTag/Job-Category": "b"})


def test_a_cached_compile_does_not_outlive_a_changed_document() -> None:
    document = revocation()
    assert revoked("2026-11-29T09:00:00Z", document).explicit_deny
    document["Statement"]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] = (
        "2026-11-29T08:00:00Z"
    )
    assert not revoked("2026-11-29T09:00:00Z", document).explicit_deny
