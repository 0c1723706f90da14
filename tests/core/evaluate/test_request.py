"""One request over every policy type of an account, in AWS's documented order
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html;
SCP levels: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
"""

from __future__ import annotations

from typing import Any

import pytest

from revoke.core.evaluate import PolicyEvaluationError, PolicyLevel, evaluate_request
from tests.core.evaluate.helpers import (
    ALLOW_ALL,
    ALLOW_S3,
    RCP_FULL_ACCESS,
    policy,
    revocation,
)

EC2_ONLY = policy({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
DENY_S3 = policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
FULL = {"FullAWSAccess": ALLOW_ALL}
OLD = {"aws:TokenIssueTime": "2026-11-29T09:00:00Z"}
NEW = {"aws:TokenIssueTime": "2026-11-29T11:00:00Z"}


def levels(*extra: dict[str, Any]) -> list[PolicyLevel]:
    names = ["root r-ab12", "ou ou-ab12-abcdefgh", "account 222222222222"]
    return [PolicyLevel(name, {**FULL, **more}) for name, more in zip(names, extra, strict=True)]


def decide(**kw: Any) -> Any:
    return evaluate_request("s3:ListAllMyBuckets", "*", kw.pop("context", {}), **kw)


def test_identity_alone_is_evaluate() -> None:
    result = decide(identity={"managed:S3": ALLOW_S3})
    assert (result.decision, result.decided_by, result.level) == ("allow", "identity", None)
    assert decide(identity={"managed:EC2": EC2_ONLY}).decision == "implicit_deny"


def test_an_scp_deny_at_an_ou_decides_over_an_identity_allow() -> None:
    scps = levels({}, {"RevokeOlderSessions": revocation()}, {})
    result = decide(identity={"managed:S3": ALLOW_S3}, scps=scps, context=OLD)
    assert (result.decision, result.decided_by, result.level) == (
        "explicit_deny",
        "scp",
        "ou ou-ab12-abcdefgh",
    )
    assert [d.policy for d in result.statements] == ["RevokeOlderSessions"]
    assert decide(identity={"managed:S3": ALLOW_S3}, scps=scps, context=NEW).allowed


def test_every_scp_level_must_allow() -> None:
    # "SCP evaluation": an Allow at every level on the path; FullAWSAccess replaced at the OU by
    # an SCP that allows EC2 only denies S3 in the account below.
    scps = [
        PolicyLevel("root r-ab12", FULL),
        PolicyLevel("ou ou-ab12-abcdefgh", {"EC2Only": EC2_ONLY}),
        PolicyLevel("account 222222222222", FULL),
    ]
    result = decide(identity={"managed:All": ALLOW_ALL}, scps=scps)
    assert (result.decision, result.decided_by, result.level) == (
        "implicit_deny",
        "scp",
        "ou ou-ab12-abcdefgh",
    )


def test_rcps_come_first_and_every_level_must_allow() -> None:
    rcps = [
        PolicyLevel("root r-ab12", {"RCPFullAWSAccess": RCP_FULL_ACCESS}),
        PolicyLevel("account 2", {}),
    ]
    result = decide(identity={"managed:All": ALLOW_ALL}, rcps=rcps, scps=levels({}, {}, {}))
    assert (result.decided_by, result.level) == ("rcp", "account 2")


def test_the_first_deny_in_aws_order_is_reported_and_every_deny_is_kept() -> None:
    result = decide(
        identity={"inline:Deny": DENY_S3, "managed:All": ALLOW_ALL},
        scps=levels({"RevokeOlderSessions": revocation()}, {}, {}),
        context=OLD,
    )
    assert (result.decided_by, result.level) == ("scp", "root r-ab12")
    assert {d.policy for d in result.matched_denies} == {"RevokeOlderSessions", "inline:Deny"}


@pytest.mark.parametrize("part", ["boundary", "session"])
def test_a_boundary_or_session_policy_must_also_allow(part: str) -> None:
    result = decide(identity={"managed:All": ALLOW_ALL}, **{part: {"p": EC2_ONLY}})
    assert (result.decision, result.decided_by) == ("implicit_deny", part)
    assert decide(identity={"managed:All": ALLOW_ALL}, **{part: {"p": ALLOW_S3}}).allowed
    denied = decide(identity={"managed:All": ALLOW_ALL}, **{part: {"p": DENY_S3}})
    assert (denied.decision, denied.decided_by) == ("explicit_deny", part)


def test_a_boundary_does_not_grant() -> None:
    # A boundary only limits: the identity policies must still allow.
    result = decide(identity={"managed:EC2": EC2_ONLY}, boundary={"b": ALLOW_ALL})
    assert (result.decision, result.decided_by) == ("implicit_deny", "identity")


def test_errors_name_the_part_and_level() -> None:
    bad = policy({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bogus": {}}})
    with pytest.raises(PolicyEvaluationError, match="scp ou ou-ab12-abcdefgh"):
        decide(identity={"managed:All": ALLOW_ALL}, scps=levels({}, {"Bad": bad}, {}))
