"""What every source answers: the records it found (`TrailAnswer`) and one `SourceStatus`
a place it asked, the `TrailSource` protocol, and how a failure becomes a status (refused,
unavailable), never an exception."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from revoke.aws.errors import error_code, error_message, one_line
from revoke.core.trace import Lookup
from revoke.errors import RevokeError

ANSWERED, REFUSED, UNAVAILABLE = "answered", "refused", "unavailable"
_REFUSALS = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "OptInRequired"}
)
# A region that is not enabled for the account answers as if the key were unknown there.
_NOT_ENABLED = frozenset({"UnrecognizedClientException", "InvalidClientTokenId"})


@dataclass
class SourceStatus:
    """What one place answered: an account and region (LookupEvents), or a query."""

    source: str  # lookup | lake | athena
    account: str | None
    region: str | None
    status: str = ANSWERED
    error: str | None = None
    error_code: str | None = None
    calls: int = 0
    events: int = 0
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "account": self.account,
            "region": self.region,
            "status": self.status,
            "error": self.error,
            "error_code": self.error_code,
            "calls": self.calls,
            "events": self.events,
            "truncated": self.truncated,
        }


@dataclass
class TrailAnswer:
    records: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[SourceStatus] = field(default_factory=list)


class TrailSource(Protocol):
    name: str

    def query(self, lookups: Sequence[Lookup]) -> TrailAnswer: ...


def _failure(status: SourceStatus, err: BaseException) -> SourceStatus:
    import botocore.exceptions

    if isinstance(err, botocore.exceptions.ClientError):
        code = error_code(err) or "Unknown"
        status.error_code = code
        status.error = f"{code}: {one_line(error_message(err))}"
        if code in _REFUSALS:
            status.status = REFUSED
        elif code in _NOT_ENABLED:
            status.status = UNAVAILABLE
            status.error += " (is the region enabled for this account?)"
        else:
            status.status = UNAVAILABLE
    elif isinstance(err, RevokeError):
        status.error_code = getattr(err, "code", None) or type(err).__name__
        status.status = REFUSED if status.error_code in _REFUSALS else UNAVAILABLE
        status.error = one_line(err.message)
    elif isinstance(err, NotImplementedError):  # moto in-process has no LookupEvents
        status.status = UNAVAILABLE
        status.error_code = "NotImplemented"
        status.error = "NotImplemented: this endpoint has no CloudTrail LookupEvents"
    else:
        status.status = UNAVAILABLE
        status.error_code = type(err).__name__
        status.error = f"{type(err).__name__}: {one_line(str(err))}"
    return status
