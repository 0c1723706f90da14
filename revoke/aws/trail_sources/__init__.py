"""Where `revoke trace` reads CloudTrail from: LookupEvents, CloudTrail Lake, or Athena.

Every source answers `query(lookups)` with the records it found (dicts shaped as
CloudTrail's, parsed by revoke.core.trace) and one status per place it asked (an account
and region, or the organization trail). A source that refuses (AccessDenied), times out
or does not exist is a status, never an exception: the trace reports what it could not
read and goes on with the rest.

LookupEvents (the default): management events of the last 90 days, one region per call,
at most 50 events a page, "limited to two per second, per account, per Region. If this
limit is exceeded, a throttling error occurs"
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
So: every region of an account in parallel, each (account, region) behind its own token
bucket at 2 requests a second, asked before every call; botocore's standard retries
absorb a throttle that another tool's lookups cause. The lookup attributes are those
LookupEvents takes: AccessKeyId, Username, ResourceName
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupAttribute.html).

Why not revoke.aws.ratelimit.AdaptiveRateLimiter: it paces IAM only once IAM has
throttled, to a rate it learns; LookupEvents' rate is documented and fixed, so a fixed
bucket keeps every call under it from the first.

`--events lake:EVENT_DATA_STORE_ID`: one CloudTrail Lake query (StartQuery with SQL, then
GetQueryResults until FINISHED;
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StartQuery.html,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetQueryResults.html).
`--events athena:DATABASE.TABLE [--workgroup W]`: one Athena query over the organization
trail's table (StartQueryExecution, GetQueryExecution, GetQueryResults;
https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html).
Either covers every account and region of the organization trail in one query per level
of the walk, instead of a lookup per key, account and region.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from revoke.aws.errors import error_code, error_message, one_line
from revoke.core.trace import Lookup, athena_sql, lake_sql, record_from_columns
from revoke.errors import RevokeError

PAGE_SIZE = 50  # LookupEvents' maximum MaxResults
LOOKUP_RATE = 2.0  # requests a second, per account and region
LOOKUP_ATTEMPTS = 5  # botocore standard retries: a throttle from someone else's lookups
MAX_PAGES = 2000  # 100,000 events for one key in one region: far past any incident
REGION_WORKERS = 17  # the commercial regions enabled by default, all at once
QUERY_POLL_SECONDS = 1.0
QUERY_MAX_WAIT_SECONDS = 600.0

ANSWERED, REFUSED, UNAVAILABLE = "answered", "refused", "unavailable"
_REFUSALS = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "OptInRequired"}
)
# A region that is not enabled for the account answers as if the key were unknown there.
_NOT_ENABLED = frozenset({"UnrecognizedClientException", "InvalidClientTokenId"})


class TokenBucket:
    """`rate` requests a second, at most `burst` at once; `acquire` waits for a token.

    The clock and sleep are injected: tests and the benchmark run on a fake clock, and the
    seconds a run would have waited are counted in `waited`."""

    def __init__(
        self,
        rate: float = LOOKUP_RATE,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()
        self.acquired = 0
        self.waited = 0.0

    def acquire(self) -> float:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
            self.acquired += 1
            self.waited += wait
        if wait > 0:
            self._sleep(wait)
        return wait


class Limiters:
    """One bucket per (account, region), made on first use; shared by every lookup."""

    def __init__(self, make: Callable[[], TokenBucket] = TokenBucket) -> None:
        self._make = make
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, account: str, region: str) -> TokenBucket:
        with self._lock:
            found = self._buckets.get((account, region))
            if found is None:
                found = self._buckets[(account, region)] = self._make()
            return found

    def buckets(self) -> dict[tuple[str, str], TokenBucket]:
        with self._lock:
            return dict(self._buckets)


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


def _record(text: Any) -> dict[str, Any] | None:
    try:
        record = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


# -- LookupEvents ------------------------------------------------------------------------------


def enabled_regions(session: Any) -> tuple[list[str], str | None]:
    """The regions enabled for the account (ec2:DescribeRegions lists only those unless
    AllRegions is asked;
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html), or
    botocore's list of CloudTrail regions and a warning when that is refused."""
    import botocore.exceptions

    try:
        found = session.client("ec2").describe_regions()
        regions = sorted(r["RegionName"] for r in found.get("Regions") or [] if r.get("RegionName"))
        if regions:
            return regions, None
        why = "ec2:DescribeRegions listed no region"
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        why = f"ec2:DescribeRegions: {error_code(err) or type(err).__name__}"
    except RevokeError as err:
        why = f"ec2:DescribeRegions: {err.message}"
    except NotImplementedError:
        why = "ec2:DescribeRegions is not implemented by this endpoint"
    regions = sorted(session.boto.get_available_regions("cloudtrail")) or [session.region]
    return regions, f"{why}; asked every region botocore knows for CloudTrail instead"


