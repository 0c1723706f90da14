"""The coverage model of one principal: every way in it still offers, and what closes each.

Pure: it receives what the live reads found (`PrincipalCredentials`, filled by
revoke.ops.residual through revoke.aws.credentials) and returns `CoverageReport`, one
`CredentialPath` per way in, each in one state (open, contained, absent,
cannot-be-contained-here, cannot-be-checked-here; `model.py` says what each means).

A package along its seams: `model.py` (states, path names, docs, quarantine policies, the
records), `user.py` (a user's paths), `role.py` (a role's), and here `coverage()`, which
puts them together. Every name importers used from the single module is re-exported here.
"""

from __future__ import annotations

from datetime import datetime, timezone

from revoke.core.coverage.model import (
    ABSENT,
    ACCESS_KEYS,
    BEDROCK_REVOKE_DOCS,
    CONSOLE_PASSWORD,
    CONTAINED,
    DOCS,
    INSTANCE_PROFILES,
    MFA_DEVICES,
    NOT_CONTAINABLE,
    OPEN,
    QUARANTINE_ARNS,
    QUARANTINE_DOCS,
    QUARANTINE_NOTE,
    QUARANTINE_POLICY_NAMES,
    REVOKE_FLAGS,
    ROLE_PATHS,
    ROW_COLUMNS,
    SERVICE_CREDENTIALS,
    SESSIONS,
    SIGNIN_REVOKE_BATCH,
    SIGNIN_SESSIONS,
    SIGNING_CERTIFICATES,
    SSH_KEYS,
    STATES,
    TRUST_POLICY,
    UNCHECKED,
    USER_PATHS,
    CoverageReport,
    CredentialPath,
    PrincipalCredentials,
    console_url,
    incident_start,
    is_quarantine_policy,
)
from revoke.core.coverage.role import role_paths, trust_locked, trust_principals
from revoke.core.coverage.user import user_paths

__all__ = [
    "ABSENT",
    "ACCESS_KEYS",
    "BEDROCK_REVOKE_DOCS",
    "CONSOLE_PASSWORD",
    "CONTAINED",
    "DOCS",
    "INSTANCE_PROFILES",
    "MFA_DEVICES",
    "NOT_CONTAINABLE",
    "OPEN",
    "QUARANTINE_ARNS",
    "QUARANTINE_DOCS",
    "QUARANTINE_NOTE",
    "QUARANTINE_POLICY_NAMES",
    "REVOKE_FLAGS",
    "ROLE_PATHS",
    "ROW_COLUMNS",
    "SERVICE_CREDENTIALS",
    "SESSIONS",
    "SIGNIN_REVOKE_BATCH",
    "SIGNIN_SESSIONS",
    "SIGNING_CERTIFICATES",
    "SSH_KEYS",
    "STATES",
    "TRUST_POLICY",
    "UNCHECKED",
    "USER_PATHS",
    "CoverageReport",
    "CredentialPath",
    "PrincipalCredentials",
    "console_url",
    "coverage",
    "is_quarantine_policy",
    "trust_locked",
    "trust_principals",
]


def coverage(
    found: PrincipalCredentials,
    *,
    cutoff: str | None = None,
    since: str | None = None,
    now: datetime | None = None,
) -> CoverageReport:
    """Every credential path of `found`, each in its state with what closes it.

    `cutoff`: the sessions are held to it (a deny in force with an earlier cutoff leaves the
    sessions in between open, AWS-FACTS 12, 22); without it, any issue-time deny in force
    counts. `since`: the start of the incident window, for MFA devices; without it, the
    window starts DEFAULT_INCIDENT_WINDOW_DAYS before the cutoff (given, else in force).
    """
    now = now or datetime.now(timezone.utc)
    held_to = cutoff or found.revocation_cutoff
    window = since or (incident_start(held_to) if held_to else None)
    quarantine = [QUARANTINE_ARNS[a] for a in found.attached_policy_arns if is_quarantine_policy(a)]
    if found.kind == "user":
        paths = user_paths(found, cutoff=cutoff, window=window, now=now)
    else:
        paths = role_paths(found, cutoff=cutoff, now=now)
    if quarantine:
        for path in paths:
            if path.state == OPEN:
                path.partial = list(quarantine)
    evidence = [
        {
            "type": "aws-quarantine-policy",
            "policy_name": name,
            "policy_arn": f"arn:aws:iam::aws:policy/{name}",
            "counts_as": "partial containment",
            "never_remove": True,
            "note": QUARANTINE_NOTE,
            "docs": QUARANTINE_DOCS.format(name=name),
        }
        for name in quarantine
    ]
    return CoverageReport(
        kind=found.kind,
        name=found.name,
        arn=found.arn,
        account=found.account,
        cutoff=held_to,
        window_start=window,
        paths=paths,
        evidence=evidence,
    )
