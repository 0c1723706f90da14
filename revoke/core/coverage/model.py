"""The coverage model's vocabulary: path states and names, the AWS pages each path cites,
the quarantine policies, and the three records (`PrincipalCredentials` in, `CredentialPath`
and `CoverageReport` out). The paths themselves are judged in `user.py` and `role.py`;
`coverage()` (the package) puts them together.

States:

- `open`: it still works; `closes` holds the command that closes it;
- `contained`: it exists and no longer works (deactivated, denied, revoked);
- `absent`: the principal has none;
- `cannot-be-contained-here`: it exists, and closing it is not revoke's to do without
  stopping something else (a workload's instance profile, a service's trust): the detail
  says what would close it and what that would stop;
- `cannot-be-checked-here`: the read failed or the endpoint lacks the API; the detail says
  why and where to look instead.

`exit_code()` is 3 (DESIGN.md, "Exit codes": `residual`: a path is still open) when a path
is open, and also when one could not be checked: "nothing is open" is a claim the report
only makes when it has looked at every path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from revoke.errors import ExitCode

OPEN = "open"
CONTAINED = "contained"
ABSENT = "absent"
NOT_CONTAINABLE = "cannot-be-contained-here"
UNCHECKED = "cannot-be-checked-here"
STATES = (OPEN, CONTAINED, ABSENT, NOT_CONTAINABLE, UNCHECKED)

# Path names: the JSON contract of `revoke residual` (and of the containment report).
ACCESS_KEYS = "access-keys"
CONSOLE_PASSWORD = "console-password"
SESSIONS = "sessions"
SERVICE_CREDENTIALS = "service-specific-credentials"
SSH_KEYS = "ssh-public-keys"
SIGNING_CERTIFICATES = "signing-certificates"
MFA_DEVICES = "mfa-devices"
SIGNIN_SESSIONS = "signin-sessions"
TRUST_POLICY = "trust-policy"
INSTANCE_PROFILES = "instance-profiles"

USER_PATHS = (
    ACCESS_KEYS,
    CONSOLE_PASSWORD,
    SESSIONS,
    SERVICE_CREDENTIALS,
    SSH_KEYS,
    SIGNING_CERTIFICATES,
    MFA_DEVICES,
    SIGNIN_SESSIONS,
)
ROLE_PATHS = (SESSIONS, TRUST_POLICY, INSTANCE_PROFILES, SIGNIN_SESSIONS)

# AWS documentation each path's text cites (user-facing text cites URLs, DESIGN.md).
DOCS = {
    ACCESS_KEYS: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
    CONSOLE_PASSWORD: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_admin-change-user.html",
    SESSIONS: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html",
    SERVICE_CREDENTIALS: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_api_keys_for_aws_services.html",
    SSH_KEYS: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSSHPublicKey.html",
    SIGNING_CERTIFICATES: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSigningCertificate.html",
    MFA_DEVICES: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeactivateMFADevice.html",
    SIGNIN_SESSIONS: "https://docs.aws.amazon.com/IAM/latest/UserGuide/list_awssignin.html",
    TRUST_POLICY: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html",
    INSTANCE_PROFILES: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html",
}
BEDROCK_REVOKE_DOCS = "https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-revoke.html"

# The `revoke user` flag that closes each path (revoke.ops.containment carries them out,
# issue 15 item 3); a path mapped to None gets the AWS CLI command instead. MFA's flag
# takes the window's start (`--deactivate-mfa-since WHEN`).
REVOKE_FLAGS: dict[str, str | None] = {
    ACCESS_KEYS: "--deactivate-keys",
    CONSOLE_PASSWORD: "--disable-console",
    SERVICE_CREDENTIALS: "--deactivate-service-credentials",
    SSH_KEYS: "--deactivate-ssh-keys",
    SIGNING_CERTIFICATES: "--deactivate-certificates",
    MFA_DEVICES: "--deactivate-mfa-since",
    SIGNIN_SESSIONS: "--revoke-signin-sessions",
}

# AWS attaches these to a user whose key it found exposed. Each is a partial deny (fraud
# prevention: RunInstances, CreateAccessKey, ...; not Action "*") and each one's page says
# "Do NOT remove this policy" (AWS Managed Policy Reference, the pages below; AWS-FACTS 30).
# Recognised by ARN: a customer-managed policy of the same name is not AWS's.
QUARANTINE_POLICY_NAMES = (
    "AWSCompromisedKeyQuarantine",
    "AWSCompromisedKeyQuarantineV2",
    "AWSCompromisedKeyQuarantineV3",
    "AWSCompromisedKeyQuarantineV4",
)
QUARANTINE_ARNS = {f"arn:aws:iam::aws:policy/{n}": n for n in QUARANTINE_POLICY_NAMES}
QUARANTINE_DOCS = "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/{name}.html"
QUARANTINE_NOTE = (
    "attached by AWS after it found a key of this user exposed: a partial deny, which AWS "
    "says never to remove; counted as partial containment only"
)

# Sign-in sessions are refreshed for up to 12 hours, each refresh with a fresh issue time
# (AWS-FACTS 25), so the issue-time deny does not stop them; BatchRevokeSessions takes
# up to five session ARNs a call (botocore signin model: "Revokes up to five sign-in
# sessions. A revoked session can no longer be refreshed.").
SIGNIN_REVOKE_BATCH = 5

# Where no --since / --deactivate-mfa-since says when the incident began, an MFA device
# enabled in the week before the cutoff counts as the attacker's (a foothold). The cutoff
# is "at or after the attacker's latest session", so a window that starts at the cutoff
# would spare every device the attacker added. Deactivating a device the user enrolled this
# week costs a re-enrolment; leaving the attacker's working costs the incident.
DEFAULT_INCIDENT_WINDOW_DAYS = 7


def incident_start(cutoff: str) -> str:
    """The default start of the incident window: DEFAULT_INCIDENT_WINDOW_DAYS before."""
    from datetime import timedelta

    from revoke.core.timeparse import cutoff_datetime, format_cutoff

    return format_cutoff(cutoff_datetime(cutoff) - timedelta(days=DEFAULT_INCIDENT_WINDOW_DAYS))


def is_quarantine_policy(arn: str) -> bool:
    """An AWS compromised-key quarantine policy: evidence, never to be removed by revoke
    (lift and gc ask this before detaching anything)."""
    return arn in QUARANTINE_ARNS


def console_url(kind: str, name: str) -> str:
    section = "users" if kind == "user" else "roles"
    return f"https://console.aws.amazon.com/iam/home#/{section}/details/{name}"


@dataclass
class PrincipalCredentials:
    """What the live reads found about one principal; the model's only input.

    A list is what was found (empty: none). `None` means the read did not happen or failed:
    `unavailable[path]` then says why, and that path is reported cannot-be-checked-here.
    Items are plain dicts (timestamps as ISO 8601 UTC text, `...Z`):

    - access_keys: {"id", "status", "created"}
    - login_profile: {"created"} or None when the user has no console password
    - service_credentials: {"id", "service", "status", "service_user_name"}
    - ssh_keys / certificates: {"id", "status", "uploaded"}
    - mfa_devices: {"serial", "enabled"}
    - signin_sessions: {"arn", "status", "issued_at", "expires_at"} (epoch seconds)
    - trust_policy: the role's trust document; instance_profiles: their names
    """

    kind: str
    name: str
    arn: str | None = None
    account: str | None = None
    revocation_cutoff: str | None = None  # the latest issue-time deny in force, if any
    attached_policy_arns: list[str] = field(default_factory=list)
    access_keys: list[dict[str, Any]] | None = None
    login_profile: dict[str, Any] | None = None
    login_profile_checked: bool = False
    service_credentials: list[dict[str, Any]] | None = None
    ssh_keys: list[dict[str, Any]] | None = None
    certificates: list[dict[str, Any]] | None = None
    mfa_devices: list[dict[str, Any]] | None = None
    signin_sessions: list[dict[str, Any]] | None = None
    trust_policy: dict[str, Any] | None = None
    instance_profiles: list[str] | None = None
    unavailable: dict[str, str] = field(default_factory=dict)


@dataclass
class CredentialPath:
    path: str
    state: str
    detail: str
    closes: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    docs: str | None = None
    warning: str | None = None
    partial: list[str] = field(default_factory=list)  # quarantine policies that limit it

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "state": self.state,
            "detail": self.detail,
            "closes": list(self.closes),
            "items": list(self.items),
            "partially_contained_by": list(self.partial),
            "warning": self.warning,
            "docs": self.docs,
        }


@dataclass
class CoverageReport:
    kind: str
    name: str
    arn: str | None
    account: str | None
    cutoff: str | None  # the cutoff the sessions are held to (given, else the one in force)
    window_start: str | None  # MFA devices enabled at or after this are footholds
    paths: list[CredentialPath]
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def open(self) -> list[CredentialPath]:
        return [p for p in self.paths if p.state == OPEN]

    @property
    def unchecked(self) -> list[CredentialPath]:
        return [p for p in self.paths if p.state == UNCHECKED]

    def exit_code(self) -> ExitCode:
        return ExitCode.UNVERIFIED if self.open or self.unchecked else ExitCode.OK

    def warnings(self) -> list[str]:
        said = [f"{self.kind} {self.name}: {p.path}: {p.warning}" for p in self.paths if p.warning]
        said += [
            f"{self.kind} {self.name}: {p.path} could not be checked: {p.detail}"
            for p in self.unchecked
        ]
        return said

    def to_json(self) -> dict[str, Any]:
        return {
            "action": "residual",
            "principal": {
                "kind": self.kind,
                "name": self.name,
                "arn": self.arn,
                "account": self.account,
            },
            "cutoff": self.cutoff,
            "window_start": self.window_start,
            "paths": [p.to_json() for p in self.paths],
            "open": len(self.open),
            "unchecked": len(self.unchecked),
            "evidence": list(self.evidence),
            "warnings": self.warnings(),
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row a path, for text and table output."""
        return [
            {
                "kind": self.kind,
                "name": self.name,
                "path": p.path,
                "state": p.state,
                "detail": p.detail,
                "closes": "; ".join(p.closes) or None,
            }
            for p in self.paths
        ]


ROW_COLUMNS = ["kind", "name", "path", "state", "detail", "closes"]


def unchecked_path(path: str, found: PrincipalCredentials, what: str) -> CredentialPath:
    reason = found.unavailable.get(path, "not read")
    return CredentialPath(
        path,
        UNCHECKED,
        f"{what} could not be read ({reason}); look at {console_url(found.kind, found.name)}",
        docs=DOCS.get(path),
    )