class LookupEventsSource:
    """LookupEvents in every region of every account a lookup names, in parallel."""

    name = "lookup"

    def __init__(
        self,
        open_account: Callable[[str | None], Any],
        *,
        home_account: str | None,
        regions: Sequence[str] | None = None,
        since: datetime | None = None,
        limiters: Limiters | None = None,
        workers: int = REGION_WORKERS,
        max_pages: int = MAX_PAGES,
        list_regions: Callable[[Any], tuple[list[str], str | None]] = enabled_regions,
    ) -> None:
        self._open = open_account
        self.home_account = home_account
        self._regions = list(regions) if regions else None
        self.since = since
        self.limiters = limiters or Limiters()
        self.workers = max(1, workers)
        self.max_pages = max_pages
        self._list_regions = list_regions
        self._sessions: dict[str | None, Any] = {}
        self._account_regions: dict[str | None, list[str]] = {}
        self.warnings: list[str] = []
        self._lock = threading.Lock()

    def _session(self, account: str | None) -> Any:
        key = None if account in (None, self.home_account) else account
        with self._lock:
            if key in self._sessions:
                return self._sessions[key]
        session = self._open(key)
        with self._lock:
            self._sessions[key] = session
        return session

    def _regions_of(self, account: str | None, session: Any) -> list[str]:
        if self._regions:
            return self._regions
        with self._lock:
            if account in self._account_regions:
                return self._account_regions[account]
        regions, warning = self._list_regions(session)
        with self._lock:
            self._account_regions[account] = regions
            if warning:
                self.warnings.append(f"account {account or self.home_account}: {warning}")
        return regions

    def query(self, lookups: Sequence[Lookup]) -> TrailAnswer:
        answer = TrailAnswer()
        tasks: list[tuple[Any, str, str, Lookup]] = []
        for lookup in lookups:
            account = lookup.account or self.home_account
            label = account or "caller"
            try:
                session = self._session(lookup.account)
                regions = self._regions_of(lookup.account, session)
            except Exception as err:  # noqa: BLE001 - an account we cannot enter is a status
                answer.statuses.append(_failure(SourceStatus("lookup", account, None), err))
                continue
            tasks.extend((session, label, region, lookup) for region in regions)
        if not tasks:
            return answer
        with ThreadPoolExecutor(
            max_workers=min(self.workers, len(tasks)), thread_name_prefix="revoke-trail"
        ) as pool:
            for records, status in pool.map(lambda t: self._lookup(*t), tasks):
                answer.records.extend(records)
                answer.statuses.append(status)
        return answer

    def _lookup(
        self, session: Any, account: str, region: str, lookup: Lookup
    ) -> tuple[list[dict[str, Any]], SourceStatus]:
        status = SourceStatus("lookup", None if account == "caller" else account, region)
        records: list[dict[str, Any]] = []
        bucket = self.limiters.bucket(account, region)
        request: dict[str, Any] = {
            "LookupAttributes": [
                {"AttributeKey": lookup.attribute, "AttributeValue": lookup.value}
            ],
            "MaxResults": PAGE_SIZE,
        }
        if self.since is not None:
            request["StartTime"] = self.since
        try:
            client = session.client("cloudtrail", region=region, attempts=LOOKUP_ATTEMPTS)
            token: str | None = None
            while True:
                if status.calls >= self.max_pages:
                    status.truncated = True
                    break
                bucket.acquire()  # before every call: 2 a second in this account and region
                status.calls += 1
                page = client.lookup_events(**request, **({"NextToken": token} if token else {}))
                for entry in page.get("Events") or []:
                    record = _record(entry.get("CloudTrailEvent"))
                    if record is not None:
                        records.append(record)
                token = page.get("NextToken")
                if not token:
                    break
        except Exception as err:  # noqa: BLE001 - every failure is this place's status
            _failure(status, err)
        status.events = len(records)
        return records, status


# -- CloudTrail Lake and Athena -----------------------------------------------------------------


