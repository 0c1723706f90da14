"""The one boto3 seam: every AWS call of the product goes through a client made here.

Credentials, region, endpoints and retries are botocore's to resolve, as the AWS CLI
resolves them (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html):
`--profile`, `--region` and `--endpoint-url` are handed to boto3 only when given, so
exported keys beat AWS_PROFILE as they do for `aws`, AWS_ENDPOINT_URL_IAM beats
AWS_ENDPOINT_URL, `endpoint_url` in the config file and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
apply, and `max_attempts` / `retry_mode` (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE) are the
user's. An assumed-role profile (with `mfa_serial`) caches its session where the AWS CLI
does, ~/.aws/cli/cache, so the MFA code is asked once for both tools.

Retries: botocore's `standard` mode unless the config says otherwise (fact 19: IAM
throttles per account and the limits cannot be raised). Without a configured
`max_attempts`, reads make READ_ATTEMPTS; bulk writes always make WRITE_ATTEMPTS (see there).

`--debug` logs every attempt of every request (method, URL, operation, status, request
ID, attempt) from botocore's events, never botocore's own debug log, which prints
signatures and tokens.

Bad peers stop here, each as one line and exit 254 (DESIGN.md, exit codes): a silent
endpoint waits at most the per-call timeouts, and with `--timeout` no request, retry or
credential_process starts after the run's deadline (revoke.aws.deadline); a redirect, an
HTML page or an answer that is not the operation's XML is refused before botocore parses
it into an empty result. Secrets that arrive (the credentials in use, GetSessionToken and
AssumeRole answers, credential_process output) are remembered so that no message echoes
them (revoke.core.scrub).

The pieces are modules of their own, re-exported here (every name importers use stays
importable from revoke.aws.session): the answer checks and secret memory
(revoke.aws.answers), the credential chain with the CLI's role cache and the bounded
credential_process (revoke.aws.credential_chain), --debug's request log
(revoke.aws.requestlog). This module keeps the client configuration, the timestamp parser
and the session factory that wires them together.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
import botocore.utils

from revoke.aws.answers import (
    MalformedResponse,
    _malformed,
    _raise,
    _remember_answer,
    check_answer,
    remember_secrets,
)
from revoke.aws.credential_chain import (
    CLI_CACHE_DIR,
    CREDENTIAL_PROCESS_SECONDS,
    CREDENTIAL_PROCESS_URL,
    BoundedProcess,
    _customise_credential_resolver,
    cli_cache_dir,
)
from revoke.aws.deadline import Deadline, run_deadline
from revoke.aws.errors import aws_errors
from revoke.aws.ratelimit import AdaptiveRateLimiter
from revoke.aws.requestlog import (
    _SECRET_QUERY,
    _log_response,
    _note_request,
    _redacted_url,
    log_requests,
    logging_requests,
)
from revoke.core import scrub
from revoke.errors import NoCredentials

__all__ = [
    "CLI_CACHE_DIR",
    "CONNECT_TIMEOUT",
    "CREDENTIAL_PROCESS_SECONDS",
    "CREDENTIAL_PROCESS_URL",
    "DEFAULT_REGION",
    "READ_ATTEMPTS",
    "READ_TIMEOUT",
    "WRITE_ATTEMPTS",
    "AwsSession",
    "BoundedProcess",
    "MalformedResponse",
    "_SECRET_QUERY",
    "_customise_credential_resolver",
    "_log_response",
    "_malformed",
    "_note_request",
    "_raise",
    "_redacted_url",
    "_remember_answer",
    "check_answer",
    "cli_cache_dir",
    "client_config",
    "log_requests",
    "parse_timestamp",
    "remember_secrets",
]

DEFAULT_REGION = "us-east-1"  # IAM and global STS live here; any region works for STS
# Total attempts (the first and the retries) when the config sets no `max_attempts`.
READ_ATTEMPTS = 5
# Bulk writes (IAM, Organizations, EC2, the journal store) keep this many attempts even
# when the config sets `max_attempts`, deliberately: a 2,000-user run is throttled by IAM
# per account (fact 19) whatever the user's habit for one-off `aws` calls, and a write
# lost to throttling leaves a principal un-revoked (or the evidence of a change
# unwritten) while the others are done. The adaptive rate limiter keeps the retries rare.
WRITE_ATTEMPTS = 10
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30


def client_config(
    *,
    attempts: int | None = READ_ATTEMPTS,
    pool: int = 64,
    timeout: float | None = None,
) -> botocore.config.Config:
    """`timeout` (--timeout) caps the connect and read timeouts of every attempt.

    `attempts` None: the total attempts are the config's `max_attempts`. The retry mode is
    always the config's (`retry_mode`, AWS_RETRY_MODE; botocore's default is `standard`):
    botocore fills in each key of `retries` that is not given here.
    """
    return botocore.config.Config(
        retries={"total_max_attempts": attempts} if attempts is not None else {},
        max_pool_connections=pool,
        connect_timeout=min(CONNECT_TIMEOUT, timeout) if timeout else CONNECT_TIMEOUT,
        read_timeout=min(READ_TIMEOUT, timeout) if timeout else READ_TIMEOUT,
        user_agent_extra="revoke",
    )


def parse_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser, without dateutil for the one form IAM and STS answer in.

    The query protocol (IAM, STS) sends ISO 8601 in UTC: `2026-11-29T09:05:03Z`, or with
    milliseconds or microseconds. botocore parses every timestamp with dateutil, about
    70 us each: a GetAccountAuthorizationDetails page of 500 users carries a thousand of
    them, 70 ms before the first write of a bulk run (issue 8). Those exact forms go to
    `datetime.fromisoformat` (Python 3.10 takes them once the Z is off); anything else
    (offsets, epoch numbers, RFC 822) to botocore's own parser, unchanged. Either way the
    result is an aware datetime in UTC, as botocore's is.
    """
    if isinstance(value, str) and len(value) in (20, 24, 27) and value[-1] == "Z":
        try:
            return datetime.fromisoformat(value[:-1]).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return botocore.utils.parse_timestamp(value)  # type: ignore[no-any-return]


