"""Whose is a leaked access key, and which cutoff covers it. Pure: no boto3, no I/O.

`revoke key KEY_ID` starts from nothing but an access key ID. The pieces here:

- which IDs it takes: `AKIA` (an IAM user's long-term key) and `ASIA` (temporary
  credentials), AWS-FACTS fact 7; the shape is checked by revoke.core.keyid;
- the principal behind an ARN from the token ledger or a CloudTrail event: a user, a role
  (the issuer of an assumed-role session), or the root user, which no policy restricts
  (fact 15);
- the principal and issue time in a CloudTrail event signed with the key: its
  `userIdentity` names the principal, and `userIdentity.sessionContext.attributes.
  creationDate` is "the date and time ... when the credentials were issued" (CloudTrail
  User Guide, cloudtrail-event-reference-user-identity; GuardDuty's Session.createdTime
  documents the same field);
- the cutoff that covers a session issued at a known time: `DateLessThan` is strict
  (fact 10) and sessions issued at or after the cutoff survive (fact 22), so the cutoff
  must be strictly after the issue time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from revoke.core.keyid import KeyId, parse_key_id
from revoke.core.names import TargetName, parse_target, root_refused
from revoke.core.timeparse import cutoff_datetime, format_cutoff
from revoke.errors import BadInput

KEY_PREFIXES = ("AKIA", "ASIA")

# What to run instead when the ID is not an access key (IAM User Guide, unique ID prefixes).
_INSTEAD = {
    "AIDA": "an IAM user's unique ID: find its name (aws iam list-users) and run "
    "revoke user NAME --before now",
    "AROA": "an IAM role's unique ID: find its name (aws iam list-roles) and run "
    "revoke role NAME --before now",
    "ABIA": "an AWS STS service bearer token: it cannot be denied by an IAM policy on a "
    "principal; revoke the sessions of the principal that requested it",
    "ACCA": "a context-specific credential: revoke the sessions of the principal it "
    "belongs to (revoke user|role NAME)",
}

_STS_ARN = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):sts::(?P<account>\d{12}):(?P<type>[\w-]+)/(?P<rest>.+)$"
)
_IAM_ARN = re.compile(r"^arn:(?P<partition>aws[\w-]*):iam::(?P<account>\d{12}):(?P<rest>.+)$")
# CloudTrail writes creationDate both as 2013-11-02T01:06:28Z and as 20131102T010628Z.
_COMPACT_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")


def parse_access_key(text: str) -> KeyId:
    """An AKIA or ASIA key ID, or BadInput saying what it is and what to run instead."""
    key = parse_key_id(text)
    if key.prefix in KEY_PREFIXES:
        return key
    instead = _INSTEAD.get(key.prefix)
    raise BadInput(
        f"{key.value} is not an access key ID: it is {key.description}"
        + (f" ({key.prefix}...)" if instead is None else ""),
        hint=instead or "revoke key takes an access key ID that starts AKIA or ASIA",
    )


def target_from_arn(arn: str) -> TargetName:
    """The user or role whose policies govern a caller ARN (ledger, CloudTrail).

    `arn:aws:iam::A:user/path/alice` -> user alice; `arn:aws:sts::A:assumed-role/R/s` ->
    role R; the root (`arn:aws:iam::A:root`) is refused (fact 15). A federated user's ARN
    does not name the IAM user that issued it: BadInput (CloudTrail's sessionIssuer does).
    """
    text = (arn or "").strip()
    match = _STS_ARN.match(text)
    if match:
        if match.group("type") == "assumed-role":
            role = match.group("rest").split("/", 1)[0]
            return TargetName("role", parse_target("role", role).name, match.group("account"))
        raise BadInput(
            f"{text} does not name the IAM user or role whose policies govern it",
            hint="revoke user NAME (the IAM user who called GetFederationToken) or "
            "revoke role NAME",
        )
    match = _IAM_ARN.match(text)
    if match is None:
        raise BadInput(f"{text!r} is not an IAM or STS ARN")
    rest = match.group("rest")
    if rest == "root":
        raise root_refused(text)
    kind = rest.split("/", 1)[0]
    if kind not in ("user", "role"):
        raise BadInput(f"{text} is neither a user nor a role")
    return parse_target(kind, text)


def parse_trail_time(value: Any) -> datetime | None:
    """A CloudTrail time (either of its formats, or a datetime), aware UTC; None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value).strip()
    compact = _COMPACT_TIME.match(text)
    if compact:
        year, month, day, hour, minute, second = (int(part) for part in compact.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    try:
        return cutoff_datetime(text)
    except BadInput:
        return None


@dataclass(frozen=True)
class TrailIdentity:
    """Who signed a CloudTrail event with the key, and when that session was issued."""

    kind: str  # "user" | "role" | "root" | other userIdentity types, lower-cased
    name: str | None
    arn: str | None  # the IAM user's or role's ARN (the session issuer for a session)
    account: str | None
    issued_at: datetime | None  # sessionContext.attributes.creationDate
    event_time: datetime | None
    event_name: str | None
    identity_type: str | None  # userIdentity.type as CloudTrail wrote it


def identity_from_event(event: dict[str, Any]) -> TrailIdentity | None:
    """The principal behind one CloudTrail event record (the parsed `CloudTrailEvent`).

    userIdentity types (CloudTrail User Guide, userIdentity element): IAMUser (a user's
    key or GetSessionToken session), AssumedRole (sessionIssuer: the role),
    FederatedUser (sessionIssuer: the IAM user that called GetFederationToken), Root.
    """
    identity = event.get("userIdentity")
    if not isinstance(identity, dict):
        return None
    kind_of = str(identity.get("type") or "")
    context = identity.get("sessionContext") or {}
    issuer = context.get("sessionIssuer") or {}
    attributes = context.get("attributes") or {}
    issued = parse_trail_time(attributes.get("creationDate"))
    when = parse_trail_time(event.get("eventTime"))
    name: str | None
    if kind_of == "IAMUser":
        kind, name, arn = "user", identity.get("userName"), identity.get("arn")
    elif kind_of in ("AssumedRole", "FederatedUser") and issuer.get("arn"):
        issuer_type = str(issuer.get("type") or "")
        kind = "role" if issuer_type == "Role" else "user" if issuer_type == "IAMUser" else ""
        name, arn = issuer.get("userName"), issuer.get("arn")
        if issuer_type == "Root":
            kind, name = "root", None
        if not kind:
            kind = issuer_type.lower() or "unknown"
    elif kind_of == "Root":
        kind, name, arn = "root", None, identity.get("arn")
    else:
        kind, name, arn = (kind_of.lower() or "unknown"), None, identity.get("arn")
    return TrailIdentity(
        kind=kind,
        name=str(name) if name else None,
        arn=str(arn) if arn else None,
        account=str(identity.get("accountId") or issuer.get("accountId") or "") or None,
        issued_at=issued,
        event_time=when,
        event_name=str(event.get("eventName") or "") or None,
        identity_type=kind_of or None,
    )


def first_identity(events: list[dict[str, Any]]) -> TrailIdentity | None:
    """The identity the events name, preferring one that carries the issue time."""
    found = [i for i in (identity_from_event(e) for e in events) if i is not None]
    with_time = [i for i in found if i.issued_at is not None]
    chosen = with_time or found
    return chosen[0] if chosen else None


def earliest_covering_cutoff(issued_at: datetime) -> str:
    """The earliest cutoff that denies a session issued at `issued_at`.

    AWS reports issue times to the second (the ledger's Expiration minus duration,
    CloudTrail's creationDate), while the session's real aws:TokenIssueTime lies anywhere
    in [t, t+1s). DateLessThan is strict (fact 10), so only t+1s is sure to be after it.
    """
    whole = issued_at.astimezone(timezone.utc).replace(microsecond=0)
    return format_cutoff(whole + timedelta(seconds=1))


@dataclass(frozen=True)
class CutoffChoice:
    cutoff: str
    requested: str
    moved: bool
    reason: str


def cutoff_for_session(requested: str, issued_at: datetime | None, source: str) -> CutoffChoice:
    """The later of the responder's cutoff and the earliest one covering the session.

    With DateLessThan, a cutoff before the session's issue time lets it live (fact 22);
    a later one still denies it, and moving a cutoff later is always safe.
    """
    if issued_at is None:
        return CutoffChoice(
            cutoff=requested,
            requested=requested,
            moved=False,
            reason=f"the key's issue time is unknown: cutoff {requested} covers it only if "
            "the key was issued before then; --before now always does",
        )
    needed = earliest_covering_cutoff(issued_at)
    issued = issued_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if cutoff_datetime(requested) >= cutoff_datetime(needed):
        return CutoffChoice(
            cutoff=requested,
            requested=requested,
            moved=False,
            reason=f"the key was issued at {issued} ({source}); cutoff {requested} is after "
            "it, so the deny covers that session (DateLessThan is strict)",
        )
    return CutoffChoice(
        cutoff=needed,
        requested=requested,
        moved=True,
        reason=f"the key was issued at {issued} ({source}), after the requested cutoff "
        f"{requested}, which would have left it working; the cutoff is moved to "
        f"{needed}, one second after the issue time, because DateLessThan is strict and "
        "issue times are reported to the second",
    )
