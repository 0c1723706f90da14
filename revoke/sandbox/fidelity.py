"""The fidelity layer: WSGI middleware in front of moto that makes revocation bite.

Every request passes through `FidelityLayer` before moto sees it:
1. latency injection (`latency_ms`), then throttling injection (`throttle_rate`, a
   seeded RNG): IAM's `Throttling: Rate exceeded` (fact 19) before moto is reached;
2. authentication: whose key signed it (session / IAM user / root), the SigV4
   signature checked for keys whose secret the sandbox knows, the session token
   matched, expiry (fact 5);
3. the session-credential restrictions of facts 3 and 4;
4. authorisation with the project's evaluator over the principal's identity policies
   at request time (facts 6, 9, 14), except for GetCallerIdentity (fact 13) and
   GetSessionToken (fact 3), which no policy governs;
5. the operations the layer answers itself (GetSessionToken, GetCallerIdentity,
   SimulatePrincipalPolicy) or checks (inline size quota, fact 17; AssumeRole
   durations, that the caller is not the account root, and that the role exists), then
   moto for everything else.

Deliberate differences from AWS, each because moto's usefulness depends on it:
- a key no IAM user owns is the account root (any made-up key works, as with moto);
- trust policies are not evaluated: a caller allowed sts:AssumeRole may assume any role
  that exists. One that does not, in any account, is refused as AWS refuses it (moto
  would assume any ARN), and a session whose role was deleted is denied everything;
- unsigned S3 and REST requests go to moto unchecked (unsigned query and JSON requests
  are refused with MissingAuthenticationToken, responses.check_signed);
- Organizations' CreateAccount gets what AWS gives it: OrganizationAccountAccessRole
  with AdministratorAccess (moto creates the role without a policy).
- the credential report is built whenever it is fetched, and dated then (AWS rebuilds
  it at most every four hours; moto dated it 2015). GetAccountAuthorizationDetails pages
  as AWS does (paging.py); moto answered everything at once.

Everything the layer does happens under one lock, moto's work included, so a request
sees policies as they are when it arrives and server threads never interleave inside
moto. Latency is slept outside the lock, so concurrent clients still overlap.
"""

from __future__ import annotations