def _parse_timestamps_fast(session: boto3.session.Session) -> None:
    """Every client made from `session` from now on parses timestamps with parse_timestamp."""
    factory = session._session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)


class AwsSession:
    """Lazily created boto3 session and clients (thread-safe: clients are shared).

    `profile`, `region`, `endpoint_url`: the global options, None when not given (botocore
    then resolves each as the AWS CLI does: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_<SVC>,
    the config file...).
    """

    def __init__(
        self,
        *,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        credentials: dict[str, str] | None = None,
        boto_session: boto3.session.Session | None = None,
        timeout: float | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        self.profile = profile
        self._endpoint_option = endpoint_url
        self._credentials = credentials
        if credentials:
            scrub.remember(*credentials.values())
        # The run's deadline (--timeout) is shared by every session of the run; one given
        # here, or a timeout without a run deadline (a caller that is not the CLI), wins.
        self._deadline = deadline or run_deadline() or (Deadline(timeout) if timeout else None)
        self.timeout = timeout or (self._deadline.seconds if self._deadline else None)
        self._requested_region = region
        self._boto: boto3.session.Session | None = boto_session
        if boto_session is not None:
            _parse_timestamps_fast(boto_session)
        self._clients: dict[tuple[str, int, str], Any] = {}
        self._lock = threading.Lock()
        # One pace for every IAM call of this session: IAM throttles per account (fact 19).
        self.iam_limiter = AdaptiveRateLimiter()

    @property
    def boto(self) -> boto3.session.Session:
        if self._boto is None:
            with aws_errors():
                kwargs: dict[str, Any] = {}
                if self.profile:  # given: it beats exported keys, as `aws --profile` does
                    kwargs["profile_name"] = self.profile
                if self._credentials:
                    kwargs.update(self._credentials)
                self._boto = boto3.session.Session(**kwargs)
                _parse_timestamps_fast(self._boto)
                _customise_credential_resolver(self._boto, lambda: self._deadline)
        return self._boto

    @property
    def profile_name(self) -> str:
        """The profile botocore uses: --profile, else AWS_PROFILE, else `default`."""
        return str(self.profile or self.boto.profile_name or "default")

    @property
    def endpoint_url(self) -> str | None:
        """`--endpoint-url`, else the endpoint configured for the signin service (its
        client's endpoint rules would ignore it: revoke.aws.credentials pins it)."""
        return self.configured_endpoint("signin")

    def configured_endpoint(self, service: str) -> str | None:
        """The endpoint `service` is sent to when one is set: `--endpoint-url`, else
        AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's `services` section or
        `endpoint_url` (botocore's order), none under AWS_IGNORE_CONFIGURED_ENDPOINT_URLS."""
        if self._endpoint_option:
            return self._endpoint_option
        core: Any = self.boto._session
        with aws_errors():
            if core.get_config_variable("ignore_configured_endpoint_urls"):
                return None
            from botocore.configprovider import ConfiguredEndpointProvider

            found = ConfiguredEndpointProvider(
                full_config=core.full_config,
                scoped_config=core.get_scoped_config(),
                client_name=service,
            ).provide()
        return str(found) if found else None

    @property
    def deadline(self) -> Deadline | None:
        return self._deadline

    def _before_send(self, event_name: str = "", **_: Any) -> None:
        """botocore `before-send`: no attempt (first or retry) starts after the deadline."""
        if self._deadline is not None:
            parts = event_name.split(".")  # before-send.<service>.<Operation>
            what = f"{parts[1]}:{parts[2]}" if len(parts) >= 3 else "an AWS call"
            self._deadline.check(what)

    @property
    def region(self) -> str:
        return self._requested_region or self.boto.region_name or DEFAULT_REGION

    def _attempts(self, asked: int) -> int:
        """Total attempts of a client: `asked`, or the config's `max_attempts`.

        The config (AWS_MAX_ATTEMPTS, `max_attempts` in the profile) replaces revoke's
        default READ_ATTEMPTS, and caps the counts revoke lowered on purpose (probes,
        optional reads); bulk writes keep WRITE_ATTEMPTS (see there).
        """
        if asked == WRITE_ATTEMPTS:
            return asked
        core: Any = self.boto._session
        try:
            configured = core.get_config_variable("max_attempts")
        except ValueError:
            raise NoCredentials(
                "max_attempts (AWS_MAX_ATTEMPTS or the profile's max_attempts) is not a "
                "whole number",
                hint="https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html",
            ) from None
        if configured is None:
            return asked
        configured = max(1, int(configured))
        return configured if asked == READ_ATTEMPTS else min(asked, configured)

    def client(self, service: str, *, attempts: int = READ_ATTEMPTS, region: str | None = None):  # noqa: ANN201
        key = (service, attempts, region or self.region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                with aws_errors():
                    kwargs: dict[str, Any] = {}
                    if self._endpoint_option:  # given: it beats every configured endpoint
                        kwargs["endpoint_url"] = self._endpoint_option
                    found = self.boto.client(
                        service,  # type: ignore[call-overload]
                        region_name=region or self.region,
                        config=client_config(
                            attempts=self._attempts(attempts), timeout=self.timeout
                        ),
                        **kwargs,
                    )
                    self._remember_credentials()
                events = found.meta.events
                events.register_first("before-send", self._before_send)
                events.register("before-parse", check_answer)
                events.register("after-call", _remember_answer)
                if logging_requests():  # --debug is set before the first client
                    events.register("request-created", _note_request)
                    events.register("response-received", _log_response)
                if service == "iam":
                    self.iam_limiter.attach(found)
                self._clients[key] = found
            return found

    def _remember_credentials(self) -> None:
        """The secrets of the credentials in use, so no message echoes them."""
        try:
            creds = self.boto.get_credentials()  # resolved (and cached) by the client just made
            frozen = creds.get_frozen_credentials() if creds is not None else None
        except botocore.exceptions.SSOError as err:
            raise self._sso_login_needed(err) from err
        if frozen is not None:
            scrub.remember(frozen.secret_key, frozen.token)

    def _sso_login_needed(self, err: Exception) -> NoCredentials:
        """An SSO profile without a usable token: 253 and the command that gets one."""
        profile = self.profile_name
        return NoCredentials(
            f"profile {profile} uses IAM Identity Center (SSO) and has no usable token "
            f"({type(err).__name__})",
            hint=f"aws sso login --profile {profile}",
        )

    def access_key_id(self) -> str | None:
        creds = self.boto.get_credentials()
        return creds.access_key if creds is not None else None

    def frozen_credentials(self) -> Any:
        with aws_errors():
            try:
                creds = self.boto.get_credentials()
                frozen = creds.get_frozen_credentials() if creds is not None else None
            except botocore.exceptions.SSOError as err:
                raise self._sso_login_needed(err) from err
        if frozen is None:
            raise NoCredentials(
                "no AWS credentials found",
                hint="set AWS_PROFILE or pass --profile, or export AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY",
            )
        scrub.remember(frozen.secret_key, frozen.token)
        return frozen

    def assume(self, credentials: dict[str, str]) -> AwsSession:
        """A session with other credentials, same endpoint and region (fan-out, probes).

        The profile stays for its configuration (endpoints, retries); the credentials given
        here are the ones used."""
        return AwsSession(
            profile=self.profile,
            region=self.region,
            endpoint_url=self._endpoint_option,
            credentials=credentials,
            timeout=self.timeout,
            deadline=self._deadline,
        )
