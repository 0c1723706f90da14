"""`revoke token inspect`: what a credential is, whose, until when, and whether a
revocation cutoff covers it.

What a credential is (key ID, offline), whose (GetCallerIdentity), until when (ledger,
environment, profile, provider), and whether a revocation cutoff covers it. Nothing here
prints a secret: only the access key ID ever leaves a credential object.

Whether it is revoked is decided (`revocation.decided_by`) by
- "ledger": the token ledger knows its issue time, compared with the cutoff read from IAM;
- "probe": the ledger cannot tell, so AWS is asked with the token itself (`probe_token`):
  an action the principal's policies allow (the evaluator over the policies, when they can
  be read), refused with an explicit deny while a fresh token of the same principal is
  allowed, is revoked; the same call allowed is not revoked;
- "credentials": AWS refuses the credentials themselves (expired, invalid);
- "key type": what the key is decides (a long-term key carries no issue time, a root's
  token cannot be restricted);
- null: nothing could decide it, and the reason says why.
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


# AWS documentation the user-facing reasons cite.
_TEMP_CREDENTIALS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html"
)
_KEY_ID_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html"
    "#identifiers-unique-ids"
)
_GET_SESSION_TOKEN_DOC = (
    "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html"
)


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
                f"IAM ({_TEMP_CREDENTIALS_DOC}); pass --admin-profile P to read the cutoff",
                False,
            )
        if "explicit deny" in text:
            return (
                None,
                "reading IAM met an explicit deny in an identity-based policy (https://docs."
                "aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html), which a "
                "revocation would cause; pass --admin-profile P to confirm",
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


def _policy_documents(reader: AwsSession, kind: str, name: str) -> list[dict[str, Any]] | None:
    """The principal's inline and attached managed policies as `reader` can read them now
    (None if it cannot): what the probe's action is chosen from."""
    from revoke.aws.iam import IamGateway

    gateway = IamGateway(reader)
    try:
        state = gateway.read_principal(kind, name, with_keys=False)
        if not state.exists:
            return None
        documents = list(state.inline_policies.values())
        for attached in state.attached_policies:
            documents.append(gateway.managed_document(attached["PolicyArn"]))
    except RevokeError:
        return None
    return documents


def choose_probe_action(
    documents: list[dict[str, Any]] | None, fresh_issue: datetime
) -> tuple[str, str]:
    """(action, how it was chosen): the first probe action the policies allow a token
    issued at `fresh_issue` (after any cutoff, so the revocation does not hide it), by the
    project's evaluator; else the default harmless read."""
    from revoke.aws.probe import DEFAULT_PROBE_ACTION, PROBE_CALLS
    from revoke.core.evaluate import PolicyEvaluationError, evaluate

    if documents:
        stamp = fresh_issue.strftime("%Y-%m-%dT%H:%M:%SZ")
        context = {"aws:TokenIssueTime": stamp, "aws:CurrentTime": stamp}
        labelled = {f"policy{i}": d for i, d in enumerate(documents)}
        for action in PROBE_CALLS:
            try:
                if evaluate(labelled, action, "*", context).allowed:
                    return action, "the evaluator: the principal's policies allow it"
            except PolicyEvaluationError:
                break
    return DEFAULT_PROBE_ACTION, "default (the principal's policies could not be read)"


def _fresh_probe(
    g: RunContext,
    *,
    action: str,
    kind: str,
    name: str,
    account: str | None,
    fresh_profile: str | None,
    admin: AwsSession | None,
) -> tuple[Any, str | None]:
    """(a Probe with a fresh token of the same principal, what it is) or (None, why not)."""
    from revoke.aws.errors import aws_errors
    from revoke.aws.probe import Probe, identity_matches
    from revoke.aws.session import AwsSession

    if fresh_profile:
        session = AwsSession(profile=fresh_profile, region=g.region, endpoint_url=g.endpoint_url)
        probe = Probe(session, action=action)
        try:
            arn = probe.identity()
        except RevokeError as err:
            return None, f"--fresh-profile {fresh_profile} is not usable ({err.message})"
        if arn is None or not identity_matches(arn, kind, name, account):
            return None, f"--fresh-profile {fresh_profile} acts as {arn}, not the same {kind}"
        return probe, f"a token of profile {fresh_profile}"
    if kind == "role" and admin is not None and account:
        role_arn = f"arn:aws:iam::{account}:role/{name}"
        try:
            with aws_errors(f"sts:AssumeRole {role_arn}"):
                found = admin.client("sts").assume_role(
                    RoleArn=role_arn, RoleSessionName="revoke-inspect-fresh", DurationSeconds=900
                )["Credentials"]
        except RevokeError as err:
            return None, f"the admin profile could not assume {role_arn} ({err.message})"
        fresh = admin.assume(
            {
                "aws_access_key_id": found["AccessKeyId"],
                "aws_secret_access_key": found["SecretAccessKey"],
                "aws_session_token": found["SessionToken"],
            }
        )
        return Probe(fresh, action=action), f"a session of {role_arn} the admin profile assumed now"
    return None, (
        f"no fresh token of {kind} {name} to compare with: GetSessionToken issues tokens only "
        "to the caller, so the admin profile cannot issue one for a user; pass "
        "--fresh-profile P (a token of the same principal issued after the cutoff)"
    )


