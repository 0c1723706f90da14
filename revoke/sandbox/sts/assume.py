"""AssumeRole*: the checks the layer makes before moto answers (the constraints, the
account root refused, the role found, MaxSessionDuration and role chaining), and the
bookkeeping after it (the session recorded with its role, name, session policy and the
sandbox clock's expiry)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsing moto's own responses
from datetime import timedelta

from revoke.sandbox.authorize import iso_time
from revoke.sandbox.clock import SandboxClock
from revoke.sandbox.principals import Principal, find_role
from revoke.sandbox.responses import AwsError, access_denied
from revoke.sandbox.sts.rules import (
    ROLE_CHAINING_MAX_SECONDS,
    ROLE_DEFAULT_SECONDS,
    ROLE_MAX_SECONDS,
    _check_session_policy,
    _duration,
    _mfa,
    session_policy_of,
    validation_error,
)
from revoke.sandbox.tokens import SessionRecord, TokenStore

ROOT_ASSUME_ROLE_MESSAGE = "Roles may not be assumed by root accounts."


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
    if caller is not None and caller.kind == "root":
        # "You cannot use AWS account root user credentials to call AssumeRole. You must
        # use credentials for an IAM user or an IAM role to call AssumeRole." (STS API
        # Reference, https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html)
        # The long-term root key and root's GetSessionToken sessions alike.
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
