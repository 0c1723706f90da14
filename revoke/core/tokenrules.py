"""The rules of GetSessionToken, checked before any request, and what a cutoff covers.

Pure: the caller's type, the requested duration and the MFA values in; the duration to
send (or the reason not to send anything) out. The point is to tell the responder what
AWS would do instead of sending a request that fails (issue 5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from revoke.core.keyid import looks_temporary
from revoke.core.timeparse import format_cutoff, parse_duration
from revoke.errors import BadInput, NoCredentials

# AWS-FACTS fact 1 (API_GetSessionToken, DurationSeconds; botocore sts service-2.json
# durationSecondsType min 900 max 129600).
MIN_DURATION = 900
USER_MAX_DURATION = 129_600
USER_DEFAULT_DURATION = 43_200
ROOT_MAX_DURATION = 3_600
ROOT_DEFAULT_DURATION = 3_600

# Fact 2 (botocore sts service-2.json: tokenCodeType min/max 6, pattern [\d]*;
# serialNumberType min 9, max 256, pattern [\w+=/:,.@-]*).
_TOKEN_CODE = re.compile(r"^[0-9]{6}$")
_SERIAL = re.compile(r"^[\w+=/:,.@-]{9,256}$", re.ASCII)

# Fact 3, AWS's own words.
SESSION_CREDENTIALS_MESSAGE = "Cannot call GetSessionToken with session credentials"


@dataclass(frozen=True)
class DurationChoice:
    seconds: int
    note: str | None = None  # what AWS would have done differently, said on stderr


def caller_kind(arn: str) -> str:
    """'root', 'user', 'assumed-role', 'federated-user' or 'unknown', from a caller ARN."""
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    if resource == "root":
        return "root"
    head = resource.split("/", 1)[0]
    if head in ("user", "assumed-role", "federated-user"):
        return head
    return "unknown"


def choose_duration(requested: str | None, kind: str) -> DurationChoice:
    """The DurationSeconds to send for a caller of `kind` (fact 1), or BadInput saying why not.

    IAM user: 900-129,600 s, default 43,200. Account root: 900-3,600 s, default 3,600; AWS
    shortens a longer root request to 3,600 s without an error, so we send 3,600 and say so.
    """
    root = kind == "root"
    if requested is None:
        return DurationChoice(ROOT_DEFAULT_DURATION if root else USER_DEFAULT_DURATION)
    seconds = parse_duration(requested)
    who = "the account root" if root else "an IAM user"
    if seconds < MIN_DURATION:
        raise BadInput(
            f"--duration {requested} is {seconds} s; GetSessionToken needs at least "
            f"{MIN_DURATION} s (15m) (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html)",
            hint="use --duration 15m or more",
        )
    if seconds > USER_MAX_DURATION:
        most = f"{ROOT_MAX_DURATION} s (1h)" if root else f"{USER_MAX_DURATION} s (36h)"
        raise BadInput(
            f"--duration {requested} is {seconds} s; {who} gets at most {most}, and AWS "
            f"refuses any request over {USER_MAX_DURATION} s (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html)",
            hint=f"use --duration {'1h' if root else '36h'} or less",
        )
    if root and seconds > ROOT_MAX_DURATION:
        return DurationChoice(
            ROOT_MAX_DURATION,
            note=f"the account root gets at most 1h: AWS would shorten --duration {requested} to "
            f"3600 s, so 3600 s is asked for (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html)",
        )
    return DurationChoice(seconds)


def check_mfa(serial_number: str | None, token_code: str | None) -> None:
    """Fact 2, before any call: both or neither, each of the documented shape."""
    if (serial_number is None) != (token_code is None):
        missing = "--token-code" if token_code is None else "--serial-number"
        raise BadInput(
            f"MFA needs both --serial-number and --token-code; {missing} is missing",
            hint="--serial-number arn:aws:iam::123456789012:mfa/alice --token-code 123456",
        )
    if token_code is not None and not _TOKEN_CODE.match(token_code):
        raise BadInput(
            "--token-code must be exactly 6 digits (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html)",
            hint="the current code shown by the MFA device, e.g. --token-code 123456",
        )
    if serial_number is not None and not _SERIAL.match(serial_number):
        raise BadInput(
            f"--serial-number {serial_number!r} is not an MFA serial: 9-256 characters of "
            f"letters, digits and _+=,.@:/- (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html)",
            hint="a hardware serial such as GAHT12345678 or a virtual device ARN such as "
            "arn:aws:iam::123456789012:mfa/alice",
        )


def refuse_session_credentials(access_key_id: str | None, session_token: str | None) -> None:
    """Fact 3: GetSessionToken needs long-term credentials. Checked before any call."""
    if session_token or looks_temporary(access_key_id):
        raise NoCredentials(
            f"the credentials in use are session credentials ({access_key_id or 'unknown key'}"
            f'): AWS answers GetSessionToken with "AccessDenied: {SESSION_CREDENTIALS_MESSAGE}" '
            f"(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html)",
            hint="use the IAM user's long-term access key (AKIA...) with --profile; "
            "to see what these credentials are: revoke token inspect",
        )


# -- what a revocation cutoff covers -------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """'revoked', 'not revoked', 'unknown' or 'not applicable', and why."""

    status: str
    reason: str
    cutoff: str | None = None


def _utc(moment: datetime) -> str:
    # Truncated, not rounded: an issue time shown must not look later than it was.
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(moment: datetime, other: datetime) -> str:
    """`09:12:03Z` when both are on the same UTC day, else the full timestamp."""
    text = _utc(moment)
    return text[11:] if _utc(other)[:10] == text[:10] else text


def coverage(
    *,
    key_kind: str | None,
    principal_kind: str,
    issued_at: datetime | None,
    cutoff: datetime | None,
) -> Coverage:
    """Whether a deny of sessions issued before `cutoff` reaches this credential.

    The deny is `DateLessThan aws:TokenIssueTime` (fact 8), strict (fact 10); requests
    signed with long-term keys carry no aws:TokenIssueTime, so it never reaches them
    (fact 9); the root cannot be restricted by IAM policies at all (fact 15).
    """
    cutoff_text = format_cutoff(cutoff) if cutoff is not None else None
    if principal_kind == "root":
        return Coverage(
            "not applicable",
            "the account root cannot be restricted by IAM policies",
            cutoff_text,
        )
    if key_kind == "long-term":
        reason = (
            "a long-term key carries no aws:TokenIssueTime, so a cutoff never denies it "
            "(https://docs.aws.amazon.com/IAM/latest/UserGuide/"
            "reference_policies_condition-keys.html#condition-keys-tokenissuetime); "
            "deactivate the key to stop it"
        )
        return Coverage("not revoked", reason, cutoff_text)
    if cutoff is None:
        return Coverage("not revoked", "no revocation cutoff on this principal")
    if issued_at is None:
        return Coverage(
            "unknown",
            f"cutoff {cutoff_text} is set, but this token's issue time is not known "
            "(not in the local token ledger)",
            cutoff_text,
        )
    if issued_at < cutoff:  # DateLessThan is strict (fact 10)
        return Coverage(
            "revoked",
            f"revoked (issued {_short(issued_at, cutoff)}, cutoff {_short(cutoff, issued_at)})",
            cutoff_text,
        )
    return Coverage(
        "not revoked",
        f"issued {_short(issued_at, cutoff)}, at or after cutoff {_short(cutoff, issued_at)}",
        cutoff_text,
    )
