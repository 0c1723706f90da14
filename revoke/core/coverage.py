"""The coverage model of one principal: every way in it still offers, and what closes each.

Pure: it receives what the live reads found (`PrincipalCredentials`, filled by
revoke.ops.residual through revoke.aws.credentials) and returns `CoverageReport`, one
`CredentialPath` per way in, each in one state:

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

The issue-time deny (AWSRevokeOlderSessions) only matches requests signed with temporary
credentials: long-term credentials carry no aws:TokenIssueTime (AWS-FACTS 9, 24), so
access keys, service-specific credentials, SSH keys and signing certificates are closed
only by deactivating them, never by the deny.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
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

# The `revoke user` flag that closes each path, where revoke has one. Paths without one
# (None) get the AWS CLI command instead. Issue 15 item 3 adds the flags
# (--deactivate-service-credentials, --deactivate-ssh-keys, --deactivate-certificates,
# --revoke-signin-sessions, --deactivate-mfa-since WHEN): set them here when they ship,
# and every report names them from then on.
REVOKE_FLAGS: dict[str, str | None] = {
    ACCESS_KEYS: "--deactivate-keys",
    CONSOLE_PASSWORD: "--disable-console",
    SERVICE_CREDENTIALS: None,
    SSH_KEYS: None,
    SIGNING_CERTIFICATES: None,
    MFA_DEVICES: None,
    SIGNIN_SESSIONS: None,
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


# -- time -------------------------------------------------------------------------------


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    from revoke.core.timeparse import cutoff_datetime

    return cutoff_datetime(value)


def _epoch_text(seconds: Any) -> str | None:
    if seconds is None:
        return None
    try:
        moment = datetime.fromtimestamp(float(seconds), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return str(seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the model ----------------------------------------------------------------------------


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
    cutoff (given, else the one in force) starts the window.
    """
    now = now or datetime.now(timezone.utc)
    held_to = cutoff or found.revocation_cutoff
    window = since or held_to
    quarantine = [QUARANTINE_ARNS[a] for a in found.attached_policy_arns if is_quarantine_policy(a)]
    if found.kind == "user":
        paths = [
            _access_keys(found),
            _console(found),
            _sessions(found, cutoff),
            _service_credentials(found),
            _ssh_keys(found),
            _certificates(found),
            _mfa(found, window),
            _signin(found, now),
        ]
    else:
        paths = [
            _sessions(found, cutoff),
            _trust(found),
            _instance_profiles(found),
            _signin(found, now),
        ]
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


def _unchecked(path: str, found: PrincipalCredentials, what: str) -> CredentialPath:
    reason = found.unavailable.get(path, "not read")
    return CredentialPath(
        path,
        UNCHECKED,
        f"{what} could not be read ({reason}); look at {console_url(found.kind, found.name)}",
        docs=DOCS.get(path),
    )


def _revoke_user(found: PrincipalCredentials, flag: str) -> str:
    return f"revoke user {found.name} --before now {flag}"


def _access_keys(found: PrincipalCredentials) -> CredentialPath:
    if found.access_keys is None:
        return _unchecked(ACCESS_KEYS, found, "the access keys")
    active = [k for k in found.access_keys if k.get("status") == "Active"]
    items = [
        {"id": k["id"], "status": k.get("status"), "created": k.get("created")}
        for k in found.access_keys
    ]
    if not found.access_keys:
        return CredentialPath(ACCESS_KEYS, ABSENT, "no access keys", docs=DOCS[ACCESS_KEYS])
    if not active:
        return CredentialPath(
            ACCESS_KEYS,
            CONTAINED,
            f"{len(items)} access key(s), all inactive",
            items=items,
            docs=DOCS[ACCESS_KEYS],
        )
    # Long-term keys carry no aws:TokenIssueTime, so the deny never matches them, and their
    # holder can mint fresh post-cutoff tokens with GetSessionToken (AWS-FACTS 3, 9).
    return CredentialPath(
        ACCESS_KEYS,
        OPEN,
        f"{len(active)} active access key(s): {', '.join(k['id'] for k in active)}; long-term "
        "keys carry no token issue time, so only deactivation stops them",
        closes=[_revoke_user(found, "--deactivate-keys")],
        items=items,
        docs=DOCS[ACCESS_KEYS],
    )


