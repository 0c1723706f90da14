"""What a lift does for one principal, pure: journal records and live state in, a LiftPlan
out (the document to restore, refused when the journal does not match AWS or would allow
anything; the containment steps to undo; the notes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from revoke.core.anchor import allows_anything, check_origin
from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.core.sessiondeny import session_cutoff
from revoke.core.timeparse import cutoff_datetime, format_cutoff
from revoke.ops.containment import DEACTIVATE_KEY, DELETE_LOGIN_PROFILE, DONE, REACTIVATE_KEY
from revoke.ops.lift.model import LiftPlan, episode, policy_chain
from revoke.ops.lift.undo import _plan_more
from revoke.ops.revocation_policy import (
    ROLE_TOKEN_LIFE,
    USER_TOKEN_LIFE,
    describe_document,
    document_text,
)


def plan_lift(
    kind: str,
    name: str,
    account: str | None,
    records: list[dict[str, Any]],
    *,
    current: dict[str, Any] | None,
    key_status: dict[str, str],
    force: bool = False,
    now: datetime | None = None,
    credential_status: dict[str, dict[str, str]] | None = None,
    trust: dict[str, Any] | None = None,
) -> LiftPlan:
    """What a lift does for one principal. Pure: journal records and live state in.

    `records`: this principal's change records, oldest first; `current`: the live document
    where the chain says ours is; `key_status`: access key ID -> Active/Inactive (live);
    `credential_status`: deactivating action -> {credential ID: status} (live);
    `trust`: the role's live trust document, when the episode locked it.
    """
    plan = LiftPlan(kind=kind, name=name, account=account)
    undo = episode(records)
    if not undo:
        plan.status = "unchanged"
        plan.reason = (
            f"already lifted at {records[-1].get('time')} (journal seq {records[-1].get('seq')})"
            if records
            else "nothing journalled"
        )
        return plan
    plan.undoes = [r["hash"] for r in undo]
    chain = policy_chain(undo)
    last = chain[-1]
    policy = last.get("policy") or {}
    plan.policy_name = policy.get("name") or POLICY_NAME
    plan.mechanism = policy.get("mechanism") or "inline"
    plan.managed_policy_arn = policy.get("managed_policy_arn")
    plan.current_document = current
    plan.expected_document = last.get("after")

    if last.get("action") == "gc":
        plan.notes.append(f"the revocation was already removed by revoke gc at {last.get('time')}")
    elif document_text(current) != document_text(plan.expected_document):
        plan.conflict = (
            f"{kind} {name}: {plan.policy_name} is not the document the journal says revoke "
            f"wrote (journal seq {last.get('seq')}, {last.get('time')}): it holds "
            f"{describe_document(current)}, the journal "
            f"{describe_document(plan.expected_document)}; someone changed it since"
        )
    if last.get("action") != "gc":
        plan.refused = _refusal(kind, name, plan.policy_name, current, chain[0].get("before"))
    if plan.refused is None and (plan.conflict is None or force):
        restore = chain[0].get("before") if last.get("action") != "gc" else current
        if document_text(restore) != document_text(current):
            plan.policy_action = "remove" if restore is None else "restore"
            plan.restored_document = restore
        else:
            plan.restored_document = current
        if plan.conflict is not None:
            plan.notes.append(f"--force: {plan.conflict}; restoring the journal's document")
            plan.conflict = None

    if plan.policy_action != "none" and now is not None:
        warning = _reenabled_sessions(kind, current, plan.restored_document, now)
        if warning:
            plan.notes.append(warning)

    deactivated: dict[str, None] = {}
    console_removed = False
    for record in undo:
        for done in record.get("containment") or []:
            if done.get("result") != DONE:
                continue
            if done.get("action") == DEACTIVATE_KEY and done.get("access_key_id"):
                deactivated[done["access_key_id"]] = None
            elif done.get("action") == DELETE_LOGIN_PROFILE:
                console_removed = True
    for key_id in deactivated:
        live = key_status.get(key_id)
        step: dict[str, Any] = {"action": REACTIVATE_KEY, "access_key_id": key_id}
        if live is None:
            step["result"] = "skipped"
            step["note"] = "the key no longer exists (deleted since)"
        elif live == "Active":
            step["result"] = "already_done"
        else:
            step["result"] = "planned"
        plan.containment.append(step)
    _plan_more(plan, name, undo, credential_status or {}, trust)
    if console_removed:
        plan.notes.append(
            f"the console password of user {name} was removed and cannot be restored: IAM "
            "never returns a password. Set a new one: aws iam create-login-profile "
            f"--user-name {name} --password-reset-required --password '...'"
        )
    if not plan.changes and plan.conflict is None:
        plan.status = "unchanged"
        plan.reason = plan.reason or "nothing to undo: the journal's changes are already undone"
    return plan


def _refusal(
    kind: str,
    name: str,
    policy_name: str,
    live: dict[str, Any] | None,
    origin: dict[str, Any] | None,
) -> str | None:
    """Why the journal's document must not be installed, or None. A journal is a local file
    that an attacker on the responder's machine can rewrite, hash chain included: what it
    says existed before must match the digest IAM's own document carries, and it must not
    allow anything (a revocation policy only denies)."""
    mismatch = check_origin(live, origin)
    if mismatch is not None:
        return (
            f"{kind} {name}: the journal does not match AWS: {mismatch}. The journal may have "
            "been edited; lift restores nothing from it"
        )
    if origin is not None and allows_anything(origin):
        return (
            f"{kind} {name}: the journal's previous document of {policy_name} holds a statement "
            f"that is not a Deny; lift never installs a document that allows anything under "
            f"{policy_name}"
        )
    return None


def _reenabled_sessions(
    kind: str, removed: dict[str, Any] | None, restored: dict[str, Any] | None, now: datetime
) -> str | None:
    """Say so when lifting lets sessions that may still be alive work again (fact 12)."""
    # A session-scoped deny (revoke.core.sessiondeny) re-enables its sessions the same way.
    cutoff = existing_cutoff(removed) or session_cutoff(removed)
    if cutoff is None:
        return None
    kept = existing_cutoff(restored) or session_cutoff(restored)
    if kept is not None and cutoff_datetime(kept) >= cutoff_datetime(cutoff):
        return None
    life = USER_TOKEN_LIFE if kind == "user" else ROLE_TOKEN_LIFE
    alive_until = cutoff_datetime(cutoff) + timedelta(seconds=life)
    if alive_until <= now:
        return None
    return (
        f"sessions issued before {cutoff}"
        + (f" (and after {kept})" if kept else "")
        + f" may live until {format_cutoff(alive_until)}: lifting lets them work again. "
        "After a real compromise, wait until revoke gc removes the deny instead"
    )


# -- lift: reading and applying -------------------------------------------------------------
