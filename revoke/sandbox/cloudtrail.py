"""CloudTrail for the sandbox: a management event for every request served, and LookupEvents.

moto records nothing and has no LookupEvents; `revoke trace` (issue 16) follows a leaked
key through exactly these records, so they are shaped as AWS shapes them:

- the record (CloudTrail User Guide, "CloudTrail record contents",
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
  eventVersion, userIdentity, eventTime (UTC, completed), eventSource
  (`<service>.amazonaws.com`), eventName, awsRegion, sourceIPAddress, userAgent,
  requestParameters, responseElements, errorCode/errorMessage (refused requests),
  requestID, eventID, readOnly, resources, eventType `AwsApiCall`, managementEvent,
  recipientAccountId, sharedEventID, eventCategory `Management`;
- userIdentity ("CloudTrail userIdentity element",
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html):
  type (IAMUser, AssumedRole, Root, AWSAccount, WebIdentityUser, SAMLUser), principalId,
  arn, accountId, accessKeyId, userName; for temporary credentials sessionContext with
  attributes.creationDate and attributes.mfaAuthenticated ("true"/"false"), and for role
  sessions sessionIssuer (type Role, principalId, arn, accountId, userName);
- STS (IAM User Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html; fact 27):
  the key issued is in responseElements.credentials.accessKeyId (the secret key and the
  session token are never recorded here, whatever AWS writes); AssumeRole into another
  account is logged in both accounts with one sharedEventID ("a GUID ... to uniquely
  identify CloudTrail events from the same AWS action that is sent to different AWS
  accounts"), the role's account seeing the caller as type AWSAccount; IAM, a global
  service, logs in us-east-1; STS logs in the region whose endpoint was called.

LookupEvents (CloudTrail API Reference, API_LookupEvents,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html, and
botocore's cloudtrail model): management events of the last 90 days of one account and
one region (the region the request was signed for), newest first; at most one lookup
attribute of EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
EventSource, AccessKeyId (InvalidLookupAttributesException otherwise); StartTime and
EndTime inclusive (InvalidTimeRangeException when reversed); MaxResults 1-50, default 50
(InvalidMaxResultsException); an opaque NextToken that must come back with the same
parameters (InvalidNextTokenException). Tokens name the last event returned, so events
recorded between two pages (LookupEvents itself is one) never shift a page.

The limit of two lookups a second per account and region is enforced only when asked
(`Trail.limit_lookups`, or `Sandbox(lookup_rate=2)`), answered with ThrottlingException:
enforced always, every test that pages would depend on the wall clock or sleep, and the
sandbox's `throttle_rate` fault injection already answers any request, LookupEvents
included, with ThrottlingException. The limiter reads an injectable clock.

Not modelled: data events (S3 object operations are not recorded, as AWS records them
only for trails that ask), Insights events (EventCategory=insight returns none),
tlsDetails, additionalEventData, and AWS's delivery delay (an event can be looked up as
soon as its request is answered). Events live in memory, bounded (`MAX_EVENTS`, oldest
dropped first), and are forgotten by `Sandbox.reset()`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from revoke.sandbox.responses import AwsError, Reply, new_request_id

EVENT_VERSION = "1.11"  # "The current version is 1.11" (record contents)
MAX_EVENTS = 50_000
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
GLOBAL_SERVICES = {"iam": "us-east-1", "organizations": "us-east-1"}
# Never in a record: secrets, passwords, one-time codes, identity-provider tokens.
_SECRET_FIELDS = {
    "secretaccesskey",
    "sessiontoken",
    "password",
    "newpassword",
    "oldpassword",
    "servicepassword",
    "servicecredentialsecret",
    "tokencode",
    "authenticationcode1",
    "authenticationcode2",
    "samlassertion",
    "webidentitytoken",
    "privatekey",
    "certificatebody",
    "certificatechain",
}
_READ_PREFIXES = ("Get", "List", "Describe", "Lookup", "Head", "Simulate", "Search")
_STS_ISSUING = {
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetSessionToken",
    "GetFederationToken",
}
_RESOURCE_PARAMS = (
    ("userName", "AWS::IAM::User"),
    ("roleName", "AWS::IAM::Role"),
    ("roleArn", "AWS::IAM::Role"),
    ("groupName", "AWS::IAM::Group"),
    ("policyArn", "AWS::IAM::Policy"),
    ("accessKeyId", "AWS::IAM::AccessKey"),
)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- what the record says ---------------------------------------------------------------


def identity(principal: Any, *, access_key_id: str | None) -> dict[str, Any]:
    """userIdentity of a sandbox Principal (principals.Principal)."""
    kinds = {"user": "IAMUser", "role": "AssumedRole", "root": "Root"}
    found: dict[str, Any] = {
        "type": kinds[principal.kind],
        "principalId": principal.user_id,
        "arn": principal.arn,
        "accountId": principal.account_id,
    }
    if access_key_id:
        found["accessKeyId"] = access_key_id
    if principal.kind == "user":
        found["userName"] = principal.name
    session = principal.session
    if session is not None:
        context: dict[str, Any] = {
            "attributes": {
                "creationDate": _iso(session.issued_at),
                "mfaAuthenticated": "true" if session.mfa else "false",
            }
        }
        if principal.kind == "role":
            context["sessionIssuer"] = {
                "type": "Role",
                "principalId": session.role_id or principal.user_id.split(":")[0],
                "arn": session.role_arn,
                "accountId": session.account_id,
                "userName": session.name,
            }
            context["webIdFederationData"] = {}
        found["sessionContext"] = context
    return found


def unauthenticated_identity(req: Any) -> dict[str, Any]:
    """Who AWS names when the caller proved nothing (yet): an identity provider's user for
    AssumeRoleWithWebIdentity/SAML, else only the key that was presented."""
    operation = req.operation
    if operation == "AssumeRoleWithWebIdentity":
        return {"type": "WebIdentityUser", "principalId": "", "userName": ""}
    if operation == "AssumeRoleWithSAML":
        return {"type": "SAMLUser", "principalId": "", "userName": ""}
    found: dict[str, Any] = {"type": "Unknown"}
    if req.access_key_id:
        found["accessKeyId"] = req.access_key_id
    return found


def _value(name: str, value: str) -> Any:
    if value.isdigit() and name in ("durationSeconds", "maxItems", "maxResults", "maxRecords"):
        return int(value)
    return value


def request_parameters(req: Any) -> dict[str, Any] | None:
    """The request's parameters as CloudTrail writes them: camelCase names, lists of the
    query protocol's `X.member.N`, secrets left out."""
    if req.protocol in ("json", "rest-json"):
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            return None
        return _scrub(body) if isinstance(body, dict) and body else None
    if req.protocol != "query":
        return None
    params: dict[str, Any] = {}
    lists: dict[str, list[tuple[int, str]]] = {}
    for key, value in req.params.items():
        if key in ("Action", "Version"):
            continue
        match = re.match(r"^(\w+)\.member\.(\d+)$", key)
        if match:
            lists.setdefault(match.group(1), []).append((int(match.group(2)), value))
            continue
        if "." in key or key.lower() in _SECRET_FIELDS:
            continue
        params[_camel(key)] = _value(_camel(key), value)
    for name, members in lists.items():
        params[_camel(name)] = [value for _, value in sorted(members)]
    return params or None


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            _camel(str(k)): _scrub(v)
            for k, v in value.items()
            if str(k).lower() not in _SECRET_FIELDS
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _xml_to_dict(node: Any) -> Any:
    children = list(node)
    if not children:
        return node.text
    if all(child.tag.rsplit("}", 1)[-1] == "member" for child in children):
        return [_xml_to_dict(child) for child in children]
    out: dict[str, Any] = {}
    for child in children:
        name = child.tag.rsplit("}", 1)[-1]
        if name.lower() in _SECRET_FIELDS:
            continue
        out[_camel(name)] = _xml_to_dict(child)
    return out


