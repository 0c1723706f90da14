"""The journal in S3 and DynamoDB (moto): the same public API, chain and write-ahead order
as the local file; a writer that loses the race for a sequence number chains after the
winner; an overwritten record is caught by verify; no secret is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from revoke.aws.journal_store import S3RecordStore, opener, s3_key
from revoke.aws.session import AwsSession
from revoke.state import backends
from revoke.state.backends import Location, parse_location
from revoke.state.journal import INTENT, Journal, JournalError

BUCKET = "incident-journal"
TABLE = "revoke-journal"


@pytest.fixture
def aws() -> Iterator[AwsSession]:
    with mock_aws():
        session = AwsSession(region="us-east-1")
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        session.client("dynamodb").create_table(
            TableName=TABLE,
            AttributeDefinitions=[
                {"AttributeName": "journal", "AttributeType": "S"},
                {"AttributeName": "seq", "AttributeType": "N"},
            ],
            KeySchema=[
                {"AttributeName": "journal", "KeyType": "HASH"},
                {"AttributeName": "seq", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for scheme in backends.SCHEMES:
            backends.register_opener(scheme, opener(session))
        yield session
        for scheme in backends.SCHEMES:
            backends.unregister_opener(scheme)


URLS = [f"s3://{BUCKET}/prod/journal", f"dynamodb://{TABLE}/prod"]


def test_locations_survive_the_command_lines_path() -> None:
    # typer gives --journal as a Path, which folds // to /.
    assert parse_location(Path("s3://b-1/a/b/")) == Location("s3", "b-1", "a/b")
    assert parse_location("dynamodb://t-1") == Location("dynamodb", "t-1", "revoke")
    assert parse_location("s3://bkt") == Location("s3", "bkt", backends.DEFAULT_S3_PREFIX)
    assert parse_location("/var/journal.jsonl") is None
    assert parse_location("./s3:/x") is None
    with pytest.raises(JournalError, match="not an S3 bucket name"):
        parse_location("s3://No_Such!/x")


def test_no_opener_is_one_line_before_anything() -> None:
    journal = Journal("s3://nobody-registered/x")
    with pytest.raises(JournalError, match="does not write"):
        journal.check_usable()


@pytest.mark.parametrize("url", URLS)
def test_the_public_api_over_a_remote_store(aws: AwsSession, url: str, monkeypatch: Any) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEXAMPLESESSIONTOKENVALUE")
    journal = Journal(url)
    journal.check_usable()
    journal.check_writable()
    assert not journal.exists() and journal.scan().records == []
    intent = journal.append(
        {"action": INTENT, "target": {"kind": "user", "name": "alice"}, "writes": {}}
    )
    journal.append(
        {
            "action": "revoke",
            "status": "applied",
            "account": "123456789012",
            "target": {"kind": "user", "name": "alice"},
            "intent": intent["hash"],
            "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "notes": "token FQoGZXIvYXdzEXAMPLESESSIONTOKENVALUE seen",
        }
    )
    dangling = journal.append({"action": INTENT, "target": {"kind": "role", "name": "ci"}})
    again = Journal(url)  # another process: reads what is stored, nothing cached
    scan = again.scan()
    assert scan.problems == [] and [r["seq"] for r in scan.records] == [1, 2, 3]
    assert [r["action"] for r in again.records()] == ["revoke"]
    assert again.last_for("user", "ALICE", account="123456789012")["intent"] == intent["hash"]
    assert again.for_target("role", "ci") == []
    assert [r["hash"] for r in again.dangling_intents()] == [dangling["hash"]]
    assert again.verify(expect_head=dangling["hash"]) == []
    assert again.repair().removed == []
    stored = json.dumps(scan.records)
    assert "wJalrXUtnFEMI" not in stored and "EXAMPLESESSIONTOKEN" not in stored


def test_a_writer_that_loses_the_race_chains_after_the_winner(aws: AwsSession) -> None:
    url = URLS[0]
    first = Journal(url)
    first.append({"action": "revoke", "target": {"kind": "user", "name": "a"}})
    slow = Journal(url)
    store = backends.open_store(slow.location)  # type: ignore[arg-type]
    assert isinstance(store, S3RecordStore)
    stale = store.last()
    slow._store = store
    Journal(url).append({"action": "revoke", "target": {"kind": "user", "name": "b"}})
    calls = {"n": 0}
    real_last = store.last

    def last_once_stale() -> bytes | None:
        calls["n"] += 1
        return stale if calls["n"] == 1 else real_last()

    store.last = last_once_stale  # type: ignore[method-assign]
    written = slow.append({"action": "revoke", "target": {"kind": "user", "name": "c"}})
    assert written["seq"] == 3 and calls["n"] == 2  # seq 2 was refused (412), re-read
    scan = Journal(url).scan()
    assert scan.problems == []
    assert [r["target"]["name"] for r in scan.records] == ["a", "b", "c"]


def test_an_overwritten_record_fails_verification(aws: AwsSession) -> None:
    url = URLS[0]
    journal = Journal(url)
    for name in ("a", "b"):
        journal.append({"action": "revoke", "target": {"kind": "user", "name": name}})
    s3 = aws.client("s3")
    key = s3_key("prod/journal", 1)
    record = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    record["target"]["name"] = "mallory"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(record).encode())  # no lock mode set
    problems = Journal(url).verify()
    assert problems and "edited" in problems[0]


def test_an_unreachable_store_is_a_journal_error(aws: AwsSession) -> None:
    with pytest.raises(JournalError) as err:
        Journal("s3://no-such-bucket/x").check_usable()
    assert "s3://no-such-bucket/x" in err.value.message
    with pytest.raises(JournalError):
        Journal("dynamodb://no-such-table/x").append({"action": "revoke"})
