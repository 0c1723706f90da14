"""Plan the organization-wide revocation: one SCP holding the same deny. Pure.

`revoke org` writes one service control policy, `RevokeOlderSessions`, holding the deny of
AWS-FACTS fact 8 plus an exemption for break-glass principals, and attaches it to the root,
an OU or an account. AWS Organizations then enforces it in every member account: the
distributed engine is AWS's own policy evaluation (DESIGN.md, "Scale").

Rules applied here, each pinned by tests/core/test_scp.py:
- The exemption is `ArnNotLike` on `aws:PrincipalArn`, never an `...IfExists` operator.
  `aws:PrincipalArn` is in the request context of every signed request (IAM User Guide,
  reference_policies_condition-keys, aws:PrincipalArn, "Availability"), so `IfExists` would
  add nothing; and a negated operator on a missing key "returns true" (condition
  operators, negated matching), so the deny still applies to a request without the key:
  the safe direction. Fact 9 forbids `DateLessThanIfExists` for the cutoff itself.
- For a role session, aws:PrincipalArn is the *role's* ARN (with its path), not the
  `sts::...:assumed-role/...` session ARN: an exemption must name the role.
- Size: at most 5,120 characters per SCP, counted on the text as sent, white space included
  when saved through the API (AWS Organizations quotas, "Maximum size of a policy
  document"; AWS Knowledge Center "organization-scp-size"). We send compact JSON, so the
  size is the length of that text.
- At most 5 SCPs attached directly to one root, OU or account; one more fails with
  ConstraintViolationException (same sources). Inherited SCPs do not count.
- Never move a cutoff earlier without --force (fact 12). Exemptions already in force are
  kept: dropping one could lock the responders out in the middle of an incident.
- No SCP affects the management account (fact 15): warn, and never target it.

Why one module of about 430 lines (issue 13 item 5): it is one planner of the rules above,
and each part applies them: the target and exemption parsers (the role's ARN, never a
session's), the readers of our statement (cutoff, exemptions kept), `plan_scp` (size, the
five-per-target quota, never earlier) and `scp_warnings` (the management account); the
proof it is checked with is already apart (revoke.core.scp_proof). Cut in two, the rules
would be read in two places, and every command's start-up, which imports this module,
would import one more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from revoke.core.plan import STATUS_APPLIED, STATUS_FAILED, STATUS_PLANNED, STATUS_UNCHANGED
from revoke.core.policy import (
    TOKEN_ISSUE_TIME,
    PolicyError,
    PolicyTemplate,
    compact,
    statements_of,
)
from revoke.core.scp_proof import (
    PRINCIPAL_ARN,
    SCP_POLICY_NAME,
    evaluate_scp,
    logic_context,
)
from revoke.core.timeparse import cutoff_datetime
from revoke.errors import BadInput

SCP_TYPE = "SERVICE_CONTROL_POLICY"
# The role AWS Organizations creates in the accounts it creates; the fan-out's default.
FANOUT_ROLE = "OrganizationAccountAccessRole"
SCP_DESCRIPTION = "revoke: deny sessions issued before a cutoff (break-glass principals exempt)"
SCP_SIZE_LIMIT = 5120
SCPS_PER_TARGET = 5
EXEMPT_OPERATOR = "ArnNotLike"
# Input errors: the responder can fix them; nothing was changed (exit 2).
INPUT_ERROR_CODES = {"SizeBudget", "ScpLimit", "BadInput"}

# Organizations target IDs (botocore organizations model, TargetId pattern).
_ROOT_ID = re.compile(r"^r-[0-9a-z]{4,32}$")
_OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_PRINCIPAL = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>[0-9*?]{1,12}):"
    r"(?P<resource>root|(?:role|user)/.+)$"
)
_SESSION = re.compile(r"^arn:aws[a-z-]*:sts::(\d{12}):assumed-role/([^/]+)/.+$")


@dataclass(frozen=True)
class OrgTarget:
    kind: str  # "root" | "ou" | "account"
    id: str


def parse_org_target(raw: str) -> OrgTarget:
    text = raw.strip()
    if _ROOT_ID.match(text):
        return OrgTarget("root", text)
    if _OU_ID.match(text):
        return OrgTarget("ou", text)
    if _ACCOUNT_ID.match(text):
        return OrgTarget("account", text)
    raise BadInput(
        f"{raw!r} is not an organization root, OU or account ID",
        hint="r-xxxx (the root), ou-xxxx-xxxxxxxx, or a 12-digit account ID",
    )


def parse_exemption(raw: str) -> str:
    """A break-glass principal ARN as `aws:PrincipalArn` will hold it (wildcards allowed)."""
    text = raw.strip()
    session = _SESSION.match(text)
    if session:
        account, role = session.groups()
        raise BadInput(
            f"{text!r} is a role session ARN; aws:PrincipalArn holds the role's ARN",
            hint=f"exempt arn:aws:iam::{account}:role/{role} (with the role's path, if any), "
            f"or arn:aws:iam::*:role/{role} for that role in every account",
        )
    match = _PRINCIPAL.match(text)
    if not match:
        raise BadInput(
            f"{text!r} is not an IAM principal ARN",
            hint="arn:aws:iam::111122223333:role/BreakGlass, or arn:aws:iam::*:role/BreakGlass "
            "for the role of that name in every account",
        )
    resource = match.group("resource")
    if resource != "root":
        name = resource.rsplit("/", 1)[-1]
        if not name.strip("*?"):
            raise BadInput(
                f"{text!r} would exempt every {resource.split('/', 1)[0]}: the deny would "
                "then contain nothing",
                hint="name the break-glass role or user, e.g. arn:aws:iam::*:role/BreakGlass",
            )
    return text


def merge_exemptions(existing: Iterable[str], added: Iterable[str]) -> list[str]:
    """Existing exemptions first, in order, then new ones; no duplicates."""
    merged: list[str] = []
    for arn in [*existing, *added]:
        if arn not in merged:
            merged.append(arn)
    return merged


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _our_statement(document: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    for statement in statements_of(document or {}):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
            continue
        condition = statement.get("Condition")
        if isinstance(condition, Mapping) and isinstance(condition.get("DateLessThan"), Mapping):
            if TOKEN_ISSUE_TIME in condition["DateLessThan"]:
                return statement
    return None


def scp_cutoff(document: Mapping[str, Any] | None) -> str | None:
    statement = _our_statement(document)
    if statement is None:
        return None
    values = _as_list(statement["Condition"]["DateLessThan"][TOKEN_ISSUE_TIME])
    return str(values[0]) if len(values) == 1 else None


def scp_exemptions(document: Mapping[str, Any] | None) -> list[str]:
    statement = _our_statement(document)
    if statement is None:
        return []
    block = statement["Condition"].get(EXEMPT_OPERATOR) or {}
    return [str(v) for v in _as_list(block.get(PRINCIPAL_ARN, []))]


def scp_size(document: Mapping[str, Any]) -> int:
    """Characters of the text we send (compact JSON): what the 5,120 limit counts."""
    return len(compact(document))


def render_scp(template: PolicyTemplate, cutoff: str, exemptions: Sequence[str]) -> dict[str, Any]:
    """Render the SCP template and check it says exactly what it must."""
    document = template.render(cutoff=cutoff, exempt_principals=list(exemptions))
    for statement in statements_of(document):
        for operator in statement.get("Condition") or {}:
            if operator.endswith("IfExists"):
                # Fact 9: DateLessThanIfExists would deny long-term keys too.
                raise PolicyError(f"{template.name}: renders {operator}; never an IfExists")
    if scp_cutoff(document) != cutoff or scp_exemptions(document) != list(exemptions):
        raise PolicyError(f"{template.name}: the rendered SCP does not hold the cutoff/exemptions")
    return document


@dataclass
class ScpPolicy:
    """Our SCP as it exists: its ID, content and the targets it is attached to."""

    id: str
    arn: str | None
    document: dict[str, Any] | None
    targets: list[str] = field(default_factory=list)


@dataclass
class OrgState:
    """What a read of AWS Organizations found (the planner's input)."""

    organization_id: str
    management_account: str
    feature_set: str
    root_id: str
    scp_enabled: bool
    target: OrgTarget
    target_name: str | None = None
    # SCPs attached directly to the target: [{"Id":..., "Name":...}]
    target_scps: list[dict[str, str]] = field(default_factory=list)
    policy: ScpPolicy | None = None
    # Accounts the SCP reaches: [{"id", "name", "state"}], the management account excluded.
    covered_accounts: list[dict[str, str]] = field(default_factory=list)
    caller_account: str | None = None
    caller_principal_arn: str | None = None


@dataclass
class ScpPlan:
    target: OrgTarget
    cutoff: str
    status: str
    management_account: str | None = None
    organization_id: str | None = None
    policy_id: str | None = None
    policy_document: dict[str, Any] | None = None
    previous_document: dict[str, Any] | None = None
    previous_cutoff: str | None = None
    # Where the SCP was attached before this run: attachments that predate revoke are not
    # ours to take away (`revoke lift org`).
    previous_targets: list[str] = field(default_factory=list)
    exemptions: list[str] = field(default_factory=list)
    steps: list[dict[str, str]] = field(default_factory=list)
    covered_accounts: list[dict[str, str]] = field(default_factory=list)
    size: int | None = None
    reason: str | None = None
    error: str | None = None
    error_code: str | None = None
    warnings: list[str] = field(default_factory=list)
    verification: dict[str, Any] = field(default_factory=lambda: {"status": "skipped"})
    # What apply did, for the journal and `revoke lift org`.
    created_policy: bool = False
    enabled_policy_type: bool = False
    attached: bool = False

    @property
    def changes(self) -> bool:
        return self.status in (STATUS_PLANNED, STATUS_APPLIED)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.target.kind,
            "name": self.target.id,
            "account": self.management_account,
            "policy_name": SCP_POLICY_NAME,
            "policy_type": SCP_TYPE,
            "policy_id": self.policy_id,
            "policy_document": self.policy_document,
            "status": self.status,
            # The cutoff in the document: the requested one, or a later one kept (fact 12).
            "cutoff": self.cutoff,
            "previous_cutoff": self.previous_cutoff,
            "error": self.error,
            "verification": self.verification,
            "exempt_principals": list(self.exemptions),
            "steps": list(self.steps),
            "size": self.size,
            "size_limit": SCP_SIZE_LIMIT,
            "covered_accounts": list(self.covered_accounts),
        }
        if self.reason:
            data["reason"] = self.reason
        if self.error_code:
            data["error_code"] = self.error_code
        return data


