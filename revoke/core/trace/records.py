"""CloudTrail records as the trace reads them: one `Event` a record, with its `Evidence`.

Parses a record (a dict, or the JSON text LookupEvents returns), the `{key=value}` text some
query engines render maps as, and the rows of the Lake and Athena queries (QUERY_COLUMNS);
merges the copies of one action logged in several accounts. The record fields and their
sources are listed in the package docstring (revoke.core.trace).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

USER_IDENTITY_URL = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
    "cloudtrail-event-reference-user-identity.html"
)
RECORD_CONTENTS_URL = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
    "cloudtrail-event-reference-record-contents.html"
)
STS_EVENTS_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html"
LOOKUP_EVENTS_URL = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html"
)


KEY_ID = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,124}$")
_ARN = re.compile(r"^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)$")
_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)


# -- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    event_id: str | None
    event_name: str
    time: str | None
    region: str | None
    account: str | None
    shared_event_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_name": self.event_name,
            "time": self.time,
            "region": self.region,
            "account": self.account,
            "shared_event_id": self.shared_event_id,
        }


@dataclass
class Event:
    name: str
    source: str | None
    time: str | None
    region: str | None
    account: str | None  # recipientAccountId: whose trail holds this copy
    event_id: str | None
    shared_event_id: str | None
    error_code: str | None
    actor_key: str | None
    actor_arn: str | None
    actor_type: str | None
    actor_user: str | None
    issuer_arn: str | None
    request: dict[str, Any]
    response: dict[str, Any]
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.error_code)

    @property
    def identity(self) -> tuple[str, str]:
        """One action, however many accounts logged it."""
        if self.shared_event_id:
            return ("shared", self.shared_event_id)
        return ("event", f"{self.account}:{self.event_id}:{self.time}:{self.name}")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        parsed = parse_loose(value)
        return parsed if isinstance(parsed, dict) else {}
    return {}


def parse_loose(text: str) -> Any:
    """JSON, or the `{key=value, key={...}}` text some query engines render maps and
    structs as; anything else is None. Best effort by design: a value that cannot be read
    leaves its field empty, it never stops the trace."""
    raw = text.strip()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        pass
    if not (raw.startswith("{") and raw.endswith("}")):
        return None
    out: dict[str, Any] = {}
    depth, start, inner = 0, 0, raw[1:-1]
    pieces: list[str] = []
    for index, char in enumerate(inner):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            pieces.append(inner[start:index])
            start = index + 1
        if len(pieces) > 10_000:
            break
    pieces.append(inner[start:])
    for piece in pieces:
        key, sep, value = piece.strip().partition("=")
        if not sep or not key:
            continue
        value = value.strip()
        if value.startswith("{") and len(value) < 100_000:
            nested = parse_loose(value)
            out[key.strip()] = nested if nested is not None else value
        else:
            out[key.strip()] = None if value == "null" else value
    return out


def parse_record(raw: Any) -> Event | None:
    """One CloudTrail record (a dict, or the JSON text LookupEvents returns as
    `CloudTrailEvent`); None for anything that is not one."""
    record = json.loads(raw) if isinstance(raw, str) and raw.strip().startswith("{") else raw
    if not isinstance(record, Mapping):
        return None
    name = _text(record.get("eventName"))
    if name is None:
        return None
    identity = _dict(record.get("userIdentity"))
    context = _dict(identity.get("sessionContext"))
    issuer = _dict(context.get("sessionIssuer"))
    event = Event(
        name=name,
        source=_text(record.get("eventSource")),
        time=_text(record.get("eventTime")),
        region=_text(record.get("awsRegion")),
        account=_text(record.get("recipientAccountId")) or _text(identity.get("accountId")),
        event_id=_text(record.get("eventID")),
        shared_event_id=_text(record.get("sharedEventID")),
        error_code=_text(record.get("errorCode")),
        actor_key=_text(identity.get("accessKeyId")),
        actor_arn=_text(identity.get("arn")),
        actor_type=_text(identity.get("type")),
        actor_user=_text(identity.get("userName")),
        issuer_arn=_text(issuer.get("arn")),
        request=_dict(record.get("requestParameters")),
        response=_dict(record.get("responseElements")),
    )
    event.evidence.append(
        Evidence(
            event.event_id,
            name,
            event.time,
            event.region,
            event.account,
            event.shared_event_id,
        )
    )
    return event


# Columns the Lake and Athena queries select (revoke.aws.trail_sources), named alike.
QUERY_COLUMNS = (
    "event_id",
    "event_time",
    "event_name",
    "event_source",
    "aws_region",
    "recipient_account_id",
    "shared_event_id",
    "error_code",
    "actor_type",
    "actor_arn",
    "actor_key",
    "actor_user",
    "issuer_arn",
    "request_parameters",
    "response_elements",
)


def record_from_columns(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record shaped like CloudTrail's from one row of QUERY_COLUMNS."""

    def get(name: str) -> Any:
        value = row.get(name)
        return value if value not in ("", None) else None

    return {
        "eventID": get("event_id"),
        "eventTime": get("event_time"),
        "eventName": get("event_name"),
        "eventSource": get("event_source"),
        "awsRegion": get("aws_region"),
        "recipientAccountId": get("recipient_account_id"),
        "sharedEventID": get("shared_event_id"),
        "errorCode": get("error_code"),
        "userIdentity": {
            "type": get("actor_type"),
            "arn": get("actor_arn"),
            "accessKeyId": get("actor_key"),
            "userName": get("actor_user"),
            "sessionContext": {"sessionIssuer": {"arn": get("issuer_arn")}},
        },
        "requestParameters": _dict(get("request_parameters") or {}),
        "responseElements": _dict(get("response_elements") or {}),
    }


def merge_copies(events: Iterable[Event]) -> list[Event]:
    """One event per action: the copies of a cross-account AssumeRole (one sharedEventID)
    become one, with both accounts' evidence; the same copy found by two lookups, once.
    In time order (then event ID), so the tree reads as the incident happened."""
    merged: dict[tuple[str, str], Event] = {}
    for event in events:
        found = merged.get(event.identity)
        if found is None:
            merged[event.identity] = event
            continue
        for proof in event.evidence:
            if proof not in found.evidence:
                found.evidence.append(proof)
        # Fill what one copy lacks from the other (the caller's copy names the caller).
        for attr in ("actor_key", "actor_arn", "actor_type", "actor_user", "issuer_arn"):
            if getattr(found, attr) is None:
                setattr(found, attr, getattr(event, attr))
        for part in ("request", "response"):
            mine, theirs = getattr(found, part), getattr(event, part)
            for key, value in theirs.items():
                mine.setdefault(key, value)
    for event in merged.values():
        event.evidence.sort(key=lambda e: (e.account or "", e.region or "", e.event_id or ""))
    return sorted(merged.values(), key=lambda e: (e.time or "", e.event_id or ""))
