"""`revoke trace KEY_ID|ARN`: what a credential did that matters for containment. Read-only.

The walk: look up the credential's events, find what they issued or created (the next
lookups: minted session keys, created access keys, created users), look those up, and so
on until nothing new appears (or revoke.core.trace.MAX_LOOKUPS lookups). Each level of the
walk is one `query` of the event source: with LookupEvents, every region of the accounts
it names in parallel; with CloudTrail Lake or Athena, one query over the organization
trail. Accounts other than the caller's are entered through the fan-out role
(`--assume-role-name`, as `revoke ... --accounts` does: revoke.ops.accounts).

Nothing is written: the only calls are reads (LookupEvents, DescribeRegions, Lake and
Athena queries) and, to enter another account, sts:AssumeRole.

    run_trace(ctx, options, *, source=None) -> TraceReport
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from revoke.core import trace as core
from revoke.core.timeparse import format_cutoff, parse_when
from revoke.errors import BadInput, ExitCode
from revoke.ops.accounts import DEFAULT_ROLE_NAME, check_role_name, parse_accounts

if TYPE_CHECKING:
    from revoke.aws.trail_sources import SourceStatus, TrailSource
    from revoke.ops.context import RunContext

# LookupEvents answers for "a Region within the last 90 days" (API_LookupEvents).
LOOKUP_WINDOW = timedelta(days=90)
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@dataclass(kw_only=True)
class TrailReading:
    """Where and how far back a trace reads events: `revoke trace`'s options, and those a
    `--follow` run passes on to its trace (revoke.ops.follow.FollowOptions)."""

    since: str | None = None
    regions: str = "all"
    events: str = "lookup"
    workgroup: str | None = None
    accounts: Sequence[str] = ()
    role_name: str = DEFAULT_ROLE_NAME

    def reading(self) -> dict[str, Any]:
        """These fields alone, by name (a trace's options from a follow's)."""
        return {f.name: getattr(self, f.name) for f in fields(TrailReading)}


@dataclass
class TraceOptions(TrailReading):
    credential: str


@dataclass(frozen=True)
class EventsSpec:
    kind: str  # lookup | lake | athena
    event_data_store: str | None = None
    database: str | None = None
    table: str | None = None


def parse_events(text: str) -> EventsSpec:
    raw = (text or "lookup").strip()
    if raw == "lookup":
        return EventsSpec("lookup")
    kind, _, rest = raw.partition(":")
    if kind == "lake" and re.match(r"^[\w-]{1,256}$", rest, re.ASCII):
        return EventsSpec("lake", event_data_store=rest)
    if kind == "athena":
        database, dot, table = rest.partition(".")
        if dot and re.match(r"^\w{1,255}$", database) and re.match(r"^\w{1,255}$", table):
            return EventsSpec("athena", database=database, table=table)
    raise BadInput(
        f"--events {raw!r} is not lookup, lake:EVENT_DATA_STORE_ID or athena:DATABASE.TABLE",
        hint="for example --events lake:EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE or "
        "--events athena:security.org_cloudtrail",
    )


def parse_regions(text: str) -> list[str] | None:
    """`all` (None: every region enabled for the account) or a comma-separated list."""
    raw = (text or "all").strip()
    if raw == "all":
        return None
    regions: list[str] = []
    for region in (r.strip() for r in raw.split(",")):
        if not region:
            continue
        if not _REGION.match(region):
            raise BadInput(
                f"{region!r} is not an AWS region name", hint="--regions all or us-east-1,eu-west-1"
            )
        if region not in regions:
            regions.append(region)
    if not regions:
        raise BadInput("--regions names no region", hint="--regions all or us-east-1,eu-west-1")
    return regions


@dataclass
class TraceReport:
    start: core.Start
    since: str
    source: str
    trace: core.Trace
    statuses: list[SourceStatus]
    lookups: int
    warnings: list[str] = field(default_factory=list)

    def places(self) -> list[dict[str, Any]]:
        """One entry per place asked (account and region, or query), the lookups summed."""
        merged: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
        rank = {"answered": 0, "unavailable": 1, "refused": 2}
        for status in self.statuses:
            key = (status.source, status.account, status.region)
            entry = merged.get(key)
            if entry is None:
                merged[key] = status.to_json()
                continue
            entry["calls"] += status.calls
            entry["events"] += status.events
            entry["truncated"] = entry["truncated"] or status.truncated
            if rank.get(status.status, 1) > rank.get(entry["status"], 1):
                entry.update(status=status.status, error=status.error, error_code=status.error_code)
        return list(merged.values())

    def exit_code(self) -> ExitCode:
        places = self.places()
        answered = [p for p in places if p["status"] == "answered"]
        if not answered:
            return ExitCode.AWS_FAILURE
        if len(answered) < len(places):
            return ExitCode.PARTIAL
        return ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        places = self.places()
        warnings = list(self.warnings)
        for place in places:
            if place["status"] != "answered":
                where = " ".join(
                    str(x) for x in (place["source"], place["account"], place["region"]) if x
                )
                warnings.append(
                    f"{where}: {place['status']}: {place['error']} (the tree may miss what "
                    "was logged there)"
                )
            elif place["truncated"]:
                warnings.append(
                    f"{place['source']} {place['account']} {place['region']}: truncated"
                )
        return {
            "action": "trace",
            "credential": self.start.text,
            "credential_kind": self.start.kind,
            "since": self.since,
            "events_source": self.source,
            "complete": self.exit_code() == ExitCode.OK,
            "lookups": self.lookups,
            "tree": self.trace.root.to_json(),
            "summary": self.trace.summary(),
            "sources": places,
            "warnings": warnings,
        }

    def rows(self) -> list[Mapping[str, Any]]:
        return list(core.node_rows(self.trace))


def make_source(ctx: RunContext, options: TraceOptions, since: str) -> tuple[TrailSource, str]:
    """The event source `--events` names, reaching accounts as the fan-out does."""
    from revoke.core.timeparse import cutoff_datetime

    spec = parse_events(options.events)
    session = ctx.aws()
    if spec.kind == "lake":
        from revoke.aws.trail_sources import LakeSource

        assert spec.event_data_store is not None
        return LakeSource(session, spec.event_data_store, since=since), "lake"
    if spec.kind == "athena":
        from revoke.aws.trail_sources import AthenaSource

        assert spec.database is not None and spec.table is not None
        return (
            AthenaSource(
                session, spec.database, spec.table, workgroup=options.workgroup, since=since
            ),
            "athena",
        )
    from revoke.aws.iam import IamGateway
    from revoke.aws.trail_sources import LookupEventsSource
    from revoke.ops.accounts import account_opener

    caller = IamGateway(session).caller_identity()
    open_account, _ = account_opener(session, caller, check_role_name(options.role_name))

    def open_or_home(account: str | None) -> Any:
        return session if account is None else open_account(account)

    return (
        LookupEventsSource(
            open_or_home,
            home_account=caller.get("account"),
            regions=parse_regions(options.regions),
            since=cutoff_datetime(since),
        ),
        "lookup",
    )


def run_trace(
    ctx: RunContext, options: TraceOptions, *, source: TrailSource | None = None
) -> TraceReport:
    start = core.parse_start(options.credential)
    now = ctx.now()
    moment = parse_when(options.since, now=now) if options.since else now - LOOKUP_WINDOW
    since = format_cutoff(moment)
    accounts = parse_accounts(list(options.accounts))
    parse_regions(options.regions)  # bad input before any call
    spec = parse_events(options.events)
    if options.workgroup and spec.kind != "athena":
        raise BadInput("--workgroup is for --events athena:DATABASE.TABLE")
    warnings: list[str] = []
    if spec.kind == "lookup" and now - moment > LOOKUP_WINDOW + timedelta(minutes=1):
        warnings.append(
            f"--since {since} is more than 90 days ago: LookupEvents only answers for the last "
            "90 days (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/"
            "API_LookupEvents.html); use --events lake:ID or athena:DB.TABLE for older events"
        )
    name = spec.kind
    if source is None:
        source, name = make_source(ctx, options, since)
    else:
        name = getattr(source, "name", name)

    level = core.first_lookups(start)
    level += [
        core.Lookup(first.attribute, first.value, account)
        for first in list(level)
        for account in accounts
        if account != first.account
    ]
    seen: set[core.Lookup] = set()
    events: list[core.Event] = []
    statuses: list[SourceStatus] = []
    depth = 0
    while level:
        room = core.MAX_LOOKUPS - len(seen)
        fresh = [x for x in dict.fromkeys(level) if x not in seen]
        if not fresh:
            break
        if room <= 0:
            warnings.append(
                f"stopped after {core.MAX_LOOKUPS} lookups: {len(fresh)} credentials not "
                "looked up; trace them one by one with revoke trace KEY_ID"
            )
            break
        level = fresh[:room]
        seen.update(level)
        depth += 1
        ctx.say(f"trace: level {depth}: {len(level)} lookup(s) in {name}")
        answer = source.query(level)
        statuses.extend(answer.statuses)
        found = [e for e in (core.parse_record(r) for r in answer.records) if e is not None]
        events.extend(found)
        level = core.follow_ups(found)
    warnings.extend(getattr(source, "warnings", []) or [])
    trace = core.build_trace(start, events)
    if trace.refused:
        warnings.append(
            f"{len(trace.refused)} attempt(s) AWS refused (errorCode in the record) issued "
            "nothing and are not in the tree"
        )
    for node in (n for _, n in trace.walk() if n.kind == "foothold"):
        target = node.details.get("target", {})
        if node.action in ("CreateLoginProfile", "UpdateLoginProfile") and target.get("userName"):
            arn_account = node.account or "ACCOUNT"
            when = node.evidence[0].time if node.evidence else since
            warnings.append(
                f"{node.action} gave user {target['userName']} a console password the attacker "
                f"knows: what that user did since {when} may be the attacker's "
                f"(revoke trace arn:aws:iam::{arn_account}:user/{target['userName']} "
                f"--since {when})"
            )
    return TraceReport(
        start=start,
        since=since,
        source=name,
        trace=trace,
        statuses=statuses,
        lookups=len(seen),
        warnings=warnings,
    )
