"""The boto3 seam's timestamp parser (revoke.aws.session.parse_timestamp): the same
datetimes botocore's own parser gives, for every form AWS sends, only faster for the ISO
8601 UTC form of the query protocol (issue 8); and every client of a session uses it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import botocore.parsers
import botocore.utils
import pytest
from hypothesis import given
from hypothesis import strategies as st

from revoke.aws.session import AwsSession, parse_timestamp

FORMS = [
    "2026-11-29T09:05:03Z",  # IAM, STS: seconds
    "2026-11-29T09:05:03.123Z",  # milliseconds
    "2026-11-29T09:05:03.123456Z",  # microseconds
    "2026-11-29T09:05:03+00:00",  # an offset: botocore's path
    "2026-11-29T11:05:03+02:00",
    "2026-11-29T09:05:03.1Z",  # an odd number of digits: botocore's path
    "Sun, 29 Nov 2026 09:05:03 GMT",  # RFC 822 (REST protocols' headers)
    "1764407103",  # epoch seconds as text
    1764407103,  # epoch seconds (JSON protocols)
    1764407103.5,
]


@pytest.mark.parametrize("value", FORMS, ids=str)
def test_every_form_parses_to_what_botocore_gives(value: Any) -> None:
    ours, theirs = parse_timestamp(value), botocore.utils.parse_timestamp(value)
    assert ours == theirs and ours.utcoffset() == theirs.utcoffset()


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2099, 12, 31)),
    st.sampled_from(["seconds", "milliseconds", "microseconds"]),
)
def test_iso_utc_in_any_precision_is_the_same_instant(moment: datetime, spec: str) -> None:
    text = moment.isoformat(timespec=spec) + "Z"
    parsed = parse_timestamp(text)
    assert parsed == botocore.utils.parse_timestamp(text)
    assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["2026-13-29T09:05:03Z", "2026-11-29T25:05:03Z", "yesterday"])
def test_a_malformed_timestamp_is_refused_as_botocore_refuses_it(value: str) -> None:
    with pytest.raises(ValueError):
        botocore.utils.parse_timestamp(value)
    with pytest.raises(ValueError):
        parse_timestamp(value)


def test_clients_of_a_session_parse_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wired in: with botocore's dateutil path broken, a client still reads IAM's dates."""
    from moto import mock_aws

    def broken(value: Any) -> datetime:
        raise AssertionError(f"dateutil path used for {value!r}")

    monkeypatch.setattr(botocore.parsers, "DEFAULT_TIMESTAMP_PARSER", broken)
    monkeypatch.setattr(botocore.utils, "parse_timestamp", broken)
    with mock_aws():
        session = AwsSession(
            region="us-east-1",
            credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"},
        )
        iam = session.client("iam")
        created = iam.create_user(UserName="alice")["User"]["CreateDate"]
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=5)


def test_timeout_caps_every_attempts_connect_and_read_timeouts() -> None:
    from revoke.aws.session import CONNECT_TIMEOUT, READ_TIMEOUT, client_config

    capped = client_config(timeout=2.5)
    assert (capped.connect_timeout, capped.read_timeout) == (2.5, 2.5)
    roomy = client_config(timeout=600)
    assert (roomy.connect_timeout, roomy.read_timeout) == (CONNECT_TIMEOUT, READ_TIMEOUT)
    session = AwsSession(region="us-east-1", timeout=2.5)
    assert session.deadline is not None and session.assume({}).deadline is session.deadline


def test_s3_redirects_are_left_to_botocore() -> None:
    """S3 answers 301/307 to send a client to the bucket's region: not a bad peer."""
    import botocore.session

    from revoke.aws.session import check_answer

    model = botocore.session.get_session().get_service_model("s3")
    op = model.operation_model("GetBucketLocation")
    check_answer(op, {"status_code": 301, "headers": {}, "body": b""})  # no error
