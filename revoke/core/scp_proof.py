"""Verification layer 2 for the organization's SCP: the evaluator over the deny. Pure.

The SCP is evaluated next to FullAWSAccess, as AWS Organizations evaluates it (an SCP set
with no Allow denies everything), through the evaluator's one entry point for a whole request
(revoke.core.evaluate.request, AWS's documented order), for a principal whose own policies
allow the probe action unless the caller gives them: a session issued a second before the
cutoff is denied, one issued a second after is not, a long-term key (no aws:TokenIssueTime,
fact 9) is not, and each exempt principal's pre-cutoff session is not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from revoke.core.policy import TOKEN_ISSUE_TIME
from revoke.core.timeparse import cutoff_datetime, format_cutoff

SCP_POLICY_NAME = "RevokeOlderSessions"
PRINCIPAL_ARN = "aws:PrincipalArn"
# The principal the logic check uses as "anybody who is not exempt".
PROBE_PRINCIPAL_NAME = "revoke-verification-not-exempt"
# What AWS attaches everywhere when SCPs are enabled; the logic check evaluates our deny
# next to it, as AWS would (an SCP set with no Allow denies everything).
FULL_AWS_ACCESS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def logic_context(cutoff: str, principal_arn: str, *, before: bool | None) -> dict[str, Any]:
    """A request context: a session issued one second before/after the cutoff, or (None)
    a request signed with a long-term key, which carries no aws:TokenIssueTime (fact 9)."""
    context: dict[str, Any] = {PRINCIPAL_ARN: principal_arn}
    if before is not None:
        moment = cutoff_datetime(cutoff) + timedelta(seconds=-1 if before else 1)
        context[TOKEN_ISSUE_TIME] = format_cutoff(moment)
    return context


# The identity policy the logic check assumes when it is given none: a principal whose own
# policies allow the probe action, so the decision is the SCP's alone.
ASSUMED_IDENTITY = "identity:assumed-allow"


def evaluate_scp(
    document: Mapping[str, Any],
    context: Mapping[str, Any],
    *,
    identity: Mapping[str, Any] | None = None,
    action: str = "s3:ListAllMyBuckets",
) -> Any:
    """The request decided over our SCP (beside FullAWSAccess, at its target) and the
    principal's identity policies (`identity`, {label: document}; default: an allow)."""
    from revoke.core.evaluate.request import PolicyLevel, evaluate_request

    level = PolicyLevel("target", {"FullAWSAccess": FULL_AWS_ACCESS, SCP_POLICY_NAME: document})
    return evaluate_request(
        action,
        "*",
        context,
        identity=identity if identity is not None else {ASSUMED_IDENTITY: FULL_AWS_ACCESS},
        scps=[level],
    )


def sample_principal(pattern: str, account: str) -> str:
    """A concrete ARN an exemption pattern matches: wildcards filled in."""
    parts = pattern.split(":", 5)
    if "*" in parts[4] or "?" in parts[4]:
        parts[4] = account
    parts[5] = parts[5].replace("*", "x").replace("?", "x")
    return ":".join(parts)


def verify_logic(
    document: Mapping[str, Any], cutoff: str, exemptions: Sequence[str], account: str
) -> dict[str, Any]:
    """Layer 2 for the SCP: pre-cutoff session denied, post-cutoff allowed, long-term key
    allowed, each exempt principal's pre-cutoff session allowed."""
    from revoke.core.evaluate import PolicyEvaluationError

    partition = "aws"
    for arn in exemptions:
        partition = arn.split(":", 2)[1]
        break
    probe = f"arn:{partition}:iam::{account}:role/{PROBE_PRINCIPAL_NAME}"
    cases: list[tuple[str, str, bool | None, bool]] = [
        ("session issued 1s before the cutoff", probe, True, True),
        ("session issued 1s after the cutoff", probe, False, False),
        ("long-term access key (no aws:TokenIssueTime)", probe, None, False),
    ]
    for arn in exemptions:
        cases.append(
            (f"exempt {arn}: session issued 1s before", sample_principal(arn, account), True, False)
        )
    checks = []
    for name, principal, before, want_deny in cases:
        context = logic_context(cutoff, principal, before=before)
        try:
            decision = evaluate_scp(document, context).decision
        except PolicyEvaluationError as err:
            decision = f"error: {err}"
        ok = (decision == "explicit_deny") == want_deny and not decision.startswith("error")
        checks.append(
            {
                "case": name,
                "principal_arn": principal,
                "token_issue_time": context.get(TOKEN_ISSUE_TIME),
                "expected": "explicit_deny" if want_deny else "allow",
                "decision": decision,
                "ok": ok,
            }
        )
    return {"status": "ok" if all(c["ok"] for c in checks) else "failed", "checks": checks}
