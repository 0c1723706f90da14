"""AWS Sign-In sessions (console sign-in, `aws login`), which moto does not have.

A sign-in session refreshes short-lived credentials for up to 12 hours, each refresh with
a fresh issue time, so the issue-time deny alone does not stop it; BatchRevokeSessions
does: "A revoked session can no longer be refreshed" (fact 25). The API is botocore's
`signin` model (2023-01-01, rest-json, signing name `signin`), read shape by shape;
Service Authorization Reference, https://docs.aws.amazon.com/IAM/latest/UserGuide/list_awssignin.html;
AWS Tools for PowerShell Get-AMSPSessionList / Revoke-AMSPSessionBatch
(https://docs.aws.amazon.com/powershell/v5/reference/items/Revoke-AMSPSessionBatch.html):

- ListSessions (POST /list-sessions): principalArn (omitted: the caller's own sessions;
  `arn:aws:iam::ACCOUNT:*`: the whole account), status ACTIVE|REVOKED, clientId,
  issuedAfter (at or after) and issuedBefore (before), epoch seconds, filters ANDed;
  maxResults 1-100, nextToken; `items` of Session (sessionArn, principalArn, role, status,
  issuedAt, expiresAt, clientId, clientType, resource);
- GetSession (POST /get-session): one session, with lastUsedAt, issuedInRegion,
  userAgent; "a session that belongs to a different identity or account is reported as
  not found" (ResourceNotFoundException);
- BatchRevokeSessions (POST /batch-revoke-sessions): sessionArns, 1-5 (more is a
  ValidationException), principalArn as above, reason; "Revoking a session that is
  already revoked succeeds"; a session that is not the principal's is reported in
  `errors` and "do[es] not fail the whole request".

There is no AWS API that creates a sign-in session: `Sandbox.console_sign_in(user)` does
(the user needs a login profile, as the console needs a password), and
`Sandbox.refresh_signin(session_arn)` is the refresh: fresh credentials, issued now, or
`SigninRefused` for a revoked or expired session or a user that is gone.

The sandbox's choices, where AWS documents nothing: session ARNs look like
`arn:aws:signin:REGION:ACCOUNT:session/ID`; maxResults defaults to 100; refreshed
credentials last 15 minutes and are bound to the user like GetSessionToken's (the same
restrictions of fact 4 apply: IAM only with MFA); a session lasts 12 hours from sign-in.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from revoke.sandbox.responses import AwsError, Reply, new_request_id

SESSION_HOURS = 12
REFRESHED_SECONDS = 900
MAX_REVOKE = 5
DEFAULT_MAX_RESULTS = 100
LARGEST_MAX_RESULTS = 100
ROUTES = {
    "/list-sessions": "ListSessions",
    "/get-session": "GetSession",
    "/batch-revoke-sessions": "BatchRevokeSessions",
}
# PrincipalArnFilter in the model.
_PRINCIPAL_FILTER = re.compile(
    r"arn:aws:((iam::[0-9]{12}:role/[a-zA-Z0-9_+=,.@-]{1,64})|"
    r"(iam::[0-9]{12}:user/[a-zA-Z0-9_+=,.@-]{1,64})|"
    r"(sts::[0-9]{12}:federated-user/[a-zA-Z0-9_+=,.@-]{2,193})|"
    r"(iam::[0-9]{12}:root)|(iam::[0-9]{12}:[*]))"
)


class SigninRefused(Exception):
    """A refresh the Sign-In service refuses (revoked, expired, or no such user)."""


@dataclass(frozen=True)
class SigninSession:
    session_arn: str
    account_id: str
    principal_arn: str
    user_name: str
    issued_at: datetime
    expires_at: datetime
    region: str
    status: str = "ACTIVE"  # ACTIVE | REVOKED
    mfa: bool = False
    client_id: str | None = None
    client_type: str | None = None  # CLI | MCP; None for the console
    user_agent: str = "Mozilla/5.0 (sandbox console)"
    last_used_at: datetime | None = None

    def summary(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "sessionArn": self.session_arn,
            "principalArn": self.principal_arn,
            "status": self.status,
            "issuedAt": int(self.issued_at.timestamp()),
            "expiresAt": int(self.expires_at.timestamp()),
        }
        if self.client_id:
            found["clientId"] = self.client_id
        if self.client_type:
            found["clientType"] = self.client_type
        return found

    def details(self) -> dict[str, Any]:
        found = self.summary()
        found["issuedInRegion"] = self.region
        found["userAgent"] = self.user_agent
        if self.last_used_at is not None:
            found["lastUsedAt"] = int(self.last_used_at.timestamp())
        return found


def _error(code: str, status: int, error: str, message: str) -> AwsError:
    err = AwsError(code, message, status)
    err.oauth_error = error  # type: ignore[attr-defined]
    return err


def error_reply(err: AwsError) -> Reply:
    """The model's error shapes: {"error": OAuth2ErrorCode, "message"} and the type header."""
    request_id = new_request_id()
    body = {"error": getattr(err, "oauth_error", "INVALID_REQUEST"), "message": err.message}
    headers = [
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", f"{err.code}:"),
        ("Content-Type", "application/json"),
    ]
    return Reply(err.status, json.dumps(body).encode(), headers)


