"""The containment steps' names and kinds, and which of them a run takes (its options).

The names are what a step dict's "action" holds, in the journal too (the step shapes are in
the package docstring, revoke.ops.containment); `ContainmentOptions` is what a
`revoke user|role|key` run asked for, built from its flags by `containment_options`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from revoke.core.plan import AccessKey

DEACTIVATE_KEY = "deactivate_key"
DELETE_LOGIN_PROFILE = "delete_login_profile"
REACTIVATE_KEY = "reactivate_key"
DEACTIVATE_SERVICE_CREDENTIAL = "deactivate_service_credential"
DEACTIVATE_SSH_KEY = "deactivate_ssh_key"
DEACTIVATE_CERTIFICATE = "deactivate_certificate"
REACTIVATE_SERVICE_CREDENTIAL = "reactivate_service_credential"
REACTIVATE_SSH_KEY = "reactivate_ssh_key"
REACTIVATE_CERTIFICATE = "reactivate_certificate"
DEACTIVATE_MFA_DEVICE = "deactivate_mfa_device"
REVOKE_SIGNIN_SESSIONS = "revoke_signin_sessions"
LOCK_TRUST = "lock_trust"
RESTORE_TRUST = "restore_trust"


@dataclass(frozen=True)
class StatusKind:
    """A long-term credential with an Active/Inactive status: deactivated by revoke,
    reactivated by lift (AWS-FACTS 24)."""

    what: str  # for people
    listing: str  # the evidence key, and the ContainmentCalls read
    setter: str  # the ContainmentCalls write
    reactivate: str  # lift's action


STATUS_KINDS: dict[str, StatusKind] = {
    DEACTIVATE_SERVICE_CREDENTIAL: StatusKind(
        "service-specific credential",
        "service_credentials",
        "set_service_credential_status",
        REACTIVATE_SERVICE_CREDENTIAL,
    ),
    DEACTIVATE_SSH_KEY: StatusKind(
        "SSH public key", "ssh_keys", "set_ssh_key_status", REACTIVATE_SSH_KEY
    ),
    DEACTIVATE_CERTIFICATE: StatusKind(
        "signing certificate", "certificates", "set_certificate_status", REACTIVATE_CERTIFICATE
    ),
}
REACTIVATIONS = {k.reactivate: action for action, k in STATUS_KINDS.items()}
# The Sid of the statement `--lock-trust` adds; lift removes exactly that statement.
LOCK_TRUST_SID = "RevokeLockTrust"
# Every way into a role's sessions through its trust policy (IAM User Guide,
# id_roles_update-role-trust-policy; sts:TagSession and sts:SetSourceIdentity are asked
# for in the same request as the assume).
LOCK_TRUST_ACTIONS = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
]

PLANNED = "planned"
DONE = "done"
FAILED = "failed"
ALREADY_DONE = "already_done"


@dataclass(frozen=True)
class ContainmentOptions:
    deactivate_keys: bool = False
    disable_console: bool = False
    # Deactivate only these keys (`revoke key KEY_ID`: the leaked one); None: every
    # active key of the user (`--deactivate-keys`, `revoke key --all-keys`).
    key_ids: frozenset[str] | None = None
    # Issue 15: the other long-term credentials and footholds of a user.
    deactivate_service_credentials: bool = False
    deactivate_ssh_keys: bool = False
    deactivate_certificates: bool = False
    revoke_signin_sessions: bool = False
    # MFA devices enabled at or after this (normalised UTC cutoff text); None: none.
    deactivate_mfa_since: str | None = None
    # Roles: a Deny in the trust policy for every principal but these ARNs.
    lock_trust: bool = False
    exempt_principals: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return self.any_user or self.lock_trust

    @property
    def any_user(self) -> bool:
        return (
            self.deactivate_keys
            or self.disable_console
            or self.deactivate_service_credentials
            or self.deactivate_ssh_keys
            or self.deactivate_certificates
            or self.revoke_signin_sessions
            or self.deactivate_mfa_since is not None
        )

    def deactivates(self, action: str) -> bool:
        return {
            DEACTIVATE_SERVICE_CREDENTIAL: self.deactivate_service_credentials,
            DEACTIVATE_SSH_KEY: self.deactivate_ssh_keys,
            DEACTIVATE_CERTIFICATE: self.deactivate_certificates,
        }[action]

    def selects(self, key: AccessKey) -> bool:
        """Whether this run deactivates `key` (when it is active)."""
        return self.deactivate_keys and (self.key_ids is None or key.access_key_id in self.key_ids)


# The flags `--contain-all` turns on (beside --deactivate-keys --disable-console, and the
# MFA window: a week before the cutoff unless --deactivate-mfa-since says otherwise,
# revoke.core.coverage.model.incident_start).
CONTAIN_ALL = (
    "deactivate_service_credentials",
    "deactivate_ssh_keys",
    "deactivate_certificates",
    "revoke_signin_sessions",
)


def containment_options(
    flags: dict[str, Any],
    *,
    deactivate_keys: bool,
    disable_console: bool,
    key_ids: frozenset[str] | None,
    cutoff: str,
    now: datetime,
) -> ContainmentOptions:
    """The options of a `revoke user|role` run from its flags (issue 15): `flags` holds
    the new ones as the command line spells them (contain_all, deactivate_mfa_since WHEN
    text, lock_trust, exempt_principals, and the four of CONTAIN_ALL)."""
    from revoke.core.coverage.model import incident_start
    from revoke.core.timeparse import parse_cutoff

    every = bool(flags.get("contain_all"))
    since = flags.get("deactivate_mfa_since")
    return ContainmentOptions(
        deactivate_keys or every,
        disable_console or every,
        key_ids,
        **{name: every or bool(flags.get(name)) for name in CONTAIN_ALL},
        deactivate_mfa_since=(
            parse_cutoff(since, now=now) if since else incident_start(cutoff) if every else None
        ),
        lock_trust=bool(flags.get("lock_trust")),
        exempt_principals=tuple(flags.get("exempt_principals") or ()),
    )


PUT_POLICY = "put_policy"
