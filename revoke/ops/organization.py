"""`revoke org`: plan -> apply -> verify -> undo for the organization-wide SCP.

Data flows one way as for users and roles (DESIGN.md): the target and cutoff -> an
Organizations read (OrgsGateway.read_state) -> the pure planner (revoke.core.scp) -> the
writes, in the order AWS needs them (the policy type enabled on the root before anything is
attached) -> read-back and the evaluator over the SCP -> the journal.
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
    scp_cutoff,
)
from revoke.core.scp_proof import verify_logic
from revoke.errors import ExitCode, RevokeError
from revoke.ops.templates import deny_older_sessions_scp

if TYPE_CHECKING:
    from revoke.aws.orgs import OrgsGateway

JOURNAL_KIND = "org"


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


def lift_record(lift: dict[str, Any], actor: dict[str, str] | None) -> dict[str, Any]:
    return {
        "actor": (actor or {}).get("arn"),
        "account": lift.get("account"),
        "action": "lift",
        "target": {"kind": JOURNAL_KIND, "name": lift["name"], "org_target": lift["kind"]},
        "status": "applied" if lift["status"] == "lifted" else lift["status"],
        "policy": {"name": SCP_POLICY_NAME, "mechanism": "scp", "policy_id": lift["policy_id"]},
        "before": lift.get("document_before"),
        # The content left in place: the restored one, none once deleted, or the same one
        # when only this target was detached (the next lift compares the live SCP with it).
        "after": lift.get("document_after"),
        "scp": {
            "organization_id": lift.get("organization_id"),
            "steps": lift["steps"],
            "last_attachment": lift.get("last_attachment", False),
        },
        "error": lift.get("error"),
        "warnings": lift["warnings"],
        "ref": list(lift["ref"]),
    }


def undo_window(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `revoke org` records a lift undoes: every revoke since the last lift, oldest
    first (undoing only the newest would leave the earlier cutoff in force)."""
    window: list[dict[str, Any]] = []
    for record in records:
        if record.get("action") == "lift":
            window = []
        elif record.get("action") == "revoke" and record.get("status") != "planned":
            window.append(record)
    return window


def _done(record: dict[str, Any], action: str) -> bool:
    steps = (record.get("scp") or {}).get("steps") or []
    return any(s.get("action") == f"organizations:{action}" and s.get("done") for s in steps)


def written_document(record: dict[str, Any]) -> dict[str, Any] | None:
    """The SCP content a journalled run left behind: its `after` once its write went
    through (a failed run may have stopped before or after it), else its `before`."""
    if record.get("action") == "lift" and _done(record, "DeletePolicy"):
        return None
    if _done(record, "CreatePolicy") or _done(record, "UpdatePolicy"):
        return record.get("after")  # type: ignore[no-any-return]
    return record.get("before")  # type: ignore[no-any-return]


