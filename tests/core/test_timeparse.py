"""`--before WHEN` parsing (DESIGN.md command surface; AWS-FACTS facts 10 and 11)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from revoke.core.timeparse import (
    cutoff_datetime,
    human_duration,
    parse_cutoff,
    parse_duration,
)
from revoke.errors import BadInput

NOW = datetime(2026, 11, 29, 5, 0, 0, 250000, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # fact 10: DateLessThan is strict, so a fractional "now" rounds *up*.
        ("now", "2026-11-29T05:00:01Z"),
        ("NOW", "2026-11-29T05:00:01Z"),
        ("-30m", "2026-11-29T04:30:01Z"),
        ("-2h", "2026-11-29T03:00:01Z"),
        ("-1d", "2026-11-28T05:00:01Z"),
        ("2026-11-29T14:00:00+09:00", "2026-11-29T05:00:00Z"),
        ("2026-11-29T04:59:59.001Z", "2026-11-29T05:00:00Z"),
        ("2026-11-28T21:00:00-08:00", "2026-11-29T05:00:00Z"),
        ("2026-11-29 04:00:00z", "2026-11-29T04:00:00Z"),
        ("@1764392400", "2025-11-29T05:00:00Z"),
        ("@1764392400.5", "2025-11-29T05:00:01Z"),
    ],
)
def test_when_forms_normalise_to_utc_whole_seconds(when: str, expected: str) -> None:
    assert parse_cutoff(when, now=NOW) == expected


def test_whole_second_now_is_not_moved() -> None:
    exact = NOW.replace(microsecond=0)
    assert parse_cutoff("now", now=exact) == "2026-11-29T05:00:00Z"


def test_naive_time_is_refused_with_the_zone_to_add() -> None:
    with pytest.raises(BadInput, match="no time zone") as info:
        parse_cutoff("2026-11-29T04:00:00", now=NOW)
    assert info.value.hint is not None and "2026-11-29T04:00:00Z" in info.value.hint


@pytest.mark.parametrize("when", ["2026-11-30T00:00:00Z", "@4102444800"])
def test_future_cutoff_is_refused_unless_allowed(when: str) -> None:
    with pytest.raises(BadInput, match="in the future") as info:
        parse_cutoff(when, now=NOW)
    assert "--allow-future" in (info.value.hint or "")
    assert parse_cutoff(when, now=NOW, allow_future=True).endswith("Z")


@pytest.mark.parametrize("when", ["", "yesterday", "+2h", "1764392400", "2026-13-01T00:00:00Z"])
def test_unreadable_times_are_bad_input(when: str) -> None:
    with pytest.raises(BadInput):
        parse_cutoff(when, now=NOW)


def test_cutoff_round_trips() -> None:
    assert cutoff_datetime("2026-11-29T05:00:01Z") == datetime(
        2026, 11, 29, 5, 0, 1, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("43200", 43200), ("900s", 900), ("15m", 900), ("12h", 43200), ("36h", 129600), ("1d", 86400)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "12x", "-5m", "h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(BadInput):
        parse_duration(text)


def test_human_duration() -> None:
    assert human_duration(45) == "45s"
    assert human_duration(5400) == "1h 30m"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # Fact 10: a fraction finer than datetime's microsecond must still round up.
        ("2026-11-29T05:00:00.0000001Z", "2026-11-29T05:00:01Z"),
        ("2026-11-29T05:00:00.0000000Z", "2026-11-29T05:00:00Z"),
        ("@1764392400.0000001", "2025-11-29T05:00:01Z"),
    ],
)
def test_fractions_finer_than_microseconds_round_up(when: str, expected: str) -> None:
    assert parse_cutoff(when, now=NOW) == expected


@pytest.mark.parametrize("when", ["-99999999999d", "@99999999999999999999"])
def test_out_of_range_times_are_bad_input(when: str) -> None:
    with pytest.raises(BadInput, match="out of range"):
        parse_cutoff(when, now=NOW)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # Fact 11: a hand-written policy may use any AWS date form.
        ("1900000000", datetime(2030, 3, 17, 17, 46, 40, tzinfo=timezone.utc)),
        ("2026-11-29", datetime(2026, 11, 29, tzinfo=timezone.utc)),
        ("2026-11-29T14:00:00+09:00", datetime(2026, 11, 29, 5, tzinfo=timezone.utc)),
    ],
)
def test_existing_cutoffs_in_every_aws_date_form(written: str, expected: datetime) -> None:
    assert cutoff_datetime(written) == expected


def test_unreadable_existing_cutoff_is_bad_input() -> None:
    with pytest.raises(BadInput, match="cannot read"):
        cutoff_datetime("yesterday")


def test_absurd_durations_are_bad_input() -> None:
    # `revoke gc --margin 99999999999999d` must be a one-line error, not an overflow.
    with pytest.raises(BadInput, match="out of range"):
        parse_duration("99999999999999d")


@pytest.mark.parametrize(
    ("when", "allow_future"),
    [
        ("0001-01-01T00:00:00Z", False),  # was written as `1-01-01T00:00:00Z`
        ("0001-01-01T00:00:00+01:00", False),  # overflowed converting to UTC
        ("1969-12-31T23:59:59Z", False),
        ("-700000d", False),  # year 110
        ("9999-06-01T00:00:00Z", True),  # overflowed after the write
        ("9999-12-31T23:59:59.5Z", True),  # overflowed rounding up
        ("9999-12-31T23:00:00-05:00", True),
    ],
)
def test_cutoffs_outside_1970_to_9998_are_bad_input(when: str, allow_future: bool) -> None:
    with pytest.raises(BadInput, match="outside the years 1970-9998") as caught:
        parse_cutoff(when, now=NOW, allow_future=allow_future)
    assert "\n" not in caught.value.message
    assert caught.value.hint and "docs.aws.amazon.com" in caught.value.hint


@pytest.mark.parametrize("when", ["1970-01-01T00:00:00Z", "@0", "9998-12-31T23:59:59.5Z"])
def test_the_edges_of_the_range_are_cutoffs(when: str) -> None:
    assert parse_cutoff(when, now=NOW, allow_future=True).endswith("Z")