def response_elements(req: Any, reply: Reply, read_only: bool) -> dict[str, Any] | None:
    """What a successful write answered (no secrets); for STS's issuing calls the new key
    in credentials.accessKeyId (fact 27). None for reads and refusals, as AWS leaves it."""
    if reply.status >= 300:
        return None
    issuing = req.service == "sts" and req.operation in _STS_ISSUING
    if read_only and not issuing:
        return None
    if req.protocol == "query":
        import xml.etree.ElementTree as ET  # noqa: S405 - the layer's or moto's own output

        try:
            root = ET.fromstring(reply.body)  # noqa: S314
        except ET.ParseError:
            return None
        result = next(
            (child for child in root if child.tag.endswith(f"{req.operation}Result")), None
        )
        if result is None:
            return None
        found = _xml_to_dict(result)
        if not isinstance(found, dict) or not found:
            return None
        credentials = found.get("credentials")
        if isinstance(credentials, dict):
            credentials.pop("sessionToken", None)  # never the token (DESIGN: no secrets)
        return found
    if req.protocol in ("json", "rest-json"):
        try:
            body = json.loads(reply.body or b"{}")
        except ValueError:
            return None
        return _scrub(body) if isinstance(body, dict) and body else None
    return None


def error_of(reply: Reply) -> tuple[str | None, str | None]:
    """(errorCode, errorMessage) of a refused request, in any wire protocol."""
    if reply.status < 300:
        return None, None
    header = next((v for k, v in reply.headers if k.lower() == "x-amzn-errortype"), "")
    text = reply.body.decode("utf-8", "replace")
    code = re.search(r"<Code>([^<]*)</Code>", text)
    message = re.search(r"<Message>([^<]*)</Message>", text)
    if code:
        return code.group(1), message.group(1) if message else None
    try:
        body = json.loads(text) if text.strip().startswith("{") else {}
    except ValueError:
        body = {}
    found = header.split(":", 1)[0] or str(body.get("__type", "")).rsplit("#", 1)[-1] or None
    said = body.get("message") or body.get("Message")
    return found, said


