"""revoke.core.trace: the tree of what a credential did, from CloudTrail records.

The records are shaped as AWS's documentation shows them: the AssumeRole event of the IAM
User Guide ("Example AWS STS API events in CloudTrail log",
https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html: roleArn
arn:aws:iam::444455556666:role/JohnRole1, roleSessionName, responseElements.credentials
with accessKeyId and the session token, assumedRoleUser, sharedEventID,
recipientAccountId), and the userIdentity element of the CloudTrail User Guide
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from revoke.core import trace as core
from revoke.errors import BadInput

HOME, OTHER = "111122223333", "444455556666"
LEAKED = "AKIAIOSFODNN7EXAMPLE"
ADMIN_KEY = "ASIAADMINSESSION0001"
CROSS_KEY = "ASIACROSSACCOUNT0001"
FED_KEY = "ASIAFEDERATEDBOB0001"
BOB_NEW_KEY = "AKIABOBNEWKEY0000001"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLETOKENdoNotPrintMe"
ADMIN = f"arn:aws:iam::{HOME}:role/Admin"
JOHN = f"arn:aws:iam::{OTHER}:role/JohnRole1"
ALICE = f"arn:aws:iam::{HOME}:user/alice"


def user_identity(key: str) -> dict[str, Any]:
    if key == LEAKED:
        return {
            "type": "IAMUser",
            "principalId": "AIDAJ45Q7YFFAREXAMPLE",
            "arn": ALICE,
            "accountId": HOME,
            "accessKeyId": key,
            "userName": "alice",
        }
    role = ROLE_OF_KEY[key]
    name = role.rsplit("/", 1)[1]
    return {
        "type": "AssumedRole",
        "principalId": f"AROA{name.upper()}EXAMPLE:{SESSION_OF_KEY[key]}",
        "arn": f"arn:aws:sts::{role.split(':')[4]}:assumed-role/{name}/{SESSION_OF_KEY[key]}",
        "accountId": role.split(":")[4],
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROA{name.upper()}EXAMPLE",
                "arn": role,
                "accountId": role.split(":")[4],
                "userName": name,
            },
            "attributes": {"mfaAuthenticated": "false", "creationDate": "2026-11-29T09:00:00Z"},
        },
    }


ROLE_OF_KEY: dict[str, str] = {}
SESSION_OF_KEY: dict[str, str] = {}


def assume(
    caller: str,
    role: str,
    new_key: str,
    *,
    session: str,
    time: str,
    event_id: str,
    region: str = "us-east-1",
    recipient: str = HOME,
    shared: str | None = None,
) -> dict[str, Any]:
    ROLE_OF_KEY[new_key] = role
    SESSION_OF_KEY[new_key] = session
    name = role.rsplit("/", 1)[1]
    record = {
        "eventVersion": "1.08",
        "userIdentity": user_identity(caller),
        "eventTime": time,
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": region,
        "sourceIPAddress": "192.0.2.1",
        "userAgent": "aws-cli/2.13.5",
        "requestParameters": {"roleArn": role, "roleSessionName": session, "durationSeconds": 3600},
        "responseElements": {
            "credentials": {
                "accessKeyId": new_key,
                "expiration": "Nov 29, 2026, 10:07:16 AM",
                "sessionToken": SESSION_TOKEN,
            },
            "assumedRoleUser": {
                "assumedRoleId": f"AROA{name.upper()}EXAMPLE:{session}",
                "arn": f"arn:aws:sts::{role.split(':')[4]}:assumed-role/{name}/{session}",
            },
        },
        "requestID": f"req-{event_id}",
        "eventID": event_id,
        "readOnly": True,
        "resources": [{"ARN": role, "accountId": role.split(":")[4], "type": "AWS::IAM::Role"}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": recipient,
        "eventCategory": "Management",
    }
    if shared:
        record["sharedEventID"] = shared
    return record


def federation_token(caller: str, name: str, new_key: str, *, time: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "userIdentity": user_identity(caller),
        "eventTime": time,
        "eventSource": "sts.amazonaws.com",
        "eventName": "GetFederationToken",
        "awsRegion": "us-east-1",
        "requestParameters": {"name": name, "durationSeconds": 43200},
        "responseElements": {
            "credentials": {"accessKeyId": new_key, "sessionToken": SESSION_TOKEN},
            "federatedUser": {
                "federatedUserId": f"{HOME}:{name}",
                "arn": f"arn:aws:sts::{HOME}:federated-user/{name}",
            },
        },
        "eventID": f"fed-{name}",
        "eventType": "AwsApiCall",
        "recipientAccountId": HOME,
    }


def iam_call(
    caller: str,
    name: str,
    *,
    time: str,
    event_id: str,
    request: dict[str, Any],
    response: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": user_identity(caller),
        "eventTime": time,
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "requestParameters": request,
        "responseElements": response,
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "recipientAccountId": HOME,
    }
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "User is not authorized"
    return record


def create_access_key(caller: str, user: str, new_key: str, *, time: str) -> dict[str, Any]:
    return iam_call(
        caller,
        "CreateAccessKey",
        time=time,
        event_id=f"cak-{new_key}",
        request={"userName": user},
        response={
            "accessKey": {
                "accessKeyId": new_key,
                "status": "Active",
                "userName": user,
                "createDate": "Nov 29, 2026 9:20:00 AM",
            }
        },
    )


def incident() -> list[dict[str, Any]]:
    """The issue's case: a leaked key assumes two roles (one in another account, logged in
    both accounts), mints a federation token, and the admin session creates a key for bob."""
    shared = "bdb4a7a4-5d32-4c2b-9b4e-4b3e7bEXAMPLE"
    return [
        assume(
            LEAKED, ADMIN, ADMIN_KEY, session="pivot", time="2026-11-29T09:05:00Z", event_id="e1"
        ),
        # The cross-account AssumeRole, once in each account's trail.
        assume(
            LEAKED,
            JOHN,
            CROSS_KEY,
            session="Role1Session",
            time="2026-11-29T09:07:16Z",
            event_id="e2-home",
            region="us-east-2",
            recipient=HOME,
            shared=shared,
        ),
        assume(
            LEAKED,
            JOHN,
            CROSS_KEY,
            session="Role1Session",
            time="2026-11-29T09:07:16Z",
            event_id="e2-other",
            region="us-east-2",
            recipient=OTHER,
            shared=shared,
        ),
        federation_token(LEAKED, "Bob", FED_KEY, time="2026-11-29T09:10:00Z"),
        create_access_key(ADMIN_KEY, "bob", BOB_NEW_KEY, time="2026-11-29T09:20:00Z"),
        # Noise: a read with the leaked key, and a refused attempt.
        iam_call(LEAKED, "ListUsers", time="2026-11-29T09:01:00Z", event_id="r1", request={}),
        iam_call(
            LEAKED,
            "CreateUser",
            time="2026-11-29T09:02:00Z",
            event_id="denied",
            request={"userName": "nope"},
            error="AccessDenied",
        ),
    ]


def parsed(records: list[dict[str, Any]]) -> list[core.Event]:
    # LookupEvents hands each record over as JSON text (CloudTrailEvent).
    events = [core.parse_record(json.dumps(r)) for r in records]
    assert all(events)
    return [e for e in events if e is not None]


def traced(records: list[dict[str, Any]], start: str = LEAKED) -> core.Trace:
    return core.build_trace(core.parse_start(start), parsed(records))


def test_the_incident_is_one_tree_with_evidence_on_every_node() -> None:
    trace = traced(incident())
    tree = trace.root.to_json()
    assert tree["kind"] == "credential" and tree["id"] == LEAKED
    assert tree["principal"] == ALICE
    kids = tree["children"]
    assert [(k["kind"], k["action"]) for k in kids] == [
        ("session", "AssumeRole"),
        ("session", "AssumeRole"),
        ("session", "GetFederationToken"),
    ]
    admin, cross, fed = kids
    assert admin["role_arn"] == ADMIN and admin["access_key_id"] == ADMIN_KEY
    assert admin["userid"] == "AROAADMINEXAMPLE:pivot" and admin["session_name"] == "pivot"
    # The admin session's CreateAccessKey for bob hangs under it.
    assert [(c["kind"], c["action"]) for c in admin["children"]] == [
        ("foothold", "CreateAccessKey")
    ]
    foothold = admin["children"][0]
    assert foothold["target"] == {
        "what": "access key",
        "userName": "bob",
        "accessKeyId": BOB_NEW_KEY,
    }
    assert foothold["id"] == BOB_NEW_KEY
    # Cross-account: one node, logged in both accounts, the session in the role's account.
    assert cross["account"] == OTHER and cross["role_arn"] == JOHN
    assert sorted(e["account"] for e in cross["evidence"]) == [HOME, OTHER]
    assert {e["event_id"] for e in cross["evidence"]} == {"e2-home", "e2-other"}
    assert all(e["region"] == "us-east-2" for e in cross["evidence"])
    assert fed["principal"] == f"arn:aws:sts::{HOME}:federated-user/Bob"
    for node in (admin, cross, fed, foothold):
        for proof in node["evidence"]:
            assert proof["event_id"] and proof["time"] and proof["region"] and proof["account"]
    summary = trace.summary()
    assert summary["sessions"] == 3 and summary["footholds"] == 1 and summary["loops"] == 0
    assert summary["access_keys_created"] == [BOB_NEW_KEY]
    assert {r["role_arn"]: r["userids"] for r in summary["roles"]} == {
        ADMIN: ["AROAADMINEXAMPLE:pivot"],
        JOHN: ["AROAJOHNROLE1EXAMPLE:Role1Session"],
    }
    assert summary["user_sessions"] == [f"arn:aws:sts::{HOME}:federated-user/Bob"]
    assert summary["refused_attempts"] == 1
    assert summary["accounts"] == [HOME, OTHER]


def test_no_secret_leaves_the_tree() -> None:
    trace = traced(incident())
    text = json.dumps({"tree": trace.root.to_json(), "summary": trace.summary()})
    text += "\n".join(core.tree_lines(trace.root.to_json()))
    assert SESSION_TOKEN not in text
    assert "sessionToken" not in text


def test_follow_ups_are_the_minted_and_created_credentials_in_their_accounts() -> None:
    lookups = core.follow_ups(parsed(incident()))
    assert core.Lookup("AccessKeyId", ADMIN_KEY, HOME) in lookups
    assert core.Lookup("AccessKeyId", CROSS_KEY, OTHER) in lookups  # the role's account
    assert core.Lookup("AccessKeyId", FED_KEY, HOME) in lookups
    assert core.Lookup("AccessKeyId", BOB_NEW_KEY, HOME) in lookups
    assert len(lookups) == len(set(lookups))  # the two copies of e2 ask once


def juggling() -> list[dict[str, Any]]:
    """Role chain juggling: Admin -> B -> Admin -> B, each hop a fresh key; the last
    session creates a user; the first also assumes a role outside the cycle."""
    role_b = f"arn:aws:iam::{HOME}:role/B"
    outside = f"arn:aws:iam::{HOME}:role/Reader"
    keys = [f"ASIAJUGGLE{n:010d}" for n in range(5)]
    records = [
        assume(LEAKED, ADMIN, keys[0], session="j0", time="2026-11-29T10:00:00Z", event_id="j0"),
        assume(keys[0], role_b, keys[1], session="j1", time="2026-11-29T10:10:00Z", event_id="j1"),
        assume(keys[1], ADMIN, keys[2], session="j2", time="2026-11-29T10:20:00Z", event_id="j2"),
        assume(keys[2], role_b, keys[3], session="j3", time="2026-11-29T10:30:00Z", event_id="j3"),
        assume(keys[0], outside, keys[4], session="out", time="2026-11-29T10:05:00Z", event_id="o"),
        iam_call(
            keys[3],
            "CreateUser",
            time="2026-11-29T10:40:00Z",
            event_id="cu",
            request={"userName": "backdoor"},
            response={
                "user": {"userName": "backdoor", "arn": f"arn:aws:iam::{HOME}:user/backdoor"}
            },
        ),
    ]
    return records


def test_a_juggling_loop_is_one_node_with_every_session() -> None:
    trace = traced(juggling())
    tree = trace.root.to_json()
    assert len(tree["children"]) == 1
    loop = tree["children"][0]
    assert loop["kind"] == "loop"
    assert loop["roles"] == [ADMIN, f"arn:aws:iam::{HOME}:role/B"]
    assert [s["session_name"] for s in loop["sessions"]] == ["j0", "j1", "j2", "j3"]
    assert loop["session_count"] == 4
    assert {e["event_id"] for e in loop["evidence"]} == {"j0", "j1", "j2", "j3"}
    # What the cycle did outside itself stays visible, under the loop.
    below = {(c["kind"], c["action"]) for c in loop["children"]}
    assert below == {("session", "AssumeRole"), ("foothold", "CreateUser")}
    summary = trace.summary()
    assert summary["loops"] == 1 and summary["users_created"] == ["backdoor"]
    admin_ids = next(r for r in summary["roles"] if r["role_arn"] == ADMIN)["userids"]
    assert admin_ids == ["AROAADMINEXAMPLE:j0", "AROAADMINEXAMPLE:j2"]
    drawn = "\n".join(core.tree_lines(tree))
    assert "LOOP" in drawn and "4 sessions" in drawn


def test_the_walk_ends_on_records_that_mint_their_own_parents() -> None:
    # Forged or corrupt: K1 mints K2, K2 mints K1, and K1 mints the leaked key itself.
    k1, k2 = "ASIAFORGED0000000001", "ASIAFORGED0000000002"
    records = [
        assume(LEAKED, ADMIN, k1, session="a", time="2026-11-29T11:00:00Z", event_id="f1"),
        assume(k1, ADMIN, k2, session="b", time="2026-11-29T11:01:00Z", event_id="f2"),
        assume(k2, ADMIN, k1, session="c", time="2026-11-29T11:02:00Z", event_id="f3"),
        assume(k1, ADMIN, LEAKED, session="d", time="2026-11-29T11:03:00Z", event_id="f4"),
    ]
    ROLE_OF_KEY[LEAKED] = ADMIN  # only so the builder can name a caller; not a real session
    try:
        trace = traced(records)
    finally:
        ROLE_OF_KEY.pop(LEAKED, None)
    nodes = list(trace.walk())
    assert len(nodes) <= 5
    keys = [n.details.get("access_key_id") for _, n in nodes if n.kind == "session"]
    assert len(keys) == len(set(keys))


def test_a_long_chain_does_not_recurse() -> None:
    roles = [f"arn:aws:iam::{HOME}:role/R{n}" for n in range(3000)]
    keys = [f"ASIACHAIN{n:011d}" for n in range(3000)]
    records = [
        assume(LEAKED, roles[0], keys[0], session="s0", time="2026-11-29T12:00:00Z", event_id="c0")
    ]
    for n in range(1, 3000):
        records.append(
            assume(
                keys[n - 1],
                roles[n],
                keys[n],
                session=f"s{n}",
                time="2026-11-29T12:00:01Z",
                event_id=f"c{n}",
            )
        )
    trace = traced(records)
    assert trace.summary()["sessions"] == 3000
    assert len(core.tree_lines(trace.root.to_json())) == 3001


@pytest.mark.parametrize(
    ("text", "kind", "first"),
    [
        (LEAKED, "key", core.Lookup("AccessKeyId", LEAKED)),
        (ALICE, "user", core.Lookup("Username", "alice", HOME)),
        (JOHN, "role", core.Lookup("ResourceName", JOHN, OTHER)),
        (
            f"arn:aws:sts::{OTHER}:assumed-role/JohnRole1/Role1Session",
            "session",
            core.Lookup("ResourceName", JOHN, OTHER),
        ),
    ],
)
def test_starts(text: str, kind: str, first: core.Lookup) -> None:
    start = core.parse_start(text)
    assert start.kind == kind
    assert core.first_lookups(start) == [first]


@pytest.mark.parametrize("text", ["", "alice", "AKIA", "arn:aws:s3:::bucket", "ASIA' OR 1=1"])
def test_bad_starts_are_bad_input(text: str) -> None:
    with pytest.raises(BadInput):
        core.parse_start(text)


def test_a_role_start_shows_every_session_of_the_role() -> None:
    trace = traced(incident(), start=JOHN)
    kids = trace.root.to_json()["children"]
    assert [k["role_arn"] for k in kids] == [JOHN]


def test_query_sql_names_every_credential_and_refuses_quotes() -> None:
    lookups = [core.Lookup("AccessKeyId", LEAKED), core.Lookup("Username", "backdoor")]
    sql = core.athena_sql("security", "org_trail", lookups, "2026-11-01T00:00:00Z")
    assert f"useridentity.accesskeyid IN ('{LEAKED}')" in sql
    assert "useridentity.username IN ('backdoor')" in sql
    assert "eventtime >= '2026-11-01T00:00:00Z'" in sql
    lake = core.lake_sql("EXAMPLEf852-4e8f", lookups, "2026-11-01T00:00:00Z")
    assert "FROM EXAMPLEf852-4e8f" in lake and "userIdentity.accessKeyId AS actor_key" in lake
    with pytest.raises(BadInput):
        core.athena_sql(
            "db", "t", [core.Lookup("Username", "x' OR '1'='1")], "2026-11-01T00:00:00Z"
        )


def test_rows_from_a_query_become_records() -> None:
    # Athena returns requestparameters/responseelements as JSON text; Lake may render
    # maps as {key=value}: both read.
    row = {
        "event_id": "q1",
        "event_time": "2026-11-29T09:05:00Z",
        "event_name": "AssumeRole",
        "event_source": "sts.amazonaws.com",
        "aws_region": "us-east-1",
        "recipient_account_id": HOME,
        "actor_key": LEAKED,
        "actor_arn": ALICE,
        "request_parameters": f"{{roleArn={ADMIN}, roleSessionName=pivot}}",
        "response_elements": json.dumps({"credentials": {"accessKeyId": ADMIN_KEY}}),
    }
    event = core.parse_record(core.record_from_columns(row))
    assert event is not None
    made = core.minted(event)
    assert made is not None and made.access_key_id == ADMIN_KEY and made.role_arn == ADMIN
    assert made.session_name == "pivot"
