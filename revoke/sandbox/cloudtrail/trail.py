"""The sandbox's Trail: every event recorded (bounded, shared by the server's threads),
the management event of each served request, and cloudtrail:LookupEvents over them. The
record's fields are built in revoke.sandbox.cloudtrail.records, the lookup's checks and
paging tokens in revoke.sandbox.cloudtrail.lookup."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from revoke.sandbox.cloudtrail.lookup import (
    DEFAULT_MAX_RESULTS,
    LARGEST_MAX_RESULTS,
    RETENTION,
    TrailEvent,
    _fingerprint,
    _lookup_attribute,
    _RateLimit,
    _read_token,
    _time,
    _write_token,
)
from revoke.sandbox.cloudtrail.records import (
    EVENT_VERSION,
    GLOBAL_SERVICES,
    _event_source,
    _is_data_event,
    _iso,
    _known_signer,
    _operation_name,
    _other_account,
    error_of,
    identity,
    is_read_only,
    request_id_of,
    request_parameters,
    resources_of,
    response_elements,
    unauthenticated_identity,
)
from revoke.sandbox.responses import AwsError, Reply, new_request_id

MAX_EVENTS = 50_000


class Trail:
    """Every event the sandbox recorded, newest last; bounded; shared by server threads."""

    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self._events: deque[TrailEvent] = deque(maxlen=max_events)
        self._sequence = 0
        self._lock = threading.Lock()
        self._limit: _RateLimit | None = None

    def limit_lookups(
        self, per_second: float | None = 2.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Enforce LookupEvents' rate limit (None: stop enforcing it)."""
        with self._lock:
            self._limit = None if per_second is None else _RateLimit(per_second, clock)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def events(self, account_id: str | None = None) -> list[dict[str, Any]]:
        """The records (oldest first), of one account or all: for tests and the demo."""
        with self._lock:
            return [e.record for e in self._events if account_id in (None, e.account_id)]

    def add(self, account_id: str, region: str, moment: datetime, record: dict[str, Any]) -> None:
        with self._lock:
            self._sequence += 1
            self._events.append(TrailEvent(self._sequence, account_id, region, moment, record))

    # --- recording ------------------------------------------------------------------------

    def record(
        self, req: Any, reply: Reply, principal: Any, now: datetime, store: Any, *, default: str
    ) -> None:
        """Record the management event of one served request (success or refusal).

        `principal`: who signed it, when authentication got that far; a request refused
        before (an expired session, a deactivated key, throttling) is still named by the
        key it presented, as far as the sandbox knows that key (`store`: the TokenStore)."""
        operation = req.operation or _operation_name(req)
        if operation is None or _is_data_event(req):
            return
        service = req.service or "unknown"
        if principal is None and req.access_key_id:
            principal = _known_signer(req.access_key_id, store)
        account = principal.account_id if principal is not None else default
        key = req.access_key_id
        who = (
            identity(principal, access_key_id=key)
            if principal is not None
            else unauthenticated_identity(req)
        )
        read_only = is_read_only(service, operation)
        params = request_parameters(req)
        response = response_elements(req, reply, read_only)
        code, message = error_of(reply)
        region = GLOBAL_SERVICES.get(service, req.region)
        record: dict[str, Any] = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": who,
            "eventTime": _iso(now),
            "eventSource": f"{_event_source(service)}.amazonaws.com",
            "eventName": operation,
            "awsRegion": region,
            "sourceIPAddress": req.source_ip,
            "userAgent": req.headers.get("user-agent", ""),
            "requestParameters": params,
            "responseElements": response,
        }
        if code is not None:
            record["errorCode"] = code
            if message:
                record["errorMessage"] = message
        record.update(
            {
                "requestID": request_id_of(reply),
                "eventID": str(uuid.uuid4()),
                "readOnly": read_only,
                "resources": resources_of(account, params, response),
                "eventType": "AwsApiCall",
                "managementEvent": True,
                "recipientAccountId": account,
                "eventCategory": "Management",
            }
        )
        other = _other_account(service, operation, params, account, code)
        if other is not None:
            record["sharedEventID"] = str(uuid.uuid4())
            theirs = dict(record, eventID=str(uuid.uuid4()), recipientAccountId=other)
            theirs["userIdentity"] = {
                "type": "AWSAccount",
                "principalId": who.get("principalId", ""),
                "accountId": account,
            }
            if key:
                theirs["userIdentity"]["accessKeyId"] = key
            theirs["resources"] = resources_of(other, params, response)
            self.add(other, region, now, theirs)
        self.add(account, region, now, record)

    # --- LookupEvents ------------------------------------------------------------------------

    def lookup_events(self, body: bytes, account_id: str, region: str, now: datetime) -> Reply:
        """cloudtrail:LookupEvents for one account and region (the request's)."""
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            raise AwsError("SerializationException", "request body is not JSON") from None
        with self._lock:
            limit = self._limit
            if limit is not None and not limit.allow(account_id, region):
                raise AwsError("ThrottlingException", "Rate exceeded")
            events = [e for e in self._events if e.account_id == account_id and e.region == region]
        attribute, value = _lookup_attribute(params.get("LookupAttributes"))
        start, end = _time(params.get("StartTime")), _time(params.get("EndTime"))
        if start is not None and end is not None and start > end:
            raise AwsError("InvalidTimeRangeException", "Start time must be earlier than end time.")
        size = params.get("MaxResults", DEFAULT_MAX_RESULTS)
        if not isinstance(size, int) or not 1 <= size <= LARGEST_MAX_RESULTS:
            raise AwsError(
                "InvalidMaxResultsException",
                f"MaxResults must be between 1 and {LARGEST_MAX_RESULTS}.",
            )
        fingerprint = _fingerprint(params)
        after = _read_token(params.get("NextToken"), fingerprint)
        oldest = now - RETENTION
        selected: list[TrailEvent] = []
        more = False
        for event in reversed(events):  # newest first
            if after is not None and event.sequence >= after:
                continue
            if event.time < oldest:
                break
            if start is not None and event.time < start:
                continue
            if end is not None and event.time > end:
                continue
            if attribute is not None and not event.matches(attribute, value):
                continue
            if len(selected) == size:
                more = True
                break
            selected.append(event)
        if params.get("EventCategory") is not None:
            if params["EventCategory"] != "insight":
                raise AwsError("InvalidEventCategoryException", "EventCategory must be insight.")
            selected, more = [], False  # Insights events: none in the sandbox
        answer: dict[str, Any] = {"Events": [e.lookup_entry() for e in selected]}
        if more:
            answer["NextToken"] = _write_token(selected[-1].sequence, fingerprint)
        request_id = new_request_id()
        return Reply(
            200,
            json.dumps(answer).encode(),
            [("x-amzn-RequestId", request_id), ("Content-Type", "application/x-amz-json-1.1")],
        )
