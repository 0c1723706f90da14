"""revoke.aws.cloudtrail: LookupEvents by AccessKeyId, and every way it may not answer.

moto has no LookupEvents, so the answers are botocore Stubber responses shaped like the
API reference's (each event's full record is the JSON text `CloudTrailEvent`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from revoke.aws.cloudtrail import MAX_EVENTS, CloudTrailGateway
from revoke.aws.session import AwsSession

KEY = "ASIAY34FZKBOKMUTVV7A"
RECORD = {
    "eventName": "ListBuckets",
    "userIdentity": {"type": "IAMUser", "userName": "alice", "accessKeyId": KEY},
}


def _stubbed(session: AwsSession) -> tuple[CloudTrailGateway, Stubber]:
    gateway = CloudTrailGateway(session)
    client = session.client("cloudtrail", attempts=2)
    return gateway, Stubber(client)


EXPECTED = {
    "LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": KEY}],
    "MaxResults": MAX_EVENTS,
}


def test_events_signed_with_the_key_are_parsed() -> None:
    session = AwsSession(region="eu-west-1")
    gateway, stub = _stubbed(session)
    events: list[dict[str, Any]] = [
        {"EventId": "1", "CloudTrailEvent": json.dumps(RECORD)},
        {"EventId": "2", "CloudTrailEvent": "not json"},
        {"EventId": "3"},
    ]
    stub.add_response("lookup_events", {"Events": events}, EXPECTED)
    with stub:
        found = gateway.events_for_key(KEY)
    assert found.answered and found.region == "eu-west-1"
    assert found.events == [RECORD]  # the damaged and empty entries are skipped


def test_a_refusal_is_the_reason_not_an_error() -> None:
    gateway, stub = _stubbed(AwsSession(region="us-east-1"))
    stub.add_client_error(
        "lookup_events", "AccessDeniedException", "not authorized to perform LookupEvents"
    )
    with stub:
        found = gateway.events_for_key(KEY)
    assert not found.answered
    assert found.error == "AccessDeniedException: not authorized to perform LookupEvents"


def test_an_endpoint_without_lookup_events_is_not_available() -> None:
    with mock_aws():  # moto in-process raises NotImplementedError for LookupEvents
        found = CloudTrailGateway(AwsSession(region="us-east-1")).events_for_key(KEY)
    assert found.error is not None and found.error.startswith("NotImplemented")


@pytest.mark.parametrize("events", [[], None])
def test_no_events_is_an_answer(events: Any) -> None:
    gateway, stub = _stubbed(AwsSession(region="us-east-1"))
    stub.add_response("lookup_events", {} if events is None else {"Events": events}, EXPECTED)
    with stub:
        found = gateway.events_for_key(KEY)
    assert found.answered and found.events == []
