"""The paths of an IAM user: access keys, console password, sessions, service-specific
credentials, SSH public keys, signing certificates, MFA devices, AWS Sign-In sessions.
Sessions and sign-in sessions are a role's paths too (`role.py` takes them from here).

The issue-time deny (AWSRevokeOlderSessions) only matches requests signed with temporary
credentials: long-term credentials carry no aws:TokenIssueTime (AWS-FACTS 9, 24), so
access keys, service-specific credentials, SSH keys and signing certificates are closed
only by deactivating them, never by the deny.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from revoke.core.coverage.model import (
    ABSENT,
    ACCESS_KEYS,
    BEDROCK_REVOKE_DOCS,
    CONSOLE_PASSWORD,
    CONTAINED,
    DOCS,
    MFA_DEVICES,
    OPEN,
    REVOKE_FLAGS,
    SERVICE_CREDENTIALS,
    SESSIONS,
    SIGNIN_REVOKE_BATCH,
    SIGNIN_SESSIONS,
    SIGNING_CERTIFICATES,
    SSH_KEYS,
    UNCHECKED,
    CredentialPath,
    PrincipalCredentials,
    unchecked_path,
)


def user_paths(
    found: PrincipalCredentials, *, cutoff: str | None, window: str | None, now: datetime
) -> list[CredentialPath]:
    """Every path of a user, in the report's order (USER_PATHS)."""
    return [
        _access_keys(found),
        _console(found),
        sessions_path(found, cutoff),
        _service_credentials(found),
        _ssh_keys(found),
        _certificates(found),
        _mfa(found, window),
        signin_path(found, now),
    ]


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


def _revoke_user(found: PrincipalCredentials, flag: str) -> str:
    return f"revoke user {found.name} --before now {flag}"


def _access_keys(found: PrincipalCredentials) -> CredentialPath:
    if found.access_keys is None:
        return unchecked_path(ACCESS_KEYS, found, "the access keys")
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
        return unchecked_path(CONSOLE_PASSWORD, found, "the console password")
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


def sessions_path(found: PrincipalCredentials, cutoff: str | None) -> CredentialPath:
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
        return unchecked_path(path, found, what)
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
        return unchecked_path(MFA_DEVICES, found, "the MFA devices")
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


def signin_path(found: PrincipalCredentials, now: datetime) -> CredentialPath:
    """AWS Sign-In sessions (console, `aws login`) refresh credentials with a fresh issue
    time for up to 12 hours (AWS-FACTS 25): the deny alone does not stop them; only
    signin:BatchRevokeSessions does ("A revoked session can no longer be refreshed")."""
    if found.signin_sessions is None:
        return unchecked_path(SIGNIN_SESSIONS, found, "the AWS Sign-In sessions")
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
