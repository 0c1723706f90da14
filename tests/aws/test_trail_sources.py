"""revoke.aws.trail_sources: LookupEvents paging, pacing and refusals; Lake and Athena.

moto has no LookupEvents, Lake queries or Athena results, so the answers are botocore
Stubber responses on real clients, shaped as the API references show them
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html,
API_GetQueryResults.html; https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html).
No test sleeps: the token buckets and the query polls run on an injected clock.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import datetime, timezone
from typing import Any

from botocore.stub import Stubber

from revoke.aws.session import AwsSession
from revoke.aws.trail_sources import (
    LOOKUP_ATTEMPTS,
    PAGE_SIZE,
    AthenaSource,
    LakeSource,
    Limiters,
    LookupEventsSource,
    TokenBucket,
    enabled_regions,
)
from revoke.core.trace import Lookup
from revoke.errors import AwsFailure

KEY = "AKIAIOSFODNN7EXAMPLE"
SINCE = datetime(2026, 11, 1, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def event(n: int, region: str = "us-east-1") -> dict[str, Any]:
    record = {
        "eventName": "ListBuckets",
        "eventID": f"ev-{region}-{n}",
        "eventTime": "2026-11-29T09:00:00Z",
        "awsRegion": region,
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "accessKeyId": KEY, "userName": "alice"},
    }
    return {
        "EventId": record["eventID"],
        "EventName": "ListBuckets",
        "CloudTrailEvent": json.dumps(record),
    }


def expected(token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": KEY}],
        "MaxResults": PAGE_SIZE,
        "StartTime": SINCE,
    }
    if token:
        params["NextToken"] = token
    return params


def lookup_source(
    session: AwsSession, regions: list[str], clock: FakeClock, **kw: Any
) -> LookupEventsSource:
    limiters = Limiters(lambda: TokenBucket(clock=clock, sleep=clock.sleep))
    return LookupEventsSource(
        lambda account: session,
        home_account="111122223333",
        regions=regions,
        since=SINCE,
        limiters=limiters,
        **kw,
    )


def stub(session: AwsSession, region: str) -> Stubber:
    return Stubber(session.client("cloudtrail", region=region, attempts=LOOKUP_ATTEMPTS))


def test_every_page_is_read_and_each_call_waits_for_its_slot() -> None:
    session = AwsSession(region="us-east-1")
    clock = FakeClock()
    source = lookup_source(session, ["us-east-1"], clock)
    stubber = stub(session, "us-east-1")
    stubber.add_response(
        "lookup_events", {"Events": [event(n) for n in range(50)], "NextToken": "p2"}, expected()
    )
    stubber.add_response(
        "lookup_events",
        {"Events": [event(n) for n in range(50, 100)], "NextToken": "p3"},
        expected("p2"),
    )
    stubber.add_response(
        "lookup_events", {"Events": [event(n) for n in range(100, 107)]}, expected("p3")
    )
    with stubber:
        answer = source.query([Lookup("AccessKeyId", KEY)])
    stubber.assert_no_pending_responses()
    assert len(answer.records) == 107
    [status] = answer.statuses
    assert (status.status, status.region, status.calls, status.events) == (
        "answered",
        "us-east-1",
        3,
        107,
    )
    bucket = source.limiters.bucket("111122223333", "us-east-1")
    # Asked before each of the three calls; 2 a second: half a second between calls.
    assert bucket.acquired == 3
    assert clock.sleeps == [0.5, 0.5]


def test_all_regions_are_asked_and_a_refusal_is_a_status_not_an_error() -> None:
    session = AwsSession(region="us-east-1")
    clock = FakeClock()
    regions = ["us-east-1", "eu-west-1", "ap-south-1"]
    source = lookup_source(session, regions, clock)
    with ExitStack() as stack:
        for region in regions:
            stubber = stack.enter_context(stub(session, region))
            if region == "eu-west-1":
                stubber.add_client_error(
                    "lookup_events",
                    "AccessDeniedException",
                    "User: arn:aws:iam::111122223333:user/responder is not authorized to perform: "
                    "cloudtrail:LookupEvents",
                )
            else:
                stubber.add_response("lookup_events", {"Events": [event(1, region)]}, expected())
        answer = source.query([Lookup("AccessKeyId", KEY)])
    by_region = {s.region: s for s in answer.statuses}
    assert set(by_region) == set(regions)
    assert by_region["eu-west-1"].status == "refused"
    assert by_region["eu-west-1"].error_code == "AccessDeniedException"
    assert by_region["us-east-1"].status == by_region["ap-south-1"].status == "answered"
    assert sorted(r["awsRegion"] for r in answer.records) == ["ap-south-1", "us-east-1"]
    # One bucket per region: no region waited for another's calls.
    assert clock.sleeps == []


def test_a_throttle_that_outlasts_the_retries_is_reported() -> None:
    session = AwsSession(region="us-east-1")
    source = lookup_source(session, ["us-east-1"], FakeClock())
    with stub(session, "us-east-1") as stubber:
        stubber.add_client_error("lookup_events", "ThrottlingException", "Rate exceeded")
        answer = source.query([Lookup("AccessKeyId", KEY)])
    [status] = answer.statuses
    assert status.status == "unavailable" and status.error_code == "ThrottlingException"


class RecordingClient:
    """A LookupEvents client that notes the (fake) time of every call."""

    def __init__(self, clock: FakeClock, pages: int) -> None:
        self.clock = clock
        self.pages = pages
        self.calls: list[float] = []

    def lookup_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(self.clock.now)
        more = len(self.calls) < self.pages
        return {"Events": [event(len(self.calls))], **({"NextToken": "t"} if more else {})}


class RecordingSession:
    def __init__(self, clock: FakeClock, pages: int) -> None:
        self.clients: dict[str, RecordingClient] = {}
        self.clock, self.pages = clock, pages

    def client(self, service: str, *, region: str, attempts: int) -> RecordingClient:
        assert service == "cloudtrail"
        return self.clients.setdefault(region, RecordingClient(self.clock, self.pages))


def test_no_region_is_asked_more_than_twice_a_second() -> None:
    clock = FakeClock()
    session = RecordingSession(clock, pages=10)
    source = LookupEventsSource(
        lambda account: session,
        home_account="111122223333",
        regions=["us-east-1", "us-west-2"],
        limiters=Limiters(lambda: TokenBucket(clock=clock, sleep=clock.sleep)),
        workers=1,  # one thread: the fake clock stays ordered
    )
    answer = source.query([Lookup("AccessKeyId", KEY)])
    assert len(answer.records) == 20
    for client in session.clients.values():
        gaps = [b - a for a, b in zip(client.calls, client.calls[1:], strict=False)]
        assert len(client.calls) == 10 and all(gap >= 0.5 for gap in gaps)


def test_an_account_that_cannot_be_entered_is_refused() -> None:
    def open_account(account: str | None) -> Any:
        raise AwsFailure("sts:AssumeRole: not authorized", code="AccessDenied")

    source = LookupEventsSource(open_account, home_account="111122223333", regions=["us-east-1"])
    answer = source.query([Lookup("AccessKeyId", KEY, "444455556666")])
    [status] = answer.statuses
    assert (status.account, status.status, status.error_code) == (
        "444455556666",
        "refused",
        "AccessDenied",
    )


def test_pages_stop_at_the_bound() -> None:
    clock = FakeClock()
    session = RecordingSession(clock, pages=100)
    source = LookupEventsSource(
        lambda account: session,
        home_account="111122223333",
        regions=["us-east-1"],
        limiters=Limiters(lambda: TokenBucket(clock=clock, sleep=clock.sleep)),
        max_pages=3,
    )
    [status] = source.query([Lookup("AccessKeyId", KEY)]).statuses
    assert status.truncated and status.calls == 3


def test_enabled_regions_come_from_describe_regions() -> None:
    session = AwsSession(region="us-east-1")
    with Stubber(session.client("ec2")) as stubber:
        stubber.add_response(
            "describe_regions",
            {"Regions": [{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}]},
            {},
        )
        regions, warning = enabled_regions(session)
    assert regions == ["eu-west-1", "us-east-1"] and warning is None
    with Stubber(session.client("ec2")) as stubber:
        stubber.add_client_error("describe_regions", "UnauthorizedOperation", "no")
        regions, warning = enabled_regions(session)
    assert "us-east-1" in regions and len(regions) > 10
    assert warning is not None and "UnauthorizedOperation" in warning


LAKE_ROW = [
    {"event_id": "lake-1"},
    {"event_time": "2026-11-29T09:05:00Z"},
    {"event_name": "AssumeRole"},
    {"aws_region": "us-east-1"},
    {"recipient_account_id": "111122223333"},
    {"actor_key": KEY},
    {"request_parameters": "{roleArn=arn:aws:iam::111122223333:role/Admin, roleSessionName=pivot}"},
    {"response_elements": "{credentials={accessKeyId=ASIAADMINSESSION0001, expiration=x}}"},
]


def test_lake_polls_until_finished_and_reads_every_page() -> None:
    session = AwsSession(region="us-east-1")
    clock = FakeClock()
    source = LakeSource(
        session, "EXAMPLE-f852-4e8f", since="2026-11-01T00:00:00Z", sleep=clock.sleep
    )
    with Stubber(session.client("cloudtrail")) as stubber:
        stubber.add_response("start_query", {"QueryId": "EXAMPLEd-0c1f-4d9e-9ac7-1a1b2c3dq001"})
        stubber.add_response(
            "get_query_results",
            {"QueryStatus": "RUNNING"},
            {"QueryId": "EXAMPLEd-0c1f-4d9e-9ac7-1a1b2c3dq001"},
        )
        stubber.add_response(
            "get_query_results",
            {"QueryStatus": "FINISHED", "QueryResultRows": [LAKE_ROW], "NextToken": "page-2"},
            {"QueryId": "EXAMPLEd-0c1f-4d9e-9ac7-1a1b2c3dq001"},
        )
        stubber.add_response(
            "get_query_results",
            {"QueryStatus": "FINISHED", "QueryResultRows": [LAKE_ROW]},
            {"QueryId": "EXAMPLEd-0c1f-4d9e-9ac7-1a1b2c3dq001", "NextToken": "page-2"},
        )
        answer = source.query([Lookup("AccessKeyId", KEY)])
    assert clock.sleeps == [1.0]
    assert [r["eventID"] for r in answer.records] == ["lake-1", "lake-1"]
    assert (
        answer.records[0]["responseElements"]["credentials"]["accessKeyId"]
        == "ASIAADMINSESSION0001"
    )
    assert answer.statuses[0].status == "answered" and answer.statuses[0].calls == 4


def test_lake_refused_is_a_status() -> None:
    session = AwsSession(region="us-east-1")
    source = LakeSource(session, "EXAMPLE", since="2026-11-01T00:00:00Z", sleep=FakeClock().sleep)
    with Stubber(session.client("cloudtrail")) as stubber:
        stubber.add_client_error("start_query", "AccessDeniedException", "not authorized")
        answer = source.query([Lookup("AccessKeyId", KEY)])
    assert answer.records == [] and answer.statuses[0].status == "refused"


def test_lake_query_that_never_finishes_gives_up() -> None:
    session = AwsSession(region="us-east-1")
    clock = FakeClock()
    source = LakeSource(
        session, "EXAMPLE", since="2026-11-01T00:00:00Z", sleep=clock.sleep, max_wait=3.0
    )
    with Stubber(session.client("cloudtrail")) as stubber:
        stubber.add_response("start_query", {"QueryId": "EXAMPLEd-0c1f-4d9e-9ac7-1a1b2c3dq002"})
        for _ in range(4):
            stubber.add_response(
                "get_query_results",
                {"QueryStatus": "QUEUED"},
                {"QueryId": "EXAMPLEd-0c1f-4d9e-9ac7-1a1b2c3dq002"},
            )
        answer = source.query([Lookup("AccessKeyId", KEY)])
    assert answer.statuses[0].status == "unavailable" and answer.statuses[0].error_code == "Timeout"


def test_athena_reads_rows_after_the_header() -> None:
    session = AwsSession(region="us-east-1")
    clock = FakeClock()
    source = AthenaSource(
        session,
        "security",
        "org_trail",
        workgroup="ir",
        since="2026-11-01T00:00:00Z",
        sleep=clock.sleep,
    )
    columns = ["event_id", "event_name", "actor_key", "response_elements"]
    info = [{"Name": c, "Type": "varchar"} for c in columns]
    header = {"Data": [{"VarCharValue": c} for c in columns]}
    row = {
        "Data": [
            {"VarCharValue": "ath-1"},
            {"VarCharValue": "CreateAccessKey"},
            {"VarCharValue": KEY},
            {"VarCharValue": json.dumps({"accessKey": {"accessKeyId": "AKIABOBNEWKEY0000001"}})},
        ]
    }
    with Stubber(session.client("athena")) as stubber:
        stubber.add_response(
            "start_query_execution", {"QueryExecutionId": "EXAMPLEa-0c1f-4d9e-9ac7-1a1b2c3dx001"}
        )
        stubber.add_response(
            "get_query_execution",
            {"QueryExecution": {"Status": {"State": "RUNNING"}}},
            {"QueryExecutionId": "EXAMPLEa-0c1f-4d9e-9ac7-1a1b2c3dx001"},
        )
        stubber.add_response(
            "get_query_execution",
            {"QueryExecution": {"Status": {"State": "SUCCEEDED"}}},
            {"QueryExecutionId": "EXAMPLEa-0c1f-4d9e-9ac7-1a1b2c3dx001"},
        )
        stubber.add_response(
            "get_query_results",
            {"ResultSet": {"Rows": [header, row], "ResultSetMetadata": {"ColumnInfo": info}}},
            {"QueryExecutionId": "EXAMPLEa-0c1f-4d9e-9ac7-1a1b2c3dx001"},
        )
        answer = source.query([Lookup("AccessKeyId", KEY)])
    assert [r["eventID"] for r in answer.records] == ["ath-1"]
    assert (
        answer.records[0]["responseElements"]["accessKey"]["accessKeyId"] == "AKIABOBNEWKEY0000001"
    )
    assert clock.sleeps == [1.0]


def test_athena_failed_query_is_a_status() -> None:
    session = AwsSession(region="us-east-1")
    source = AthenaSource(
        session, "security", "org_trail", since="2026-11-01T00:00:00Z", sleep=FakeClock().sleep
    )
    with Stubber(session.client("athena")) as stubber:
        stubber.add_response(
            "start_query_execution", {"QueryExecutionId": "EXAMPLEa-0c1f-4d9e-9ac7-1a1b2c3dx002"}
        )
        stubber.add_response(
            "get_query_execution",
            {
                "QueryExecution": {
                    "Status": {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND"}
                }
            },
            {"QueryExecutionId": "EXAMPLEa-0c1f-4d9e-9ac7-1a1b2c3dx002"},
        )
        answer = source.query([Lookup("AccessKeyId", KEY)])
    status = answer.statuses[0]
    assert status.status == "unavailable" and "TABLE_NOT_FOUND" in (status.error or "")
