"""Decide, per target, what a revocation will write. Pure: observed state in, plan out.

The planner is where the safety rules of DESIGN.md live: never move a cutoff earlier
without --force (fact 12), never touch anybody else's statements or policies, respect the
aggregate inline size budget (fact 17) or fall back to a customer-managed policy, refuse
principals that AWS will not let a policy restrict (facts 15, 16).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from revoke.core import names
from revoke.core.anchor import origin_anchor, with_anchor
from revoke.core.policy import (
    MANAGED_POLICY_PATH,
    POLICY_NAME,
    compact,
    existing_cutoff,
    managed_policy_name,
    merge_revocation,
    policy_size,
)
from revoke.core.timeparse import cutoff_datetime
from revoke.errors import BadInput

# Fact 17 defaults, used when GetAccountSummary is not available.
DEFAULT_QUOTAS = {
    "UserPolicySizeQuota": 2048,
    "RolePolicySizeQuota": 10240,
    "GroupPolicySizeQuota": 5120,
    "PolicySizeQuota": 6144,
    "AttachedPoliciesPerUserQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10,
}

STATUS_PLANNED = "planned"
STATUS_APPLIED = "applied"
STATUS_UNCHANGED = "unchanged"
STATUS_FAILED = "failed"


@dataclass(frozen=True)
class Quotas:
    user_inline: int = DEFAULT_QUOTAS["UserPolicySizeQuota"]
    role_inline: int = DEFAULT_QUOTAS["RolePolicySizeQuota"]
    managed_size: int = DEFAULT_QUOTAS["PolicySizeQuota"]
    attached_per_user: int = DEFAULT_QUOTAS["AttachedPoliciesPerUserQuota"]
    attached_per_role: int = DEFAULT_QUOTAS["AttachedPoliciesPerRoleQuota"]
    source: str = "documented defaults"

    @classmethod
    def from_summary(cls, summary: Mapping[str, int]) -> Quotas:
        def pick(key: str) -> int:
            return int(summary.get(key) or DEFAULT_QUOTAS[key])

        return cls(
            user_inline=pick("UserPolicySizeQuota"),
            role_inline=pick("RolePolicySizeQuota"),
            managed_size=pick("PolicySizeQuota"),
            attached_per_user=pick("AttachedPoliciesPerUserQuota"),
            attached_per_role=pick("AttachedPoliciesPerRoleQuota"),
            source="iam:GetAccountSummary",
        )

    def inline_for(self, kind: str) -> int:
        return self.user_inline if kind == "user" else self.role_inline

    def attached_for(self, kind: str) -> int:
        return self.attached_per_user if kind == "user" else self.attached_per_role


@dataclass
class AccessKey:
    access_key_id: str
    status: str
    created: str | None = None
    last_used: str | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


@dataclass
class PrincipalState:
    """What a read of IAM found about one target."""

    kind: str
    name: str
    exists: bool = True
    account: str | None = None
    arn: str | None = None
    path: str = "/"
    inline_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    attached_policies: list[dict[str, str]] = field(default_factory=list)
    # Our customer-managed fallback, when one is attached: its ARN and default document.
    managed_fallback_arn: str | None = None
    managed_fallback_document: dict[str, Any] | None = None
    access_keys: list[AccessKey] = field(default_factory=list)
    login_profile: bool | None = None
    max_session_duration: int | None = None

    @property
    def active_keys(self) -> list[AccessKey]:
        return [k for k in self.access_keys if k.status == "Active"]


@dataclass
class TargetPlan:
    """One target's row in the plan and, once applied, in the result."""

    kind: str
    name: str
    account: str | None
    policy_name: str
    policy_document: dict[str, Any] | None
    status: str
    previous_cutoff: str | None = None
    previous_document: dict[str, Any] | None = None
    mechanism: str = "inline"  # "inline" | "managed"
    managed_policy_arn: str | None = None
    error: str | None = None
    error_code: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    verification: dict[str, Any] = field(default_factory=lambda: {"status": "skipped"})
    inline_size_after: int | None = None
    inline_size_quota: int | None = None
    # Containment steps beyond the deny (users: keys, console), planned then carried out;
    # see revoke/containment.py for their shape.
    containment: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return self.status in (STATUS_PLANNED, STATUS_APPLIED)

    @property
    def document_in_force(self) -> bool:
        """The document to write is there already (a row planned for containment alone)."""
        return (
            self.previous_document is not None
            and self.policy_document is not None
            and compact(self.previous_document) == compact(self.policy_document)
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "account": self.account,
            "policy_name": self.policy_name,
            "policy_document": self.policy_document,
            "status": self.status,
            "previous_cutoff": self.previous_cutoff,
            "error": self.error,
            "verification": self.verification,
            "mechanism": self.mechanism,
        }
        if self.managed_policy_arn:
            data["managed_policy_arn"] = self.managed_policy_arn
        if self.reason:
            data["reason"] = self.reason
        if self.error_code:
            data["error_code"] = self.error_code
        if self.containment:
            data["containment"] = [dict(step) for step in self.containment]
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data


def failed(
    kind: str, name: str, account: str | None, error: str, code: str | None = None
) -> TargetPlan:
    return TargetPlan(
        kind=kind,
        name=name,
        account=account,
        policy_name=POLICY_NAME,
        policy_document=None,
        status=STATUS_FAILED,
        error=error,
        error_code=code,
    )