def _failed(plan: ScpPlan, code: str, message: str) -> ScpPlan:
    plan.status = STATUS_FAILED
    plan.error_code = code
    plan.error = message
    plan.steps = []
    return plan


def plan_scp(
    state: OrgState,
    cutoff: str,
    template: PolicyTemplate,
    exemptions: Sequence[str],
    *,
    force: bool = False,
) -> ScpPlan:
    """What `revoke org` will do, given what exists. A limit breach is a `failed` plan
    (exit 2) decided here, before any call that changes anything."""
    target = state.target
    plan = ScpPlan(
        target=target,
        cutoff=cutoff,
        status=STATUS_PLANNED,
        management_account=state.management_account,
        organization_id=state.organization_id,
        covered_accounts=list(state.covered_accounts),
    )
    if state.feature_set != "ALL":
        return _failed(
            plan,
            "OrgFeatureSet",
            f"organization {state.organization_id} has only consolidated billing features: "
            "SCPs need all features enabled (organizations:EnableAllFeatures); nothing changed",
        )
    if target.kind == "account" and target.id == state.management_account:
        # Fact 15: no SCP affects the management account.
        return _failed(
            plan,
            "BadInput",
            f"{target.id} is the management account: no SCP affects it, so this would "
            "contain nothing; revoke its users and roles with revoke user|role",
        )

    existing = state.policy.document if state.policy else None
    plan.policy_id = state.policy.id if state.policy else None
    plan.previous_document = existing
    plan.previous_targets = list(state.policy.targets) if state.policy else []
    previous = scp_cutoff(existing)
    plan.previous_cutoff = previous
    effective = cutoff
    if previous is not None and cutoff_datetime(previous) > cutoff_datetime(cutoff) and not force:
        # Fact 12: an earlier cutoff would un-revoke sessions issued in between.
        effective = previous
        plan.reason = (
            f"existing cutoff {previous} is later than {cutoff}: keeping it (an earlier "
            "cutoff would un-revoke sessions issued in between; --force to move it anyway)"
        )
    plan.cutoff = effective
    plan.exemptions = merge_exemptions(scp_exemptions(existing), exemptions)
    document = render_scp(template, effective, plan.exemptions)
    plan.policy_document = document
    plan.size = scp_size(document)
    if plan.size > SCP_SIZE_LIMIT:
        return _failed(
            plan,
            "SizeBudget",
            f"the SCP would be {plan.size} characters, over the {SCP_SIZE_LIMIT}-character "
            f"limit of a service control policy ({len(plan.exemptions)} exemptions); nothing "
            "changed. Exempt fewer principals, or use wildcards such as "
            "arn:aws:iam::*:role/BreakGlass",
        )

    attached_ids = {p.get("Id") for p in state.target_scps}
    attached = plan.policy_id is not None and plan.policy_id in attached_ids
    if not attached and len(state.target_scps) >= SCPS_PER_TARGET:
        names = ", ".join(p.get("Name") or p.get("Id", "?") for p in state.target_scps)
        return _failed(
            plan,
            "ScpLimit",
            f"{target.id} already has {len(state.target_scps)} SCPs attached ({names}), the "
            f"limit is {SCPS_PER_TARGET}; nothing changed. Detach one, or target the "
            "parent OU or the root (inherited SCPs do not count)",
        )

    if not state.scp_enabled:
        plan.steps.append({"action": "organizations:EnablePolicyType", "target": state.root_id})
    if state.policy is None:
        plan.steps.append({"action": "organizations:CreatePolicy", "target": SCP_POLICY_NAME})
    elif existing is None or compact(existing) != compact(document):
        plan.steps.append({"action": "organizations:UpdatePolicy", "target": state.policy.id})
    if not attached:
        plan.steps.append({"action": "organizations:AttachPolicy", "target": target.id})
    if not plan.steps:
        plan.status = STATUS_UNCHANGED
        plan.reason = plan.reason or f"cutoff {effective} is already in force on {target.id}"

    plan.warnings.extend(scp_warnings(state, plan))
    return plan


