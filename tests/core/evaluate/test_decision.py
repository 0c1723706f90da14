"""The evaluation logic, and the revocation deny it exists for, against AWS's documented
cases.

(Each group cites its AWS page; see this package's docstring.)
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from revoke.core.evaluate import (
    EvaluationResult,
    StatementRef,
    evaluate,
)
from tests.core.evaluate.helpers import (
    ALLOW_ALL,
    ALLOW_S3,
    BUCKET,
    CUTOFF,
    UTC,
    decide,
    policy,
    revocation,
    revoked,
)

# ---------------------------------------------------------------------------------------------
# Evaluation logic: reference_policies_evaluation-logic.html
# "By default, all requests are implicitly denied ... An explicit allow in an identity-based
# or resource-based policy overrides this default ... An explicit deny in any policy overrides
# any allows."
# ---------------------------------------------------------------------------------------------

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
# The revocation deny (AWS-FACTS facts 8, 9, 10): DateLessThan on aws:TokenIssueTime.
# ---------------------------------------------------------------------------------------------


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
