"""Date values (parse_policy_date and the Date operators) against AWS's documented forms.

(Each group cites its AWS page; see this package's docstring.)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from revoke.core.evaluate import (
    PolicyEvaluationError,
    parse_policy_date,
)
from tests.core.evaluate.helpers import (
    UTC,
    holds,
    revocation,
    revoked,
)

# ---------------------------------------------------------------------------------------------
# Dates: parse_policy_date. "You must specify date/time values with one of the W3C
# implementations of the ISO 8601 date formats or in epoch (UNIX) time" (condition
# operators, Date). www.w3.org/TR/NOTE-datetime: YYYY-MM, YYYY-MM-DD, ...Thh:mmTZD,
# ...Thh:mm:ssTZD, ...Thh:mm:ss.sTZD.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-29T10:00:00Z", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T10:00Z", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T10:00:00.085Z", datetime(2026, 11, 29, 10, 0, 0, 85000, tzinfo=UTC)),
        ("2026-11-29T10:00:00.123456789Z", datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-29T19:00:00+09:00", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T19:00:00+0900", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T05:30:00-04:30", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29", datetime(2026, 11, 29, tzinfo=UTC)),
        ("2026-11", datetime(2026, 11, 1, tzinfo=UTC)),
        # A zone-less time: read as UTC (AWS documents no other reading; see the module).
        ("2026-11-29T10:00:00", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        (1795946400, datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("1795946400", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        (1795946400.5, datetime(2026, 11, 29, 10, 0, 0, 500000, tzinfo=UTC)),
        (
            datetime(2026, 11, 29, 19, tzinfo=timezone(timedelta(hours=9))),
            datetime(2026, 11, 29, 10, tzinfo=UTC),
        ),
        (datetime(2026, 11, 29, 10), datetime(2026, 11, 29, 10, tzinfo=UTC)),
    ],
)
def test_parse_policy_date(value: Any, expected: datetime) -> None:
    parsed = parse_policy_date(value)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "2026-11-29T24:00:00Z",
        "2026-11-29 10:00:00Z",
        "2026-11-29T10:00:00+25:00",
        True,
        None,
        "2026-11-29T10:00:00ZZ",
    ],
)
def test_parse_policy_date_refuses_what_is_not_a_date(value: Any) -> None:
    with pytest.raises(PolicyEvaluationError, match="date"):
        parse_policy_date(value)


def test_a_naive_date_in_a_policy_is_utc() -> None:
    # The same instant with and without Z decides the same way.
    naive = revocation(cutoff="2026-11-29T10:00:00")
    assert revoked("2026-11-29T09:59:59Z", naive).explicit_deny
    assert not revoked("2026-11-29T10:00:00Z", naive).explicit_deny


def test_fractions_beyond_the_microsecond_are_compared_exactly() -> None:
    condition = {"DateLessThan": {"d": "2026-11-29T10:00:00.0000001Z"}}
    assert holds(condition, {"d": "2026-11-29T10:00:00Z"})
    assert not holds(condition, {"d": "2026-11-29T10:00:00.0000001Z"})
    assert holds(
        {"DateEquals": {"d": "2026-11-29T10:00:00.5Z"}}, {"d": "2026-11-29T10:00:00.500000000Z"}
    )
