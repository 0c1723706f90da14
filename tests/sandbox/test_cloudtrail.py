"""CloudTrail in the sandbox: a management event for every request, found with LookupEvents
as AWS answers it (paging, lookup attributes, time range, one region, the rate limit)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox
from tests.sandbox.helpers import error_of, make_user

ACCOUNT = "123456789012"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _records(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("lookup_events").paginate(**kwargs)
    return [json.loads(e["CloudTrailEvent"]) for page in pages for e in page["Events"]]


def _by_key(key_id: str) -> dict[str, Any]:
    return {"LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": key_id}]}


def _admin_role(sandbox: Sandbox, name: str = "admin") -> str:
    iam = sandbox.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")
    iam.put_role_policy(
        RoleName=name,
        PolicyName="all",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def test_assume_role_is_recorded_with_caller_and_the_new_key_but_no_secret(
    sandbox: Sandbox,
) -> None:
    alice = make_user(sandbox)
    role_arn = _admin_role(sandbox)
    issued = sandbox.client("sts", **alice).assume_role(RoleArn=role_arn, RoleSessionName="pivot")
    creds = issued["Credentials"]

    found = sandbox.client("cloudtrail").lookup_events(**_by_key(alice["aws_access_key_id"]))
    (entry,) = [e for e in found["Events"] if e["EventName"] == "AssumeRole"]
    assert entry["EventSource"] == "sts.amazonaws.com"
    assert entry["Username"] == "alice"
    assert entry["ReadOnly"] == "true"
    record = json.loads(entry["CloudTrailEvent"])
    assert record["eventVersion"] == "1.11"
    assert record["eventType"] == "AwsApiCall" and record["managementEvent"] is True
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert record["userIdentity"]["accessKeyId"] == alice["aws_access_key_id"]
    assert record["userIdentity"]["accountId"] == ACCOUNT
    assert record["requestParameters"] == {"roleArn": role_arn, "roleSessionName": "pivot"}
    assert record["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]
    assert record["responseElements"]["assumedRoleUser"]["arn"].endswith("assumed-role/admin/pivot")
    assert record["recipientAccountId"] == ACCOUNT
    assert record["eventID"] == entry["EventId"] and record["requestID"]
    assert "sharedEventID" not in record  # same account
    text = entry["CloudTrailEvent"]
    assert creds["SecretAccessKey"] not in text and creds["SessionToken"] not in text
    assert alice["aws_secret_access_key"] not in text


def test_role_session_requests_carry_session_context_and_refusals_their_error(
    sandbox: Sandbox,
) -> None:
    alice = make_user(sandbox)
    iam = sandbox.client("iam")
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument="{}")
    creds = sandbox.client("sts", **alice).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/reader", RoleSessionName="s1"
    )["Credentials"]
    with pytest.raises(ClientError):
        sandbox.client("iam", **sandbox.credentials(**creds)).create_user(UserName="mallory")

    (record,) = _records(sandbox.client("cloudtrail"), **_by_key(creds["AccessKeyId"]))
    who = record["userIdentity"]
    assert who["type"] == "AssumedRole"
    assert who["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1"
    assert who["principalId"].endswith(":s1") and who["principalId"].startswith("AROA")
    issuer = who["sessionContext"]["sessionIssuer"]
    assert issuer == {
        "type": "Role",
        "principalId": who["principalId"].split(":")[0],
        "arn": f"arn:aws:iam::{ACCOUNT}:role/reader",
        "accountId": ACCOUNT,
        "userName": "reader",
    }
    assert who["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert who["sessionContext"]["attributes"]["creationDate"].endswith("Z")
    assert record["eventName"] == "CreateUser" and record["awsRegion"] == "us-east-1"
    assert record["errorCode"] == "AccessDenied"
    assert "not authorized to perform: iam:CreateUser" in record["errorMessage"]
    assert record["responseElements"] is None
    assert record["readOnly"] is False


def test_get_session_token_and_an_expired_session_are_recorded(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)
    creds = sandbox.client("sts", **alice).get_session_token(DurationSeconds=900)["Credentials"]
    sandbox.clock.advance(901)
    with pytest.raises(ClientError):
        sandbox.client("s3", **sandbox.credentials(**creds)).list_buckets()

    trail = sandbox.client("cloudtrail")
    (issue,) = [r for r in _records(trail, **_by_key(alice["aws_access_key_id"]))]
    assert issue["eventName"] == "GetSessionToken"
    assert issue["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]
    assert issue["requestParameters"] == {"durationSeconds": 900}
    (refused,) = _records(trail, **_by_key(creds["AccessKeyId"]))
    assert refused["eventName"] == "ListBuckets" and refused["errorCode"] == "ExpiredToken"
    assert refused["userIdentity"]["type"] == "IAMUser"
    assert refused["userIdentity"]["userName"] == "alice"
    assert "attributes" in refused["userIdentity"]["sessionContext"]


def test_cross_account_assume_role_is_logged_in_both_accounts_with_one_shared_event_id(
    sandbox: Sandbox,
) -> None:
    orgs = sandbox.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    status = orgs.create_account(AccountName="prod", Email="prod@example.com")
    other = status["CreateAccountStatus"]["AccountId"]
    alice = make_user(sandbox)
    role_arn = f"arn:aws:iam::{other}:role/OrganizationAccountAccessRole"
    creds = sandbox.client("sts", **alice).assume_role(RoleArn=role_arn, RoleSessionName="xa")[
        "Credentials"
    ]

    ours = [r for r in _records(sandbox.client("cloudtrail")) if r["eventName"] == "AssumeRole"]
    in_other = sandbox.client("cloudtrail", **sandbox.credentials(**creds))
    theirs = [r for r in _records(in_other) if r["eventName"] == "AssumeRole"]
    (mine,), (their,) = ours, theirs
    assert mine["sharedEventID"] == their["sharedEventID"]
    assert mine["eventID"] != their["eventID"]
    assert mine["recipientAccountId"] == ACCOUNT and their["recipientAccountId"] == other
    assert their["userIdentity"]["type"] == "AWSAccount"
    assert their["userIdentity"]["accountId"] == ACCOUNT
    assert their["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]


def test_pages_newest_first_and_stable_while_events_arrive(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    for n in range(7):
        iam.create_user(UserName=f"u{n}")
    trail = sandbox.client("cloudtrail")
    attribute = [{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}]
    first = trail.lookup_events(LookupAttributes=attribute, MaxResults=3)
    names = [
        json.loads(e["CloudTrailEvent"])["requestParameters"]["userName"] for e in first["Events"]
    ]
    assert names == ["u6", "u5", "u4"]
    iam.create_user(UserName="late")  # newer than the first page: not on the next ones
    second = trail.lookup_events(
        LookupAttributes=attribute, MaxResults=3, NextToken=first["NextToken"]
    )
    third = trail.lookup_events(
        LookupAttributes=attribute, MaxResults=3, NextToken=second["NextToken"]
    )
    rest = [
        json.loads(e["CloudTrailEvent"])["requestParameters"]["userName"]
        for page in (second, third)
        for e in page["Events"]
    ]
    assert rest == ["u3", "u2", "u1", "u0"]
    assert "NextToken" not in third
    times = [e["EventTime"] for e in first["Events"] + second["Events"]]
    assert times == sorted(times, reverse=True)
    everything = _records(trail, LookupAttributes=attribute, PaginationConfig={"PageSize": 2})
    assert len(everything) == 8


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        (
            {
                "LookupAttributes": [
                    {"AttributeKey": "EventName", "AttributeValue": "CreateUser"},
                    {"AttributeKey": "Username", "AttributeValue": "root"},
                ]
            },
            "InvalidLookupAttributesException",
        ),
        ({"NextToken": "bm90LWEtdG9rZW4="}, "InvalidNextTokenException"),
        ({"StartTime": 2_000_000_000, "EndTime": 1_000_000_000}, "InvalidTimeRangeException"),
    ],
)
def test_invalid_lookups_are_refused_as_aws_refuses_them(
    sandbox: Sandbox, kwargs: dict[str, Any], code: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        sandbox.client("cloudtrail").lookup_events(**kwargs)
    assert error_of(excinfo)[0] == code
    assert error_of(excinfo)[2] == 400


def test_a_token_is_refused_with_other_parameters(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    for n in range(3):
        iam.create_user(UserName=f"u{n}")
    trail = sandbox.client("cloudtrail")
    token = trail.lookup_events(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        trail.lookup_events(
            MaxResults=1,
            NextToken=token,
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}],
        )
    assert error_of(excinfo)[0] == "InvalidNextTokenException"


def test_lookup_attributes_and_time_range_and_90_days(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)
    creds = sandbox.client("sts", **alice).assume_role(
        RoleArn=_admin_role(sandbox), RoleSessionName="juggler"
    )["Credentials"]
    session_iam = sandbox.client("iam", **sandbox.credentials(**creds))
    session_iam.create_access_key(UserName="alice")
    sandbox.clock.advance(1800)
    session_iam.create_user(UserName="backdoor")
    trail = sandbox.client("cloudtrail")

    def names(key: str, value: str, **more: Any) -> list[str]:
        attribute = [{"AttributeKey": key, "AttributeValue": value}]
        return [r["eventName"] for r in _records(trail, LookupAttributes=attribute, **more)]

    assert names("Username", "juggler") == ["CreateUser", "CreateAccessKey"]
    assert names("ResourceName", "backdoor") == ["CreateUser"]
    assert names("ResourceType", "AWS::IAM::Role")[-1] == "CreateRole"
    assert "CreateUser" not in names("ReadOnly", "true")
    assert names("EventSource", "sts.amazonaws.com") == ["AssumeRole"]
    cutoff = sandbox.clock.now().timestamp() - 900
    assert names("Username", "juggler", EndTime=cutoff) == ["CreateAccessKey"]
    assert names("Username", "juggler", StartTime=cutoff) == ["CreateUser"]
    backdoor = [{"AttributeKey": "ResourceName", "AttributeValue": "backdoor"}]
    (one,) = _records(trail, LookupAttributes=backdoor)
    assert names("EventId", one["eventID"]) == ["CreateUser"]
    sandbox.clock.advance(90 * 86400 - 900)
    assert names("Username", "juggler") == ["CreateUser"]  # the older one is past 90 days


def test_one_region_per_call(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)
    sandbox.client("sts", region_name="eu-west-1", **alice).get_caller_identity()
    here = _records(sandbox.client("cloudtrail"), **_by_key(alice["aws_access_key_id"]))
    there = _records(
        sandbox.client("cloudtrail", region_name="eu-west-1"), **_by_key(alice["aws_access_key_id"])
    )
    assert here == []
    assert [(r["eventName"], r["awsRegion"]) for r in there] == [("GetCallerIdentity", "eu-west-1")]


def test_the_lookup_rate_limit_when_asked_for(sandbox: Sandbox) -> None:
    now = [100.0]
    sandbox.trail.limit_lookups(2, clock=lambda: now[0])
    try:
        trail = sandbox.client("cloudtrail", config=NO_RETRIES)
        trail.lookup_events()
        trail.lookup_events()
        with pytest.raises(ClientError) as excinfo:
            trail.lookup_events()
        assert error_of(excinfo)[0] == "ThrottlingException"
        # per region: another region still has its two a second
        sandbox.client("cloudtrail", region_name="us-west-2", config=NO_RETRIES).lookup_events()
        now[0] += 1.0
        trail.lookup_events()
    finally:
        sandbox.trail.limit_lookups(None)


def test_reset_forgets_the_trail(sandbox: Sandbox) -> None:
    sandbox.client("iam").create_user(UserName="gone")
    assert sandbox.trail.events()
    sandbox.reset()
    assert sandbox.trail.events() == []
