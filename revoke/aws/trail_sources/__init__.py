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

The modules: `status` (what a source answers, failures as statuses), `pacing` (the token
buckets), `lookup_events` (LookupEventsSource), `queries` (LakeSource, AthenaSource); the
last two import the first two, never each other. Every name is importable from here.
"""

from __future__ import annotations

from revoke.aws.trail_sources.lookup_events import (
    LOOKUP_ATTEMPTS,
    MAX_PAGES,
    PAGE_SIZE,
    REGION_WORKERS,
    LookupEventsSource,
    enabled_regions,
)
from revoke.aws.trail_sources.pacing import LOOKUP_RATE, Limiters, TokenBucket
from revoke.aws.trail_sources.queries import (
    QUERY_MAX_WAIT_SECONDS,
    QUERY_POLL_SECONDS,
    AthenaSource,
    LakeSource,
)
from revoke.aws.trail_sources.status import (
    ANSWERED,
    REFUSED,
    UNAVAILABLE,
    SourceStatus,
    TrailAnswer,
    TrailSource,
)

__all__ = [
    "ANSWERED",
    "AthenaSource",
    "LOOKUP_ATTEMPTS",
    "LOOKUP_RATE",
    "LakeSource",
    "Limiters",
    "LookupEventsSource",
    "MAX_PAGES",
    "PAGE_SIZE",
    "QUERY_MAX_WAIT_SECONDS",
    "QUERY_POLL_SECONDS",
    "REFUSED",
    "REGION_WORKERS",
    "SourceStatus",
    "TokenBucket",
    "TrailAnswer",
    "TrailSource",
    "UNAVAILABLE",
    "enabled_regions",
]