def scp_warnings(state: OrgState, plan: ScpPlan) -> list[str]:
    warnings = [
        # Fact 15.
        f"no SCP affects the management account {state.management_account}: revoke its "
        "users and roles separately (revoke user|role, or --accounts with fan-out)",
    ]
    covered = [a["id"] for a in state.covered_accounts]
    # The deny names no principal: every role session in scope is older than the cutoff
    # until it is renewed, workloads' included.
    warnings.append(
        "every session issued before the cutoff in the covered accounts is denied, "
        "workloads' too (EC2 instance profiles, Lambda, ECS tasks) until their "
        "credentials renew; exempt their roles if they must not pause"
    )
    if covered:
        warnings.append(
            f"the SCP reaches {len(covered)} account(s) under {state.target.id}: "
            + ", ".join(covered)
        )
    else:
        warnings.append(f"no member account is under {state.target.id} yet: the SCP reaches none")
    if not plan.exemptions:
        warnings.append(
            "no principal is exempt: every session issued before the cutoff in these "
            "accounts is denied, responders' included; exempt a break-glass role with "
            "--exempt-principal arn:aws:iam::*:role/BreakGlass"
        )
    elif state.caller_principal_arn and state.caller_account in covered:
        probe = logic_context(plan.cutoff, state.caller_principal_arn, before=True)
        if plan.policy_document and evaluate_scp(plan.policy_document, probe).explicit_deny:
            warnings.append(
                f"your own principal {state.caller_principal_arn} is not exempt and is in a "
                "covered account: this session will be denied; add it with --exempt-principal"
            )
    if covered and plan.policy_document:
        # The fan-out (revoke user|role --all-accounts) reaches member accounts through
        # this role; a session of it assumed before the (rounded-up) cutoff is denied too.
        fanout = f"arn:aws:iam::{covered[0]}:role/{FANOUT_ROLE}"
        probe = logic_context(plan.cutoff, fanout, before=True)
        if evaluate_scp(plan.policy_document, probe).explicit_deny:
            warnings.append(
                f"{FANOUT_ROLE} is not exempt: a session of it issued before the cutoff is "
                "denied in the member accounts, so a fan-out started within the cutoff's "
                "second fails there; add --exempt-principal "
                f"arn:aws:iam::*:role/{FANOUT_ROLE}"
            )
    return warnings


def principal_of_caller(caller_arn: str) -> str:
    """aws:PrincipalArn for a caller: a role session's role ARN (path unknown), else as is."""
    session = _SESSION.match(caller_arn)
    if session:
        account, role = session.groups()
        partition = caller_arn.split(":", 2)[1]
        return f"arn:{partition}:iam::{account}:role/{role}"
    return caller_arn
