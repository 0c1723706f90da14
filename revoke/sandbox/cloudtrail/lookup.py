"""LookupEvents' side of the sandbox trail: a stored event (its LookupEvents entry, and
whether it matches a lookup attribute), the optional rate limit, and the request's checks:
one lookup attribute, the time range, MaxResults, and the NextToken that names the last
event returned and must come back with the same parameters."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from revoke.sandbox.responses import AwsError

RETENTION = timedelta(days=90)
DEFAULT_MAX_RESULTS = 50
LARGEST_MAX_RESULTS = 50
LOOKUP_KEYS = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)


@dataclass(frozen=True)
class TrailEvent:
    sequence: int
    account_id: str  # recipientAccountId
    region: str
    time: datetime
    record: dict[str, Any]

    @property
    def username(self) -> str | None:
        who = self.record.get("userIdentity", {})
        if who.get("type") == "AssumedRole":
            return str(who.get("arn", "")).rsplit("/", 1)[-1] or None
        if who.get("type") == "Root":
            return "root"
        return who.get("userName")

    def lookup_entry(self) -> dict[str, Any]:
        record = self.record
        entry: dict[str, Any] = {
            "EventId": record["eventID"],
            "EventName": record["eventName"],
            "ReadOnly": "true" if record["readOnly"] else "false",
            "EventTime": self.time.timestamp(),
            "EventSource": record["eventSource"],
            "Resources": [
                {"ResourceType": r["type"], "ResourceName": r["ARN"]}
                for r in record.get("resources", [])
            ],
            "CloudTrailEvent": json.dumps(record),
        }
        key = record.get("userIdentity", {}).get("accessKeyId")
        if key:
            entry["AccessKeyId"] = key
        if self.username:
            entry["Username"] = self.username
        return entry

    def matches(self, attribute: str, value: str) -> bool:
        record = self.record
        if attribute == "EventId":
            return bool(record["eventID"] == value)
        if attribute == "EventName":
            return bool(record["eventName"] == value)
        if attribute == "ReadOnly":
            return ("true" if record["readOnly"] else "false") == value.lower()
        if attribute == "Username":
            return self.username == value
        if attribute == "EventSource":
            return bool(record["eventSource"] == value)
        if attribute == "AccessKeyId":
            return bool(record.get("userIdentity", {}).get("accessKeyId") == value)
        resources = record.get("resources", [])
        if attribute == "ResourceType":
            return any(r["type"] == value for r in resources)
        return any(r["ARN"] == value for r in resources)  # ResourceName


@dataclass
class _RateLimit:
    per_second: float
    clock: Callable[[], float]
    calls: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def allow(self, account_id: str, region: str) -> bool:
        now = self.clock()
        window = self.calls.setdefault((account_id, region), deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.per_second:
            return False
        window.append(now)
        return True


def _lookup_attribute(raw: Any) -> tuple[str | None, str]:
    if not raw:
        return None, ""
    if not isinstance(raw, list) or len(raw) > 1:
        raise AwsError(
            "InvalidLookupAttributesException", "You can specify only one lookup attribute."
        )
    item = raw[0] if isinstance(raw[0], dict) else {}
    key, value = item.get("AttributeKey"), item.get("AttributeValue")
    if key not in LOOKUP_KEYS or not isinstance(value, str) or not 1 <= len(value) <= 2000:
        raise AwsError(
            "InvalidLookupAttributesException",
            f"The lookup attribute key must be one of {', '.join(LOOKUP_KEYS)}, with a value "
            "of 1-2000 characters.",
        )
    return str(key), value


def _time(raw: Any) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.fromtimestamp(float(raw), timezone.utc)
    except (TypeError, ValueError, OverflowError):
        raise AwsError("InvalidTimeRangeException", f"Invalid time: {raw}") from None


def _fingerprint(params: dict[str, Any]) -> str:
    same = {k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")}
    text = json.dumps(same, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _write_token(sequence: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"{sequence}:{fingerprint}".encode()).decode()


def _read_token(raw: Any, fingerprint: str) -> int | None:
    if raw is None:
        return None
    try:
        sequence, said = base64.urlsafe_b64decode(str(raw).encode()).decode().split(":")
        if said != fingerprint:
            raise ValueError
        return int(sequence)
    except (ValueError, UnicodeDecodeError):
        raise AwsError(
            "InvalidNextTokenException",
            "Invalid NextToken: it is not one this lookup returned, or the other parameters "
            "changed.",
        ) from None