def policy_episode(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs on the one shared SCP, whatever their target, since it last held none of
    ours: after the newest lift that restored or deleted it, from the newest revoke that
    created it. The first revoke's `before` is what the last lift puts back."""
    episode: list[dict[str, Any]] = []
    for record in records:
        ended = (
            record.get("status") == "applied" and (record.get("scp") or {}).get("last_attachment")
        ) or (_done(record, "DeletePolicy") or _done(record, "UpdatePolicy"))
        if record.get("action") == "lift" and ended:
            episode = []
        elif record.get("action") == "revoke" and _done(record, "CreatePolicy"):
            episode = [record]
        else:
            episode.append(record)
    return episode


def _describe(document: dict[str, Any] | None) -> str:
    if document is None:
        return "no policy"
    cutoff = scp_cutoff(document)
    return f"cutoff {cutoff}" if cutoff else "a document without our cutoff"


def plan_lift(
    orgs: OrgsGateway,
    target: OrgTarget | None,
    records: Sequence[dict[str, Any]],
    *,
    force: bool = False,
) -> dict[str, Any]:
    """What `revoke lift org --target X` will do. Read-only.

    There is one SCP for every target (the root, OUs, accounts), so a lift undoes X's share
    of it only. While the SCP stays attached to another target of ours, X is detached and
    the document is left alone: putting back an older document would move the cutoff
    earlier for every other target too. Only the lift of the last attachment puts back the
    content found before the first revocation (or deletes the SCP revoke created).
    Attachments that predate revoke are not ours: they keep the policy and get that older
    content back. Like `revoke lift user`, it refuses (status "conflict") when the live
    document is not the one the journal's newest run left: someone changed it since.

    `records`: the journal's `org` change records, every target, oldest first.
    """
    if target is None:
        target = OrgTarget("root", orgs.root()["Id"])
    organization = orgs.describe_organization()
    management = organization["management_account"]
    shared = [
        r
        for r in records
        if (r.get("target") or {}).get("kind") == JOURNAL_KIND
        and r.get("action") in ("revoke", "lift")
        and r.get("status") != "planned"
        and r.get("account") in (None, management)
    ]
    mine = [r for r in shared if str(r["target"].get("name", "")).lower() == target.id.lower()]
    window = undo_window(mine)
    policy = orgs.find_policy()
    lift: dict[str, Any] = {
        "action": "lift",
        "kind": target.kind,
        "name": target.id,
        "account": management,
        "organization_id": organization["id"],
        "policy_name": SCP_POLICY_NAME,
        "policy_id": policy.id if policy else None,
        "from_journal": [r.get("seq") for r in window],
        "steps": [],
        "status": "planned",
        "warnings": [],
        "ref": [r["hash"] for r in window if r.get("hash")],
    }
    if mine and not window:
        lift["warnings"].append(f"the journal's last change to {target.id} is already a lift")
    if policy is None:
        lift["status"] = "unchanged"
        lift["reason"] = f"no SCP named {SCP_POLICY_NAME} exists: nothing to lift"
        return lift
    live = policy.document
    lift["document_before"] = live
    lift["document_after"] = live

    if shared:
        last = shared[-1]
        expected = written_document(last)
        if (None if expected is None else compact(expected)) != (
            None if live is None else compact(live)
        ):
            conflict = (
                f"{SCP_POLICY_NAME} ({policy.id}) is not the document the journal says revoke "
                f"left (journal seq {last.get('seq')}, {last.get('time')}, {last.get('action')} "
                f"org {last['target'].get('name')}): it holds {_describe(live)}, the journal "
                f"{_describe(expected)}; someone changed it since"
            )
            if not force:
                lift["status"] = "conflict"
                lift["conflict"] = conflict
                return lift
            lift["warnings"].append(f"--force: {conflict}; lifting anyway")

    episode = policy_episode(shared)
    revokes = [r for r in episode if r.get("action") == "revoke"]
    if shared and not revokes:
        lift["status"] = "unchanged"
        lift["reason"] = f"the journal's revocations with {SCP_POLICY_NAME} are already undone"
        return lift
    first = revokes[0] if revokes else None
    restore = first.get("before") if first else None
    first_scp = (first.get("scp") if first else None) or {}
    preexisting: set[str] | None
    if restore is None:
        preexisting = set()  # revoke created the SCP: every attachment is from its time
    elif "previous_targets" in first_scp:
        preexisting = set(first_scp["previous_targets"])
    else:
        preexisting = None  # journalled before revoke recorded attachments: assume ours
    attached_here = target.id in policy.targets
    if preexisting is None:
        detach = attached_here and any((r.get("scp") or {}).get("attached") for r in window)
        others = [t for t in policy.targets if t != target.id]
    else:
        detach = attached_here and target.id not in preexisting
        others = [t for t in policy.targets if t != target.id and t not in preexisting]

    if others:
        lift["warnings"].append(
            f"{SCP_POLICY_NAME} stays attached to {', '.join(others)} with its document as it "
            f"is ({_describe(live)}): only {target.id} is detached. Lift those too (revoke "
            "lift org --target ID) to "
            + ("restore its earlier content" if restore is not None else "delete it")
        )
    else:
        lift["last_attachment"] = True
        lift["ref"] += [
            r["hash"] for r in revokes if r.get("hash") and r["hash"] not in lift["ref"]
        ]
        if restore is not None and (live is None or compact(restore) != compact(live)):
            lift["restore_document"] = restore
            lift["document_after"] = restore
            lift["steps"].append({"action": "organizations:UpdatePolicy", "target": policy.id})
    if detach:
        lift["steps"].append({"action": "organizations:DetachPolicy", "target": target.id})
    if not others and restore is None:
        lift["document_after"] = None
        lift["steps"].append({"action": "organizations:DeletePolicy", "target": policy.id})
    if not window and detach:
        lift["warnings"].append(
            f"no revoke org for {target.id} in the journal: removing {SCP_POLICY_NAME} from it"
        )
    enabled_by_us = revokes if lift.get("last_attachment") else window
    if any((r.get("scp") or {}).get("enabled_policy_type") for r in enabled_by_us):
        lift["warnings"].append(
            "SCPs stay enabled on the root (revoke enabled them): disabling the policy type "
            "would detach every SCP of the organization, not only ours"
        )
    if not lift["steps"]:
        lift["status"] = "unchanged"
        lift["reason"] = (
            f"{SCP_POLICY_NAME} was attached to {target.id} before revoke: it stays"
            if attached_here
            else f"{SCP_POLICY_NAME} is not attached to {target.id}"
        )
    return lift


def apply_lift(orgs: OrgsGateway, lift: dict[str, Any]) -> dict[str, Any]:
    if lift["status"] != "planned":
        return lift
    try:
        for step in lift["steps"]:
            action = step["action"]
            if action == "organizations:UpdatePolicy":
                orgs.update_policy(step["target"], lift["restore_document"])
            elif action == "organizations:DetachPolicy":
                orgs.detach_policy(lift["policy_id"], step["target"])
            elif action == "organizations:DeletePolicy":
                orgs.delete_policy(step["target"])
            step["done"] = "yes"
    except RevokeError as err:
        lift["status"] = STATUS_FAILED
        lift["error"] = err.message
        return lift
    lift["status"] = "lifted"
    return lift
