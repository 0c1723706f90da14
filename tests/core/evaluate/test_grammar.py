"""Malformed policies, statements and requests: a clear PolicyEvaluationError, never a
silent allow or deny."""

from __future__ import annotations

from typing import Any

import pytest

from revoke.core.evaluate import (
    PolicyEvaluationError,
    evaluate,
)
from tests.core.evaluate.helpers import (
    ALLOW_S3,
    CUTOFF,
    JOB,
    holds,
    policy,
    revocation,
    revoked,
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
        (
            {"DateLessThan": {"aws:CurrentTime": "${aws:TokenIssueTime}"}},
            "policy variables are not supported",
        ),
        ({"StringEquals": {"k": {"nested": "object"}}}, "is not a string, number or boolean"),
        ({"StringEquals": {"k": None}}, "is not a string, number or boolean"),
        ({"StringEquals": {"k": [["nested"]]}}, "is not a string, number or boolean"),
        ({"StringEquals": "k"}, "expected an object of condition keys"),
        ({"Null": {"k": "${aws:username}"}}, "policy variables are not supported"),
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
        ({"Effect": "Allow", "Action": "", "Resource": "*"}, "non-empty string or a list"),
        ({"Effect": "Allow", "Action": ["s3:*", 3], "Resource": "*"}, "non-empty string or a list"),
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
