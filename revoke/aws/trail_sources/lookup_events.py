"""The default source: CloudTrail LookupEvents in every enabled region of every account a
lookup names, in parallel, each (account, region) paced by its own bucket, paged to the end
(or MAX_PAGES)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from revoke.aws.errors import error_code
from revoke.aws.trail_sources.pacing import Limiters
from revoke.aws.trail_sources.status import SourceStatus, TrailAnswer, _failure
from revoke.core.trace import Lookup
from revoke.errors import RevokeError

PAGE_SIZE = 50  # LookupEvents' maximum MaxResults
LOOKUP_ATTEMPTS = 5  # botocore standard retries: a throttle from someone else's lookups
MAX_PAGES = 2000  # 100,000 events for one key in one region: far past any incident
REGION_WORKERS = 17  # the commercial regions enabled by default, all at once


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
