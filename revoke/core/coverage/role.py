"""The paths of an IAM role beside its sessions: who may assume it (the trust policy) and
the instance profiles that deliver it to EC2.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from revoke.core.coverage.model import (
    ABSENT,
    CONTAINED,
    DOCS,
    INSTANCE_PROFILES,
    NOT_CONTAINABLE,
    OPEN,
    TRUST_POLICY,
    CredentialPath,
    PrincipalCredentials,
    unchecked_path,
)
from revoke.core.coverage.user import sessions_path, signin_path


def role_paths(
    found: PrincipalCredentials, *, cutoff: str | None, now: datetime
) -> list[CredentialPath]:
    """Every path of a role, in the report's order (ROLE_PATHS)."""
    return [
        sessions_path(found, cutoff),
        _trust(found),
        _instance_profiles(found),
        signin_path(found, now),
    ]


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in _listed(document.get("Statement")) if isinstance(s, Mapping)]


def _assume_action(statement: Mapping[str, Any]) -> bool:
    actions = [str(a).lower() for a in _listed(statement.get("Action"))]
    return any(a in ("*", "sts:*") or a.startswith("sts:assumerole") for a in actions)


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in _listed(principal.get("AWS"))


def trust_principals(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Who the trust policy allows to assume the role, by principal type."""
    allowed: dict[str, list[str]] = {}
    for statement in _statements(document):
        if statement.get("Effect") != "Allow" or not _assume_action(statement):
            continue
        principal = statement.get("Principal")
        if principal == "*":
            allowed.setdefault("AWS", []).append("*")
            continue
        if not isinstance(principal, Mapping):
            continue
        for kind, values in principal.items():
            allowed.setdefault(str(kind), []).extend(str(v) for v in _listed(values))
    return allowed


def trust_locked(document: Mapping[str, Any]) -> bool:
    """A Deny on every principal for sts:AssumeRole* (what `--lock-trust` writes; its
    exemptions live in the statement's Condition)."""
    return any(
        s.get("Effect") == "Deny" and _assume_action(s) and _everyone(s.get("Principal"))
        for s in _statements(document)
    )


def _trust(found: PrincipalCredentials) -> CredentialPath:
    """The deny stops sessions issued before the cutoff; whoever the trust policy allows
    can assume the role again after it (AWS-FACTS 16, 26). A role that only services
    assume is the workload's (its instance profiles, its functions)."""
    if found.trust_policy is None:
        return unchecked_path(TRUST_POLICY, found, "the trust policy")
    allowed = trust_principals(found.trust_policy)
    items = [{"type": t, "principals": sorted(set(v))} for t, v in sorted(allowed.items())]
    if not allowed:
        return CredentialPath(
            TRUST_POLICY,
            ABSENT,
            "the trust policy allows no one to assume the role",
            docs=DOCS[TRUST_POLICY],
        )
    if trust_locked(found.trust_policy):
        return CredentialPath(
            TRUST_POLICY,
            CONTAINED,
            "the trust policy denies every principal but the exempt ones",
            items=items,
            docs=DOCS[TRUST_POLICY],
        )
    people = {t: v for t, v in allowed.items() if t != "Service"}
    named = "; ".join(f"{t}: {', '.join(sorted(set(v)))}" for t, v in sorted(allowed.items()))
    if not people:
        return CredentialPath(
            TRUST_POLICY,
            NOT_CONTAINABLE,
            f"only AWS services may assume the role ({named}): denying them stops the "
            "workloads that use it",
            items=items,
            docs=DOCS[TRUST_POLICY],
            warning="a service assumes this role; contain one workload with a deny "
            "conditioned on its identity (ec2:SourceInstanceARN for an instance) rather "
            "than locking the trust",
        )
    return CredentialPath(
        TRUST_POLICY,
        OPEN,
        f"may assume the role after the cutoff: {named}",
        closes=[f"revoke role {found.name} --before now --lock-trust"],
        items=items,
        docs=DOCS[TRUST_POLICY],
    )


def _instance_profiles(found: PrincipalCredentials) -> CredentialPath:
    """EC2 renews instance-profile credentials itself: a role-wide deny stops every
    instance using the role until its credentials renew, and renewed credentials carry a
    fresh issue time the deny does not match (AWS-FACTS 29)."""
    if found.instance_profiles is None:
        return unchecked_path(INSTANCE_PROFILES, found, "the instance profiles")
    if not found.instance_profiles:
        return CredentialPath(
            INSTANCE_PROFILES,
            ABSENT,
            "no instance profile delivers this role",
            docs=DOCS[INSTANCE_PROFILES],
        )
    names = sorted(found.instance_profiles)
    return CredentialPath(
        INSTANCE_PROFILES,
        NOT_CONTAINABLE,
        f"delivered to EC2 instances by {', '.join(names)}: instances get fresh credentials "
        "as theirs renew",
        closes=[
            f"aws iam remove-role-from-instance-profile --instance-profile-name {n} "
            f"--role-name {found.name}"
            for n in names
        ],
        items=[{"instance_profile": n} for n in names],
        docs=DOCS[INSTANCE_PROFILES],
        warning=f"a role-wide deny stops every instance using {', '.join(names)} until its "
        "credentials renew; to contain one instance, deny on ec2:SourceInstanceARN instead",
    )