def plan_target(
    state: PrincipalState,
    cutoff: str,
    rendered: dict[str, Any],
    *,
    quotas: Quotas,
    force: bool = False,
) -> TargetPlan:
    """What to write for one principal, given what exists. Never raises for a target's
    own problem: that is a `failed` row, so one bad target does not stop the others."""
    kind, name = state.kind, state.name
    if not state.exists:
        return failed(kind, name, state.account, f"{kind} {name} does not exist", "NoSuchEntity")
    if kind == "role" and state.path.startswith(names.SERVICE_LINKED_PATH):
        return failed(kind, name, state.account, names.service_linked_refused(name).message)
    if kind == "role" and state.path.startswith(names.IDENTITY_CENTER_PATH_PREFIX):
        return failed(kind, name, state.account, names.identity_center_refused(name).message)

    warnings: list[str] = []
    if kind == "user" and state.active_keys:
        ids = ", ".join(k.access_key_id for k in state.active_keys)
        # Fact 3: a holder of the key can mint fresh, post-cutoff tokens.
        warnings.append(
            f"user {name} still has active access keys ({ids}): whoever holds one can mint "
            "new session tokens after the cutoff; add --deactivate-keys to contain it"
        )

    existing_inline = state.inline_policies.get(POLICY_NAME)
    current_doc: dict[str, Any] | None
    if state.managed_fallback_document is not None and existing_inline is None:
        current_doc, mechanism = state.managed_fallback_document, "managed"
    else:
        current_doc, mechanism = existing_inline, "inline"
    try:
        previous = existing_cutoff(current_doc)
        later = previous is not None and cutoff_datetime(previous) > cutoff_datetime(cutoff)
    except BadInput as err:
        # Fail closed: a cutoff we cannot read may be later than ours (fact 12).
        if not force:
            return failed(
                kind,
                name,
                state.account,
                f"{kind} {name}: {err.message}; nothing changed (--force replaces it)",
                "UnreadableCutoff",
            )
        previous, later = None, False

    plan = TargetPlan(
        kind=kind,
        name=name,
        account=state.account,
        policy_name=POLICY_NAME if mechanism == "inline" else managed_policy_name(kind, name),
        policy_document=None,
        status=STATUS_PLANNED,
        previous_cutoff=previous,
        previous_document=current_doc,
        mechanism=mechanism,
        managed_policy_arn=state.managed_fallback_arn if mechanism == "managed" else None,
        warnings=warnings,
    )

    if later and not force:
        # Fact 12: moving the cutoff earlier would un-revoke sessions issued between.
        plan.status = STATUS_UNCHANGED
        plan.policy_document = current_doc
        plan.reason = (
            f"existing cutoff {previous} is later than {cutoff}: keeping it "
            "(an earlier cutoff would un-revoke sessions issued in between; --force to "
            "move it anyway)"
        )
        return plan

    # Tamper evidence (revoke.core.anchor): what was there before is named in IAM itself.
    document = merge_revocation(current_doc, with_anchor(rendered, origin_anchor(current_doc)))
    plan.policy_document = document
    if current_doc is not None and compact(current_doc) == compact(document):
        plan.status = STATUS_UNCHANGED
        plan.reason = f"cutoff {cutoff} is already in force"
        return plan

    if mechanism == "managed":
        if policy_size(document) > quotas.managed_size:
            return _too_big(plan, quotas, document)
        return plan

    others = sum(
        policy_size(doc) for pname, doc in state.inline_policies.items() if pname != POLICY_NAME
    )
    quota = quotas.inline_for(kind)
    plan.inline_size_after = others + policy_size(document)
    plan.inline_size_quota = quota
    if plan.inline_size_after <= quota:
        return plan

    # Fact 17: the aggregate inline budget is full. Fall back to a customer-managed policy
    # attached to the principal; never truncate or drop anybody's policy.
    if len(state.attached_policies) >= quotas.attached_for(kind):
        plan.status = STATUS_FAILED
        plan.error_code = "SizeBudget"
        plan.error = (
            f"{kind} {name}: inline policies would total {plan.inline_size_after} of "
            f"{quota} characters, and all {quotas.attached_for(kind)} managed-policy slots "
            "are taken; nothing was changed. Free a slot or shrink an inline policy"
        )
        return plan
    if policy_size(document) > quotas.managed_size:
        return _too_big(plan, quotas, document)
    plan.mechanism = "managed"
    plan.policy_name = managed_policy_name(kind, name)
    plan.reason = (
        f"inline policies would total {plan.inline_size_after} of {quota} characters: "
        f"writing a customer-managed policy {MANAGED_POLICY_PATH}{plan.policy_name} instead"
    )
    return plan


def _too_big(plan: TargetPlan, quotas: Quotas, document: dict[str, Any]) -> TargetPlan:
    plan.status = STATUS_FAILED
    plan.error_code = "SizeBudget"
    plan.error = (
        f"{plan.kind} {plan.name}: the revocation document is {policy_size(document)} "
        f"characters, over the {quotas.managed_size} limit of a managed policy; nothing changed"
    )
    return plan


def plan_summary(targets: list[TargetPlan]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for target in targets:
        counts[target.status] = counts.get(target.status, 0) + 1
    return counts


def as_dict(state: PrincipalState) -> dict[str, Any]:
    return asdict(state)
