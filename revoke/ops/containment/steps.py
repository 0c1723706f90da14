"""Planning the containment steps, pure: one step dict per change, evidence inside it.

The builders per credential kind (access keys, console password, service-specific
credentials, SSH keys, signing certificates, MFA devices, AWS Sign-In sessions) and the
trust lock of a role (`locked_trust`, undone by lift with `unlocked_trust`). Nothing here
reads or writes AWS: the recorder (revoke.ops.containment.planning) reads, these decide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from revoke.core.plan import AccessKey, PrincipalState
from revoke.core.timeparse import cutoff_datetime
from revoke.ops.containment.options import (
    DEACTIVATE_KEY,
    DEACTIVATE_MFA_DEVICE,
    DELETE_LOGIN_PROFILE,
    LOCK_TRUST_ACTIONS,
    LOCK_TRUST_SID,
    PLANNED,
    REVOKE_SIGNIN_SESSIONS,
    ContainmentOptions,
)


def key_step(key: AccessKey) -> dict[str, Any]:
    return {
        "action": DEACTIVATE_KEY,
        "access_key_id": key.access_key_id,
        "status_before": key.status,
        "created": key.created,
        "last_used": key.last_used,
        "last_used_service": key.last_used_service,
        "last_used_region": key.last_used_region,
        "result": PLANNED,
    }


def login_profile_step(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": DELETE_LOGIN_PROFILE,
        "login_profile_created": profile.get("created"),
        "password_reset_required": profile.get("password_reset_required"),
        "result": PLANNED,
    }


def plan_containment(
    state: PrincipalState,
    options: ContainmentOptions,
    login_profile: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The steps for one user: active keys to deactivate, a console password to remove.

    Pure: `state.access_keys` already carry their last use, `login_profile` was read.
    Inactive keys and an absent password are no step at all, so a re-run after a
    complete containment plans nothing (and journals nothing).
    """
    if state.kind != "user":
        return []
    steps = []
    steps += [key_step(key) for key in state.active_keys if options.selects(key)]
    if options.disable_console and login_profile is not None:
        steps.append(login_profile_step(login_profile))
    return steps


def status_steps(action: str, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One step per active credential of a kind (service-specific, SSH, certificate)."""
    steps = []
    for c in listed:
        if c.get("status") != "Active":
            continue
        step: dict[str, Any] = {
            "action": action,
            "credential_id": c["id"],
            "status_before": c.get("status"),
        }
        for field_name in ("service", "service_user_name", "created", "uploaded", "expires"):
            if c.get(field_name) is not None:
                step[field_name] = c[field_name]
        step["result"] = PLANNED
        steps.append(step)
    return steps


def mfa_steps(devices: list[dict[str, Any]], since: str) -> list[dict[str, Any]]:
    """Devices enabled at or after `since`: added during the incident, a foothold."""
    start = cutoff_datetime(since)
    return [
        {
            "action": DEACTIVATE_MFA_DEVICE,
            "serial_number": d["serial_number"],
            "enabled": d.get("enabled"),
            "result": PLANNED,
        }
        for d in devices
        if d.get("enabled") is None or cutoff_datetime(d["enabled"][:19] + "Z") >= start
    ]


def signin_steps(
    principal_arn: str, sessions: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Active, unexpired sign-in sessions, five to a step (one BatchRevokeSessions call)."""
    from revoke.core.coverage import SIGNIN_REVOKE_BATCH

    moment = now.timestamp()
    live = [
        {"arn": s["arn"], "issued": s.get("issued_at"), "expires": s.get("expires_at")}
        for s in sessions
        if s.get("status") == "ACTIVE"
        and (s.get("expires_at") is None or float(s["expires_at"]) > moment)
    ]
    return [
        {
            "action": REVOKE_SIGNIN_SESSIONS,
            "principal_arn": principal_arn,
            "sessions": live[i : i + SIGNIN_REVOKE_BATCH],
            "result": PLANNED,
        }
        for i in range(0, len(live), SIGNIN_REVOKE_BATCH)
    ]


def caller_role_arns(actor_arn: str | None) -> list[str]:
    """The role behind the caller's session (arn:aws:sts::A:assumed-role/R/s), as
    aws:PrincipalArn names it: the role ARN, with or without a path."""
    if not actor_arn or ":assumed-role/" not in actor_arn:
        return []
    account = actor_arn.split(":")[4]
    role = actor_arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
    return [f"arn:aws:iam::{account}:role/{role}", f"arn:aws:iam::{account}:role/*/{role}"]


def locked_trust(document: dict[str, Any], exempt: list[str]) -> dict[str, Any]:
    """The trust document with one Deny added for every principal but `exempt`.

    A Deny in a trust policy trumps its Allow ("If policies that apply to a request include
    an Allow statement and a Deny statement, the Deny statement trumps the Allow
    statement", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html);
    the trust policy is what decides who may assume the role
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-trust-policy.html).
    `ArnNotLike` on aws:PrincipalArn: a negated operator matches when the key is absent
    (service and federated principals have no aws:PrincipalArn), so they are locked too.
    Other statements are kept as they are."""
    statements = document.get("Statement")
    kept = list(statements) if isinstance(statements, list) else [statements] if statements else []
    deny: dict[str, Any] = {
        "Sid": LOCK_TRUST_SID,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": list(LOCK_TRUST_ACTIONS),
    }
    if exempt:
        deny["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": sorted(set(exempt))}}
    return {
        **document,
        "Version": document.get("Version", "2012-10-17"),
        "Statement": [*kept, deny],
    }


def unlocked_trust(document: dict[str, Any]) -> dict[str, Any] | None:
    """The trust document without revoke's lock statement; None when it holds none."""
    statements = document.get("Statement")
    listed = list(statements) if isinstance(statements, list) else [statements]
    kept = [s for s in listed if not (isinstance(s, dict) and s.get("Sid") == LOCK_TRUST_SID)]
    if len(kept) == len(listed):
        return None
    return {**document, "Statement": kept}
