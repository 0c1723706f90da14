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
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
import botocore.utils

from revoke.aws.deadline import Deadline, run_deadline
from revoke.aws.errors import aws_errors
from revoke.aws.ratelimit import AdaptiveRateLimiter
from revoke.core import scrub
from revoke.errors import AwsFailure, NoCredentials

DEFAULT_REGION = "us-east-1"  # IAM and global STS live here; any region works for STS
# Total attempts (the first and the retries) when the config sets no `max_attempts`.
READ_ATTEMPTS = 5
# Bulk writes (IAM, Organizations, EC2, the journal store) keep this many attempts even
# when the config sets `max_attempts`, deliberately: a 2,000-user run is throttled by IAM
# per account (fact 19) whatever the user's habit for one-off `aws` calls, and a write
# lost to throttling leaves a principal un-revoked (or the evidence of a change
# unwritten) while the others are done. The adaptive rate limiter keeps the retries rare.
WRITE_ATTEMPTS = 10
# Where the AWS CLI caches assumed-role sessions (awscli/customizations/assumerole.py):
# the same folder, so a session one tool obtained with an MFA code serves the other.
CLI_CACHE_DIR = ("~", ".aws", "cli", "cache")
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30
# Without --timeout, a credential_process still gets an end: long enough for a person to
# answer an MFA prompt it shows (aws-vault, granted), short of hanging a run for ever.
CREDENTIAL_PROCESS_SECONDS = 300.0
CREDENTIAL_PROCESS_URL = (
    "https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html"
)


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


class MalformedResponse(AwsFailure):
    """The endpoint answered, but not with an AWS response (a proxy, a portal, a redirect)."""


def _malformed(what: str, why: str) -> MalformedResponse:
    return MalformedResponse(
        f"{what}: the endpoint's answer is not an AWS response ({why})",
        code="MalformedResponse",
        hint="check --endpoint-url / AWS_ENDPOINT_URL and any proxy in between "
        "(HTTPS_PROXY); nothing was read from that answer",
    )


def check_answer(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """botocore `before-parse`: refuse answers botocore would parse into nothing.

    botocore never follows redirects and parses a 200 of the wrong shape into an empty
    result (an HTML page becomes `{}`), which callers then read as "no such key": so a
    redirect, an HTML page or a query-protocol answer without the operation's root element
    stops here. Error answers (4xx, 5xx) are botocore's to parse.
    """
    status = int(response_dict.get("status_code") or 0)
    service = operation_model.service_model
    protocol = getattr(service, "resolved_protocol", None) or service.protocol
    if protocol not in ("query", "json"):
        # REST protocols (S3: its region redirects are botocore's to follow) answer in
        # shapes of their own; IAM, STS, Organizations, CloudTrail, DynamoDB are checked.
        return None
    what = f"{service.endpoint_prefix}:{operation_model.name}"
    headers = response_dict.get("headers") or {}
    if 300 <= status < 400:
        location = str(headers.get("location") or headers.get("Location") or "nowhere")
        return _raise(_malformed(what, f"HTTP {status}, a redirect to {location[:200]}"))
    if not 200 <= status < 300:
        return None
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray):
        return None  # a streaming body: not one of ours
    content_type = str(headers.get("content-type") or headers.get("Content-Type") or "")
    if "html" in content_type.lower():
        return _raise(_malformed(what, f"HTTP {status}, an HTML page"))
    if protocol == "query":
        root = f"<{operation_model.name}Response".encode()
        if root not in bytes(body[:2048]):
            shape = "an empty body" if not body.strip() else "not the operation's XML"
            return _raise(_malformed(what, f"HTTP {status}, {shape}"))
    elif protocol == "json" and body.strip() and not body.lstrip().startswith(b"{"):
        return _raise(_malformed(what, f"HTTP {status}, not a JSON object"))
    return None


def _raise(err: Exception) -> None:
    raise err


_SECRET_FIELDS = ("SecretAccessKey", "SessionToken")


def remember_secrets(parsed: Any, depth: int = 0) -> None:
    """Every secret access key and session token an answer carries, for revoke.core.scrub."""
    if depth > 4:
        return
    if isinstance(parsed, dict):
        for key, value in parsed.items():
            if key in _SECRET_FIELDS and isinstance(value, str):
                scrub.remember(value)
            elif isinstance(value, dict | list):
                remember_secrets(value, depth + 1)
    elif isinstance(parsed, list):
        for item in parsed[:1000]:
            remember_secrets(item, depth + 1)


def _remember_answer(parsed: Any = None, **_: Any) -> None:
    remember_secrets(parsed)