def _console(found: PrincipalCredentials) -> CredentialPath:
    if not found.login_profile_checked:
        return _unchecked(CONSOLE_PASSWORD, found, "the console password")
    if found.login_profile is None:
        return CredentialPath(
            CONSOLE_PASSWORD, ABSENT, "no console password", docs=DOCS[CONSOLE_PASSWORD]
        )
    return CredentialPath(
        CONSOLE_PASSWORD,
        OPEN,
        f"console password set (created {found.login_profile.get('created') or 'unknown'}); "
        "a console sign-in after the cutoff gets a session the deny does not stop",
        closes=[_revoke_user(found, "--disable-console")],
        items=[dict(found.login_profile)],
        docs=DOCS[CONSOLE_PASSWORD],
    )


def _sessions(found: PrincipalCredentials, cutoff: str | None) -> CredentialPath:
    kind, name = found.kind, found.name
    target = cutoff or "now"
    close = [f"revoke {kind} {name} --before {target}"]
    in_force = found.revocation_cutoff
    if in_force is None:
        return CredentialPath(
            SESSIONS,
            OPEN,
            "no issue-time deny in force: every session issued so far still works",
            closes=close,
            docs=DOCS[SESSIONS],
        )
    if cutoff is not None:
        held, wanted = _moment(in_force), _moment(cutoff)
        if held is not None and wanted is not None and held < wanted:
            return CredentialPath(
                SESSIONS,
                OPEN,
                f"the deny in force cuts off at {in_force}, before {cutoff}: sessions issued "
                "between the two still work",
                closes=close,
                items=[{"cutoff": in_force}],
                docs=DOCS[SESSIONS],
            )
    return CredentialPath(
        SESSIONS,
        CONTAINED,
        f"sessions issued before {in_force} are denied",
        items=[{"cutoff": in_force}],
        docs=DOCS[SESSIONS],
    )


def _status_path(
    path: str,
    found: PrincipalCredentials,
    listed: list[dict[str, Any]] | None,
    *,
    what: str,
    aws_command: str,
    extra: str = "",
) -> CredentialPath:
    """Service-specific credentials, SSH keys, signing certificates: long-term, each with
    an Active/Inactive status; only Inactive (or Expired) stops them (AWS-FACTS 24)."""
    if listed is None:
        return _unchecked(path, found, what)
    if not listed:
        return CredentialPath(path, ABSENT, f"no {what}", docs=DOCS[path])
    active = [c for c in listed if c.get("status") == "Active"]
    items = [dict(c) for c in listed]
    if not active:
        return CredentialPath(
            path, CONTAINED, f"{len(listed)} {what}, none active", items=items, docs=DOCS[path]
        )
    flag = REVOKE_FLAGS.get(path)
    closes = (
        [_revoke_user(found, flag)]
        if flag
        else [aws_command.format(user=found.name, id=c["id"]) for c in active]
    )
    labels = ", ".join(
        f"{c['id']}" + (f" ({c['service']})" if c.get("service") else "") for c in active
    )
    return CredentialPath(
        path,
        OPEN,
        f"{len(active)} active {what}: {labels}; long-term, the deny does not stop them{extra}",
        closes=closes,
        items=items,
        docs=DOCS[path],
    )


def _service_credentials(found: PrincipalCredentials) -> CredentialPath:
    # CodeCommit Git, Amazon Keyspaces, Bedrock long-term API keys, CloudWatch Logs keys:
    # UpdateServiceSpecificCredential Status=Inactive (reversible) stops each.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_api_keys_for_aws_services.html
    # https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-revoke.html
    path = _status_path(
        SERVICE_CREDENTIALS,
        found,
        found.service_credentials,
        what="service-specific credential(s)",
        aws_command="aws iam update-service-specific-credential --user-name {user} "
        "--service-specific-credential-id {id} --status Inactive",
    )
    if any("bedrock" in str(c.get("service", "")) for c in found.service_credentials or []):
        path.docs = BEDROCK_REVOKE_DOCS
    return path


def _ssh_keys(found: PrincipalCredentials) -> CredentialPath:
    # "SSH public keys that are inactive cannot be used for authentication" (CodeCommit).
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSSHPublicKey.html
    return _status_path(
        SSH_KEYS,
        found,
        found.ssh_keys,
        what="SSH public key(s)",
        aws_command="aws iam update-ssh-public-key --user-name {user} "
        "--ssh-public-key-id {id} --status Inactive",
    )


def _certificates(found: PrincipalCredentials) -> CredentialPath:
    # "Inactive means that the certificate cannot be used."
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSigningCertificate.html
    return _status_path(
        SIGNING_CERTIFICATES,
        found,
        found.certificates,
        what="X.509 signing certificate(s)",
        aws_command="aws iam update-signing-certificate --user-name {user} "
        "--certificate-id {id} --status Inactive",
    )


