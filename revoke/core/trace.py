"""What a credential did that matters for containment, from its CloudTrail records. Pure.

`revoke trace` (issue 16, item 1) reads CloudTrail management events (revoke.aws.
trail_sources) and hands the records here; this module parses them, decides which
further lookups the walk needs (follow_ups), and builds the tree (build_trace):

- sessions the credential minted (AssumeRole, AssumeRoleWithSAML,
  AssumeRoleWithWebIdentity, GetFederationToken, GetSessionToken), and recursively what
  those sessions minted;
- credentials and principals it created or changed (FOOTHOLDS);
- every node with its evidence: event ID, time, region, account.

The record fields, as AWS documents them:

- `userIdentity.accessKeyId`, `.arn`, `.userName`, `.sessionContext.sessionIssuer.arn`:
  who made the request and with which key
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html);
- `eventID`, `eventTime` (UTC), `awsRegion`, `recipientAccountId` (the account that
  received the event), `sharedEventID` ("the same AWS action delivered to different AWS
  accounts"), `errorCode`, `requestParameters`, `responseElements`
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html);
- STS events carry the issued key in `responseElements.credentials.accessKeyId`, the role
  in `requestParameters.roleArn`, the session name in `requestParameters.roleSessionName`,
  the session in `responseElements.assumedRoleUser` (`assumedRoleId` is
  `ROLEID:RoleSessionName`, the session's aws:userid); a cross-account AssumeRole is
  logged in the caller's account and in the role's account
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html, "Example
  AWS STS API events in CloudTrail log"). Both copies share one sharedEventID: one node.

Role chain juggling (A assumes B assumes A ...; aws-samples IRP-STSTokenAbuse, AWS-FACTS
fact 26) mints a fresh key at every step, so the keys form a chain, never a cycle; the
cycle is in the roles. Sessions of roles that reach each other (a strongly connected part
of the role graph) collapse into one `loop` node listing every session it cycled through.
Every walk here is iterative over sets of seen keys and events: it ends on any input,
however long, forged or self-referential.

Nothing here prints or keeps a secret: records may hold a session token (older STS
examples log `responseElements.credentials.sessionToken`); only key IDs (not secret,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html) and
names leave this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from revoke.errors import BadInput

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

MINTING = frozenset(
    {
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "GetFederationToken",
        "GetSessionToken",
    }
)
ROLE_MINTING = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})

# Credentials and principals created or changed: what each one is, in a responder's words.
FOOTHOLDS: dict[str, str] = {
    "CreateAccessKey": "access key",
    "CreateUser": "user",
    "CreateLoginProfile": "console password",
    "UpdateLoginProfile": "console password",
    "CreateServiceSpecificCredential": "service-specific credential",
    "UploadSSHPublicKey": "SSH public key",
    "EnableMFADevice": "MFA device",
    "UpdateAssumeRolePolicy": "trust policy",
    "CreateRole": "role",
    "CreateOpenIDConnectProvider": "OIDC provider",
    "CreateSAMLProvider": "SAML provider",
    "CreateTrustAnchor": "Roles Anywhere trust anchor",
    "CreateProfile": "Roles Anywhere profile",
}
_POLICY_CHANGE = re.compile(r"^(Put|Attach)(User|Role|Group)Policy$")
_ROLES_ANYWHERE = frozenset({"CreateTrustAnchor", "CreateProfile"})

KEY_ID = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,124}$")
_ARN = re.compile(r"^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)$")
_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)

# The walk's bound: far more lookups than any incident, few enough to end in minutes.
MAX_LOOKUPS = 2000


# -- the credential a trace starts from -------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """KEY_ID or ARN, as `revoke trace` was given it."""

    text: str
    kind: str  # key | user | role | session | federated
    account: str | None = None
    name: str | None = None  # user name, role name, or session name
    role_arn: str | None = None  # role and session starts

    @property
    def is_key(self) -> bool:
        return self.kind == "key"


def parse_start(text: str) -> Start:
    raw = (text or "").strip()
    if KEY_ID.match(raw):
        return Start(raw, "key")
    match = _ARN.match(raw)
    if match:
        partition, service, account, resource = match.groups()
        parts = resource.split("/")
        if service == "iam" and parts[0] == "user" and len(parts) >= 2:
            return Start(raw, "user", account, parts[-1])
        if service == "iam" and parts[0] == "role" and len(parts) >= 2:
            return Start(raw, "role", account, parts[-1], raw)
        if service == "sts" and parts[0] == "assumed-role" and len(parts) == 3:
            role = f"arn:{partition}:iam::{account}:role/{parts[1]}"
            return Start(raw, "session", account, parts[2], role)
        if service == "sts" and parts[0] == "federated-user" and len(parts) == 2:
            return Start(raw, "federated", account, parts[1])
    raise BadInput(
        f"{text!r} is neither an access key ID nor an IAM user, role or session ARN",
        hint="revoke trace AKIA... | ASIA... | arn:aws:iam::111122223333:user/NAME | "
        "arn:aws:iam::111122223333:role/NAME | arn:aws:sts::111122223333:assumed-role/ROLE/SESSION",
    )


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


# -- what an event means -----------------------------------------------------------------------


@dataclass(frozen=True)
class Minted:
    """A session an event issued."""

    access_key_id: str | None
    how: str
    role_arn: str | None
    session_name: str | None
    principal_arn: str | None
    userid: str | None  # aws:userid of a role session: ROLEID:RoleSessionName
    account: str | None


def _account_of(arn: str | None) -> str | None:
    match = _ARN.match(arn or "")
    return match.group(3) if match else None


def minted(event: Event) -> Minted | None:
    if event.name not in MINTING or event.failed:
        return None
    creds = _dict(event.response.get("credentials"))
    key = _text(creds.get("accessKeyId"))
    request = event.request
    if event.name in ROLE_MINTING:
        user = _dict(event.response.get("assumedRoleUser"))
        role = _text(request.get("roleArn"))
        return Minted(
            key,
            event.name,
            role,
            _text(request.get("roleSessionName")),
            _text(user.get("arn")),
            _text(user.get("assumedRoleId")),
            _account_of(role) or event.account,
        )
    if event.name == "GetFederationToken":
        user = _dict(event.response.get("federatedUser"))
        return Minted(
            key,
            event.name,
            None,
            _text(request.get("name")),
            _text(user.get("arn")),
            _text(user.get("federatedUserId")),
            event.account,
        )
    return Minted(key, event.name, None, None, event.actor_arn, None, event.account)


def is_foothold(event: Event) -> bool:
    if event.failed:
        return False
    if event.name in _ROLES_ANYWHERE:
        return event.source == "rolesanywhere.amazonaws.com"
    return event.name in FOOTHOLDS or bool(_POLICY_CHANGE.match(event.name))


def foothold_target(event: Event) -> dict[str, Any]:
    """What was created or changed, by name, never by secret."""
    req, resp = event.request, event.response
    what = FOOTHOLDS.get(event.name) or (
        "inline policy" if event.name.startswith("Put") else "attached policy"
    )
    target: dict[str, Any] = {"what": what}
    for key in ("userName", "roleName", "groupName", "policyName", "policyArn", "serviceName"):
        if _text(req.get(key)):
            target[key] = req[key]
    if event.name == "CreateAccessKey":
        made = _dict(resp.get("accessKey"))
        target["accessKeyId"] = _text(made.get("accessKeyId"))
        target.setdefault("userName", _text(made.get("userName")) or event.actor_user)
    elif event.name == "CreateUser":
        target["arn"] = _text(_dict(resp.get("user")).get("arn"))
    elif event.name == "CreateRole":
        target["arn"] = _text(_dict(resp.get("role")).get("arn"))
    elif event.name == "CreateServiceSpecificCredential":
        made = _dict(resp.get("serviceSpecificCredential"))
        target["serviceSpecificCredentialId"] = _text(made.get("serviceSpecificCredentialId"))
    elif event.name == "EnableMFADevice":
        target["serialNumber"] = _text(req.get("serialNumber"))
    elif event.name == "UpdateAssumeRolePolicy":
        target["policyDocument"] = req.get("policyDocument")
    elif event.name == "CreateOpenIDConnectProvider":
        target["url"] = _text(req.get("url"))
        target["arn"] = _text(resp.get("openIDConnectProviderArn"))
    elif event.name == "CreateSAMLProvider":
        target["name"] = _text(req.get("name"))
        target["arn"] = _text(resp.get("sAMLProviderArn"))
    elif event.name in _ROLES_ANYWHERE:
        target["name"] = _text(req.get("name"))
        inner = _dict(resp.get("trustAnchor") or resp.get("profile"))
        target["arn"] = _text(inner.get("trustAnchorArn") or inner.get("profileArn"))
    if event.name.startswith("Create") or event.name.startswith("Upload"):
        target.setdefault("userName", None)
    return {k: v for k, v in target.items() if v is not None}


def _created_user_arn(event: Event) -> str | None:
    if event.name != "CreateUser" or event.failed:
        return None
    return _text(_dict(event.response.get("user")).get("arn"))


# -- the walk's next lookups -------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """One question for an event source: events whose `attribute` is `value`.

    `attribute` is a LookupEvents attribute key (AccessKeyId, Username, ResourceName;
    https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupAttribute.html);
    `account` is the account whose trail holds the answer (None: the caller's own).
    """

    attribute: str
    value: str
    account: str | None = None


def first_lookups(start: Start) -> list[Lookup]:
    if start.kind == "key":
        return [Lookup("AccessKeyId", start.text)]
    if start.kind in ("user", "federated"):
        return [Lookup("Username", start.name or "", start.account)]
    # A role (or one of its sessions): the AssumeRole events that name it as a resource.
    return [Lookup("ResourceName", start.role_arn or start.text, start.account)]


def follow_ups(events: Iterable[Event]) -> list[Lookup]:
    """The credentials these events issued or created, to look up next."""
    found: list[Lookup] = []
    for event in events:
        made = minted(event)
        if made is not None and made.access_key_id:
            found.append(Lookup("AccessKeyId", made.access_key_id, made.account))
        elif event.name == "CreateAccessKey" and not event.failed:
            key = _text(_dict(event.response.get("accessKey")).get("accessKeyId"))
            if key:
                found.append(Lookup("AccessKeyId", key, event.account))
        elif event.name == "CreateUser" and not event.failed:
            name = _text(event.request.get("userName"))
            if name:
                found.append(Lookup("Username", name, event.account))
    unique: list[Lookup] = []
    for lookup in found:
        if lookup not in unique:
            unique.append(lookup)
    return unique


def check_lookup_value(lookup: Lookup) -> str:
    """A value safe to place in a query string: key IDs, IAM names and ARNs only."""
    value = lookup.value
    ok = (
        KEY_ID.match(value)
        if lookup.attribute == "AccessKeyId"
        else _NAME.match(value)
        if lookup.attribute == "Username"
        else _ARN.match(value) and re.match(r"^[\w+=,.@:/-]+$", value, re.ASCII)
    )
    if not ok:
        raise BadInput(f"{value!r} cannot be looked up as {lookup.attribute}")
    return value


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def lake_sql(event_data_store: str, lookups: Sequence[Lookup], since: str) -> str:
    """One CloudTrail Lake query for every lookup of a level of the walk.

    Lake's SQL (StartQuery's QueryStatement) selects FROM the event data store ID and names
    nested fields with dots
    (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StartQuery.html).
    """
    if not re.match(r"^[\w-]{1,256}$", event_data_store, re.ASCII):
        raise BadInput(f"{event_data_store!r} is not an event data store ID")
    return _query_sql(
        f"FROM {event_data_store}",
        lookups,
        since,
        columns=(
            "eventID",
            "eventTime",
            "eventName",
            "eventSource",
            "awsRegion",
            "recipientAccountId",
            "sharedEventID",
            "errorCode",
            "userIdentity.type",
            "userIdentity.arn",
            "userIdentity.accessKeyId",
            "userIdentity.userName",
            "userIdentity.sessionContext.sessionIssuer.arn",
            "requestParameters",
            "responseElements",
        ),
        role_arn="element_at(requestParameters, 'roleArn')",
    )


def athena_sql(database: str, table: str, lookups: Sequence[Lookup], since: str) -> str:
    """One Athena query over the organization trail's table, with the column names of
    AWS's CloudTrail table DDL (lower case; requestparameters and responseelements are
    JSON text; https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table.html)."""
    for part in (database, table):
        if not re.match(r"^[A-Za-z0-9_]{1,255}$", part):
            raise BadInput(
                f"{part!r} is not an Athena database or table name",
                hint="--events athena:DATABASE.TABLE (letters, digits, underscores)",
            )
    return _query_sql(
        f'FROM "{database}"."{table}"',
        lookups,
        since,
        columns=(
            "eventid",
            "eventtime",
            "eventname",
            "eventsource",
            "awsregion",
            "recipientaccountid",
            "sharedeventid",
            "errorcode",
            "useridentity.type",
            "useridentity.arn",
            "useridentity.accesskeyid",
            "useridentity.username",
            "useridentity.sessioncontext.sessionissuer.arn",
            "requestparameters",
            "responseelements",
        ),
        role_arn="json_extract_scalar(requestparameters, '$.roleArn')",
    )


def _query_sql(
    source: str, lookups: Sequence[Lookup], since: str, *, columns: Sequence[str], role_arn: str
) -> str:
    keys = [check_lookup_value(x) for x in lookups if x.attribute == "AccessKeyId"]
    users = [check_lookup_value(x) for x in lookups if x.attribute == "Username"]
    roles = [check_lookup_value(x) for x in lookups if x.attribute == "ResourceName"]
    if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", since):
        raise BadInput(f"{since!r} is not a UTC time")
    key_col, user_col = columns[10], columns[11]
    where: list[str] = []
    if keys:
        where.append(f"{key_col} IN ({_quoted(keys)})")
    if users:
        where.append(f"{user_col} IN ({_quoted(users)})")
    if roles:
        where.append(f"{role_arn} IN ({_quoted(roles)})")
    if not where:
        raise BadInput("nothing to look up")
    selected = ", ".join(f"{c} AS {alias}" for c, alias in zip(columns, QUERY_COLUMNS, strict=True))
    return (
        f"SELECT {selected} {source} WHERE {columns[1]} >= '{since}' "
        f"AND ({' OR '.join(where)}) ORDER BY {columns[1]}"
    )


# -- the tree ----------------------------------------------------------------------------------


@dataclass(eq=False)  # nodes are compared by identity: two alike are still two
class Node:
    kind: str  # credential | session | loop | foothold
    id: str
    action: str | None = None
    account: str | None = None
    principal: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    # loop nodes: the roles it cycled through and each session, in order
    roles: list[str] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def role_arn(self) -> str | None:
        value = self.details.get("role_arn")
        return value if isinstance(value, str) else None

    def to_json(self) -> dict[str, Any]:
        """Iterative: a chain of any depth becomes JSON without recursion."""
        root: dict[str, Any] = {}
        stack: list[tuple[Node, dict[str, Any]]] = [(self, root)]
        while stack:
            node, out = stack.pop()
            out.update(
                {
                    "kind": node.kind,
                    "id": node.id,
                    "action": node.action,
                    "account": node.account,
                    "principal": node.principal,
                }
            )
            out.update(node.details)
            if node.kind == "loop":
                out["roles"] = list(node.roles)
                out["sessions"] = [dict(s) for s in node.sessions]
            out["evidence"] = [e.to_json() for e in node.evidence]
            kids: list[dict[str, Any]] = [{} for _ in node.children]
            out["children"] = kids
            stack.extend(zip(node.children, kids, strict=True))
        return root


def _session_node(event: Event, made: Minted) -> Node:
    return Node(
        kind="session",
        id=made.access_key_id or made.userid or made.principal_arn or (event.event_id or "?"),
        action=event.name,
        account=made.account,
        principal=made.principal_arn,
        details={
            "role_arn": made.role_arn,
            "session_name": made.session_name,
            "userid": made.userid,
            "access_key_id": made.access_key_id,
        },
        evidence=list(event.evidence),
    )


def _foothold_node(event: Event) -> Node:
    target = foothold_target(event)
    ident = (
        target.get("accessKeyId")
        or target.get("arn")
        or target.get("serialNumber")
        or ":".join(
            str(target[k])
            for k in ("userName", "roleName", "groupName", "policyName", "policyArn")
            if k in target
        )
        or (event.event_id or event.name)
    )
    return Node(
        kind="foothold",
        id=str(ident),
        action=event.name,
        account=event.account,
        principal=event.actor_arn,
        details={"target": target},
        evidence=list(event.evidence),
    )


@dataclass
class Trace:
    root: Node
    events: int  # distinct actions read
    refused: list[Evidence]  # attempts AWS refused (errorCode): nothing was issued

    def walk(self) -> Iterable[tuple[int, Node]]:
        stack: list[tuple[int, Node]] = [(0, self.root)]
        while stack:
            depth, node = stack.pop()
            yield depth, node
            stack.extend((depth + 1, child) for child in reversed(node.children))

    def summary(self) -> dict[str, Any]:
        """What containment needs, flat: each role reached with the sessions seen (their
        aws:userid), keys and users created, everything else changed."""
        roles: dict[str, dict[str, Any]] = {}
        keys: list[str] = []
        users: list[str] = []
        changed: list[dict[str, Any]] = []
        user_sessions: list[str] = []
        counts = {"sessions": 0, "loops": 0, "footholds": 0}
        accounts: set[str] = set()
        regions: set[str] = set()

        def add_session(details: Mapping[str, Any], account: str | None) -> None:
            role = details.get("role_arn")
            if role:
                entry = roles.setdefault(
                    role, {"role_arn": role, "account": account, "userids": []}
                )
                userid = details.get("userid")
                if userid and userid not in entry["userids"]:
                    entry["userids"].append(userid)
            elif details.get("principal"):
                if details["principal"] not in user_sessions:
                    user_sessions.append(details["principal"])

        for _, node in self.walk():
            for proof in node.evidence:
                if proof.account:
                    accounts.add(proof.account)
                if proof.region:
                    regions.add(proof.region)
            if node.kind == "session":
                counts["sessions"] += 1
                add_session({**node.details, "principal": node.principal}, node.account)
            elif node.kind == "loop":
                counts["loops"] += 1
                counts["sessions"] += len(node.sessions)
                for session in node.sessions:
                    add_session(session, session.get("account"))
            elif node.kind == "foothold":
                counts["footholds"] += 1
                target = node.details.get("target", {})
                if node.action == "CreateAccessKey" and target.get("accessKeyId"):
                    keys.append(target["accessKeyId"])
                elif node.action == "CreateUser" and target.get("userName"):
                    users.append(target["userName"])
                else:
                    changed.append({"action": node.action, "account": node.account, **target})
        return {
            **counts,
            "events": self.events,
            "refused_attempts": len(self.refused),
            "accounts": sorted(accounts),
            "regions": sorted(regions),
            "roles": list(roles.values()),
            "user_sessions": user_sessions,
            "access_keys_created": keys,
            "users_created": users,
            "changed": changed,
        }


def _is_root_event(start: Start, event: Event) -> bool:
    if start.kind == "key":
        return event.actor_key == start.text
    if start.kind in ("user", "federated"):
        return event.actor_arn == start.text or (
            event.actor_user == start.name
            and event.actor_type == "IAMUser"
            and (event.account in (None, start.account))
        )
    # role / session starts: the role's sessions, each a child of the root
    made = minted(event)
    if made is None or made.role_arn != start.role_arn:
        return False
    return start.kind == "role" or made.principal_arn == start.text


def build_trace(start: Start, records: Iterable[Event]) -> Trace:
    """The tree of everything in `records` that descends from `start`.

    Each key and each action is placed once (the first, in time order, that reaches it),
    so a key that seems to mint its own parent, or a record read twice, cannot loop.
    """
    events = merge_copies(records)
    refused = [e.evidence[0] for e in events if e.failed]
    good = [e for e in events if not e.failed]
    by_key: dict[str, list[Event]] = {}
    by_arn: dict[str, list[Event]] = {}
    for event in good:
        if event.actor_key:
            by_key.setdefault(event.actor_key, []).append(event)
        if event.actor_arn:
            by_arn.setdefault(event.actor_arn, []).append(event)

    root = Node(kind="credential", id=start.text, account=start.account)
    root.details = {"credential_kind": start.kind}
    root_events = [e for e in good if _is_root_event(start, e)]
    for event in root_events:
        if start.kind == "key" and event.actor_arn and root.principal is None:
            root.principal = event.actor_arn
            root.account = root.account or event.account or _account_of(event.actor_arn)

    placed_events: set[tuple[str, str]] = set()
    placed_keys: set[str] = {start.text} if start.is_key else set()
    placed_users: set[str] = set()
    # (node, the events it made): a work list, not recursion.
    work: list[tuple[Node, list[Event]]] = [(root, root_events)]
    while work:
        node, made_by_node = work.pop()
        for event in made_by_node:
            if event.identity in placed_events:
                continue
            made = minted(event)
            child: Node | None = None
            below: list[Event] = []
            if made is not None:
                if made.access_key_id and made.access_key_id in placed_keys:
                    continue  # already in the tree: one place per key
                placed_events.add(event.identity)
                child = _session_node(event, made)
                if made.access_key_id:
                    placed_keys.add(made.access_key_id)
                    below = by_key.get(made.access_key_id, [])
            elif is_foothold(event):
                placed_events.add(event.identity)
                child = _foothold_node(event)
                new_key = child.details["target"].get("accessKeyId")
                if event.name == "CreateAccessKey" and new_key and new_key not in placed_keys:
                    placed_keys.add(new_key)
                    below = by_key.get(new_key, [])
                user_arn = _created_user_arn(event)
                if user_arn and user_arn not in placed_users:
                    placed_users.add(user_arn)
                    # Everything the new user did with keys not placed elsewhere.
                    below = [
                        e
                        for e in by_arn.get(user_arn, [])
                        if not e.actor_key or e.actor_key not in placed_keys
                    ]
            if child is not None:
                node.children.append(child)
                if below:
                    work.append((child, below))
    _order(root)
    _collapse_loops(root)
    return Trace(root=root, events=len(events), refused=refused)


def _order(root: Node) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        node.children.sort(key=lambda n: (n.evidence[0].time or "") if n.evidence else "")
        stack.extend(node.children)


def _cyclic_roles(root: Node) -> dict[str, int]:
    """Role ARN -> component number, for roles on a cycle of the "session of role X
    assumed role Y" graph (Tarjan's algorithm, iterative)."""
    edges: dict[str, set[str]] = {}
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        for child in node.children:
            if (
                node.kind == "session"
                and node.role_arn
                and child.kind == "session"
                and child.role_arn
            ):
                edges.setdefault(node.role_arn, set()).add(child.role_arn)
            stack.append(child)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    scc_stack: list[str] = []
    component: dict[str, int] = {}
    counter = 0
    for origin in list(edges):
        if origin in index:
            continue
        call: list[tuple[str, Iterable[str]]] = [(origin, iter(sorted(edges.get(origin, ()))))]
        index[origin] = low[origin] = counter
        counter += 1
        scc_stack.append(origin)
        on_stack.add(origin)
        while call:
            vertex, successors = call[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    scc_stack.append(nxt)
                    on_stack.add(nxt)
                    call.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[vertex] = min(low[vertex], index[nxt])
            if advanced:
                continue
            call.pop()
            if call:
                low[call[-1][0]] = min(low[call[-1][0]], low[vertex])
            if low[vertex] == index[vertex]:
                members: list[str] = []
                while True:
                    member = scc_stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == vertex:
                        break
                cyclic = len(members) > 1 or vertex in edges.get(vertex, set())
                if cyclic:
                    for member in members:
                        component[member] = index[vertex]
    return component


def _session_entry(node: Node) -> dict[str, Any]:
    return {
        "action": node.action,
        "account": node.account,
        "principal": node.principal,
        **node.details,
        "evidence": [e.to_json() for e in node.evidence],
    }


def _collapse_loops(root: Node) -> None:
    """Sessions of roles on one cycle become one `loop` node: the first session into the
    cycle stands for all, lists each session it cycled through, and keeps as children
    whatever any of them did outside the cycle."""
    component = _cyclic_roles(root)
    if not component:
        return
    stack: list[tuple[Node, int | None]] = [(root, None)]
    while stack:
        node, inside = stack.pop()
        new_children: list[Node] = []
        for child in node.children:
            group = component.get(child.role_arn or "") if child.kind == "session" else None
            if group is None or group == inside:
                new_children.append(child)
                stack.append((child, None))
                continue
            loop = Node(
                kind="loop",
                id=child.id,
                action="role chain juggling",
                account=child.account,
                principal=child.principal,
            )
            # Absorb every session of this cycle below `child`, depth first, in order.
            pending: list[Node] = [child]
            outside: list[Node] = []
            while pending:
                member = pending.pop(0)
                loop.sessions.append(_session_entry(member))
                loop.evidence.extend(member.evidence)
                if member.role_arn and member.role_arn not in loop.roles:
                    loop.roles.append(member.role_arn)
                inner = [
                    c
                    for c in member.children
                    if c.kind == "session" and component.get(c.role_arn or "") == group
                ]
                outside.extend(c for c in member.children if c not in inner)
                pending[0:0] = inner
            loop.children = sorted(
                outside, key=lambda n: (n.evidence[0].time or "") if n.evidence else ""
            )
            loop.details = {"session_count": len(loop.sessions)}
            new_children.append(loop)
            stack.append((loop, group))
        node.children = new_children


# -- drawing ---------------------------------------------------------------------------------


def _label(node: Mapping[str, Any]) -> str:
    kind = node.get("kind")
    first = (node.get("evidence") or [{}])[0]
    where = " ".join(
        str(x) for x in (first.get("time"), first.get("region"), first.get("account")) if x
    )
    if kind == "credential":
        who = f" ({node['principal']})" if node.get("principal") else ""
        return f"{node['id']}{who}"
    if kind == "session":
        what = node.get("role_arn") or node.get("principal") or "session"
        name = f" as {node['session_name']}" if node.get("session_name") else ""
        key = f" key {node['access_key_id']}" if node.get("access_key_id") else ""
        copies = len(node.get("evidence") or [])
        logged = f", logged in {copies} accounts" if copies > 1 else ""
        return f"{node.get('action')} {what}{name}{key}  [{where}{logged}]"
    if kind == "loop":
        roles = " <-> ".join(node.get("roles") or [])
        return f"LOOP {roles}: {len(node.get('sessions') or [])} sessions  [{where}]"
    target = node.get("target") or {}
    named = ", ".join(f"{k}={v}" for k, v in target.items() if k not in ("what", "policyDocument"))
    return f"{node.get('action')} {target.get('what', '')} {named}  [{where}]"


def tree_lines(tree: Mapping[str, Any]) -> list[str]:
    """The tree drawn with box characters, one node a line (iterative)."""
    lines = [_label(tree)]
    stack: list[tuple[Mapping[str, Any], str, bool]] = []
    children = list(tree.get("children") or [])
    for i, child in reversed(list(enumerate(children))):
        stack.append((child, "", i == len(children) - 1))
    while stack:
        node, prefix, last = stack.pop()
        lines.append(f"{prefix}{'└── ' if last else '├── '}{_label(node)}")
        kids = list(node.get("children") or [])
        below = prefix + ("    " if last else "│   ")
        for i, child in reversed(list(enumerate(kids))):
            stack.append((child, below, i == len(kids) - 1))
    return lines


NODE_COLUMNS = ["depth", "kind", "action", "id", "account", "region", "time", "event_id"]


def node_rows(trace: Trace) -> list[dict[str, Any]]:
    """One row a node, for `--output text` (tab-separated, column order fixed)."""
    rows = []
    for depth, node in trace.walk():
        first = node.evidence[0] if node.evidence else None
        rows.append(
            {
                "depth": depth,
                "kind": node.kind,
                "action": node.action,
                "id": node.id,
                "account": node.account,
                "region": first.region if first else None,
                "time": first.time if first else None,
                "event_id": first.event_id if first else None,
            }
        )
    return rows
