"""`revoke token inspect`'s workflow: read the credential (key ID, owning account, caller
identity, ledger, expiry), decide whether a revocation covers it (cutoff, then the probe
when that cannot tell), and return the report's payload with whether the credential is
usable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from revoke.core.keyid import KeyId, parse_key_id
from revoke.core.timeparse import human_duration
from revoke.core.tokenrules import Coverage, coverage
from revoke.errors import BadInput, NoCredentials
from revoke.ops.token_inspect.credential import (
    _GET_SESSION_TOKEN_DOC,
    _KEY_ID_DOC,
    _TEMP_CREDENTIALS_DOC,
    _expiry,
    _principal,
)
from revoke.ops.token_inspect.decide import _decided_by, read_cutoff
from revoke.ops.token_inspect.probe import probe_token
from revoke.ops.tokens import utc
from revoke.state.ledger import Ledger

if TYPE_CHECKING:
    from revoke.ops.context import RunContext


@dataclass
class Inspection:
    payload: dict[str, Any]
    usable: bool  # False: expired or refused by AWS (exit 253 after the report)
    problem: str | None = None


def inspect_credentials(
    g: RunContext,
    *,
    profile: str | None,
    admin_profile: str | None,
    fresh_profile: str | None = None,
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
            f"credentials ASIA IDs ({_KEY_ID_DOC}): is this a test endpoint?"
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
                f"({_TEMP_CREDENTIALS_DOC}): pass --admin-profile P"
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
            f"(ExpiredToken, {_TEMP_CREDENTIALS_DOC})",
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
    decided_by: str | None = _decided_by(verdict, status, issued_at)
    probe_report: dict[str, Any] | None = None
    if (
        verdict.status == "unknown"
        and status == "valid"
        and is_session
        and principal_kind in ("user", "assumed-role")
        and principal_name
    ):
        iam_kind = "user" if principal_kind == "user" else "role"
        probed, probe_report = probe_token(
            g,
            session,
            kind=iam_kind,
            name=principal_name,
            account=probe.account,
            reader=admin or session,
            fresh_profile=fresh_profile,
            admin=admin,
            now=now,
            cutoff=cutoff,
        )
        if probed.status != "unknown":
            verdict, decided_by = probed, "probe"
        else:
            verdict = Coverage("unknown", f"{verdict.reason}; probe: {probed.reason}")
    if key_type == "long-term" and not has_token and status == "valid":
        warnings.append(
            "a long-term key can mint fresh tokens with GetSessionToken whatever the "
            f"cutoff ({_GET_SESSION_TOKEN_DOC}): deactivate it to contain a leak"
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
            "decided_by": decided_by,
            "probe": probe_report,
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
