"""STS as the toolkit meets it: GetSessionToken, GetCallerIdentity, AssumeRole bookkeeping.

- GetSessionToken is answered here, not by moto: a fresh ASIA key bound to the caller,
  issue time, MFA flag and expiry, with the duration rules of fact 1 and the parameter
  constraints of fact 2 (STS API reference, GetSessionToken; botocore
  data/sts/2011-06-15/service-2.json shapes durationSecondsType, tokenCodeType,
  serialNumberType).
  MFA: a SerialNumber with a well-formed 6-digit TokenCode marks the session as
  MFA-authenticated. The sandbox does NOT check the code against a TOTP secret or the
  device against the user: any six digits pass.
- GetCallerIdentity for sessions and root keys is answered here (moto does not know
  those keys); it is never denied (fact 13).
- AssumeRole* is left to moto (it handles roles in any account) once the layer has
  validated the duration and found the role: moto would assume any ARN, AWS refuses a
  role that does not exist (see `check_assume_role`). The layer then records the
  returned key with its role (ARN and unique ID), session name, issue time (sandbox
  clock), expiry and secret, and rewrites the Expiration to the sandbox clock.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsing moto's own responses
from datetime import timedelta

from revoke.sandbox.authorize import iso_time
from revoke.sandbox.clock import SandboxClock
from revoke.sandbox.principals import Principal, find_role
from revoke.sandbox.responses import AwsError, Reply, access_denied, query_reply, xml_elements
from revoke.sandbox.tokens import (
    SessionRecord,
    TokenStore,
    key_id_for_account,
    new_secret_access_key,
    new_session_token,
)

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


def get_session_token(
    params: dict[str, str], caller: Principal, store: TokenStore, clock: SandboxClock
) -> tuple[Reply, SessionRecord]:
    """Issue a session for a long-term caller (the session check happened before)."""
    root = caller.kind == "root"
    problems: list[str] = []
    requested = _duration(
        params.get("DurationSeconds"), "durationSeconds", USER_MAX_SECONDS, problems
    )
    mfa = _mfa(params, problems)
    if problems:
        raise validation_error(problems)
    if ("SerialNumber" in params) != ("TokenCode" in params):
        raise access_denied(_MFA_FAILED)
    if root:
        # A root request for more than an hour gets an hour (fact 1).
        seconds = min(requested or ROOT_DEFAULT_SECONDS, ROOT_MAX_SECONDS)
    else:
        seconds = requested or USER_DEFAULT_SECONDS
    now = clock.now()
    record = SessionRecord(
        access_key_id=key_id_for_account("ASIA", caller.account_id),
        secret_access_key=new_secret_access_key(),
        session_token=new_session_token(),
        kind="root" if root else "user",
        account_id=caller.account_id,
        arn=caller.arn,
        user_id=caller.user_id,
        name=caller.name,
        issued_at=now,
        expires_at=now + timedelta(seconds=seconds),
        mfa=mfa,
    )
    store.add(record)
    return query_reply("sts", "GetSessionToken", _credentials_xml(record)), record


def get_caller_identity(principal: Principal) -> Reply:
    return query_reply(
        "sts",
        "GetCallerIdentity",
        xml_elements(
            {"Arn": principal.arn, "UserId": principal.user_id, "Account": principal.account_id}
        ),
    )


def check_assume_role(params: dict[str, str], caller: Principal | None) -> int:
    """Check an AssumeRole* request before moto (which checks nothing); the seconds.

    The parameter constraints first ("validation error detected" comes before any
    authorization), then the role. moto hands out credentials for any ARN; AWS refuses
    a role that does not exist. Its AccessDenied is the one a caller the role does not
    trust gets, with no reason appended and without saying the role is missing, e.g.
    "User: arn:aws:iam::111122223333:user/bob is not authorized to perform:
    sts:AssumeRole on resource: arn:aws:iam::444455556666:role/DoesNotExist"; the IAM
    User Guide (troubleshoot_roles, "I can't assume a role") lists a wrong role name
    among the causes ("make sure to use the exact name of your role in the ARN. Role
    names are case sensitive when you assume a role").

    Every account alike: a member account that Organizations created has its
    OrganizationAccountAccessRole (moto creates it, the sandbox gives it
    AdministratorAccess); an account the sandbox knows nothing about has no roles, so
    assuming any role there is refused too, as AWS refuses a role that does not exist,
    whichever account the ARN names. A role is found by ARN, or by name when only the
    ARN's path differs (`find_role`).
    """
    problems: list[str] = []
    requested = _duration(
        params.get("DurationSeconds"), "durationSeconds", ROLE_MAX_SECONDS, problems
    )
    _mfa(params, problems)
    if problems:
        raise validation_error(problems)
    seconds = requested or ROLE_DEFAULT_SECONDS
    role_arn = params.get("RoleArn", "")
    role = find_role(role_arn)
    if role is None:
        raise access_denied(_assume_refused(params, caller, role_arn))
    if seconds > int(role.max_session_duration or ROLE_DEFAULT_SECONDS):
        raise AwsError(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )
    if caller is not None and caller.kind == "role" and seconds > ROLE_CHAINING_MAX_SECONDS:
        raise AwsError(
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles "
            "assumed by role chaining.",
        )
    return seconds


def _assume_refused(params: dict[str, str], caller: Principal | None, role_arn: str) -> str:
    if caller is not None:
        return (
            f"User: {caller.arn} is not authorized to perform: sts:AssumeRole "
            f"on resource: {role_arn}"
        )
    # Unsigned: AssumeRoleWithWebIdentity / AssumeRoleWithSAML, whose callers AWS does
    # not name ("Not authorized to perform sts:AssumeRoleWithWebIdentity").
    if "WebIdentityToken" in params:
        operation = "AssumeRoleWithWebIdentity"
    elif "SAMLAssertion" in params:
        operation = "AssumeRoleWithSAML"
    else:
        operation = "AssumeRole"
    return f"Not authorized to perform sts:{operation}"


def _find(root: ET.Element, name: str) -> str | None:
    node = root.find(f".//{{*}}{name}")
    return node.text if node is not None else None


def record_assumed_role(
    body: bytes,
    params: dict[str, str],
    seconds: int,
    store: TokenStore,
    clock: SandboxClock,
) -> bytes:
    """Remember the session moto just issued; return the body with the sandbox's expiry."""
    root = ET.fromstring(body)  # noqa: S314 - moto's response, produced in this process
    key_id = _find(root, "AccessKeyId")
    secret = _find(root, "SecretAccessKey")
    token = _find(root, "SessionToken")
    arn = _find(root, "Arn")
    if not (key_id and secret and token and arn):
        return body
    role_arn = params.get("RoleArn") or _role_arn_from_session(arn)
    role = find_role(role_arn)
    session_name = arn.rsplit("/", 1)[-1]
    now = clock.now()
    expires = now + timedelta(seconds=seconds)
    store.add(
        SessionRecord(
            access_key_id=key_id,
            secret_access_key=secret,
            session_token=token,
            kind="role",
            account_id=arn.split(":")[4],
            arn=arn,
            user_id=_find(root, "AssumedRoleId") or session_name,
            name=role_arn.rsplit("/", 1)[-1],
            issued_at=now,
            expires_at=expires,
            mfa="SerialNumber" in params and "TokenCode" in params,
            role_arn=role_arn,
            session_name=session_name,
            role_id=role.id if role is not None else None,
        )
    )
    return re.sub(
        rb"<Expiration>[^<]*</Expiration>",
        f"<Expiration>{iso_time(expires)}</Expiration>".encode(),
        body,
        count=1,
    )


def _role_arn_from_session(assumed_role_arn: str) -> str:
    # arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION -> arn:aws:iam::ACCOUNT:role/NAME
    parts = assumed_role_arn.split(":")
    name = parts[5].split("/")[1] if len(parts) > 5 and "/" in parts[5] else ""
    return f"arn:aws:iam::{parts[4]}:role/{name}"


def get_access_key_info(params: dict[str, str], store: TokenStore) -> Reply | None:
    """GetAccessKeyInfo as AWS answers it: the account that owns the key ID (fact 7).

    moto looks the key up among its IAM users and otherwise answers with the *caller's*
    account, which would place a key from another account in the caller's own. AWS
    reads the account from the ID ("returns the ID of the Amazon Web Services account to
    which the keys belong", STS API reference, GetAccessKeyInfo): sessions this sandbox
    issued and IAM users' keys are looked up, other current-generation IDs are decoded
    (revoke/core/keyid.py, the encoding key_id_for_account writes). None: moto answers
    (an old-generation ID, which carries no account).
    """
    from revoke.core.keyid import decode_account
    from revoke.sandbox.principals import find_user_key

    key_id = params.get("AccessKeyId", "")
    session = store.get(key_id)
    user_key = find_user_key(key_id) if session is None else None
    account: str | None
    if session is not None:
        account = session.account_id
    elif user_key is not None:
        account = user_key.account_id
    else:
        account = decode_account(key_id) if len(key_id) >= 14 else None
    if account is None:
        return None
    return query_reply("sts", "GetAccessKeyInfo", xml_elements({"Account": account}))
