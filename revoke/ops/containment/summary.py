"""The containment steps for people: one line a step, the prompt's phrase, what was done."""

from __future__ import annotations

from typing import Any

from revoke.core.plan import TargetPlan
from revoke.ops.containment.options import (
    DEACTIVATE_KEY,
    DEACTIVATE_MFA_DEVICE,
    DELETE_LOGIN_PROFILE,
    LOCK_TRUST,
    PLANNED,
    REACTIVATE_KEY,
    REACTIVATIONS,
    RESTORE_TRUST,
    REVOKE_SIGNIN_SESSIONS,
    STATUS_KINDS,
)


def step_summary(step: dict[str, Any]) -> str:
    """One line for people: what the step does, and the evidence that matters."""
    result = step.get("result", PLANNED)
    if step["action"] in (DEACTIVATE_KEY, REACTIVATE_KEY):
        verb = "deactivate" if step["action"] == DEACTIVATE_KEY else "reactivate"
        used = step.get("last_used")
        where = ", ".join(
            v for v in (step.get("last_used_service"), step.get("last_used_region")) if v
        )
        seen = f"last used {used}" + (f" ({where})" if where else "") if used else "never used"
        extra = f"; {seen}" if step["action"] == DEACTIVATE_KEY else ""
        text = f"{verb} access key {step['access_key_id']}{extra}"
    elif step["action"] in STATUS_KINDS or step["action"] in REACTIVATIONS:
        deactivating = step["action"] in STATUS_KINDS
        kind = STATUS_KINDS[step["action"] if deactivating else REACTIVATIONS[step["action"]]]
        service = f" ({step['service']})" if step.get("service") else ""
        verb = "deactivate" if deactivating else "reactivate"
        text = f"{verb} {kind.what} {step['credential_id']}{service}"
    elif step["action"] == DEACTIVATE_MFA_DEVICE:
        text = (
            f"deactivate MFA device {step['serial_number']} (enabled {step.get('enabled') or '?'})"
        )
    elif step["action"] == REVOKE_SIGNIN_SESSIONS:
        text = f"revoke {len(step.get('sessions') or [])} AWS Sign-In session(s)"
    elif step["action"] == LOCK_TRUST:
        exempt = ", ".join(step.get("exempt") or []) or "none"
        text = f"lock the trust policy: deny every principal but the exempt ({exempt})"
    elif step["action"] == RESTORE_TRUST:
        text = "restore the trust policy (remove revoke's lock statement)"
    else:
        text = f"remove the console password (created {step.get('login_profile_created') or '?'})"
    if step.get("error"):
        return f"{text}: {result}: {step['error']}"
    return f"{text}: {result}"


def describe_containment(rows: list[TargetPlan]) -> str:
    """For the confirmation prompt: what else the run will change (keys break workloads)."""
    steps = [s for row in rows for s in row.containment if s.get("result") == PLANNED]
    keys = sum(s["action"] == DEACTIVATE_KEY for s in steps)
    consoles = sum(s["action"] == DELETE_LOGIN_PROFILE for s in steps)
    parts = []
    if keys:
        parts.append(f"deactivate {keys} access key(s)")
    if consoles:
        parts.append(f"remove {consoles} console password(s)")
    for action, kind in STATUS_KINDS.items():
        if n := sum(s["action"] == action for s in steps):
            parts.append(f"deactivate {n} {kind.what}(s)")
    if n := sum(s["action"] == DEACTIVATE_MFA_DEVICE for s in steps):
        parts.append(f"deactivate {n} MFA device(s)")
    if n := sum(
        len(s.get("sessions") or []) for s in steps if s["action"] == REVOKE_SIGNIN_SESSIONS
    ):
        parts.append(f"revoke {n} AWS Sign-In session(s) (cannot be undone)")
    if n := sum(s["action"] == LOCK_TRUST for s in steps):
        parts.append(f"lock {n} trust polic(ies)")
    return ", and " + " and ".join(parts) if parts else ""


def done_phrases(steps: list[dict[str, Any]]) -> list[str]:
    """The issue-15 steps done, for one line (journal failures, reconcile)."""
    parts = []
    for action, kind in STATUS_KINDS.items():
        ids = [s["credential_id"] for s in steps if s["action"] == action]
        if ids:
            parts.append(f"{kind.what}(s) {', '.join(ids)} deactivated")
    serials = [s["serial_number"] for s in steps if s["action"] == DEACTIVATE_MFA_DEVICE]
    if serials:
        parts.append(f"MFA device(s) {', '.join(serials)} deactivated")
    revoked = sum(
        len(s.get("sessions") or []) for s in steps if s["action"] == REVOKE_SIGNIN_SESSIONS
    )
    if revoked:
        parts.append(f"{revoked} sign-in session(s) revoked")
    if any(s["action"] == LOCK_TRUST for s in steps):
        parts.append("the trust policy locked")
    return parts
