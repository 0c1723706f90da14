"""Reading a credential for `revoke token inspect`: when it expires (the first source that
knows: the credential provider, the token ledger, the profile's expiry key) and whose it is
(the principal's kind and IAM name from the caller ARN); plus the AWS documentation the
report's reasons cite."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from revoke.core.timeparse import parse_iso
from revoke.core.tokenrules import caller_kind
from revoke.errors import BadInput
from revoke.state import credfile

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
