"""Parse the responder's `--before WHEN` into a UTC cutoff, and durations.

WHEN forms (DESIGN.md, command surface): `now`; ISO 8601 with `Z` or an offset; epoch
seconds as `@1764392400`; a past offset `-30m`, `-2h`, `-1d`. A time without a zone is
refused: guessing the zone of a cutoff can un-revoke hours of sessions.

The cutoff is written with whole seconds. `DateLessThan` is strict (AWS-FACTS fact 10): a
token issued at 10:00:00.400 is not denied by a cutoff of 10:00:00, so any fractional
second is rounded *up*, never truncated.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from decimal import ROUND_CEILING, Decimal

from revoke.errors import BadInput

CUTOFF_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_FINER_THAN_MICROSECONDS = re.compile(r"\.(\d{6})(\d+)")
_RELATIVE = re.compile(r"^-(\d+)\s*([smhdw])$")
_EPOCH = re.compile(r"^@(\d+(?:\.\d+)?)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Clock skew we accept before calling a cutoff "in the future" (a `now` from another host).
FUTURE_TOLERANCE = timedelta(seconds=5)
# The years a cutoff may name. Before 1970 no session can have been issued (and strftime
# writes year 1 as `1-01-01`, not a date AWS reads); 9998 leaves room to round up and to
# add the margins gc and lift add to a cutoff without overflowing datetime's year 9999.
FIRST_YEAR, LAST_YEAR = 1970, 9998
DATE_CONDITIONS_URL = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_elements_condition_operators.html#Conditions_Date"
)


def ceil_to_second(moment: datetime) -> datetime:
    """Round an aware datetime up to the next whole second (fact 10)."""
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def format_cutoff(moment: datetime) -> str:
    """UTC with `Z`, whole seconds (fact 11)."""
    return ceil_to_second(moment.astimezone(timezone.utc)).strftime(CUTOFF_FORMAT)


def parse_iso(text: str) -> datetime:
    """ISO 8601 with a zone. Raises BadInput for a naive time, naming the fix."""
    candidate = text.strip()
    if candidate.endswith(("z", "Z")):
        candidate = candidate[:-1] + "+00:00"
    # datetime keeps microseconds: a finer fraction would be truncated, moving the cutoff
    # earlier. Keep six digits and round the rest up (fact 10).
    finer = _FINER_THAN_MICROSECONDS.search(candidate)
    bump = timedelta(0)
    if finer:
        if finer.group(2).strip("0"):
            bump = timedelta(microseconds=1)
        candidate = candidate[: finer.start(2)] + candidate[finer.end(2) :]
    try:
        moment = datetime.fromisoformat(candidate) + bump
    except ValueError:
        raise BadInput(
            f"cannot read {text!r} as a time",
            hint="use now, -30m, -2h, -1d, @EPOCH, or ISO 8601 with a zone such as "
            "2026-11-29T14:00:00Z",
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadInput(
            f"{text!r} has no time zone",
            hint=f"add one: {text.strip()}Z for UTC, or an offset such as {text.strip()}+09:00",
        )
    return moment


def parse_when(
    text: str,
    *,
    now: datetime,
    allow_future: bool = False,
) -> datetime:
    """The exact instant `text` names (aware, UTC), before rounding.

    `now` is passed in (the core does no I/O, and tests need a fixed clock).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    raw = (text or "").strip()
    if not raw:
        raise BadInput("--before needs a time", hint="for example --before now")
    lowered = raw.lower()
    if lowered == "now":
        moment = now
    elif match := _RELATIVE.match(lowered):
        amount, unit = int(match.group(1)), match.group(2)
        try:
            moment = now - timedelta(seconds=amount * _UNIT_SECONDS[unit])
        except OverflowError:
            raise BadInput(f"{raw!r} is out of range for a time") from None
    elif match := _EPOCH.match(raw):
        # Decimal, not float: a fraction is rounded up to the next second, never lost.
        seconds = Decimal(match.group(1)).to_integral_value(rounding=ROUND_CEILING)
        try:
            moment = datetime.fromtimestamp(int(seconds), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise BadInput(f"{raw!r} is out of range for a time") from None
    elif raw.startswith("+"):
        raise BadInput(
            f"{raw!r} is in the future",
            hint="relative cutoffs look back: -30m, -2h, -1d",
        )
    elif raw.isdigit():
        raise BadInput(
            f"{raw!r} is ambiguous",
            hint=f"write epoch seconds as @{raw}",
        )
    else:
        moment = parse_iso(raw)
    try:
        moment = moment.astimezone(timezone.utc)
        in_range = FIRST_YEAR <= moment.year <= LAST_YEAR
    except OverflowError:  # year 1 west of UTC, year 9999 east of it
        in_range = False
    if not in_range:
        raise BadInput(
            f"{raw!r} is outside the years {FIRST_YEAR}-{LAST_YEAR} a cutoff may name",
            hint=f"give a time in those years; AWS compares aws:TokenIssueTime as a date "
            f"({DATE_CONDITIONS_URL})",
        )
    if not allow_future and moment > now + FUTURE_TOLERANCE:
        raise BadInput(
            f"cutoff {format_cutoff(moment)} is in the future (now is {format_cutoff(now)})",
            hint="a future cutoff also denies sessions not yet issued; pass --allow-future "
            "if that is what you want",
        )
    return moment


def parse_cutoff(text: str, *, now: datetime, allow_future: bool = False) -> str:
    """`--before WHEN` as the string written into the policy: `YYYY-MM-DDTHH:MM:SSZ`."""
    return format_cutoff(parse_when(text, now=now, allow_future=allow_future))


def cutoff_datetime(cutoff: str) -> datetime:
    """A cutoff as a policy holds it, as an aware UTC datetime.

    Ours and the console's are `...Z`, but a policy written by hand may use any date form
    AWS accepts (fact 11: W3C ISO 8601, with or without a zone, or epoch seconds), so read
    it the way the evaluator does. An unreadable one is BadInput: never guess a cutoff.
    """
    from revoke.core.evaluate import PolicyEvaluationError, parse_policy_date

    try:
        return parse_policy_date(cutoff)
    except PolicyEvaluationError:
        raise BadInput(
            f"a revocation policy holds a cutoff revoke cannot read: {cutoff!r}",
            hint="look at the policy (aws iam get-user-policy / get-role-policy) and fix it "
            "by hand, or pass --force to replace it",
        ) from None


MAX_DURATION_SECONDS = 10 * 365 * 86400
_DURATION = re.compile(r"^(\d+)\s*([smhd]?)$")


def parse_duration(text: str) -> int:
    """`43200`, `900s`, `15m`, `12h`, `36h`, `1d` as whole seconds."""
    match = _DURATION.match((text or "").strip().lower())
    if not match:
        raise BadInput(
            f"cannot read {text!r} as a duration",
            hint="use seconds (3600) or 15m, 12h, 36h",
        )
    amount, unit = int(match.group(1)), match.group(2) or "s"
    seconds = amount * _UNIT_SECONDS[unit]
    if seconds > MAX_DURATION_SECONDS:
        raise BadInput(f"{text!r} is out of range for a duration (at most 10 years)")
    return seconds


def human_duration(seconds: float) -> str:
    """`1h 30m`, `45s`: for messages."""
    seconds = int(math.ceil(seconds))
    if seconds < 60:
        return f"{seconds}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts[:2])
