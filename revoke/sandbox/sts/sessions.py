"""The sessions a long-term caller issues itself, answered here rather than by moto:
GetSessionToken (with its MFA check, mfa.py), GetFederationToken and what its federated
session cannot call, GetCallerIdentity for sessions and root keys, and GetAccessKeyInfo
read from the key ID as AWS reads it."""

from __future__ import annotations

import re
from datetime import timedelta

from revoke.sandbox.clock import SandboxClock
from revoke.sandbox.principals import Principal
from revoke.sandbox.responses import Reply, access_denied, query_reply, xml_elements
from revoke.sandbox.sts.rules import (
    _MFA_FAILED,
    ROOT_DEFAULT_SECONDS,
    ROOT_MAX_SECONDS,
    USER_DEFAULT_SECONDS,
    USER_MAX_SECONDS,
    _check_session_policy,
    _constraint,
    _credentials_xml,
    _duration,
    _mfa,
    session_policy_of,
    validation_error,
)
from revoke.sandbox.tokens import (
    SessionRecord,
    TokenStore,
    key_id_for_account,
    new_secret_access_key,
    new_session_token,
)

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
