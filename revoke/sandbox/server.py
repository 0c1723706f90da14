"""The sandbox: a local AWS endpoint where session revocation behaves as in AWS.

    with Sandbox() as sandbox:
        iam = sandbox.client("iam")                       # the account root
        ...
        sts = sandbox.client("sts", aws_access_key_id=..., aws_secret_access_key=...)
        sts = sandbox.client("sts", **sandbox.admin_credentials())  # to assume roles

The account root may do anything but assume a role, as in AWS (sts/assume.py); an IAM
user with AdministratorAccess (`admin_credentials`) may do that too.

`Sandbox` puts the pieces together and hands out clients: moto (motowire.py) behind the
fidelity layer (fidelity.py: what each request goes through, and where the sandbox
deliberately differs from AWS), served over HTTP from a background thread (serving.py).

moto's state is process-global: one running sandbox per process. `start()` clears it.
"""

from __future__ import annotations

import threading
from typing import Any

from revoke.sandbox.clock import SandboxClock
from revoke.sandbox.cloudtrail import Trail
from revoke.sandbox.fidelity import FidelityLayer
from revoke.sandbox.motowire import cache_moto_modules, moto_app, reset_moto
from revoke.sandbox.principals import DEFAULT_ACCOUNT_ID, find_user_key, seed_admin_user
from revoke.sandbox.servicecreds import ServiceCredential, ServiceCredentials, use_ssh_key
from revoke.sandbox.serving import HOST, make_server, serve_in_background, shut_down
from revoke.sandbox.signin import SigninSession, SigninSessions
from revoke.sandbox.tokens import TokenStore, key_id_for_account, new_secret_access_key

# The IAM user `Sandbox.admin_credentials` signs as (AdministratorAccess).
ADMIN_USER = "sandbox-admin"


