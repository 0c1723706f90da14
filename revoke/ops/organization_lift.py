"""`revoke lift org`: undo a target's share of the organization-wide SCP, from the journal.

Split out of revoke.ops.organization (plan -> apply -> verify of `revoke org`, which
re-exports these names): which journalled runs a lift undoes (`undo_window`), the runs on
the one shared SCP since it last held none of ours (`policy_episode`), the read-only plan
(`plan_lift`: detach only while another target of ours keeps it, restore or delete with
the last attachment, refuse when someone changed the live document), its writes and its
journal record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from revoke.core.plan import STATUS_FAILED
from revoke.core.policy import compact
from revoke.core.scp import SCP_POLICY_NAME, OrgTarget, scp_cutoff
from revoke.errors import RevokeError

if TYPE_CHECKING:
    from revoke.aws.orgs import OrgsGateway

# The journal's target kind of every `revoke org` record (its revocations and lifts).
JOURNAL_KIND = "org"


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


def lift_reach(orgs: OrgsGateway, lift: dict[str, Any]) -> dict[str, list[str]] | None:
    """For the prompt, read-only: the member accounts under the lifted target
    (`accounts`), the targets the SCP stays attached to (`stays_attached`) and those of the
    accounts that it still covers through them (`still_covered`: an SCP applies to every
    account below where it is attached,
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
    None when Organizations would not say."""
    target = OrgTarget(lift["kind"], lift["name"])
    management = lift.get("account")
    kept: set[str] = set()
    try:
        accounts = [a["id"] for a in orgs.accounts_under(target) if a["id"] != management]
        attached = orgs.targets_for_policy(lift["policy_id"]) if lift.get("policy_id") else []
        stays = [t for t in attached if t != target.id]
        if "organizations:DeletePolicy" not in {s["action"] for s in lift["steps"]}:
            kept = orgs.account_ids_under(stays)
    except RevokeError:
        return None
    return {
        "accounts": accounts,
        "stays_attached": stays,
        "still_covered": [a for a in accounts if a in kept],
    }


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
