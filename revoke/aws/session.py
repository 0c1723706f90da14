"""The one boto3 seam: every AWS call of the product goes through a client made here.

Retries: botocore's `standard` mode (fact 19: IAM throttles per account and the limits
cannot be raised), with more attempts for bulk IAM writes.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.config
import botocore.session
import botocore.utils

from revoke.aws.errors import aws_errors
from revoke.aws.ratelimit import AdaptiveRateLimiter

DEFAULT_REGION = "us-east-1"  # IAM and global STS live here; any region works for STS
READ_ATTEMPTS = 5
WRITE_ATTEMPTS = 10


def client_config(*, attempts: int = READ_ATTEMPTS, pool: int = 64) -> botocore.config.Config:
    return botocore.config.Config(
        retries={"mode": "standard", "max_attempts": attempts},
        max_pool_connections=pool,
        connect_timeout=10,
        read_timeout=30,
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
    """Lazily created boto3 session and clients (thread-safe: clients are shared)."""

    def __init__(
        self,
        *,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        credentials: dict[str, str] | None = None,
        boto_session: boto3.session.Session | None = None,
    ) -> None:
        self.profile = profile
        self.endpoint_url = endpoint_url
        self._credentials = credentials
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
        return self._boto

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
                        config=client_config(attempts=attempts),
                    )
                if service == "iam":
                    self.iam_limiter.attach(found)
                self._clients[key] = found
            return found

    def access_key_id(self) -> str | None:
        creds = self.boto.get_credentials()
        return creds.access_key if creds is not None else None

    def frozen_credentials(self) -> Any:
        with aws_errors():
            creds = self.boto.get_credentials()
        if creds is None:
            from revoke.errors import NoCredentials

            raise NoCredentials(
                "no AWS credentials found",
                hint="set AWS_PROFILE or pass --profile, or export AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY",
            )
        return creds.get_frozen_credentials()

    def assume(self, credentials: dict[str, str]) -> AwsSession:
        """A session with other credentials, same endpoint and region (fan-out, probes)."""
        return AwsSession(
            region=self.region, endpoint_url=self.endpoint_url, credentials=credentials
        )
