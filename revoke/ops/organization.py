"""`revoke org`: plan -> apply -> verify -> undo for the organization-wide SCP.

Data flows one way as for users and roles (DESIGN.md): the target and cutoff -> an
Organizations read (OrgsGateway.read_state) -> the pure planner (revoke.core.scp) -> the
writes, in the order AWS needs them (the policy type enabled on the root before anything is
attached) -> read-back and the evaluator over the SCP -> the journal.

Undoing it (`revoke lift org`) is revoke.ops.organization_lift; its names stay importable
from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from revoke.core.plan import STATUS_APPLIED, STATUS_FAILED, STATUS_PLANNED
from revoke.core.policy import compact
from revoke.core.scp import (
    INPUT_ERROR_CODES,
    SCP_POLICY_NAME,
    OrgTarget,
    ScpPlan,
    plan_scp,
    render_scp,
)
from revoke.core.scp_proof import verify_logic
from revoke.errors import ExitCode, RevokeError
from revoke.ops.organization_lift import (
    JOURNAL_KIND,
    _describe,
    _done,
    apply_lift,
    lift_reach,
    lift_record,
    plan_lift,
    policy_episode,
    undo_window,
    written_document,
)
from revoke.ops.templates import deny_older_sessions_scp

if TYPE_CHECKING:
    from revoke.aws.orgs import OrgsGateway

__all__ = [
    "JOURNAL_KIND",
    "ExitCode",
    "_describe",
    "_done",
    "already_covered",
    "apply_lift",
    "apply_org",
    "exit_code",
    "journal_record",
    "lift_reach",
    "lift_record",
    "offline_plan",
    "plan_lift",
    "plan_org",
    "policy_episode",
    "undo_window",
    "verify_org",
    "written_document",
]


def offline_plan(target: OrgTarget | None, cutoff: str, exemptions: Sequence[str]) -> ScpPlan:
    """`--offline`: the document alone; the root ID is not known without a call."""
    document = render_scp(deny_older_sessions_scp(), cutoff, exemptions)
    from revoke.core.scp import scp_size

    return ScpPlan(
        target=target or OrgTarget("root", "(root)"),
        cutoff=cutoff,
        status=STATUS_PLANNED,
        policy_document=document,
        exemptions=list(exemptions),
        size=scp_size(document),
    )


def plan_org(
    orgs: OrgsGateway,
    caller: dict[str, str],
    target: OrgTarget | None,
    cutoff: str,
    exemptions: Sequence[str],
    *,
    force: bool = False,
) -> ScpPlan:
    state = orgs.read_state(target, caller)
    return plan_scp(state, cutoff, deny_older_sessions_scp(), exemptions, force=force)


def already_covered(orgs: OrgsGateway, plan: ScpPlan) -> list[str] | None:
    """For the prompt: the member accounts the plan reaches that the SCP covers already,
    through a target it is attached to (this one, or the root or an OU above them: an SCP
    applies to every account below where it is attached,
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
    Read-only; None when Organizations would not say."""
    reached = [a["id"] for a in plan.covered_accounts]
    if not reached or not plan.previous_targets:
        return []
    if plan.target.id in plan.previous_targets:
        return reached
    try:
        under = orgs.account_ids_under(plan.previous_targets)
    except RevokeError:
        return None
    return [a for a in reached if a in under]


def apply_org(orgs: OrgsGateway, plan: ScpPlan) -> ScpPlan:
    """Run the plan's steps in order. A failure stops the rest (attaching a policy that was
    not written would be wrong); what did happen is kept on the plan for the journal."""
    if plan.status != STATUS_PLANNED or plan.policy_document is None:
        return plan
    try:
        for step in plan.steps:
            action = step["action"]
            if action == "organizations:EnablePolicyType":
                plan.enabled_policy_type = orgs.enable_scp(step["target"])
            elif action == "organizations:CreatePolicy":
                plan.policy_id = orgs.create_policy(plan.policy_document)
                plan.created_policy = True
            elif action == "organizations:UpdatePolicy":
                orgs.update_policy(step["target"], plan.policy_document)
            elif action == "organizations:AttachPolicy":
                assert plan.policy_id is not None
                orgs.attach_policy(plan.policy_id, step["target"])
                plan.attached = True
            step["done"] = "yes"
    except RevokeError as err:
        plan.status = STATUS_FAILED
        plan.error = err.message
        plan.error_code = getattr(err, "code", None) or type(err).__name__
        return plan
    plan.status = STATUS_APPLIED
    return plan


def verify_org(orgs: OrgsGateway, plan: ScpPlan) -> dict[str, Any]:
    """Layer 1, read-back: the SCP holds what we wrote and is attached to the target.
    Layer 2, logic: the evaluator over the SCP (with FullAWSAccess beside it, as AWS has)
    denies a pre-cutoff session, allows a post-cutoff one and each exempt principal."""
    if plan.policy_document is None or plan.policy_id is None:
        return {"status": "skipped"}
    read_back: dict[str, Any]
    try:
        found = orgs.policy(plan.policy_id)
    except RevokeError as err:
        read_back = {"status": "error", "error": err.message}
    else:
        if found.document is None or compact(found.document) != compact(plan.policy_document):
            read_back = {"status": "mismatch", "found": found.document}
        elif plan.target.id not in found.targets:
            read_back = {"status": "not_attached", "targets": found.targets}
        else:
            read_back = {"status": "ok", "targets": found.targets}
    sample = (
        plan.covered_accounts[0]["id"]
        if plan.covered_accounts
        else (plan.management_account or "123456789012")
    )
    logic = verify_logic(plan.policy_document, plan.cutoff, plan.exemptions, sample)
    # As for users and roles (revoke.ops.verify): "failed" when a layer contradicts the
    # revocation, "unverified" when one could not confirm it (a read error).
    if read_back["status"] == "ok" and logic["status"] == "ok":
        status = "verified"
    elif read_back["status"] == "error" and logic["status"] == "ok":
        status = "unverified"
    else:
        status = "failed"
    plan.verification = {
        "status": status,
        "read_back": read_back,
        "logic": logic,
        "enforcement": "AWS Organizations enforces the SCP in every covered account",
    }
    return plan.verification


def exit_code(plan: ScpPlan) -> ExitCode:
    if plan.status == STATUS_FAILED:
        if plan.error_code in INPUT_ERROR_CODES:
            return ExitCode.BAD_INPUT
        if plan.error_code == "NoCredentials":
            return ExitCode.NO_CREDENTIALS
        return ExitCode.AWS_FAILURE
    if plan.verification.get("status") in ("unverified", "failed"):
        return ExitCode.UNVERIFIED
    return ExitCode.OK


def journal_record(plan: ScpPlan, actor: dict[str, str] | None) -> dict[str, Any]:
    """The journal's change record (schema of revoke.state.journal) for one `revoke org` run:
    what `revoke lift org` needs to undo it. No secret ever goes in here."""
    return {
        "actor": (actor or {}).get("arn"),
        "account": plan.management_account,
        "action": "revoke",
        "target": {"kind": JOURNAL_KIND, "name": plan.target.id, "org_target": plan.target.kind},
        "status": plan.status,
        "cutoff": plan.cutoff,
        "previous_cutoff": plan.previous_cutoff,
        "policy": {"name": SCP_POLICY_NAME, "mechanism": "scp", "policy_id": plan.policy_id},
        "before": plan.previous_document,
        "after": plan.policy_document,
        "scp": {
            "organization_id": plan.organization_id,
            "created_policy": plan.created_policy,
            "attached": plan.attached,
            "enabled_policy_type": plan.enabled_policy_type,
            "previous_targets": list(plan.previous_targets),
            "exempt_principals": list(plan.exemptions),
            "covered_accounts": [a["id"] for a in plan.covered_accounts],
            "steps": list(plan.steps),
        },
        "verification": plan.verification,
        "error": plan.error,
        "warnings": list(plan.warnings),
    }
