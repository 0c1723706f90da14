"""What the evaluator's tests share: policies built from statements, one-line questions (does
this Condition hold, what is the decision) and the revocation deny with the allow it overrides.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from revoke.core.evaluate import EvaluationResult, evaluate, statement_matches

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


BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"


ALLOW_S3 = policy({"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})


JOB = {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}


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
# The RCP AWS attaches at every level once RCPs are enabled (AWS Organizations User Guide,
# RCP examples, "RCPFullAWSAccess"); an RCP names its Principal, always "*".
RCP_FULL_ACCESS = policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})


def revoked(issued: object | None, document: dict[str, Any] | None = None) -> EvaluationResult:
    context = {} if issued is None else {"aws:TokenIssueTime": issued}
    return evaluate(
        {"managed:Admin": ALLOW_ALL, "inline:AWSRevokeOlderSessions": document or revocation()},
        "s3:ListAllMyBuckets",
        context=context,
    )
