"""`revoke token inspect`: what a credential is, whose, until when, and whether a
revocation cutoff covers it.

What a credential is (key ID, offline), whose (GetCallerIdentity), until when (ledger,
environment, profile, provider), and whether a revocation cutoff covers it. Nothing here
prints a secret: only the access key ID ever leaves a credential object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from revoke.core.keyid import KeyId, parse_key_id
from revoke.core.timeparse import human_duration, parse_iso
from revoke.core.tokenrules import Coverage, caller_kind, coverage
from revoke.errors import BadInput, NoCredentials, RevokeError
from revoke.ops.tokens import utc
from revoke.state import credfile
from revoke.state.ledger import Ledger

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession
    from revoke.ops.context import RunContext


@dataclass
class Inspection:
    payload: dict[str, Any]
    usable: bool  # False: expired or refused by AWS (exit 253 after the report)
    problem: str | None = None


def _expiry_from(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        return parse_iso(str(value)).astimezone(timezone.utc)
    except BadInput:
        return None


def _expiry(
    credentials: Any, record: Any, profile_name: str | None
) -> tuple[datetime | None, str | None]:
    """The first source that knows when these credentials expire, and its name."""
    method = getattr(credentials, "method", None)
    provider = _expiry_from(getattr(credentials, "_expiry_time", None))  # as the AWS CLI does
    if provider is not None:
        # botocore's env provider reads AWS_CREDENTIAL_EXPIRATION itself
        return provider, "AWS_CREDENTIAL_EXPIRATION" if method == "env" else f"{method} provider"
    if record is not None:
        return record.expires(), "token ledger"
    if method == "shared-credentials-file" and profile_name:
        try:
            values = credfile.read_profile(credfile.credentials_path(), profile_name) or {}
        except BadInput:
            values = {}
        found = _expiry_from(values.get(credfile.EXPIRY_KEY))
        if found is not None:
            return found, f"profile {profile_name} ({credfile.EXPIRY_KEY})"
    return None, None


def _principal(arn: str | None) -> tuple[str, str | None]:
    """(kind, IAM name to read the cutoff from) for a caller ARN."""
    if not arn:
        return "unknown", None
    kind = caller_kind(arn)
    resource = arn.split(":", 5)[5]
    parts = resource.split("/")
    if kind == "user":
        return kind, parts[-1]
    if kind == "assumed-role" and len(parts) >= 3:
        return kind, parts[1]
    return kind, None


def read_cutoff(
    reader: AwsSession, kind: str, name: str, *, reader_is_token: bool
) -> tuple[datetime | None, str | None, bool]:
    """(latest cutoff, reason it could not be read, read ok) for a user or role."""
    from revoke.aws.iam import IamGateway
    from revoke.core.policy import existing_cutoff
    from revoke.core.timeparse import cutoff_datetime

    try:
        state = IamGateway(reader).read_principal(kind, name, with_keys=False)
    except RevokeError as err:
        text = err.message
        if reader_is_token and "InvalidClientTokenId" in text:
            return (
                None,
                "this token cannot read IAM: session tokens issued without MFA cannot call "
                "IAM (AWS-FACTS fact 4); pass --admin-profile P to read the cutoff",
                False,
            )
        if "explicit deny" in text:
            return (
                None,
                "reading IAM met an explicit deny in an identity-based policy (AWS-FACTS "
                "fact 14), which a revocation would cause; pass --admin-profile P to confirm",
                False,
            )
        return None, f"cannot read the {kind}'s policies ({text}); pass --admin-profile P", False
    if not state.exists:
        return None, f"there is no {kind} {name} (deleted?)", False
    documents = list(state.inline_policies.values())
    if state.managed_fallback_document:
        documents.append(state.managed_fallback_document)
    cutoffs = [c for d in documents if (c := existing_cutoff(d))]
    if not cutoffs:
        return None, None, True
    return max(cutoff_datetime(c) for c in cutoffs), None, True


def inspect_credentials(
    g: RunContext, *, profile: str | None, admin_profile: str | None
) -> Inspection:
    from revoke.aws.errors import aws_errors
    from revoke.aws.session import AwsSession
    from revoke.aws.sts import StsGateway

    session = AwsSession(profile=profile, region=g.region, endpoint_url=g.endpoint_url)
    with aws_errors("reading credentials"):
        credentials = session.boto.get_credentials()
    if credentials is None:
        raise NoCredentials(
            "no AWS credentials to inspect",
            hint="pass --profile P, or export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
            "(and AWS_SESSION_TOKEN)",
        )
    with aws_errors("reading credentials"):
        frozen = credentials.get_frozen_credentials()
    key_id = frozen.access_key or ""
    has_token = bool(frozen.token)
    warnings: list[str] = []

    parsed: KeyId | None
    try:
        parsed = parse_key_id(key_id)
        key_type, key_problem = parsed.kind, None
    except BadInput as err:
        parsed, key_problem = None, err.message
        key_type = "temporary" if has_token else "unknown"
    if parsed is not None and parsed.long_term and has_token:
        warnings.append(
            "a session token comes with an AKIA (long-term) key ID; AWS gives temporary "
            "credentials ASIA IDs (AWS-FACTS fact 7): is this a test endpoint?"
        )
    is_session = has_token or key_type == "temporary"

    ledger_record = Ledger.in_state_dir(g.state_dir).find(key_id) if key_id else None
    probe = StsGateway(session).probe_identity()
    admin = (
        AwsSession(profile=admin_profile, region=g.region, endpoint_url=g.endpoint_url)
        if admin_profile
        else None
    )

    # The owning account: offline from the ID, confirmed by GetAccessKeyInfo if possible.
    key_account = parsed.account if parsed else None
    confirmed_account, unconfirmed_reason = (None, None)
    if key_id:
        confirmed_account, unconfirmed_reason = StsGateway(admin or session).key_account(key_id)
        if confirmed_account is None and admin is None and is_session:
            unconfirmed_reason = (
                f"{unconfirmed_reason}; session tokens cannot call sts:GetAccessKeyInfo "
                "(AWS-FACTS fact 4): pass --admin-profile P"
            )
    if confirmed_account and key_account and confirmed_account != key_account:
        warnings.append(
            f"the key ID decodes to account {key_account} but sts:GetAccessKeyInfo says "
            f"{confirmed_account}; trust AWS's answer"
        )

    arn = probe.arn or (ledger_record.principal_arn if ledger_record else None)
    principal_kind, principal_name = _principal(arn)
    now = probe.server_time or g.now()
    expires_at, expires_source = _expiry(
        credentials, ledger_record, getattr(session.boto, "profile_name", None)
    )
    issued_at = ledger_record.issued() if ledger_record else None

    if probe.error_code is None:
        status = "valid"
    elif probe.error_code in ("ExpiredToken", "ExpiredTokenException"):
        status = "expired"
    else:
        status = "refused"

    # Whether a revocation cutoff covers it.
    cutoff: datetime | None = None
    if status == "expired":
        when = f" at {utc(expires_at)}" if expires_at else ""
        verdict = Coverage(
            "not applicable",
            f"the token expired{when}: AWS rejects it whatever the policies say "
            "(ExpiredToken, AWS-FACTS fact 5)",
        )
    elif status == "refused":
        verdict = Coverage(
            "not applicable",
            f"AWS does not accept these credentials ({probe.error_code}: {probe.error_message})",
        )
    elif principal_kind in ("user", "assumed-role") and principal_name:
        iam_kind = "user" if principal_kind == "user" else "role"
        cutoff, unreadable, _ = read_cutoff(
            admin or session, iam_kind, principal_name, reader_is_token=admin is None and is_session
        )
        if unreadable is not None and not (key_type == "long-term" and not has_token):
            verdict = Coverage("unknown", unreadable)
        else:
            verdict = coverage(
                key_kind="temporary" if is_session else key_type,
                principal_kind=principal_kind,
                issued_at=issued_at,
                cutoff=cutoff,
            )
    else:
        verdict = coverage(
            key_kind="temporary" if is_session else key_type,
            principal_kind=principal_kind,
            issued_at=issued_at,
            cutoff=None,
        )
        if principal_kind not in ("root",) and verdict.status == "not revoked" and is_session:
            verdict = Coverage(
                "unknown",
                f"cannot tell which IAM principal a {principal_kind} session belongs to",
            )
    if key_type == "long-term" and not has_token and status == "valid":
        warnings.append(
            "a long-term key can mint fresh tokens with GetSessionToken whatever the "
            "cutoff (AWS-FACTS fact 3): deactivate it to contain a leak"
        )

    time_left = None
    if expires_at is not None:
        left = (expires_at - now).total_seconds()
        time_left = human_duration(left) if left > 0 and status != "expired" else "expired"

    payload: dict[str, Any] = {
        "access_key_id": key_id or None,
        "key_type": key_type,
        "key_type_problem": key_problem,
        "session_token": "present" if has_token else "absent",
        "credential_source": getattr(credentials, "method", None),
        "key_account": key_account,
        "key_account_note": (
            "not encoded (key ID of the older generation)"
            if parsed is not None and parsed.account is None
            else None
        ),
        "key_account_confirmed": (
            None if confirmed_account is None else confirmed_account == key_account
        ),
        "access_key_info_account": confirmed_account,
        "access_key_info_error": unconfirmed_reason if confirmed_account is None else None,
        "status": status,
        "error": f"{probe.error_code}: {probe.error_message}" if probe.error_code else None,
        "account": probe.account or (ledger_record.account if ledger_record else None),
        "arn": arn,
        "principal_type": principal_kind,
        "user_id": probe.user_id,
        "issued_at": utc(issued_at),
        "issued_at_source": "token ledger" if issued_at else None,
        "mfa": ledger_record.mfa if ledger_record else None,
        "expires_at": utc(expires_at),
        "expires_at_source": expires_source,
        "time_left": time_left,
        "checked_at": utc(now),
        "revocation": {
            "status": verdict.status,
            "cutoff": utc(cutoff) if cutoff else verdict.cutoff,
            "reason": verdict.reason,
        },
        "warnings": warnings,
    }
    problem = None
    if status == "expired":
        when = f" at {utc(expires_at)}" if expires_at else ""
        problem = f"the token expired{when}: {probe.error_code}: {probe.error_message}"
    elif status == "refused":
        problem = f"AWS refuses these credentials: {probe.error_code}: {probe.error_message}"
    return Inspection(payload=payload, usable=status == "valid", problem=problem)


INSPECT_ROWS = [
    ("access_key_id", "access key ID"),
    ("key_type", "key type"),
    ("key_account", "account (from key ID)"),
    ("key_account_note", "account (from key ID)"),
    ("access_key_info_account", "account (GetAccessKeyInfo)"),
    ("access_key_info_error", "account not confirmed"),
    ("status", "status"),
    ("error", "error"),
    ("arn", "principal"),
    ("principal_type", "principal type"),
    ("issued_at", "issued"),
    ("expires_at", "expires"),
    ("time_left", "time left"),
    ("mfa", "MFA"),
]


def inspect_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    def shown(value: Any) -> Any:
        return ("yes" if value else "no") if isinstance(value, bool) else value

    rows = [
        {"field": label, "value": shown(payload.get(key))}
        for key, label in INSPECT_ROWS
        if payload.get(key) is not None
    ]
    revocation = payload["revocation"]
    rows.append({"field": "revocation", "value": revocation["status"]})
    if revocation.get("cutoff"):
        rows.append({"field": "cutoff", "value": revocation["cutoff"]})
    rows.append({"field": "why", "value": revocation["reason"]})
    return rows
