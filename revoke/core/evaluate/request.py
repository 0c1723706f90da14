"""One request decided over every policy type that applies to it within one account.

AWS's order ("How AWS enforcement code logic evaluates requests to allow or deny access",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html,
linked from "Policy evaluation logic", reference_policies_evaluation-logic.html):

1. Deny evaluation: "The AWS enforcement code evaluates all policies within the account that
   apply to the request. These include AWS Organizations SCPs and RCPs, resource-based
   policies, identity-based policies, IAM permissions boundaries, and session policies." An
   explicit deny in any of them is final.
2. RCPs: without an applicable Allow the answer is deny (RCPFullAWSAccess is attached to the
   root, each OU and each account, so every level has one unless it was detached).
3. SCPs: likewise, and at every level: to allow a permission in an account, an explicit Allow
   must be attached at each level on the direct path from the root through each OU to the
   account itself (AWS Organizations User Guide, "SCP evaluation", "How SCPs work with
   Allow", https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
4. Identity-based policies: an Allow is needed (resource-based policies are not read here).
5. Permissions boundary, when the principal has one: an Allow is needed.
6. Session policy, when the session has one: an Allow is needed.

Who decided is reported: the part (and level) whose explicit deny came first in that order,
or the first part without an Allow, or the identity policies for an allow. The management
account's exemption from SCPs, and the root user's from identity policies, are the caller's
to apply (pass no SCPs, or do not call this). So is which RCPs apply: those of the account
that owns the resource, when it is a member account, for the services that support RCPs and
actions that authorize a resource, never to a service-linked role (AWS Organizations User
Guide, "Resource control policies (RCPs)",
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html);
pass no RCPs for a request they do not govern, or this would claim a deny AWS does not apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from revoke.core.evaluate.decision import (
    ContextValue,
    Decision,
    DecisionFlags,
    EvaluationResult,
    StatementRef,
    evaluate,
)
from revoke.core.evaluate.errors import PolicyEvaluationError
from revoke.core.evaluate.grammar import PolicyType

Policies = Mapping[str, Mapping[str, Any] | str] | Iterable[tuple[str, Mapping[str, Any] | str]]
# Each part is compiled as its own policy type, so an RCP's `"Principal": "*"` is read and an
# identity policy's Principal refused, as AWS does (grammar).
Part = PolicyType


@dataclass(frozen=True)
class PolicyLevel:
    """The policies attached at one level of an organization: the root, an OU, the account."""

    name: str  # e.g. "root r-ab12", "ou ou-ab12-abcdefgh", "account 123456789012"
    policies: Policies


@dataclass(frozen=True)
class PartResult:
    part: Part
    level: str | None  # the PolicyLevel's name for SCPs and RCPs
    result: EvaluationResult


@dataclass(frozen=True)
class RequestDecision(DecisionFlags):
    decision: Decision
    decided_by: Part
    level: str | None  # the organization level that decided (SCPs, RCPs), else None
    statements: tuple[StatementRef, ...]  # the denies that decided, or the allows
    parts: tuple[PartResult, ...]  # every part evaluated, in AWS's order

    @property
    def matched_denies(self) -> tuple[StatementRef, ...]:
        return tuple(d for p in self.parts for d in p.result.matched_denies)

    @property
    def matched_allows(self) -> tuple[StatementRef, ...]:
        return tuple(a for p in self.parts for a in p.result.matched_allows)

    @property
    def undetermined(self) -> tuple[StatementRef, ...]:
        return tuple(u for p in self.parts for u in p.result.undetermined)


def evaluate_request(
    action: str,
    resource: str = "*",
    context: Mapping[str, ContextValue] | None = None,
    *,
    identity: Policies,
    boundary: Policies | None = None,
    session: Policies | None = None,
    scps: Sequence[PolicyLevel] = (),
    rcps: Sequence[PolicyLevel] = (),
) -> RequestDecision:
    """Decide a request of a principal in a member account the way AWS does (module
    docstring). `boundary` and `session` are None when the principal has no permissions
    boundary or the session no session policy; `scps` and `rcps` list the levels from the
    root down to the account (empty: not in an organization, or the management account)."""
    parts: list[PartResult] = []

    def run(part: Part, level: str | None, policies: Policies) -> PartResult:
        try:
            result = evaluate(policies, action, resource, context, policy_type=part)
        except PolicyEvaluationError as exc:
            where = f"{part} {level}" if level else part
            raise PolicyEvaluationError(f"{where}: {exc}") from exc
        evaluated = PartResult(part, level, result)
        parts.append(evaluated)
        return evaluated

    ordered: list[PartResult] = [run("rcp", lv.name, lv.policies) for lv in rcps]
    ordered += [run("scp", lv.name, lv.policies) for lv in scps]
    ordered.append(run("identity", None, identity))
    if boundary is not None:
        ordered.append(run("boundary", None, boundary))
    if session is not None:
        ordered.append(run("session", None, session))

    done = tuple(parts)
    for evaluated in ordered:  # 1. an explicit deny anywhere is final
        if evaluated.result.matched_denies:
            return RequestDecision(
                "explicit_deny",
                evaluated.part,
                evaluated.level,
                evaluated.result.matched_denies,
                done,
            )
    for evaluated in ordered:  # 2-6. every part (every level) must allow
        if not evaluated.result.matched_allows:
            return RequestDecision("implicit_deny", evaluated.part, evaluated.level, (), done)
    identity_part = next(p for p in ordered if p.part == "identity")
    return RequestDecision("allow", "identity", None, identity_part.result.matched_allows, done)
