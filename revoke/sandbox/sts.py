"""STS as the toolkit meets it: GetSessionToken, GetCallerIdentity, AssumeRole bookkeeping.

- GetSessionToken is answered here, not by moto: a fresh ASIA key bound to the caller,
  issue time, MFA flag and expiry, with the duration rules of fact 1 and the parameter
  constraints of fact 2 (STS API reference, GetSessionToken; botocore
  data/sts/2011-06-15/service-2.json shapes durationSecondsType, tokenCodeType,
  serialNumberType).
  MFA (mfa.py): the SerialNumber must be a device enabled for the calling user, and for a
  virtual device the TokenCode the TOTP of its seed at the sandbox clock, not used before;
  a hardware device's secret moto does not hold, so any six digits pass for it.
- GetFederationToken is answered here too (moto hands out one fixed example key): a
  session of kind "federated" bound to the calling user and to the session policy passed
  (none passed: the session may do nothing, STS API reference, GetFederationToken).
- GetCallerIdentity for sessions and root keys is answered here (moto does not know
  those keys); it is never denied (fact 13).
- AssumeRole* is left to moto (it handles roles in any account) once the layer has
  validated the duration and found the role: moto would assume any ARN, AWS refuses a
  role that does not exist (see `check_assume_role`), and refuses the account root
  ("Roles may not be assumed by root accounts."). The layer then records the
  returned key with its role (ARN and unique ID), session name, session policy (`Policy`,
  `PolicyArns`), issue time (sandbox clock), expiry and secret, and rewrites the
  Expiration to the sandbox clock.
"""

from __future__ import annotations

import json
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


ROOT_ASSUME_ROLE_MESSAGE = "Roles may not be assumed by root accounts."
_NULL_NAME = "Value null at 'name' failed to satisfy constraint: Member must not be null"
_FEDERATED_NAME = re.compile(r"[\w+=,.@-]*")


def get_federation_token(
    params: dict[str, str], caller: Principal, store: TokenStore, clock: SandboxClock
) -> Reply:
    r"""GetFederationToken for a long-term caller (STS API reference): Name 2-32 characters
    of [\w+=,.@-]; DurationSeconds 900-129,600, default 43,200, at most 3,600 for the root;
    the session's permissions are the caller's policies narrowed by the session policy,
    and with no session policy "the resulting federated user session has no permissions"."""
    problems: list[str] = []
    name = params.get("Name")
    if name is None:
        problems.append(_NULL_NAME)
    else:
        if len(name) < 2:
            problems.append(_constraint(name, "name", "have length greater than or equal to 2"))
        if len(name) > 32:
            problems.append(_constraint(name, "name", "have length less than or equal to 32"))
        if not _FEDERATED_NAME.fullmatch(name):
            problems.append(
                _constraint(name, "name", r"satisfy regular expression pattern: [\w+=,.@-]*")
            )
    requested = _duration(
        params.get("DurationSeconds"), "durationSeconds", USER_MAX_SECONDS, problems
    )
    if problems:
        raise validation_error(problems)
    assert name is not None
    policy, arns = session_policy_of(params)
    _check_session_policy(policy)
    if caller.kind == "root":
        seconds = min(requested or ROOT_DEFAULT_SECONDS, ROOT_MAX_SECONDS)
    else:
        seconds = requested or USER_DEFAULT_SECONDS
    now = clock.now()
    arn = f"arn:aws:sts::{caller.account_id}:federated-user/{name}"
    record = SessionRecord(
        access_key_id=key_id_for_account("ASIA", caller.account_id),
        secret_access_key=new_secret_access_key(),
        session_token=new_session_token(),
        kind="federated" if caller.kind == "user" else "root",
        account_id=caller.account_id,
        arn=arn if caller.kind == "user" else caller.arn,
        user_id=f"{caller.account_id}:{name}" if caller.kind == "user" else caller.user_id,
        name=caller.name,
        issued_at=now,
        expires_at=now + timedelta(seconds=seconds),
        mfa=False,
        session_name=name,
        session_policy=policy,
        session_policy_arns=arns,
        has_session_policy=True,
    )
    store.add(record)
    federated = xml_elements({"FederatedUserId": f"{caller.account_id}:{name}", "Arn": arn})
    body = _credentials_xml(record) + f"<FederatedUser>{federated}</FederatedUser>"
    return query_reply("sts", "GetFederationToken", body + "<PackedPolicySize>1</PackedPolicySize>")


def federated_limits(record: SessionRecord, service: str | None, operation: str | None) -> None:
    """What a GetFederationToken session cannot call (STS API reference,
    GetFederationToken "Permissions"): "You cannot call any IAM operations using the AWS
    CLI or the AWS API" and "any STS operations except GetCallerIdentity"."""
    if record.kind != "federated":
        return
    if service == "iam" or (service == "sts" and operation != "GetCallerIdentity"):
        raise access_denied(f"Cannot call {operation} with federated user credentials")


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
    if mfa:
        from revoke.sandbox.mfa import check_code

        check_code(caller, params["SerialNumber"], params["TokenCode"], clock.now())
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


def check_assume_role(
    params: dict[str, str], caller: Principal | None, *, refuse_root: bool = True
) -> int:
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
    if caller is not None and caller.kind == "root" and (refuse_root or caller.session):
        raise access_denied(ROOT_ASSUME_ROLE_MESSAGE)
    _check_session_policy(session_policy_of(params)[0])
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
    policy, arns = session_policy_of(params)
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
            session_policy=policy,
            session_policy_arns=arns,
            has_session_policy=policy is not None or bool(arns),
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
