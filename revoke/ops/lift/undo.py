"""Undoing the containment steps: reactivate what can be, restore a locked trust policy, and
say why the rest cannot be undone (a console password, an MFA device, a sign-in session)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revoke.ops.containment import (
    DEACTIVATE_MFA_DEVICE,
    DONE,
    LOCK_TRUST,
    REACTIVATE_KEY,
    REACTIVATIONS,
    RESTORE_TRUST,
    REVOKE_SIGNIN_SESSIONS,
    STATUS_KINDS,
    unlocked_trust,
)
from revoke.ops.lift.model import LiftPlan
from revoke.ops.revocation_policy import document_text

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway


def _plan_more(
    plan: LiftPlan,
    name: str,
    undo: list[dict[str, Any]],
    credential_status: dict[str, dict[str, str]],
    trust: dict[str, Any] | None,
) -> None:
    """Issue 15's steps: reactivate, restore the trust, or say why it cannot be undone."""
    done = [s for r in undo for s in r.get("containment") or [] if s.get("result") == DONE]
    seen: set[tuple[str, str]] = set()
    for step in done:
        action = step.get("action")
        if action not in STATUS_KINDS or (action, step["credential_id"]) in seen:
            continue
        seen.add((str(action), step["credential_id"]))
        live = credential_status.get(str(action), {}).get(step["credential_id"])
        undo_step: dict[str, Any] = {
            "action": STATUS_KINDS[str(action)].reactivate,
            "credential_id": step["credential_id"],
        }
        if step.get("service"):
            undo_step["service"] = step["service"]
        if live is None:
            undo_step["result"] = "skipped"
            undo_step["note"] = "it no longer exists (deleted since)"
        elif live == "Active":
            undo_step["result"] = "already_done"
        elif live == "Expired":
            undo_step["result"] = "skipped"
            undo_step["note"] = "it has expired since: reset or recreate it"
        else:
            undo_step["result"] = "planned"
        plan.containment.append(undo_step)
    if any(s.get("action") == LOCK_TRUST for s in done):
        step = {"action": RESTORE_TRUST}
        restored = unlocked_trust(trust) if trust is not None else None
        if trust is None:
            step.update(result="skipped", note="the trust policy could not be read")
        elif restored is None:
            step["result"] = "already_done"  # revoke's lock statement is gone already
        else:
            step.update(result="planned", document=restored)
            first = next(s for s in done if s.get("action") == LOCK_TRUST)
            if document_text(restored) != document_text(first.get("trust_before")):
                plan.notes.append(
                    f"role {name}: the trust policy changed since revoke locked it; lift "
                    "removes only revoke's lock statement and keeps the rest as it is now"
                )
        plan.containment.append(step)
    serials = list(
        dict.fromkeys(s["serial_number"] for s in done if s.get("action") == DEACTIVATE_MFA_DEVICE)
    )
    for serial in serials:
        plan.notes.append(
            f"MFA device {serial} of user {name} was deactivated and cannot be re-enabled by "
            "revoke: enabling it needs two consecutive codes from the device. If it is the "
            f"user's own, they enable it again: aws iam enable-mfa-device --user-name {name} "
            f"--serial-number {serial} --authentication-code1 CODE1 --authentication-code2 "
            "CODE2; if it was the attacker's, delete it (aws iam delete-virtual-mfa-device "
            f"--serial-number {serial})"
        )
    sessions = sum(
        len(s.get("sessions") or []) for s in done if s.get("action") == REVOKE_SIGNIN_SESSIONS
    )
    if sessions:
        plan.notes.append(
            f"{sessions} AWS Sign-In session(s) of user {name} were revoked and cannot be "
            "restored: a revoked session can no longer be refreshed. The user signs in again "
            "(https://docs.aws.amazon.com/IAM/latest/UserGuide/list_awssignin.html)"
        )


def _read_more(
    gateway: IamGateway, kind: str, name: str, undo: list[dict[str, Any]]
) -> tuple[dict[str, dict[str, str]], dict[str, Any] | None]:
    """The live state issue 15's undo needs: only the listings the episode touched."""
    actions = {s.get("action") for r in undo for s in r.get("containment") or []}
    wanted = [a for a in STATUS_KINDS if a in actions]
    if not wanted and LOCK_TRUST not in actions:
        return {}, None
    from revoke.aws.containment_calls import ContainmentCalls

    calls = ContainmentCalls(gateway.session)
    status = {
        a: {c["id"]: str(c.get("status")) for c in getattr(calls, STATUS_KINDS[a].listing)(name)}
        for a in wanted
    }
    trust = calls.trust_document(name) if kind == "role" and LOCK_TRUST in actions else None
    return status, trust


def _undo_step(gateway: IamGateway, plan: LiftPlan, step: dict[str, Any]) -> None:
    action = step["action"]
    if action == REACTIVATE_KEY:
        gateway.set_access_key_status(plan.name, step["access_key_id"], "Active")
        return
    from revoke.aws.containment_calls import ContainmentCalls

    calls = ContainmentCalls(gateway.session)
    if action in REACTIVATIONS:
        setter = getattr(calls, STATUS_KINDS[REACTIVATIONS[action]].setter)
        setter(plan.name, step["credential_id"], "Active")
    elif action == RESTORE_TRUST:
        calls.put_trust_document(plan.name, step["document"])


def _step_label(step: dict[str, Any]) -> str:
    return str(step.get("access_key_id") or step.get("credential_id") or "the trust policy")