class _QuerySource:
    name = "query"

    def __init__(
        self,
        session: Any,
        *,
        since: str,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = QUERY_POLL_SECONDS,
        max_wait: float = QUERY_MAX_WAIT_SECONDS,
    ) -> None:
        self.session = session
        self.since = since
        self._sleep = sleep
        self.poll_seconds = poll_seconds
        self.max_polls = max(1, int(max_wait / poll_seconds)) if poll_seconds > 0 else 1000
        self.warnings: list[str] = []

    def query(self, lookups: Sequence[Lookup]) -> TrailAnswer:
        answer = TrailAnswer()
        status = SourceStatus(self.name, None, None)
        answer.statuses.append(status)
        if not lookups:
            return answer
        try:
            answer.records = self._run(lookups, status)
        except Exception as err:  # noqa: BLE001 - a query that fails is this source's status
            if isinstance(err, RevokeError) and err.exit_code == 2:
                raise
            _failure(status, err)
        status.events = len(answer.records)
        return answer

    def _run(self, lookups: Sequence[Lookup], status: SourceStatus) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _give_up(self, status: SourceStatus, what: str) -> list[dict[str, Any]]:
        status.status = UNAVAILABLE
        status.error_code = "Timeout"
        status.error = (
            f"{what} did not finish within {self.max_polls * self.poll_seconds:g} s; "
            "nothing was read from it"
        )
        return []


class LakeSource(_QuerySource):
    name = "lake"

    def __init__(self, session: Any, event_data_store: str, **kwargs: Any) -> None:
        super().__init__(session, **kwargs)
        self.event_data_store = event_data_store

    def _run(self, lookups: Sequence[Lookup], status: SourceStatus) -> list[dict[str, Any]]:
        sql = lake_sql(self.event_data_store, lookups, self.since)
        client = self.session.client("cloudtrail")
        status.calls += 1
        query_id = client.start_query(QueryStatement=sql)["QueryId"]
        records: list[dict[str, Any]] = []
        token: str | None = None
        polls = 0
        while True:
            status.calls += 1
            page = client.get_query_results(
                QueryId=query_id, **({"NextToken": token} if token else {})
            )
            state = page.get("QueryStatus")
            if state in ("QUEUED", "RUNNING"):
                polls += 1
                if polls > self.max_polls:
                    return self._give_up(status, f"CloudTrail Lake query {query_id}")
                self._sleep(self.poll_seconds)
                continue
            if state != "FINISHED":
                status.status = UNAVAILABLE
                status.error_code = f"Query{(state or 'Unknown').title().replace('_', '')}"
                status.error = f"CloudTrail Lake query {state}: {page.get('ErrorMessage') or ''}"
                return []
            for row in page.get("QueryResultRows") or []:
                flat: dict[str, Any] = {}
                for cell in row or []:
                    if isinstance(cell, dict):
                        flat.update(cell)
                records.append(record_from_columns(flat))
            token = page.get("NextToken")
            if not token:
                return records


class AthenaSource(_QuerySource):
    name = "athena"

    def __init__(
        self,
        session: Any,
        database: str,
        table: str,
        *,
        workgroup: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(session, **kwargs)
        self.database = database
        self.table = table
        self.workgroup = workgroup

    def _run(self, lookups: Sequence[Lookup], status: SourceStatus) -> list[dict[str, Any]]:
        sql = athena_sql(self.database, self.table, lookups, self.since)
        client = self.session.client("athena")
        start: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self.database},
        }
        if self.workgroup:
            start["WorkGroup"] = self.workgroup
        status.calls += 1
        query_id = client.start_query_execution(**start)["QueryExecutionId"]
        polls = 0
        while True:
            status.calls += 1
            execution = client.get_query_execution(QueryExecutionId=query_id)
            state_info = (execution.get("QueryExecution") or {}).get("Status") or {}
            state = state_info.get("State")
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                status.status = UNAVAILABLE
                status.error_code = f"Query{state.title()}"
                status.error = f"Athena query {state}: {state_info.get('StateChangeReason') or ''}"
                return []
            polls += 1
            if polls > self.max_polls:
                return self._give_up(status, f"Athena query {query_id}")
            self._sleep(self.poll_seconds)
        records: list[dict[str, Any]] = []
        token: str | None = None
        first = True
        while True:
            status.calls += 1
            page = client.get_query_results(
                QueryExecutionId=query_id, **({"NextToken": token} if token else {})
            )
            result = page.get("ResultSet") or {}
            columns = [
                c.get("Name") or c.get("Label")
                for c in (result.get("ResultSetMetadata") or {}).get("ColumnInfo") or []
            ]
            rows = result.get("Rows") or []
            for index, row in enumerate(rows):
                values = [cell.get("VarCharValue") for cell in row.get("Data") or []]
                if first and index == 0 and values == columns:
                    continue  # the first page starts with the column names
                records.append(record_from_columns(dict(zip(columns, values, strict=False))))
            first = False
            token = page.get("NextToken")
            if not token:
                return records