class Sandbox:
    """A local AWS endpoint on 127.0.0.1 where session revocation behaves as in AWS."""

    def __init__(
        self,
        *,
        port: int = 0,
        latency_ms: int = 0,
        throttle_rate: float = 0.0,
        seed: int | None = None,
        lookup_rate: float | None = None,
    ) -> None:
        """`lookup_rate`: enforce cloudtrail:LookupEvents' limit (AWS: 2 a second per
        account and region, fact 27) with ThrottlingException; None (default) does not,
        so that tests never depend on the wall clock (cloudtrail.py)."""
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0-65535, not {port}")
        if latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, not {latency_ms}")
        if not 0.0 <= throttle_rate <= 1.0:
            raise ValueError(f"throttle_rate must be between 0 and 1, not {throttle_rate}")
        self.port = port
        self.latency_ms = latency_ms
        self.throttle_rate = throttle_rate
        self.seed = seed
        self.account_id = DEFAULT_ACCOUNT_ID
        self.clock = SandboxClock()
        self.tokens = TokenStore()
        # The management events of every request served (cloudtrail.py).
        self.trail = Trail()
        if lookup_rate is not None:
            self.trail.limit_lookups(lookup_rate)
        # What moto lacks for residual containment (servicecreds.py, signin.py).
        self.service_credentials = ServiceCredentials()
        self.signin = SigninSessions()
        # Owned by no IAM user, so it acts as the account root (fact 15).
        self.root_credentials = {
            "aws_access_key_id": key_id_for_account("AKIA", self.account_id),
            "aws_secret_access_key": new_secret_access_key(),
        }
        self._admin: dict[str, dict[str, str]] = {}  # account -> admin_credentials()
        self.endpoint_url = ""
        self.layer: FidelityLayer | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._boto_session: Any = None  # one session: its loader caches service models
        self._boto_lock = threading.Lock()

    def start(self) -> str:
        """Serve on 127.0.0.1 in a background thread; the endpoint URL."""
        if self._server is not None:
            return self.endpoint_url
        reset_moto()
        cache_moto_modules()
        self.tokens.clear()
        self._clear_layer_state()
        self.layer = FidelityLayer(
            moto_app(),
            clock=self.clock,
            store=self.tokens,
            account_id=self.account_id,
            latency_ms=self.latency_ms,
            throttle_rate=self.throttle_rate,
            seed=self.seed,
            trail=self.trail,
            service_credentials=self.service_credentials,
            signin=self.signin,
        )
        self._server = make_server(self.layer, self.port)
        self._thread = serve_in_background(self._server)
        self.endpoint_url = f"http://{HOST}:{self._server.server_port}"
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is None:
            return
        shut_down(self._server, self._thread)
        self._server = None
        self._thread = None

    def reset(self) -> None:
        """Forget every account, principal and session (moto's state and the layer's)."""
        if self.layer is not None:
            with self.layer.lock:
                reset_moto()
                self.tokens.clear()
                self._clear_layer_state()
        else:
            self.tokens.clear()
            self._clear_layer_state()

    def _clear_layer_state(self) -> None:
        self._admin.clear()
        self.trail.clear()
        self.service_credentials.clear()
        self.signin.clear()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- clients ------------------------------------------------------------------------

    def credentials(self, **credentials: Any) -> dict[str, str]:
        """boto3 keyword credentials: root's by default; accepts an STS `Credentials` dict's
        keys (AccessKeyId, SecretAccessKey, SessionToken) as well as boto3's names."""
        if "AccessKeyId" in credentials:
            creds = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
            }
            if credentials.get("SessionToken"):
                creds["aws_session_token"] = credentials["SessionToken"]
            return creds
        names = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
        given = {name: credentials[name] for name in names if credentials.get(name)}
        return given or dict(self.root_credentials)

    def admin_credentials(self, account_id: str | None = None) -> dict[str, str]:
        """boto3 keyword credentials of IAM user `sandbox-admin` in `account_id` (default:
        the sandbox's account), with AWS's AdministratorAccess; made on first use.

        For AssumeRole, which the account root may not call ("You cannot use AWS account
        root user credentials to call AssumeRole. You must use credentials for an IAM
        user or an IAM role", STS API Reference,
        https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). The
        root credentials `client()` uses by default do everything else. The user is made
        only when asked for, so an account nobody assumes a role in holds no extra user.
        """
        if not self.endpoint_url:
            raise RuntimeError("start the sandbox first")
        account = account_id or self.account_id
        with self._locked():
            known = self._admin.get(account)
            if known is not None:
                found = find_user_key(known["aws_access_key_id"])
                if found is not None and found.active and found.account_id == account:
                    return dict(known)
            key_id, secret = seed_admin_user(account, ADMIN_USER)
            self._admin[account] = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
            return dict(self._admin[account])

    def client(self, service: str, **credentials: Any) -> Any:
        """A boto3 client for `service` pointed at the sandbox (root credentials by default).

        Extra keywords `region_name` and `config` go to boto3.
        """
        import boto3

        if not self.endpoint_url:
            raise RuntimeError("start the sandbox first")
        region = credentials.pop("region_name", "us-east-1")
        config = credentials.pop("config", None)
        with self._boto_lock:  # boto3 sessions are not thread-safe
            if self._boto_session is None:
                self._boto_session = boto3.session.Session()
            client = self._boto_session.client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=region,
                config=config,
                **self.credentials(**credentials),
            )
        if service == "signin":  # botocore ignores endpoint_url there (signin.py)
            # The same hook the tool's own signin client uses (botocore ignores endpoint_url
            # for the Sign-In control plane).
            from revoke.aws.credentials import keep_endpoint

            client.meta.events.register("before-call.signin", keep_endpoint(self.endpoint_url))
        return client

    def env(self, **credentials: Any) -> dict[str, str]:
        """Environment variables that point the AWS CLI / a subprocess at the sandbox."""
        creds = self.credentials(**credentials)
        env = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }
        if "aws_session_token" in creds:
            env["AWS_SESSION_TOKEN"] = creds["aws_session_token"]
        return env

    # --- what no AWS API does: sign in, refresh, use a credential ----------------------------

    def _locked(self) -> Any:
        import contextlib

        return self.layer.lock if self.layer is not None else contextlib.nullcontext()

    def console_sign_in(
        self,
        user: str,
        *,
        account_id: str | None = None,
        mfa: bool = False,
        region: str = "us-east-1",
        client_type: str | None = None,
    ) -> SigninSession:
        """An AWS Sign-In session for IAM user `user`, as a console sign-in makes
        (`client_type="CLI"`: as `aws login` makes). The user needs a login profile."""
        from revoke.sandbox.principals import find_user

        account = account_id or self.account_id
        with self._locked():
            found = find_user(account, user)
            if found is None:
                raise ValueError(f"no IAM user {user} in account {account}")
            if not found.password and client_type is None:
                raise ValueError(f"{user} has no login profile (console password)")
            return self.signin.sign_in(
                account, found, self.clock.now(), mfa=mfa, region=region, client_type=client_type
            )

    def refresh_signin(self, session_arn: str) -> dict[str, Any]:
        """Refresh a sign-in session: fresh credentials (an STS `Credentials` dict, issued
        now), or `SigninRefused` for a revoked or expired session or a deleted user."""
        from datetime import timedelta

        from revoke.sandbox.authorize import iso_time
        from revoke.sandbox.principals import find_user
        from revoke.sandbox.signin import REFRESHED_SECONDS, SigninRefused
        from revoke.sandbox.tokens import SessionRecord, new_session_token

        with self._locked():
            now = self.clock.now()
            session = self.signin.refreshed(session_arn, now)
            user = find_user(session.account_id, session.user_name)
            if user is None:
                raise SigninRefused(f"the user {session.user_name} no longer exists")
            record = SessionRecord(
                access_key_id=key_id_for_account("ASIA", session.account_id),
                secret_access_key=new_secret_access_key(),
                session_token=new_session_token(),
                kind="user",
                account_id=session.account_id,
                arn=user.arn,
                user_id=user.id,
                name=user.name,
                issued_at=now,
                expires_at=now + timedelta(seconds=REFRESHED_SECONDS),
                mfa=session.mfa,
            )
            self.tokens.add(record)
        return {
            "AccessKeyId": record.access_key_id,
            "SecretAccessKey": record.secret_access_key,
            "SessionToken": record.session_token,
            "Expiration": iso_time(record.expires_at),
        }

    def use_service_credential(self, service: str, name: str, secret: str) -> ServiceCredential:
        """What `service` (e.g. "codecommit.amazonaws.com") checks when a client presents a
        service-specific credential (ServiceUserName or ServiceCredentialAlias, and its
        password or secret): the credential, or `CredentialRefused`. The sandbox serves
        none of those services, so this is where a test "connects"."""
        return self.service_credentials.use(service, name, secret, self.clock.now())

    def use_ssh_key(self, user: str, ssh_key_id: str, *, account_id: str | None = None) -> None:
        """What CodeCommit checks for an SSH key (`ssh://KEY_ID@git-codecommit...`): None,
        or `CredentialRefused` when the key is missing or Inactive."""
        with self._locked():
            use_ssh_key(account_id or self.account_id, user, ssh_key_id)
