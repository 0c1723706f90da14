"""The one boto3 seam: every AWS call of the product goes through a client made here.

Retries: botocore's `standard` mode (fact 19: IAM throttles per account and the limits
cannot be raised), with more attempts for bulk IAM writes.

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
import subprocess
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.config
import botocore.session
import botocore.utils

from revoke.aws.deadline import Deadline, run_deadline
from revoke.aws.errors import aws_errors
from revoke.aws.ratelimit import AdaptiveRateLimiter
from revoke.core import scrub
from revoke.errors import AwsFailure, NoCredentials

DEFAULT_REGION = "us-east-1"  # IAM and global STS live here; any region works for STS
READ_ATTEMPTS = 5
WRITE_ATTEMPTS = 10
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30
# Without --timeout, a credential_process still gets an end: long enough for a person to
# answer an MFA prompt it shows (aws-vault, granted), short of hanging a run for ever.
CREDENTIAL_PROCESS_SECONDS = 300.0
CREDENTIAL_PROCESS_URL = (
    "https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html"
)


def client_config(
    *, attempts: int = READ_ATTEMPTS, pool: int = 64, timeout: float | None = None
) -> botocore.config.Config:
    """`timeout` (--timeout) caps the connect and read timeouts of every attempt."""
    return botocore.config.Config(
        retries={"mode": "standard", "max_attempts": attempts},
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


def _bound_credential_process(
    boto_session: boto3.session.Session, deadline: Callable[[], Deadline | None]
) -> None:
    """Give botocore's credential_process provider BoundedProcess for subprocess.Popen.

    botocore runs credential_process with `Popen(...).communicate()` and no timeout
    (botocore/credentials.py, ProcessProvider), but takes the Popen to use as an argument.
    The resolver is made when credentials are first needed, so ours wraps that moment,
    keeping botocore's own factory (and the region it reads then).
    """
    core: Any = boto_session._session  # private: botocore has no hook for this
    original = core._create_credential_resolver

    def resolver() -> Any:
        made = original()
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


class AwsSession:
    """Lazily created boto3 session and clients (thread-safe: clients are shared)."""

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
        self.endpoint_url = endpoint_url
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
                kwargs: dict[str, Any] = {"profile_name": self.profile}
                if self._credentials:
                    kwargs.update(self._credentials)
                self._boto = boto3.session.Session(**kwargs)
                _parse_timestamps_fast(self._boto)
                _bound_credential_process(self._boto, lambda: self._deadline)
        return self._boto

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

    def client(self, service: str, *, attempts: int = READ_ATTEMPTS, region: str | None = None):  # noqa: ANN201
        key = (service, attempts, region or self.region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                with aws_errors():
                    found = self.boto.client(
                        service,  # type: ignore[call-overload]
                        region_name=region or self.region,
                        endpoint_url=self.endpoint_url,
                        config=client_config(attempts=attempts, timeout=self.timeout),
                    )
                    self._remember_credentials()
                events = found.meta.events
                events.register_first("before-send", self._before_send)
                events.register("before-parse", check_answer)
                events.register("after-call", _remember_answer)
                if service == "iam":
                    self.iam_limiter.attach(found)
                self._clients[key] = found
            return found

    def _remember_credentials(self) -> None:
        """The secrets of the credentials in use, so no message echoes them."""
        creds = self.boto.get_credentials()  # resolved (and cached) by the client just made
        if creds is not None:
            frozen = creds.get_frozen_credentials()
            scrub.remember(frozen.secret_key, frozen.token)

    def access_key_id(self) -> str | None:
        creds = self.boto.get_credentials()
        return creds.access_key if creds is not None else None

    def frozen_credentials(self) -> Any:
        with aws_errors():
            creds = self.boto.get_credentials()
        if creds is None:
            raise NoCredentials(
                "no AWS credentials found",
                hint="set AWS_PROFILE or pass --profile, or export AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY",
            )
        frozen = creds.get_frozen_credentials()
        scrub.remember(frozen.secret_key, frozen.token)
        return frozen

    def assume(self, credentials: dict[str, str]) -> AwsSession:
        """A session with other credentials, same endpoint and region (fan-out, probes)."""
        return AwsSession(
            region=self.region,
            endpoint_url=self.endpoint_url,
            credentials=credentials,
            timeout=self.timeout,
            deadline=self._deadline,
        )
