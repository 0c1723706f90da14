"""Policies AWS accepts are evaluated, never refused (issue 17, item 1).

The evaluator refuses only what AWS refuses: the policy grammar
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html) and
Access Analyzer's *errors*
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html,
"AA" below; its suggestions and warnings are policies AWS takes). Where AWS documents a
result it is applied; where it documents none the condition is undetermined and resolved to
fail safe for a revocation proof, which must never claim a deny AWS might not apply: a Deny
statement does not apply, an Allow statement does (revoke/core/evaluate/operators.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from revoke.core.evaluate import PolicyEvaluationError, evaluate, statement_matches
from tests.core.evaluate.helpers import ALLOW_ALL, CUTOFF, policy

AA = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
OPERATORS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
MULTIVALUED = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"

UNDETERMINED = None
BREAK_GLASS = "arn:aws:iam::*:role/BreakGlass"
ROLE = "arn:aws:iam::111122223333:role/Dev"


def outcome(condition: Any, context: dict[str, Any] | None = None, **elements: Any) -> bool | None:
    """True or False where AWS's result is known, None where it is undetermined: the same
    statement then applies as an Allow and does not as a Deny."""
    base = {"Action": "*", "Resource": "*", **elements}
    if condition is not None:
        base["Condition"] = condition
    as_deny = statement_matches({"Effect": "Deny", **base}, "s3:GetObject", "*", context)
    as_allow = statement_matches({"Effect": "Allow", **base}, "s3:GetObject", "*", context)
    if as_deny == as_allow:
        return as_deny
    assert as_allow and not as_deny, "an undetermined Deny must never apply"
    return UNDETERMINED


# -- ARN operators with a value that is not a six-part ARN --------------------------------------
# OPERATORS, ARN: "Each of the six colon-delimited components of the ARN is checked
# separately"; a value of other shape is a "Type mismatch" general warning in AA, not an
# error, so AWS takes the policy. What it matches is not documented: undetermined.


@pytest.mark.parametrize("operator", ["ArnLike", "ArnEquals", "ArnNotLike", "ArnNotEquals"])
@pytest.mark.parametrize("value", ["*", "arn:aws:sns:*", "not-an-arn"])
def test_arn_operator_with_a_non_arn_value_is_undetermined(operator: str, value: str) -> None:
    assert outcome({operator: {"aws:PrincipalArn": value}}, {"aws:PrincipalArn": ROLE}) is None


def test_arn_or_with_a_matching_value_still_holds() -> None:
    # Kleene OR: one value that matches decides, whatever the unreadable one would do.
    condition = {"ArnLike": {"aws:PrincipalArn": ["*", "arn:aws:iam::*:role/Dev"]}}
    assert outcome(condition, {"aws:PrincipalArn": ROLE}) is True


def test_an_exemption_list_with_star_never_claims_the_deny() -> None:
    # The SCP's exemption (ArnNotLike) with "*" among the patterns: the exempt principal is
    # certainly spared (NOR with a match is false), anybody else is undetermined, so no
    # revocation proof claims the deny for them.
    document = policy(
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "DateLessThan": {"aws:TokenIssueTime": CUTOFF},
                "ArnNotLike": {"aws:PrincipalArn": [BREAK_GLASS, "*"]},
            },
        }
    )
    early = "2026-11-29T09:59:59Z"
    policies = {"allow": ALLOW_ALL, "scp": document}
    spared = evaluate(
        policies,
        "s3:ListBucket",
        context={
            "aws:TokenIssueTime": early,
            "aws:PrincipalArn": "arn:aws:iam::111122223333:role/BreakGlass",
        },
    )
    assert spared.decision == "allow" and spared.undetermined == ()
    other = evaluate(
        policies, "s3:ListBucket", context={"aws:TokenIssueTime": early, "aws:PrincipalArn": ROLE}
    )
    assert other.decision == "allow"
    assert [(r.policy, r.effect) for r in other.undetermined] == [("scp", "Deny")]


# -- ForAllValues:Null and ForAnyValue:Null -----------------------------------------------------
# AA, "Suggestion - Null with qualifier" (#access-analyzer-reference-policy-checks-suggestion-
# null-with-qualifier): "Avoid using the Null condition operator with the ForAllValues or
# ForAnyValue qualifiers because they always return a true or false respectively." and "When
# you use the Null condition operator with ForAllValues, the statement always returns true.
# When you use the Null condition operator with ForAnyValue, the statement always returns
# false."


@pytest.mark.parametrize("value", ["true", "false", True, False, ["true", "false"]])
@pytest.mark.parametrize(
    "context", [{}, {"aws:TagKeys": []}, {"aws:TagKeys": ["a"]}, {"aws:TagKeys": ["a", "b"]}]
)
def test_null_with_a_qualifier_is_what_access_analyzer_says(
    value: Any, context: dict[str, Any]
) -> None:
    assert outcome({"ForAllValues:Null": {"aws:TagKeys": value}}, context) is True
    assert outcome({"ForAnyValue:Null": {"aws:TagKeys": value}}, context) is False


def test_null_if_exists_stays_refused() -> None:
    # AA, "Error - Null with if exists": AWS refuses it.
    with pytest.raises(PolicyEvaluationError, match="IfExists cannot be added to Null"):
        outcome({"NullIfExists": {"k": "true"}})


# -- A plain operator on a key with several values in the request -------------------------------
# MULTIVALUED: "Multivalued context keys require a condition set operator"; AA reports
# "Missing qualifier" yet AWS managed policies carry it (AA, "AWS managed policies with this
# error"), so AWS takes it. The result is not documented: undetermined.


@pytest.mark.parametrize(
    ("condition", "context"),
    [
        ({"StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ["a", "b"]}),
        ({"StringNotEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ["a", "b"]}),
        ({"StringLike": {"aws:TagKeys": "*"}}, {"aws:TagKeys": ["a", "b"]}),
        (
            {"ArnNotLike": {"aws:PrincipalServiceNamesList": "arn:*:*:*:*:*"}},
            {"aws:PrincipalServiceNamesList": ["x", "y"]},
        ),
    ],
)
def test_plain_operator_on_several_request_values_is_undetermined(
    condition: dict[str, Any], context: dict[str, Any]
) -> None:
    assert outcome(condition, context) is None


def test_plain_operator_on_one_request_value_in_a_list_is_determined() -> None:
    # One value is one value, in a list or not.
    assert outcome({"StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ["a"]}) is True
    assert outcome({"StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ["b"]}) is False


# -- Policy values of the wrong type for their operator -----------------------------------------
# AA general warnings (not errors): "Type mismatch date", "Invalid date value", "Type mismatch
# number", "Type mismatch Boolean", "Type mismatch IP range". Undetermined when compared.


@pytest.mark.parametrize(
    ("condition", "context"),
    [
        ({"DateLessThan": {"aws:TokenIssueTime": "soon"}}, {"aws:TokenIssueTime": CUTOFF}),
        ({"NumericLessThan": {"s3:max-keys": "ten"}}, {"s3:max-keys": "5"}),
        ({"Bool": {"aws:SecureTransport": "yes"}}, {"aws:SecureTransport": "true"}),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}, {"aws:SourceIp": "203.0.113.9"}),
        ({"BinaryEquals": {"k": "not base64!"}}, {"k": "aGk="}),
        ({"Null": {"k": "maybe"}}, {"k": "v"}),
    ],
)
def test_policy_value_of_the_wrong_type_is_undetermined(
    condition: dict[str, Any], context: dict[str, Any]
) -> None:
    assert outcome(condition, context) is None


def test_a_wrong_typed_value_does_not_touch_a_missing_key() -> None:
    # OPERATORS, Important: a missing key fails a positive operator, satisfies a negated one.
    assert outcome({"DateLessThan": {"aws:TokenIssueTime": "soon"}}, {}) is False
    assert outcome({"DateNotEquals": {"aws:TokenIssueTime": "soon"}}, {}) is True


def test_the_revocation_with_an_unreadable_cutoff_never_claims_a_deny() -> None:
    document = policy(
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": "tomorrow"}},
        }
    )
    result = evaluate(
        {"allow": ALLOW_ALL, "inline:AWSRevokeOlderSessions": document},
        "s3:ListAllMyBuckets",
        context={"aws:TokenIssueTime": "2026-11-29T09:00:00Z"},
    )
    assert result.decision == "allow" and len(result.undetermined) == 1


@pytest.mark.parametrize(
    ("condition", "context"),
    [
        ({"DateLessThan": {"aws:TokenIssueTime": CUTOFF}}, {"aws:TokenIssueTime": "not a date"}),
        ({"NumericLessThan": {"n": "1"}}, {"n": "abc"}),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.0.0.300"}),
        ({"Bool": {"b": "true"}}, {"b": "yes"}),
    ],
)
def test_request_value_of_the_wrong_type_is_undetermined(
    condition: dict[str, Any], context: dict[str, Any]
) -> None:
    assert outcome(condition, context) is None


def test_a_variable_resolving_to_a_non_arn_is_undetermined() -> None:
    condition = {"ArnLike": {"aws:SourceArn": "${aws:username}"}}
    context = {"aws:username": "alice", "aws:SourceArn": ROLE}
    assert outcome(condition, context) is None


def test_a_variable_in_an_operator_without_variables_stays_refused() -> None:
    # AA, "Error - Invalid variable for operator": "Policy variables can only be used with
    # String and ARN operators."
    with pytest.raises(PolicyEvaluationError, match="policy variables are not supported"):
        outcome({"DateLessThan": {"aws:CurrentTime": "${aws:TokenIssueTime}"}})


# -- Empty lists and objects ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "missing", "present"),
    [
        # AA, "Suggestion - Empty array condition": "the condition returns true and the policy
        # statement provides no permissions" - the two halves disagree for a Deny; "provides no
        # permissions" is the Allow's and the fail-safe reading for a Deny.
        ("StringEquals", False, False),
        ("StringNotEquals", False, False),
        # "... ForAllValues": "matches only if the key ... is missing from the request context".
        ("ForAllValues:StringEquals", True, False),
        # "... ForAnyValue": "never matches the request context".
        ("ForAnyValue:StringEquals", False, False),
        # "... IfExists": "matches only if the key ... is missing from the request context".
        ("StringEqualsIfExists", True, False),
        ("Null", False, False),
    ],
)
def test_empty_value_list_is_what_access_analyzer_says(
    operator: str, missing: bool, present: bool
) -> None:
    condition: dict[str, Any] = {operator: {"aws:TagKeys": []}}
    assert outcome(condition, {}) is missing
    assert outcome(condition, {"aws:TagKeys": ["a"]}) is present


@pytest.mark.parametrize("condition", [{}, {"StringEquals": {}}])
def test_empty_condition_objects_are_undetermined(condition: dict[str, Any]) -> None:
    # AA, "Suggestion - Empty object condition": "This condition block is empty and it does not
    # affect the policy" but "the statement has no effect on the policy": two readings.
    assert outcome(condition) is None


def test_an_empty_condition_object_is_still_anded() -> None:
    condition = {"StringEquals": {}, "Bool": {"aws:SecureTransport": "true"}}
    assert outcome(condition, {"aws:SecureTransport": "false"}) is False


@pytest.mark.parametrize(
    ("elements", "expected"),
    [
        # AA, "Suggestion - Empty array action": "This statement includes no actions and does
        # not affect the policy"; "... Empty array resource" likewise.
        ({"Action": [], "Resource": "*"}, False),
        ({"Action": "*", "Resource": []}, False),
        # Not documented for NotAction or NotResource: undetermined.
        ({"NotAction": [], "Resource": "*"}, None),
        ({"Action": "*", "NotResource": []}, None),
    ],
)
def test_empty_action_and_resource_lists(elements: dict[str, Any], expected: bool | None) -> None:
    as_deny = statement_matches({"Effect": "Deny", **elements}, "s3:GetObject")
    as_allow = statement_matches({"Effect": "Allow", **elements}, "s3:GetObject")
    assert not (as_deny and not as_allow)
    assert (as_deny if as_deny == as_allow else None) is expected


# -- Refusals that stay: AWS refuses them too ------------------------------------------------


@pytest.mark.parametrize(
    "operator",
    [
        # AA, "Error - Invalid condition operator". Operator names are matched exactly: IAM
        # answers "MalformedPolicyDocument: Invalid Condition type : stringEquals" for a
        # lower-cased name (CreateRole, quoted in
        # github.com/ministryofjustice/modernisation-platform-environments/pull/8893).
        "stringEquals",
        "DateLessThen",
        "forallvalues:StringEquals",
    ],
)
def test_operator_names_are_matched_exactly(operator: str) -> None:
    with pytest.raises(PolicyEvaluationError, match="unknown condition operator"):
        outcome({operator: {"k": "v"}})
