"""The condition operators against AWS's own documented cases.

(Each group cites its AWS page; see this package's docstring.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.core.evaluate.helpers import (
    ACCOUNT,
    JOB,
    MATCH,
    NO_MATCH,
    UTC,
    decide,
    holds,
    policy,
)

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