import json
import random
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from revoke.sandbox import sigv4
from revoke.sandbox.authorize import authorize
from revoke.sandbox.clock import SandboxClock
from revoke.sandbox.cloudtrail import Trail
from revoke.sandbox.iam import (
    PUT_INLINE,
    USER_BOUNDARY_OPS,
    check_inline_quota,
    check_names,
    simulate_principal_policy,
    user_boundary,
)
from revoke.sandbox.paging import paginate
from revoke.sandbox.principals import (
    AWS_MANAGED_PREFIX,
    Principal,
    ensure_aws_managed_policy,
    find_user_key,
    install_admin_policy,
    root_principal,
    session_principal,
)
from revoke.sandbox.request import SandboxRequest
from revoke.sandbox.responses import (
    AwsError,
    Reply,
    access_denied,
    aws_content_type,
    check_signed,
    error_reply,
    expired_token,
    invalid_token,
    signature_mismatch,
    throttled,
    unknown_access_key,
)
from revoke.sandbox.servicecreds import OPERATIONS as SERVICE_CREDENTIAL_OPS
from revoke.sandbox.servicecreds import ServiceCredentials
from revoke.sandbox.signin import SigninSessions
from revoke.sandbox.sts import (
    LONG_TERM_ONLY,
    SESSION_STS_ALLOWED,
    check_assume_role,
    federated_limits,
    get_access_key_info,
    get_caller_identity,
    get_federation_token,
    get_session_token,
    record_assumed_role,
)
from revoke.sandbox.tokens import TokenStore

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_ASSUME_ROLE = {"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}
_ORG_ROLE = "OrganizationAccountAccessRole"
# IAM operations that default to the user who signed the request when UserName is
# omitted (IAM API reference, e.g. GetUser, ListAccessKeys: "IAM determines the user
# name implicitly based on the Amazon Web Services access key ID signing the request").
_IMPLICIT_USER = frozenset(
    {
        "GetUser",
        "ListAccessKeys",
        "CreateAccessKey",
        "UpdateAccessKey",
        "DeleteAccessKey",
        "ListMFADevices",
        "ListSigningCertificates",
        "ListSSHPublicKeys",
        "ListServiceSpecificCredentials",
    }
)


class FidelityLayer:
    """WSGI middleware in front of moto's DomainDispatcherApplication."""

    def __init__(
        self,
        moto_app: WsgiApp,
        *,
        clock: SandboxClock,
        store: TokenStore,
        account_id: str,
        latency_ms: int = 0,
        throttle_rate: float = 0.0,
        seed: int | None = None,
        trail: Trail | None = None,
        service_credentials: ServiceCredentials | None = None,
        signin: SigninSessions | None = None,
    ) -> None:
        self.moto_app = moto_app
        self.trail = trail if trail is not None else Trail()
        self.service_credentials = service_credentials or ServiceCredentials()
        self.signin = signin if signin is not None else SigninSessions()
        self.clock = clock
        self.store = store
        self.account_id = account_id
        self.latency_ms = latency_ms
        self.throttle_rate = throttle_rate
        self.lock = threading.RLock()
        self._rng = random.Random(seed)  # noqa: S311 - fault injection, not security
        self._rng_lock = threading.Lock()

    # --- WSGI ------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/moto-api") or path == "/favicon.ico":
            with self.lock:
                if path.rstrip("/") == "/moto-api/reset":
                    self.store.clear()  # sessions of principals that no longer exist
                    self.trail.clear()
                    self.service_credentials.clear()
                    self.signin.clear()
                return [self._moto(environ).body_for(start_response)]
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        req = SandboxRequest.from_environ(environ)
        try:
            if self._throttle():
                raise throttled()
            with self.lock:
                reply = self._handle(req)
        except AwsError as err:
            reply = error_reply(err, protocol=req.protocol, service=req.service, method=req.method)
        except NotImplementedError as err:
            # moto lacks the action (cloudtrail:LookupEvents, ...): not a layer bug, and
            # not worth a client's retries of a 500. 501 is not retried by botocore.
            missing = AwsError("NotImplemented", f"not available in the sandbox: {err}", 501)
            reply = error_reply(
                missing, protocol=req.protocol, service=req.service, method=req.method
            )
        except Exception as err:  # noqa: BLE001 - a layer bug must still look like AWS
            traceback.print_exc(file=sys.stderr)
            failure = AwsError(
                "InternalFailure", f"sandbox layer failed: {type(err).__name__}: {err}", 500
            )
            reply = error_reply(
                failure, protocol=req.protocol, service=req.service, method=req.method
            )
        aws_content_type(reply, req.protocol)
        with self.lock:  # every request served, refused ones too (cloudtrail.py)
            principal = req.environ.get("revoke.principal")
            now = self.clock.now()
            self.trail.record(req, reply, principal, now, self.store, default=self.account_id)
        return [reply.body_for(start_response)]

    def _throttle(self) -> bool:
        if self.throttle_rate <= 0:
            return False
        with self._rng_lock:
            return self._rng.random() < self.throttle_rate

    def _moto(self, environ: dict[str, Any]) -> Reply:
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        result = self.moto_app(environ, start)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status = str(captured.get("status", "500 Internal Server Error"))
        return Reply(
            int(status.split()[0]),
            b"".join(chunks),
            list(captured.get("headers", [])),
            status_text=status,
        )

    # --- the request ---------------------------------------------------------------------

    def _handle(self, req: SandboxRequest) -> Reply:
        principal = req.environ["revoke.principal"] = self._authenticate(req)
        service, operation = req.service, req.operation
        account = principal.account_id if principal else self.account_id  # the caller's
        if principal is not None:
            self._session_limits(principal, service, operation)
            if service == "sts" and operation == "GetCallerIdentity":
                return get_caller_identity(principal)  # never denied (fact 13)
            if service == "sts" and operation == "GetSessionToken":
                # Not governed by policies (fact 3); session callers were refused above.
                return get_session_token(req.params, principal, self.store, self.clock)[0]
            session = principal.session
            if session is not None and session.from_get_session_token:
                # moto does not know our keys: tell it which account the session is in,
                # and who "the user signing the request" is.
                req.set_header("x-moto-account-id", session.account_id)
                if (
                    session.kind == "user"
                    and service == "iam"
                    and operation in _IMPLICIT_USER
                    and "UserName" not in req.params
                    and req.protocol == "query"
                ):
                    req.add_form_param("UserName", session.name)
            authorize(req, principal, self.clock.now())
            if service == "sts" and operation == "GetFederationToken":
                return get_federation_token(req.params, principal, self.store, self.clock)
        if service == "iam":
            check_names(operation, req.params)  # moto takes any name
            # AWS managed policies exist in every account: load the one named.
            for param in ("PolicyArn", "PermissionsBoundary"):
                if req.params.get(param, "").startswith(AWS_MANAGED_PREFIX):
                    ensure_aws_managed_policy(account, req.params[param])
        if service == "sts" and operation == "GetAccessKeyInfo":
            answered = get_access_key_info(req.params, self.store)
            if answered is not None:
                return answered
        if service == "cloudtrail" and operation == "LookupEvents":
            return self.trail.lookup_events(req.body, account, req.region, self.clock.now())
        if service == "iam" and operation in SERVICE_CREDENTIAL_OPS:  # moto has none
            caller = principal or root_principal(self.account_id, None)
            return self.service_credentials.answer(operation, req.params, caller, self.clock.now())
        if service == "signin":  # moto has no AWS Sign-In
            return self.signin.answer(req.path, req.body, principal, self.clock.now())
        if service == "iam" and operation in USER_BOUNDARY_OPS:  # moto has none for users
            return user_boundary(operation, req.params, account)
        if service == "iam" and operation == "SimulatePrincipalPolicy":
            return simulate_principal_policy(req.params)
        if service == "iam" and operation in PUT_INLINE:
            check_inline_quota(operation, req.params, account)
        if service == "sts" and operation in _ASSUME_ROLE:
            seconds = check_assume_role(req.params, principal)
            reply = self._moto(req.environ)
            if reply.status == 200:
                reply.replace_body(
                    record_assumed_role(reply.body, req.params, seconds, self.store, self.clock)
                )
            return reply
        reply = self._moto(req.environ)
        if service == "organizations" and operation == "CreateAccount" and reply.status == 200:
            self._after_create_account(req, reply)
        if service == "iam" and operation == "GetCredentialReport" and reply.status == 200:
            reply.replace_body(_report_generated_at(reply.body, self.clock.now()))
        if (
            service == "iam"
            and operation == "GetAccountAuthorizationDetails"
            and reply.status == 200
        ):
            reply.replace_body(paginate(reply.body, req.params))  # moto ignores MaxItems
        return reply

    def _authenticate(self, req: SandboxRequest) -> Principal | None:
        if req.auth_problem:
            raise AwsError("IncompleteSignature", req.auth_problem)
        creds = req.creds
        if creds is None:
            check_signed(req.protocol, req.operation)  # MissingAuthenticationToken
            return None  # unsigned STS web identity / SAML, or S3 anonymous: moto's
        if creds.presign_expired(_real_now()):
            raise access_denied("Request has expired")
        key = creds.access_key_id
        record = self.store.get(key)
        if record is not None:
            if creds.security_token != record.session_token:
                raise invalid_token()
            self._verify(req, creds, record.secret_access_key)
            if record.expired(self.clock.now()):
                raise expired_token()  # fact 5
            return session_principal(record)
        if creds.security_token:
            raise invalid_token()  # a session this sandbox never issued
        user_key = find_user_key(key)
        if user_key is not None:
            if not user_key.active:
                raise unknown_access_key()
            self._verify(req, creds, user_key.key.secret_access_key)
            return user_key.principal()
        return root_principal(self.account_id, key)

    def _verify(self, req: SandboxRequest, creds: sigv4.SigV4Credentials, secret: str) -> None:
        if not sigv4.verify(
            secret,
            creds,
            method=req.method,
            raw_path=req.raw_path,
            raw_query=req.raw_query,
            headers=req.headers,
            body=req.body,
        ):
            raise signature_mismatch()

    @staticmethod
    def _session_limits(principal: Principal, service: str | None, operation: str | None) -> None:
        session = principal.session
        if session is None or service not in ("sts", "iam"):
            return
        if service == "sts" and operation in LONG_TERM_ONLY:
            # fact 3: "Cannot call GetSessionToken with session credentials"
            raise access_denied(f"Cannot call {operation} with session credentials")
        federated_limits(session, service, operation)
        if not session.from_get_session_token:
            return
        if service == "iam" and not session.mfa:
            raise invalid_token()  # fact 4: no IAM without MFA
        if service == "sts" and operation not in SESSION_STS_ALLOWED:
            raise access_denied(f"Cannot call {operation} with session credentials")  # fact 4

    def _after_create_account(self, req: SandboxRequest, reply: Reply) -> None:
        try:
            account_id = json.loads(reply.body)["CreateAccountStatus"]["AccountId"]
            role_name = json.loads(req.body or b"{}").get("RoleName") or _ORG_ROLE
        except (ValueError, KeyError, TypeError):
            return
        install_admin_policy(account_id, role_name)


def _real_now() -> datetime:
    """Wall-clock time: presigned URLs are signed against it, not the sandbox clock."""
    return datetime.now(timezone.utc)


_GENERATED_TIME = re.compile(rb"<GeneratedTime>[^<]*</GeneratedTime>")


def _report_generated_at(body: bytes, now: datetime) -> bytes:
    """moto builds the credential report when it is fetched, but dates it 2015-02-02: say
    when it was built, as AWS does (clients judge a report's freshness by it)."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return _GENERATED_TIME.sub(b"<GeneratedTime>" + stamp + b"</GeneratedTime>", body)