def request_id_of(reply: Reply) -> str:
    for name, value in reply.headers:
        if name.lower() in ("x-amzn-requestid", "x-amz-request-id"):
            return value
    found = re.search(rb"<RequestId>([^<]*)</RequestId>", reply.body)
    return found.group(1).decode() if found else new_request_id()


def is_read_only(service: str | None, operation: str) -> bool:
    # STS's credential calls are read events in CloudTrail (AssumeRole: "readOnly": true).
    return service == "sts" or operation.startswith(_READ_PREFIXES)


def resources_of(
    account_id: str, params: dict[str, Any] | None, response: dict[str, Any] | None
) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for source in (params or {}, _flatten(response)):
        for name, kind in _RESOURCE_PARAMS:
            value = source.get(name)
            if isinstance(value, str) and value:
                entry = {"accountId": account_id, "type": kind, "ARN": value}
                if entry not in found:
                    found.append(entry)
    return found


def _flatten(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict):
                for inner, leaf in _flatten(item).items():
                    out.setdefault(inner, leaf)
            else:
                out.setdefault(key, item)
    return out


# --- the store -----------------------------------------------------------------------------


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


def _known_signer(key: str, store: Any) -> Any:
    from revoke.sandbox.principals import find_user_key, session_principal

    session = store.get(key)
    if session is not None:
        return session_principal(session)
    user_key = find_user_key(key)
    return user_key.principal() if user_key is not None else None


def _operation_name(req: Any) -> str | None:
    from revoke.sandbox.authorize import rest_operation, s3_operation

    if req.protocol == "s3":
        action = s3_operation(req)[0]  # IAM's action name; the API's where they differ
        return {"ListAllMyBuckets": "ListBuckets"}.get(action, action)
    if req.service:
        return rest_operation(req.service, req.method, req.raw_path)
    return None


def _is_data_event(req: Any) -> bool:
    if req.protocol != "s3":
        return False
    from revoke.sandbox.authorize import s3_operation

    _, resource = s3_operation(req)
    return "/" in resource.partition(":::")[2]  # an object's ARN: arn:aws:s3:::bucket/key


def _event_source(service: str) -> str:
    return {"monitoring": "monitoring", "email": "ses", "eventbridge": "events"}.get(
        service, service
    )


def _other_account(
    service: str, operation: str, params: dict[str, Any] | None, account: str, code: str | None
) -> str | None:
    """The role's account of a successful cross-account AssumeRole, logged there too."""
    if service != "sts" or not operation.startswith("AssumeRole") or code is not None:
        return None
    role_arn = str((params or {}).get("roleArn", ""))
    parts = role_arn.split(":")
    other = parts[4] if len(parts) > 5 else ""
    return other if other.isdigit() and other != account else None


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