class BoundedProcess:
    """What botocore's credential_process provider runs instead of subprocess.Popen: the
    same process, whose `communicate()` ends at the run's deadline (or after
    CREDENTIAL_PROCESS_SECONDS), kills a process that has not finished, and remembers the
    secrets it printed."""

    def __init__(
        self,
        args: Any,
        *,
        profile: str | None,
        deadline: Callable[[], Deadline | None],
        **popen: Any,
    ) -> None:
        self._deadline = deadline()
        self._profile = profile
        if self._deadline is not None:
            self._deadline.check(f"credential_process of profile {profile}")
        self._proc = subprocess.Popen(args, **popen)  # noqa: S603 - the user's own setting

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    def communicate(self, input: bytes | None = None) -> tuple[bytes, bytes]:  # noqa: A002
        bound = self._deadline
        seconds = bound.left() if bound is not None else CREDENTIAL_PROCESS_SECONDS
        try:
            out, err = self._proc.communicate(input, timeout=seconds)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            try:
                self._proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # a child of it still holds the pipes
                pass
            limit = (
                f"the run's --timeout of {bound.seconds:g} s"
                if bound
                else (f"{CREDENTIAL_PROCESS_SECONDS:g} s")
            )
            raise NoCredentials(
                f"the credential_process of profile {self._profile} did not finish within "
                f"{limit}; stopped it",
                hint=f"run that command by hand to see where it waits ({CREDENTIAL_PROCESS_URL})",
            ) from None
        try:
            remember_secrets(json.loads(out))
        except ValueError:
            pass
        return out, err


def cli_cache_dir() -> str:
    """~/.aws/cli/cache, read when credentials are first needed (a test moves HOME)."""
    return os.path.expanduser(os.path.join(*CLI_CACHE_DIR))


def _customise_credential_resolver(
    boto_session: boto3.session.Session, deadline: Callable[[], Deadline | None]
) -> None:
    """botocore's own credential chain, with two things the AWS CLI or revoke adds.

    The AWS CLI's assumed-role cache: the assume-role and web-identity providers keep their
    sessions in ~/.aws/cli/cache (botocore's JSONFileCache, the CLI's folder and key), so
    a profile with `mfa_serial` asks for a code once, not on every run, and a session one
    tool obtained serves the other.

    BoundedProcess for subprocess.Popen in the credential_process provider: botocore runs
    credential_process with `Popen(...).communicate()` and no timeout
    (botocore/credentials.py, ProcessProvider), but takes the Popen to use as an argument.
    The resolver is made when credentials are first needed, so ours wraps that moment,
    keeping botocore's own factory (and the region it reads then).
    """
    core: Any = boto_session._session  # private: botocore has no hook for this
    original = core._create_credential_resolver

    def resolver() -> Any:
        made = original()
        for name in ("assume-role", "assume-role-with-web-identity"):
            try:
                made.get_provider(name).cache = botocore.utils.JSONFileCache(cli_cache_dir())
            except Exception:  # noqa: BLE001, S112 - not in this chain: nothing to cache
                continue
        try:
            provider = made.get_provider("custom-process")
        except Exception:  # noqa: BLE001 - no process provider: nothing to bound
            return made
        profile = getattr(provider, "_profile_name", None)

        def popen(args: Any, **kwargs: Any) -> BoundedProcess:
            return BoundedProcess(args, profile=profile, deadline=deadline, **kwargs)

        provider._popen = popen
        return made

    core._components.lazy_register_component("credential_provider", resolver)


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


# --debug: where each attempt of each request is logged (None: nowhere). One setting for
# every session of the run (assumed, probe and inspect sessions too), as the deadline is.
_request_log: Callable[[str], None] | None = None
# Query parameters a URL may carry a secret in (presigned URLs); never logged.
_SECRET_QUERY = {"x-amz-signature", "x-amz-security-token", "x-amz-credential", "signature"}


def log_requests(writer: Callable[[str], None] | None) -> None:
    """From now on, `writer` gets one line per attempt of every AWS request (None: off)."""
    global _request_log
    _request_log = writer


def _redacted_url(url: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (k, scrub.REDACTED if k.lower() in _SECRET_QUERY else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]")))


def _note_request(request: Any = None, **_: Any) -> None:
    """botocore `request-created` (each attempt, before signing): the method and URL,
    kept in the request's context for the line `response-received` writes."""
    context = getattr(request, "context", None)
    if _request_log is not None and isinstance(context, dict):
        context["revoke.request"] = (request.method, request.url)


def _log_response(
    event_name: str = "",
    context: Any = None,
    response_dict: Any = None,
    parsed_response: Any = None,
    exception: Any = None,
    **_: Any,
) -> None:
    """botocore `response-received` (each attempt): one line for --debug, no header, no
    body, every secret this process holds or anything shaped like one taken out."""
    writer = _request_log
    if writer is None:
        return
    parts = event_name.split(".")  # response-received.<service-id>.<Operation>
    operation = f"{parts[1]}:{parts[2]}" if len(parts) >= 3 else "an AWS call"
    context = context if isinstance(context, dict) else {}
    method, url = context.get("revoke.request", ("?", "?"))
    attempt = (context.get("retries") or {}).get("attempt", 1)
    if exception is not None:
        outcome = type(exception).__name__
    else:
        status = (response_dict or {}).get("status_code", "?")
        parsed = parsed_response if isinstance(parsed_response, dict) else {}
        code = (parsed.get("Error") or {}).get("Code")
        request_id = (parsed.get("ResponseMetadata") or {}).get("RequestId")
        outcome = f"{status}{f' {code}' if code else ''}"
        outcome += f", request ID {request_id}" if request_id else ""
    line = f"debug: {operation} {method} {_redacted_url(str(url))} -> {outcome} (attempt {attempt})"
    writer(scrub.scrub(line))


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
