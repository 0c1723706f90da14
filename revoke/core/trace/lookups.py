"""The walk's questions: the credential a trace starts from (`parse_start`), the first
lookups for it, the follow-ups each level of events asks for, and the check that makes a
looked-up value safe to place in a query."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from revoke.core.trace.meaning import minted
from revoke.core.trace.records import _ARN, _NAME, KEY_ID, Event, _dict, _text
from revoke.errors import BadInput

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
