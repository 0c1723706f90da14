"""Date operators against Python's own order of aware datetimes.

"You must specify date/time values with one of the W3C implementations of the ISO 8601 date
formats or in epoch (UNIX) time" (docs.aws.amazon.com/IAM/latest/UserGuide/
reference_policies_elements_condition_operators.html#Conditions_Date). Whatever the form a
value is written in (Z, any offset, fractional seconds or not, epoch number or string), the
six Date operators must order instants exactly as datetime does.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from revoke.core.evaluate import parse_policy_date, statement_matches

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

DATE_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "DateEquals": operator.eq,
    "DateNotEquals": operator.ne,
    "DateLessThan": operator.lt,
    "DateLessThanEquals": operator.le,
    "DateGreaterThan": operator.gt,
    "DateGreaterThanEquals": operator.ge,
}

# Real zone offsets run from -12:00 to +14:00, in minutes (India +05:30, Nepal +05:45).
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
# Near the revocation cutoff, so equal and one-microsecond-apart pairs are common.
near_cutoff = st.integers(min_value=-3_000_000, max_value=3_000_000).map(
    lambda us: datetime(2026, 11, 29, 10, tzinfo=UTC) + timedelta(microseconds=us)
)
moments = st.one_of(instants, near_cutoff)


def iso(moment: datetime, zone: timezone, with_fraction: bool) -> str:
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if with_fraction or local.microsecond:
        text += f".{local.microsecond:06d}"
    offset = local.utcoffset()
    assert offset is not None
    if offset == timedelta(0) and zone is UTC:
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def epoch_text(moment: datetime) -> str:
    delta = moment - EPOCH
    seconds = delta.days * 86400 + delta.seconds
    if delta.microseconds:
        return f"{seconds}.{delta.microseconds:06d}"
    return str(seconds)


@st.composite
def written(draw: st.DrawFn, moment: datetime, in_policy: bool = False) -> object:
    """The moment in one of the forms a request context (or, JSON only, a policy) may use."""
    forms = ["iso-utc", "iso-offset", "epoch-text", "epoch-int"]
    form = draw(st.sampled_from(forms if in_policy else [*forms, "datetime"]))
    if form == "iso-utc":
        return iso(moment, UTC, draw(st.booleans()))
    if form == "iso-offset":
        return iso(moment, draw(offsets), draw(st.booleans()))
    if form == "epoch-text":
        return epoch_text(moment)
    if form == "epoch-int" and not moment.microsecond:
        return int((moment - EPOCH).total_seconds())
    if in_policy:
        return epoch_text(moment)
    return moment.astimezone(draw(offsets))


def holds(operator_name: str, policy_value: object, request_value: object) -> bool:
    statement = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {operator_name: {"aws:TokenIssueTime": policy_value}},
    }
    return statement_matches(
        statement, "s3:ListAllMyBuckets", "*", {"aws:TokenIssueTime": request_value}
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data(), policy_moment=moments, request_moment=moments)
def test_date_operators_follow_datetime_order(
    data: st.DataObject, policy_moment: datetime, request_moment: datetime
) -> None:
    policy_value = data.draw(written(policy_moment, in_policy=True), label="policy value")
    request_value = data.draw(written(request_moment), label="request value")
    for name, compare in DATE_OPERATORS.items():
        # The operator reads "request <op> policy": DateLessThan is issued-before-cutoff.
        assert holds(name, policy_value, request_value) is compare(request_moment, policy_moment), (
            name
        )


@settings(max_examples=200, deadline=None)
@given(data=st.data(), moment=moments)
def test_the_same_instant_in_any_form_is_equal(data: st.DataObject, moment: datetime) -> None:
    first = data.draw(written(moment, in_policy=True))
    second = data.draw(written(moment))
    assert holds("DateEquals", first, second)
    assert not holds("DateLessThan", first, second)
    assert not holds("DateGreaterThan", first, second)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), moment=moments, zone=offsets)
def test_parse_policy_date_round_trips(
    data: st.DataObject, moment: datetime, zone: timezone
) -> None:
    value = data.draw(written(moment))
    parsed = parse_policy_date(value)  # type: ignore[arg-type]
    assert parsed == moment
    assert parsed.utcoffset() == timedelta(0)
    assert parse_policy_date(iso(moment, zone, with_fraction=False)) == moment


@settings(max_examples=200, deadline=None)
@given(seconds=st.integers(min_value=0, max_value=7_258_118_400))
def test_epoch_seconds_are_unix_time(seconds: int) -> None:
    expected = datetime.fromtimestamp(seconds, UTC)
    assert parse_policy_date(seconds) == expected
    assert parse_policy_date(str(seconds)) == expected


@settings(max_examples=300, deadline=None)
@given(
    base=near_cutoff,
    policy_nanos=st.integers(min_value=0, max_value=999),
    request_nanos=st.integers(min_value=0, max_value=999),
)
def test_sub_microsecond_fractions_are_compared_exactly(
    base: datetime, policy_nanos: int, request_nanos: int
) -> None:
    # Nine fractional digits: finer than datetime can hold, so the oracle is Decimal.
    def text(nanos: int) -> str:
        return base.strftime("%Y-%m-%dT%H:%M:%S") + f".{base.microsecond:06d}{nanos:03d}Z"

    policy_exact = Decimal(nanos_total(base, policy_nanos))
    request_exact = Decimal(nanos_total(base, request_nanos))
    for name, compare in DATE_OPERATORS.items():
        assert holds(name, text(policy_nanos), text(request_nanos)) is compare(
            request_exact, policy_exact
        )


def nanos_total(base: datetime, nanos: int) -> int:
    delta = base - EPOCH
    return ((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000 + nanos
