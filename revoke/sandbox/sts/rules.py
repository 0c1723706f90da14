"""The parameter rules every STS issuing call shares: the durations of fact 1, which STS
calls a session may make, AWS's validation-error message and constraint texts, the
DurationSeconds, SerialNumber and TokenCode constraints of fact 2, the Credentials element
of an answer, and the session policy (`Policy`, `PolicyArns`) of a request."""

from __future__ import annotations

import json
import re

from revoke.sandbox.authorize import iso_time
from revoke.sandbox.responses import AwsError, xml_elements
from revoke.sandbox.tokens import SessionRecord

# Fact 1.
USER_DEFAULT_SECONDS = 43_200
ROOT_DEFAULT_SECONDS = 3_600
ROOT_MAX_SECONDS = 3_600
MIN_SECONDS = 900
USER_MAX_SECONDS = 129_600
ROLE_MAX_SECONDS = 43_200
ROLE_DEFAULT_SECONDS = 3_600
ROLE_CHAINING_MAX_SECONDS = 3_600

# STS operations GetSessionToken credentials may call (fact 4; STS API reference,
# GetSessionToken "Permissions"). Every session is refused GetSessionToken and
# GetFederationToken: they need long-term credentials (fact 3).
SESSION_STS_ALLOWED = frozenset(
    {
        "AssumeRole",
        "GetCallerIdentity",
        "GetScopedCredentials",
        "GetWebIdentityToken",
        "GetDelegatedAccessToken",
    }
)
LONG_TERM_ONLY = frozenset({"GetSessionToken", "GetFederationToken"})

_TOKEN_CODE = re.compile(r"[\d]*")
_SERIAL = re.compile(r"[\w+=/:,.@-]*")
_MFA_FAILED = (
    "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your "
    "MFA serial number is valid and associated with this user."
)


def validation_error(problems: list[str]) -> AwsError:
    """AWS's (Coral's) constraint-violation message: "N validation error(s) detected: ..."."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return AwsError(
        "ValidationError", f"{count} validation {noun} detected: " + "; ".join(problems)
    )


def _constraint(value: object, member: str, constraint: str) -> str:
    return f"Value '{value}' at '{member}' failed to satisfy constraint: Member must {constraint}"


def _duration(raw: str | None, member: str, maximum: int, problems: list[str]) -> int | None:
    if raw is None:
        return None
    try:
        seconds = int(raw)
    except ValueError:
        problems.append(_constraint(raw, member, "be an integer"))
        return None
    if seconds < MIN_SECONDS:
        problems.append(
            _constraint(seconds, member, f"have value greater than or equal to {MIN_SECONDS}")
        )
    if seconds > maximum:
        problems.append(_constraint(seconds, member, f"have value less than or equal to {maximum}"))
    return seconds


def _mfa(params: dict[str, str], problems: list[str]) -> bool:
    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    if code is not None:
        if len(code) < 6:
            problems.append(
                _constraint(code, "tokenCode", "have length greater than or equal to 6")
            )
        if len(code) > 6:
            problems.append(_constraint(code, "tokenCode", "have length less than or equal to 6"))
        if not _TOKEN_CODE.fullmatch(code):
            problems.append(
                _constraint(code, "tokenCode", r"satisfy regular expression pattern: [\d]*")
            )
    if serial is not None:
        if len(serial) < 9:
            problems.append(
                _constraint(serial, "serialNumber", "have length greater than or equal to 9")
            )
        if len(serial) > 256:
            problems.append(
                _constraint(serial, "serialNumber", "have length less than or equal to 256")
            )
        if not _SERIAL.fullmatch(serial):
            problems.append(
                _constraint(
                    serial, "serialNumber", r"satisfy regular expression pattern: [\w+=/:,.@-]*"
                )
            )
    return serial is not None and code is not None


def _credentials_xml(record: SessionRecord) -> str:
    return (
        "<Credentials>"
        + xml_elements(
            {
                "AccessKeyId": record.access_key_id,
                "SecretAccessKey": record.secret_access_key,
                "SessionToken": record.session_token,
                "Expiration": iso_time(record.expires_at),
            }
        )
        + "</Credentials>"
    )


def session_policy_of(params: dict[str, str]) -> tuple[str | None, tuple[str, ...]]:
    """The inline session policy (`Policy`) and managed ones (`PolicyArns.member.N.arn`)
    of an AssumeRole* or GetFederationToken request."""
    pattern = re.compile(r"PolicyArns\.member\.(\d+)\.arn$")
    arns = sorted(
        (int(m.group(1)), value) for key, value in params.items() if (m := pattern.match(key))
    )
    return params.get("Policy") or None, tuple(value for _, value in arns)


def _check_session_policy(text: str | None) -> None:
    if text is None:
        return
    try:
        parsed = json.loads(text)
    except ValueError as err:
        raise AwsError("MalformedPolicyDocument", f"Syntax errors in policy. {err}") from err
    if not isinstance(parsed, dict):
        raise AwsError("MalformedPolicyDocument", "Syntax errors in policy.")