def probe_token(
    g: RunContext,
    session: AwsSession,
    *,
    kind: str,
    name: str,
    account: str | None,
    reader: AwsSession | None,
    fresh_profile: str | None,
    admin: AwsSession | None,
    now: datetime,
    cutoff: datetime | None = None,
) -> tuple[Coverage, dict[str, Any]]:
    """Ask AWS with the token itself (module docstring, "probe"): the verdict and what was
    called and compared. Never GetCallerIdentity (never denied), never IAM or STS (a token
    without MFA cannot call IAM at all): a harmless read policies govern."""
    from revoke.aws.probe import (
        ALLOWED,
        EXPLICIT_DENY,
        IMPLICIT_DENY,
        OTHER_DENY,
        Probe,
        probe_call,
    )

    documents = _policy_documents(reader, kind, name) if reader is not None else None
    from datetime import timedelta

    fresh_issue = max(now, cutoff + timedelta(seconds=1)) if cutoff else now
    action, chosen_by = choose_probe_action(documents, fresh_issue)
    outcome = Probe(session, action=action).attempt()
    report: dict[str, Any] = {
        "action": action,
        "call": probe_call(action),
        "chosen_by": chosen_by,
        "outcome": outcome.kind,
        "error": f"{outcome.code}: {outcome.message}" if outcome.code else None,
        "compared_with": None,
        "fresh_outcome": None,
    }
    called = f"{probe_call(action)} ({action}) with this token"
    if outcome.kind == ALLOWED:
        return Coverage("not revoked", f"{called} was allowed: no deny covers it"), report
    if outcome.kind == IMPLICIT_DENY:
        return (
            Coverage(
                "unknown",
                f"{called} was refused without an explicit deny (no policy allows it), "
                "which says nothing about a revocation",
            ),
            report,
        )
    if outcome.kind not in (EXPLICIT_DENY, OTHER_DENY):
        return Coverage("unknown", f"{called} failed: {report['error']}"), report
    where = (
        "an identity-based policy" if outcome.kind == EXPLICIT_DENY else "a policy of another type"
    )
    fresh, what = _fresh_probe(
        g,
        action=action,
        kind=kind,
        name=name,
        account=account,
        fresh_profile=fresh_profile,
        admin=admin,
    )
    if fresh is not None:
        fresh_outcome = fresh.attempt()
        report["compared_with"], report["fresh_outcome"] = what, fresh_outcome.kind
        if fresh_outcome.kind == ALLOWED:
            return (
                Coverage(
                    "revoked",
                    f"{called} was refused with an explicit deny in {where}, and allowed "
                    f"for {what}: the deny covers older sessions only (a revocation, "
                    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html)",
                ),
                report,
            )
        return (
            Coverage(
                "unknown",
                f"{called} was refused with an explicit deny in {where}, and {what} was "
                f"refused too ({fresh_outcome.kind}): a deny that is not about issue time",
            ),
            report,
        )
    if documents and chosen_by.startswith("the evaluator"):
        report["compared_with"] = (
            "the principal's policies as read now, for a token issued after the cutoff"
        )
        return (
            Coverage(
                "revoked",
                f"{called} was refused with an explicit deny in {where}, though {kind} "
                f"{name}'s policies as read now allow it to a token issued after the cutoff "
                f"({what})",
            ),
            report,
        )
    return (
        Coverage(
            "unknown",
            f"{called} was refused with an explicit deny in {where}, but it could not be "
            f"compared: {what}",
        ),
        report,
    )


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


def _decided_by(verdict: Coverage, status: str, issued_at: datetime | None) -> str | None:
    if verdict.status == "unknown":
        return None
    if status != "valid":
        return "credentials"
    if issued_at is not None and verdict.status in ("revoked", "not revoked"):
        return "ledger"
    return "key type"


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
    if revocation.get("decided_by"):
        rows.append({"field": "decided by", "value": revocation["decided_by"]})
    probe = revocation.get("probe")
    if probe:
        rows.append({"field": "probe", "value": f"{probe['call']} ({probe['action']})"})
        rows.append({"field": "probe outcome", "value": probe["outcome"]})
        if probe.get("compared_with"):
            rows.append({"field": "compared with", "value": probe["compared_with"]})
    return rows