def _mfa(found: PrincipalCredentials, window: str | None) -> CredentialPath:
    """An MFA device enabled during the incident is the attacker's, not a safeguard: with
    it they pass MFA conditions and can get MFA-bearing session tokens that may call IAM
    (AWS-FACTS 4, 21). Devices enabled before the window are the user's own."""
    if found.mfa_devices is None:
        return _unchecked(MFA_DEVICES, found, "the MFA devices")
    if not found.mfa_devices:
        return CredentialPath(MFA_DEVICES, ABSENT, "no MFA device", docs=DOCS[MFA_DEVICES])
    items = [dict(d) for d in found.mfa_devices]
    start = _moment(window)
    if start is None:
        return CredentialPath(
            MFA_DEVICES,
            UNCHECKED,
            f"{len(items)} MFA device(s), and no incident window to judge them by: give "
            "--since WHEN (the incident's start) or --before WHEN",
            items=items,
            docs=DOCS[MFA_DEVICES],
        )
    recent = [d for d in items if (_moment(d.get("enabled")) or start) >= start]
    if not recent:
        return CredentialPath(
            MFA_DEVICES,
            ABSENT,
            f"no MFA device enabled at or after {window} ({len(items)} older device(s))",
            items=items,
            docs=DOCS[MFA_DEVICES],
        )
    flag = REVOKE_FLAGS.get(MFA_DEVICES)
    closes = (
        [_revoke_user(found, f"{flag} {window}")]
        if flag
        else [
            f"aws iam deactivate-mfa-device --user-name {found.name} --serial-number {d['serial']}"
            for d in recent
        ]
    )
    return CredentialPath(
        MFA_DEVICES,
        OPEN,
        f"{len(recent)} MFA device(s) enabled at or after {window}: "
        f"{', '.join(d['serial'] for d in recent)}; a device added during the incident is "
        "a foothold",
        closes=closes,
        items=items,
        docs=DOCS[MFA_DEVICES],
    )


def _signin(found: PrincipalCredentials, now: datetime) -> CredentialPath:
    """AWS Sign-In sessions (console, `aws login`) refresh credentials with a fresh issue
    time for up to 12 hours (AWS-FACTS 25): the deny alone does not stop them; only
    signin:BatchRevokeSessions does ("A revoked session can no longer be refreshed")."""
    if found.signin_sessions is None:
        return _unchecked(SIGNIN_SESSIONS, found, "the AWS Sign-In sessions")
    if not found.signin_sessions:
        return CredentialPath(
            SIGNIN_SESSIONS, ABSENT, "no AWS Sign-In session", docs=DOCS[SIGNIN_SESSIONS]
        )
    moment = now.timestamp()
    items = [
        {
            "arn": s.get("arn"),
            "status": s.get("status"),
            "issued": _epoch_text(s.get("issued_at")),
            "expires": _epoch_text(s.get("expires_at")),
        }
        for s in found.signin_sessions
    ]
    live = [
        s
        for s in found.signin_sessions
        if s.get("status") == "ACTIVE"
        and (s.get("expires_at") is None or float(s["expires_at"]) > moment)
    ]
    if not live:
        return CredentialPath(
            SIGNIN_SESSIONS,
            CONTAINED,
            f"{len(items)} AWS Sign-In session(s), none active",
            items=items,
            docs=DOCS[SIGNIN_SESSIONS],
        )
    flag = REVOKE_FLAGS.get(SIGNIN_SESSIONS)
    arns = [str(s["arn"]) for s in live]
    closes = (
        [_revoke_user(found, flag)]
        if flag and found.kind == "user"
        else [
            f"aws signin batch-revoke-sessions --principal-arn {found.arn} --session-arns "
            + " ".join(chunk)
            for chunk in _chunks(arns, SIGNIN_REVOKE_BATCH)
        ]
    )
    return CredentialPath(
        SIGNIN_SESSIONS,
        OPEN,
        f"{len(live)} active AWS Sign-In session(s): each refresh brings credentials with a "
        "fresh issue time, which the deny does not stop",
        closes=closes,
        items=items,
        docs=DOCS[SIGNIN_SESSIONS],
    )


def _chunks(values: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


# -- roles --------------------------------------------------------------------------------


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
        return _unchecked(TRUST_POLICY, found, "the trust policy")
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
        return _unchecked(INSTANCE_PROFILES, found, "the instance profiles")
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