def _validation(message: str) -> AwsError:
    return _error("ValidationException", 400, "INVALID_REQUEST", message)


class SigninSessions:
    """Every sign-in session the sandbox made; shared by server threads."""

    def __init__(self) -> None:
        self._sessions: dict[str, SigninSession] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()

    def all(self) -> list[SigninSession]:
        with self._lock:
            return list(self._sessions.values())

    def get(self, session_arn: str) -> SigninSession | None:
        with self._lock:
            return self._sessions.get(session_arn)

    def sign_in(
        self,
        account_id: str,
        user: Any,
        now: datetime,
        *,
        mfa: bool,
        region: str,
        client_type: str | None,
    ) -> SigninSession:
        session = SigninSession(
            session_arn=f"arn:aws:signin:{region}:{account_id}:session/{secrets.token_hex(16)}",
            account_id=account_id,
            principal_arn=user.arn,
            user_name=user.name,
            issued_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
            region=region,
            mfa=mfa,
            client_id="arn:aws:signin:::devtools/same-device" if client_type == "CLI" else None,
            client_type=client_type,
            user_agent="aws-cli/2 (sandbox)" if client_type == "CLI" else SigninSession.user_agent,
        )
        with self._lock:
            self._sessions[session.session_arn] = session
        return session

    def refreshed(self, session_arn: str, now: datetime) -> SigninSession:
        """The session after a refresh, or SigninRefused."""
        with self._lock:
            session = self._sessions.get(session_arn)
            if session is None:
                raise SigninRefused(f"no sign-in session {session_arn}")
            if session.status == "REVOKED":
                raise SigninRefused("the session was revoked and can no longer be refreshed")
            if now >= session.expires_at:
                raise SigninRefused("the session has expired; sign in again")
            session = replace(session, last_used_at=now)
            self._sessions[session_arn] = session
            return session

    # --- the API -------------------------------------------------------------------------------

    def answer(self, path: str, body: bytes, caller: Any, now: datetime) -> Reply:
        operation = ROUTES.get(path.rstrip("/"))
        try:
            if operation is None:
                raise _error("ResourceNotFoundException", 404, "RESOURCE_NOT_FOUND", path)
            if caller is None:
                raise _error(
                    "AccessDeniedException", 403, "INSUFFICIENT_PERMISSIONS", "Unsigned request"
                )
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise _validation("The request body is not JSON") from None
            scope = _scope(params.get("principalArn"), caller)
            answer = getattr(self, "_" + operation)(params, scope, caller.account_id)
        except AwsError as err:
            return error_reply(err)
        request_id = new_request_id()
        headers = [("x-amzn-RequestId", request_id), ("Content-Type", "application/json")]
        return Reply(200, json.dumps(answer).encode(), headers)

    def _owned(self, scope: str, account_id: str) -> list[SigninSession]:
        return [
            s for s in self.all() if s.account_id == account_id and scope in ("*", s.principal_arn)
        ]

    def _ListSessions(  # noqa: N802 - the API's name
        self, params: dict[str, Any], scope: str, account_id: str
    ) -> dict[str, Any]:
        status = params.get("status")
        if status not in (None, "ACTIVE", "REVOKED"):
            raise _validation(f"status must be ACTIVE or REVOKED, not {status}")
        size = params.get("maxResults", DEFAULT_MAX_RESULTS)
        if not isinstance(size, int) or not 1 <= size <= LARGEST_MAX_RESULTS:
            raise _validation(f"maxResults must be 1-{LARGEST_MAX_RESULTS}")
        after, before = params.get("issuedAfter"), params.get("issuedBefore")
        found = sorted(
            (
                s
                for s in self._owned(scope, account_id)
                if status in (None, s.status)
                and params.get("clientId") in (None, s.client_id)
                and (after is None or s.issued_at.timestamp() >= after)
                and (before is None or s.issued_at.timestamp() < before)
            ),
            key=lambda s: (s.issued_at, s.session_arn),
        )
        start = _read_token(params.get("nextToken"))
        page = found[start : start + size]
        answer: dict[str, Any] = {"items": [s.summary() for s in page]}
        if start + size < len(found):
            answer["nextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return answer

    def _GetSession(  # noqa: N802
        self, params: dict[str, Any], scope: str, account_id: str
    ) -> dict[str, Any]:
        arn = params.get("sessionArn")
        session = next((s for s in self._owned(scope, account_id) if s.session_arn == arn), None)
        if session is None:
            raise _error(
                "ResourceNotFoundException", 404, "RESOURCE_NOT_FOUND", f"Session {arn} not found"
            )
        return session.details()

    def _BatchRevokeSessions(  # noqa: N802
        self, params: dict[str, Any], scope: str, account_id: str
    ) -> dict[str, Any]:
        arns = params.get("sessionArns")
        if not isinstance(arns, list) or not 1 <= len(arns) <= MAX_REVOKE:
            raise _validation(f"sessionArns must hold 1 to {MAX_REVOKE} session ARNs")
        owned = {s.session_arn for s in self._owned(scope, account_id)}
        revoked, errors = [], []
        with self._lock:
            for arn in arns:
                session = self._sessions.get(arn)
                if session is None or arn not in owned:
                    errors.append(
                        {
                            "sessionArn": arn,
                            "code": "ResourceNotFoundException",
                            "message": "Session not found",
                        }
                    )
                    continue
                self._sessions[arn] = replace(session, status="REVOKED")
                revoked.append({"sessionArn": arn})
        return {"revokedSessions": revoked, "errors": errors}


def _scope(principal_arn: Any, caller: Any) -> str:
    """Whose sessions: "*" (the account), a principal ARN, or the caller's own."""
    if principal_arn is None:
        return str(caller.principal_arn)
    if not isinstance(principal_arn, str) or not _PRINCIPAL_FILTER.fullmatch(principal_arn):
        raise _validation(f"principalArn {principal_arn!r} is not a valid principal ARN")
    if principal_arn.split(":")[4] != caller.account_id:
        raise _error(
            "AccessDeniedException",
            403,
            "INSUFFICIENT_PERMISSIONS",
            f"{principal_arn} is not in the caller's account",
        )
    return "*" if principal_arn.endswith(":*") else principal_arn


def _read_token(raw: Any) -> int:
    if raw is None:
        return 0
    try:
        return int(base64.urlsafe_b64decode(str(raw).encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise _validation("nextToken is not valid") from None
