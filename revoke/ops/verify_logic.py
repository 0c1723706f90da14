"""Layer 2 of verification (revoke.ops.verify): the evaluator over every identity policy of
the principal (revoke.core.proof), and iam:SimulatePrincipalPolicy on the same cases where
the endpoint has it (fact 20), each a per-target dict for `row.verification["logic"]`. Split
out of revoke.ops.verify (issue 13, item 5), which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from revoke.core.plan import TargetPlan
from revoke.core.policy import POLICY_NAME
from revoke.core.proof import (
    DEFAULT_ACTION,
    LOGIC_ERROR,
    Case,
    cases_for,
    prove,
    session_cases_for,
)
from revoke.core.timeparse import cutoff_datetime
from revoke.errors import RevokeError

if TYPE_CHECKING:
    from revoke.aws.policies import PolicyReader

# A layer, or a check within one, that did not run (revoke.ops.verify shares the word).
SKIPPED = "skipped"


def our_labels(row: TargetPlan) -> set[str]:
    from revoke.aws.policies import inline_label, managed_label

    if row.mechanism == "managed" and row.managed_policy_arn:
        return {managed_label(row.managed_policy_arn)}
    return {inline_label(row.policy_name)}


def logic_layer(reader: PolicyReader, row: TargetPlan, cutoff: str) -> dict[str, Any]:
    try:
        policies = reader.identity_policies(row.kind, row.name)
    except RevokeError as err:
        return {"status": LOGIC_ERROR, "error": err.message, "cases": []}
    return prove(policies, our_labels(row), cutoff, cases=session_cases(row)).to_json()


def session_cases(row: TargetPlan) -> list[Case] | None:
    """A session-scoped deny (revoke.core.sessiondeny) is proven on its own cases: the
    session seen with the latest cutoff is denied before it, another session of the role
    is not (revoke.core.proof.session_cases_for). None: the role-wide cases."""
    from revoke.core.sessiondeny import denied_sessions, is_session_deny

    if not is_session_deny(row.policy_document):
        return None
    found = denied_sessions(row.policy_document)
    seen = found["userids"]
    if not seen:
        from revoke.core.proof import instance_cases_for

        arns = found["instance_arns"]
        arn = max(arns, key=lambda a: (cutoff_datetime(arns[a]), a))
        return instance_cases_for(arns[arn], arn)
    userid = max(seen, key=lambda u: (cutoff_datetime(seen[u]), u))
    return session_cases_for(seen[userid], userid)


def _ours(matched: Sequence[str], row: TargetPlan) -> bool:
    names = {row.policy_name, POLICY_NAME}
    if row.managed_policy_arn:
        names.add(row.managed_policy_arn)
    return any(m in names or m.rsplit("/", 1)[-1] in names for m in matched)


def simulation_layer(reader: PolicyReader, row: TargetPlan, cutoff: str) -> dict[str, Any]:
    """The policy simulator on the same three cases (fact 20). Its verdict on logic only:
    it sees neither enforcement nor propagation."""
    from revoke.aws.policies import SimulationUnavailable

    if session_cases(row) is not None:
        return {
            "status": SKIPPED,
            "reason": "a session-scoped deny's cases need aws:userid in the simulator's "
            "context; the evaluator proved them",
        }
    try:
        arn = reader.principal_arn(row.kind, row.name)
        cases = []
        for case in cases_for(cutoff):
            found = reader.simulate(arn, DEFAULT_ACTION, case.token_issue_time)
            denied = found.decision == "explicitDeny"
            if case.expect_deny:
                # AWS may name only one of several matching denies: any explicit deny
                # shows the sessions before the cutoff are refused.
                holds = denied
            else:
                holds = not (denied and (not found.matched or _ours(found.matched, row)))
            cases.append({"case": case.name, "decision": found.decision, "holds": holds})
    except SimulationUnavailable as err:
        return {"status": "not available", "reason": err.reason}
    except RevokeError as err:
        return {"status": "not available", "reason": err.message}
    if all(c["holds"] for c in cases):
        return {"status": "ok", "cases": cases}
    return {
        "status": "mismatch",
        "cases": cases,
        "reason": "the simulator disagrees; IAM may not have propagated the change yet "
        "(https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html"
        "#troubleshoot_general_eventual-consistency): run revoke verify again in a minute",
    }
