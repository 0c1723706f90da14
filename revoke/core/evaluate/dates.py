"""Dates for the Date condition operators: policy and request values read as exact instants.

"You must specify date/time values with one of the W3C implementations of the ISO 8601 date
formats or in epoch (UNIX) time" (condition operators, Date). Readings of our own, where AWS
documents no answer (each is pinned by a test):
- A date-time without a zone designator is read as UTC. The W3C profile AWS cites requires a
  zone with any time of day; AWS states its date examples in UTC and never says what a naive
  value means, so UTC is the only reading that does not depend on the reader's host.
- An all-digit date string is epoch seconds, never the W3C year-only form `YYYY`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

from revoke.core.evaluate.errors import PolicyEvaluationError

# An instant is exact epoch seconds: an int when whole, else a Fraction. Python compares the
# two exactly, so 10:00:00.400 is never rounded onto 10:00:00 (AWS-FACTS fact 10).
Instant = int | Fraction

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# The W3C profile of ISO 8601 that AWS cites for Date operators (www.w3.org/TR/NOTE-datetime):
# YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.s]]TZD. Offsets are also accepted as +hh or
# +hhmm (unambiguous); the zone may be missing (read as UTC, see the module docstring).
_W3C_DATE = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})"
    r"(?:-(?P<d>\d{2})"
    r"(?:[Tt](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<frac>\d+))?)?"
    r"(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?)?"
)
_EPOCH_TEXT = re.compile(r"[+-]?\d+(?:\.\d+)?")

_DATE_FORMS = (
    "expected W3C ISO 8601 (2026-11-29, 2026-11-29T10:00:00Z, 2026-11-29T19:00:00+09:00, "
    "with optional fractional seconds) or epoch seconds (1795946400)"
)


def _datetime_instant(moment: datetime) -> Instant:
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - _EPOCH
    whole = delta.days * 86400 + delta.seconds
    if delta.microseconds:
        return whole + Fraction(delta.microseconds, 1_000_000)
    return whole


def _number_instant(value: int | float | str) -> Instant:
    if isinstance(value, int):
        return value
    # repr() of a float is its shortest decimal form: 1795946400.4 means .4, not the binary
    # neighbour Fraction(float) would give.
    exact = Fraction(repr(value) if isinstance(value, float) else value)
    return exact.numerator if exact.denominator == 1 else exact


def _text_instant(text: str) -> Instant:
    if _EPOCH_TEXT.fullmatch(text):
        return _number_instant(text)
    match = _W3C_DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date ({_DATE_FORMS})")
    parts = match.groupdict()
    try:
        day = date(int(parts["y"]), int(parts["mo"]), int(parts["d"] or 1))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date ({exc})") from None
    hour, minute, second = int(parts["h"] or 0), int(parts["mi"] or 0), int(parts["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{text!r} is not a date (time of day out of range)")
    offset = 0
    zone = parts["tz"]
    if zone and zone not in ("Z", "z"):
        digits = zone[1:].replace(":", "")
        off_h, off_m = int(digits[:2]), int(digits[2:] or 0)
        if off_h > 23 or off_m > 59:
            raise ValueError(f"{text!r} is not a date (zone offset out of range)")
        offset = (off_h * 3600 + off_m * 60) * (1 if zone[0] == "+" else -1)
    whole = (day.toordinal() - _EPOCH_ORDINAL) * 86400 + hour * 3600 + minute * 60 + second
    whole -= offset
    frac = parts["frac"]
    if frac and int(frac):
        return whole + Fraction(int(frac), 10 ** len(frac))
    return whole


def _instant(value: object) -> Instant:
    """Exact epoch seconds of a policy or context date value; ValueError if it is not one."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, not a date")
    if isinstance(value, datetime):
        return _datetime_instant(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and (value != value or value in (float("inf"), -float("inf"))):
            raise ValueError(f"{value!r} is not a date")
        return _number_instant(value)
    if isinstance(value, str):
        return _text_instant(value.strip())
    raise ValueError(f"{value!r} ({type(value).__name__}) is not a date")


def parse_policy_date(value: str | int | float | datetime) -> datetime:
    """Read a Date-operator value (a cutoff, a token issue time) as an aware UTC datetime.

    Accepts what the evaluator accepts: W3C ISO 8601 with `Z` or an offset, with or without
    fractional seconds, date-only (midnight UTC), a zone-less date-time (read as UTC), and
    epoch seconds as a number or an all-digit string. A datetime is normalised to UTC (a naive
    one is read as UTC). Digits beyond the microsecond are truncated; the evaluator itself
    compares them exactly.
    """
    try:
        instant = _instant(value)
        whole = int(instant // 1)
        micro = int((instant - whole) * 1_000_000 // 1)
        return _EPOCH + timedelta(seconds=whole, microseconds=micro)
    except (ValueError, OverflowError) as exc:
        raise PolicyEvaluationError(f"cannot read a date: {exc}") from None


def _format_utc(moment: datetime) -> str:
    moment = parse_policy_date(moment)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
