"""An exact evaluator of AWS IAM identity-policy logic.

Every claim that a token is revoked rests on this module: the verification step asks it
whether the deny matches an issue time one second before the cutoff and not one after, the
sandbox authorises every request with it, the org planner checks SCPs with it. So it follows
AWS's documented rules literally, raises `PolicyEvaluationError` on anything it does not
understand (never a silent allow or deny), and is pure: stdlib only, no I/O.

Sources (docs.aws.amazon.com/IAM/latest/UserGuide/...), cited where each rule is applied:
- reference_policies_evaluation-logic.html: explicit deny > allow > implicit deny.
- reference_policies_elements_action.html / _notaction / _resource / _notresource.
- reference_policies_elements_condition_operators.html ("condition operators" below).
- reference_policies_condition-logic-multiple-context-keys-or-values.html ("multi-value").
- reference_policies_condition-single-vs-multi-valued-context-keys.html ("set operators").
- reference_policies_variables.html ("policy variables").

Readings of our own, where AWS documents no answer (each is pinned by a test):
- A date-time without a zone designator is read as UTC. The W3C profile AWS cites requires a
  zone with any time of day; AWS states its date examples in UTC and never says what a naive
  value means, so UTC is the only reading that does not depend on the reader's host.
- An all-digit date string is epoch seconds, never the W3C year-only form `YYYY`.
- A plain (non set) operator given a context key with several values raises: AWS says such
  keys "require a condition set operator" and does not define the alternative.
- A request value that cannot be read as the operator's type (a non-numeric string for a
  Numeric operator, a non-date for a Date operator) raises rather than guessing.
- An `ArnLike` policy value with fewer than six colon-separated parts raises; a request value
  with fewer than six parts simply matches no ARN pattern.

Compiled documents are cached by content, so evaluating the same policy on every request (the
sandbox) parses and compiles it once.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

__all__ = [
    "ContextValue",
    "Decision",
    "EvaluationResult",
    "PolicyEvaluationError",
    "StatementRef",
    "evaluate",
    "parse_policy_date",
    "statement_matches",
]

ContextValue = str | int | float | bool | datetime | Sequence[str | int | float | bool | datetime]
Decision = Literal["explicit_deny", "allow", "implicit_deny"]


class PolicyEvaluationError(ValueError):
    """A policy (or a request context) this evaluator cannot evaluate exactly."""


@dataclass(frozen=True)
class StatementRef:
    policy: str
    index: int
    sid: str | None
    effect: str


@dataclass(frozen=True)
class EvaluationResult:
    decision: Decision
    matched_denies: tuple[StatementRef, ...]
    matched_allows: tuple[StatementRef, ...]

    @property
    def explicit_deny(self) -> bool:
        return self.decision == "explicit_deny"

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Wildcards and policy variables
# ---------------------------------------------------------------------------------------------

# A pattern is a sequence of (character, wild) pairs: wild characters `*` and `?` act as
# wildcards, every other pair is literal. Text substituted from a policy variable, and the
# special variables ${*} ${?} ${$}, is literal (policy variables: "Special characters").
PatternChars = tuple[tuple[str, bool], ...]


def _wild(text: str) -> PatternChars:
    return tuple((ch, True) for ch in text)


def _text(chars: PatternChars) -> str:
    return "".join(ch for ch, _ in chars)


def _glob_regex(chars: PatternChars) -> str:
    out: list[str] = []
    for ch, wild in chars:
        if wild and ch == "*":
            if not out or out[-1] != ".*":
                out.append(".*")
        elif wild and ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _resource_regex(chars: PatternChars) -> str:
    """Resource element wildcards (reference_policies_elements_resource.html): `*` and `?`
    stay within one colon-separated segment of the ARN, except that "if the * wildcard is the
    last character of a resource ARN segment, it can expand to match beyond the colon
    boundaries". After the fifth colon (the resource part) they match anything, colons too.
    """
    out: list[str] = []
    colons = 0
    for i, (ch, wild) in enumerate(chars):
        if colons >= 5:
            out.append(_glob_regex(((ch, wild),)))
            continue
        if ch == ":":
            colons += 1
            out.append(":")
        elif wild and ch == "*":
            ends_segment = i + 1 == len(chars) or chars[i + 1][0] == ":"
            out.append(".*" if ends_segment else "[^:]*")
        elif wild and ch == "?":
            out.append("[^:]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=4096)
def _regex(source: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(source, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_BODY = re.compile(r"\s*([^,\s][^,]*?)\s*(?:,\s*'([^']*)')?\s*")
_SPECIAL_VARIABLES = {"*", "?", "$"}


@dataclass(frozen=True)
class _Variable:
    key: str  # lower-cased: "Key names are case-insensitive" (policy variables)
    default: str | None


@dataclass(frozen=True)
class _Literal:
    """${*}, ${?} or ${$}: the character itself, never a wildcard (policy variables)."""

    char: str


_TemplatePart = str | _Variable | _Literal


@dataclass(frozen=True)
class _Template:
    """A policy string with ${...} variables, resolved against each request's context."""

    parts: tuple[_TemplatePart, ...]
    text: str

    def resolve(self, ctx: Mapping[str, Any]) -> PatternChars | None:
        """The pattern with variables substituted, or None when a variable has no value.

        "When policy variables reference a condition context key that has no value or is not
        present in an authorization context for a request, the value is effectively null"
        (policy variables, "Policy variables with no value"): callers drop the element.
        """
        out: list[tuple[str, bool]] = []
        for part in self.parts:
            if isinstance(part, str):
                out.extend((ch, True) for ch in part)
                continue
            if isinstance(part, _Literal):
                out.append((part.char, False))
                continue
            value = _variable_value(part, ctx)
            if value is None:
                return None
            out.extend((ch, False) for ch in value)
        return tuple(out)


def _variable_value(variable: _Variable, ctx: Mapping[str, Any]) -> str | None:
    raw = ctx.get(variable.key)
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        if len(raw) > 1:
            # "You can't use a multivalued condition key as a variable" (policy variables).
            raise PolicyEvaluationError(
                f"policy variable ${{{variable.key}}} names a key with {len(raw)} values in "
                "the request context; only single-valued keys can be policy variables"
            )
        raw = raw[0] if raw else None
    if raw is None:
        return variable.default
    return _context_text(raw)


def _parse_template(text: str, *, where: str) -> str | _Template:
    if "${" not in text or not _VARIABLE.search(text):
        return text
    parts: list[_TemplatePart] = []
    pos = 0
    for match in _VARIABLE.finditer(text):
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        body = match.group(1).strip()
        if body in _SPECIAL_VARIABLES:
            parts.append(_Literal(body))
        else:
            spec = _VARIABLE_BODY.fullmatch(match.group(1))
            if spec is None:
                raise PolicyEvaluationError(
                    f"{where}: malformed policy variable {match.group(0)!r} "
                    "(expected ${key} or ${key, 'default'})"
                )
            parts.append(_Variable(key=spec.group(1).lower(), default=spec.group(2)))
        pos = match.end()
    if pos < len(text):
        parts.append(text[pos:])
    return _Template(parts=tuple(parts), text=text)


def _context_text(value: object) -> str:
    """How a context value reads as a string (for String/ARN operators and variables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _format_utc(value)
    if isinstance(value, str | int | float):
        return str(value)
    raise PolicyEvaluationError(f"context value {value!r} is not a string, number or date")


def _policy_text(value: object) -> str:
    """A JSON scalar of a policy as the string AWS compares: true -> "true", 10 -> "10"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(f"{value!r} is not a string, number or boolean")


# ---------------------------------------------------------------------------------------------
# Condition operators (condition operators page, one family per section)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operator:
    """One base operator: how to read a policy value and a request value, and compare them.

    `negated` operators use NOR over the policy values ("If a single negated matching
    condition operator includes multiple values for a context key, those values are evaluated
    using a logical NOR", multi-value) and are true for a missing key ("If the policy
    condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and
    the right key is not present, the condition is true", condition operators, Important).
    """

    name: str
    family: str
    negated: bool
    variables: bool  # "Policy variables - Supported" in the operator's section
    policy: Callable[[PatternChars], Any]
    request: Callable[[Any], Any]
    compare: Callable[[Any, Any], bool]


def _string_policy(chars: PatternChars) -> str:
    return _text(chars)


def _string_policy_lower(chars: PatternChars) -> str:
    return _text(chars).lower()


def _like_policy(chars: PatternChars) -> re.Pattern[str]:
    return _regex(_glob_regex(chars), False)


def _string_request(value: object) -> str:
    return _context_text(value)


def _string_request_lower(value: object) -> str:
    return _context_text(value).lower()


def _like_compare(request: str, pattern: re.Pattern[str]) -> bool:
    return pattern.fullmatch(request) is not None


def _eq(request: object, policy: object) -> bool:
    return request == policy


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, not a number")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int | str):
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
        if number.is_finite():
            return number
    raise ValueError(f"{value!r} is not a number")


def _numeric_policy(chars: PatternChars) -> Decimal:
    return _decimal(_text(chars))


def _date_policy(chars: PatternChars) -> Instant:
    return _instant(_text(chars))


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{value!r} is not true or false")


def _bool_policy(chars: PatternChars) -> bool:
    return _boolean(_text(chars))


def _binary(value: object) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            pass
    raise ValueError(f"{value!r} is not base64")


def _binary_policy(chars: PatternChars) -> bytes:
    return _binary(_text(chars))


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip_policy(chars: PatternChars) -> IpNetwork:
    # "If you specify an IP address without the associated routing prefix, IAM uses the
    # default prefix value of /32" (condition operators, IP address); ip_network gives a bare
    # IPv4 address /32 and a bare IPv6 address /128, the one-address reading for both.
    try:
        return ipaddress.ip_network(_text(chars).strip(), strict=False)
    except ValueError:
        raise ValueError(f"{_text(chars)!r} is not an IP address or CIDR range") from None


def _ip_request(value: object) -> IpAddress:
    if isinstance(value, str):
        try:
            return ipaddress.ip_address(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not an IP address")


def _ip_compare(request: IpAddress, network: IpNetwork) -> bool:
    return request in network  # False across IPv4/IPv6


def _arn_policy(chars: PatternChars) -> tuple[re.Pattern[str], ...]:
    # "Each of the six colon-delimited components of the ARN is checked separately and each
    # can include multi-character match wildcards (*) or single-character match wildcards (?)"
    # (condition operators, ARN). ArnEquals and ArnLike "behave identically".
    parts: list[list[tuple[str, bool]]] = [[]]
    for ch, wild in chars:
        if ch == ":" and len(parts) < 6:
            parts.append([])
        else:
            parts[-1].append((ch, wild))
    if len(parts) < 6:
        raise ValueError(f"{_text(chars)!r} is not an ARN (an ARN has six ':'-separated parts)")
    return tuple(_regex(_glob_regex(tuple(part)), False) for part in parts)


def _arn_compare(request: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    parts = request.split(":", 5)
    if len(parts) < 6:
        return False
    return all(p.fullmatch(part) is not None for p, part in zip(patterns, parts, strict=True))


def _build_operators() -> dict[str, _Operator]:
    ops: list[_Operator] = [
        # String: "Exact matching, case sensitive", IgnoreCase variants, Like with * and ?.
        _Operator("StringEquals", "String", False, True, _string_policy, _string_request, _eq),
        _Operator("StringNotEquals", "String", True, True, _string_policy, _string_request, _eq),
        _Operator(
            "StringEqualsIgnoreCase",
            "String",
            False,
            True,
            _string_policy_lower,
            _string_request_lower,
            _eq,
        ),
        _Operator(
            "StringNotEqualsIgnoreCase",
            "String",
            True,
            True,
            _string_policy_lower,
            _string_request_lower,
            _eq,
        ),
        _Operator(
            "StringLike", "String", False, True, _like_policy, _string_request, _like_compare
        ),
        _Operator(
            "StringNotLike", "String", True, True, _like_policy, _string_request, _like_compare
        ),
        # Bool, BinaryEquals (base64, "byte for byte"), IP address, ARN.
        _Operator("Bool", "Bool", False, True, _bool_policy, _boolean, _eq),
        _Operator("BinaryEquals", "Binary", False, False, _binary_policy, _binary, _eq),
        _Operator("IpAddress", "IP address", False, False, _ip_policy, _ip_request, _ip_compare),
        _Operator("NotIpAddress", "IP address", True, False, _ip_policy, _ip_request, _ip_compare),
    ]
    for name, negated in (
        ("ArnEquals", False),
        ("ArnLike", False),
        ("ArnNotEquals", True),
        ("ArnNotLike", True),
    ):
        ops.append(
            _Operator(name, "ARN", negated, True, _arn_policy, _string_request, _arn_compare)
        )
    comparisons: tuple[tuple[str, bool, Callable[[Any, Any], bool]], ...] = (
        ("Equals", False, lambda r, p: r == p),
        ("NotEquals", True, lambda r, p: r == p),
        ("LessThan", False, lambda r, p: r < p),
        ("LessThanEquals", False, lambda r, p: r <= p),
        ("GreaterThan", False, lambda r, p: r > p),
        ("GreaterThanEquals", False, lambda r, p: r >= p),
    )
    for suffix, negated, compare in comparisons:
        ops.append(
            _Operator(
                f"Numeric{suffix}", "Numeric", negated, False, _numeric_policy, _decimal, compare
            )
        )
        ops.append(
            _Operator(f"Date{suffix}", "Date", negated, False, _date_policy, _instant, compare)
        )
    return {op.name: op for op in ops}


_OPERATORS = _build_operators()
_NULL = "Null"
_ALL_OPERATOR_NAMES = sorted(
    [*_OPERATORS, _NULL]
    + [f"{name}IfExists" for name in _OPERATORS]
    + [f"{q}:{name}" for q in ("ForAllValues", "ForAnyValue") for name in _OPERATORS]
)


@dataclass(frozen=True)
class _ParsedOperator:
    name: str
    base: _Operator | None  # None for Null
    quantifier: Literal["", "all", "any"]
    if_exists: bool


def _parse_operator(name: object, *, where: str) -> _ParsedOperator:
    if not isinstance(name, str):
        raise PolicyEvaluationError(f"{where}: condition operator {name!r} is not a string")
    rest = name
    quantifier: Literal["", "all", "any"] = ""
    if rest.startswith("ForAllValues:"):
        quantifier, rest = "all", rest[len("ForAllValues:") :]
    elif rest.startswith("ForAnyValue:"):
        quantifier, rest = "any", rest[len("ForAnyValue:") :]
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    if if_exists:
        rest = rest[: -len("IfExists")]
    if rest == _NULL:
        if if_exists:
            # "You can add IfExists to the end of any condition operator name except the Null
            # condition" (condition operators, ...IfExists).
            raise PolicyEvaluationError(
                f"{where}: condition operator {name!r}: IfExists cannot be added to Null"
            )
        if quantifier:
            raise PolicyEvaluationError(
                f"{where}: condition operator {name!r}: Null takes no ForAllValues/ForAnyValue"
            )
        return _ParsedOperator(name, None, "", False)
    base = _OPERATORS.get(rest)
    if base is None:
        close = difflib.get_close_matches(name, _ALL_OPERATOR_NAMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise PolicyEvaluationError(f"{where}: unknown condition operator {name!r}{hint}")
    return _ParsedOperator(name, base, quantifier, if_exists)


_ValueSlot = tuple[Any, None] | tuple[None, _Template]  # (converted, None) or (None, template)


@dataclass(frozen=True)
class _Condition:
    operator: _ParsedOperator
    key: str  # lower-cased: "Condition key names are not case-sensitive"
    key_text: str
    values: tuple[_ValueSlot, ...]
    null_expect: tuple[bool, ...]  # Null only

    def holds(self, ctx: Mapping[str, Any]) -> bool:
        op = self.operator
        raw = ctx.get(self.key)
        if isinstance(raw, Sequence) and not isinstance(raw, str):
            values: tuple[Any, ...] = tuple(raw)
        else:
            values = () if raw is None else (raw,)
        absent = not values
        # "resolves to a null dataset, such as an empty string" (set operators).
        null = absent or values == ("",)

        if op.base is None:
            # Null: true "the key doesn't exist - it is null", false "the key exists and its
            # value is not null" (condition operators, Null check).
            return any(expect == null for expect in self.null_expect)
        if absent and op.if_exists:
            # "If the key is not present, evaluate the condition element as true."
            return True
        if op.quantifier == "all":
            # "It also returns true if there are no context keys in the request or if the
            # context key value resolves to a null dataset, such as an empty string."
            return null or all(self._one(v, ctx) for v in values)
        if op.quantifier == "any":
            # ForAnyValue needs at least one request value to match; a missing key matches
            # nothing (multivalued examples: "No aws:TagKeys in the request context" -> No
            # match).
            return not null and any(self._one(v, ctx) for v in values)
        if absent:
            return op.base.negated
        if len(values) > 1:
            raise PolicyEvaluationError(
                f"condition {op.name} on {self.key_text!r}: the request has {len(values)} "
                "values for this key; a multivalued key needs ForAllValues: or ForAnyValue: "
                "(AWS: 'Multivalued context keys require a condition set operator')"
            )
        return self._one(values[0], ctx)

    def _one(self, value: Any, ctx: Mapping[str, Any]) -> bool:
        """One request value against every policy value: OR, or NOR when negated."""
        base = self.operator.base
        assert base is not None
        try:
            request = base.request(value)
        except ValueError as exc:
            raise PolicyEvaluationError(
                f"condition {self.operator.name} on {self.key_text!r}: request value {exc}"
            ) from None
        matched = False
        for converted, template in self.values:
            if template is not None:
                chars = template.resolve(ctx)
                if chars is None:
                    continue  # "effectively null. There is no equal or like value."
                try:
                    converted = base.policy(chars)
                except ValueError as exc:
                    raise PolicyEvaluationError(
                        f"condition {self.operator.name} on {self.key_text!r}: "
                        f"{template.text!r} resolved to {exc}"
                    ) from None
            if base.compare(request, converted):
                matched = True
                break
        return not matched if base.negated else matched


def _compile_condition_block(block: object, *, where: str, variables: bool) -> list[_Condition]:
    if not isinstance(block, Mapping):
        raise PolicyEvaluationError(f"{where}: Condition must be an object, got {block!r}")
    conditions: list[_Condition] = []
    for op_name, keys in block.items():
        op = _parse_operator(op_name, where=where)
        here = f"{where}, {op_name}"
        if not isinstance(keys, Mapping) or not keys:
            raise PolicyEvaluationError(
                f"{here}: expected an object of condition keys to values, got {keys!r}"
            )
        for key, raw_values in keys.items():
            if not isinstance(key, str) or not key:
                raise PolicyEvaluationError(f"{here}: condition key {key!r} is not a string")
            values_list = raw_values if isinstance(raw_values, list) else [raw_values]
            if not values_list:
                raise PolicyEvaluationError(f"{here}: no values for condition key {key!r}")
            slots: list[_ValueSlot] = []
            null_expect: list[bool] = []
            for raw in values_list:
                if isinstance(raw, Mapping | list) or raw is None:
                    raise PolicyEvaluationError(
                        f"{here}: value {raw!r} for {key!r} is not a string, number or boolean"
                    )
                try:
                    if op.base is None:
                        null_expect.append(_boolean(raw))
                        continue
                    text = _policy_text(raw)
                    if variables and op.base.variables:
                        parsed = _parse_template(text, where=here)
                        if isinstance(parsed, _Template):
                            slots.append((None, parsed))
                            continue
                    slots.append((op.base.policy(_wild(text)), None))
                except ValueError as exc:
                    family = op.base.family if op.base else "Null"
                    supports = op.base is not None and op.base.variables and variables
                    note = (
                        " (policy variables are not supported by this operator)"
                        if isinstance(raw, str) and "${" in raw and not supports
                        else ""
                    )
                    raise PolicyEvaluationError(
                        f"{here}: value for {key!r} is not valid for the {family} operators: "
                        f"{exc}{note}"
                    ) from None
            conditions.append(_Condition(op, key.lower(), key, tuple(slots), tuple(null_expect)))
    return conditions


# ---------------------------------------------------------------------------------------------
# Statements and documents
# ---------------------------------------------------------------------------------------------

_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
_DOCUMENT_KEYS = {"Version", "Id", "Statement"}
# "Variables were introduced in version 2012-10-17 ... If you don't include the Version
# element ..., variables like ${aws:username} are treated as literal strings" (policy
# variables).
_VERSIONS = {"2012-10-17", "2008-10-17"}


@dataclass(frozen=True)
class _ActionMatcher:
    regex: re.Pattern[str] | None  # None: the list holds "*"

    def matches(self, action: str) -> bool:
        return self.regex is None or self.regex.fullmatch(action) is not None


@dataclass(frozen=True)
class _ResourceMatcher:
    any_resource: bool
    static: re.Pattern[str] | None
    templates: tuple[_Template, ...]

    def matches(self, resource: str, ctx: Mapping[str, Any]) -> bool:
        if self.any_resource:
            return True
        if self.static is not None and self.static.fullmatch(resource):
            return True
        for template in self.templates:
            chars = template.resolve(ctx)
            # "the resource that includes a policy variable with no value will not match any
            # resource" (policy variables) - for Resource and NotResource alike.
            if chars is not None and _regex(_resource_regex(chars), False).fullmatch(resource):
                return True
        return False


@dataclass(frozen=True)
class _Statement:
    index: int
    sid: str | None
    effect: str
    not_action: bool
    actions: _ActionMatcher
    not_resource: bool
    resources: _ResourceMatcher
    conditions: tuple[_Condition, ...]

    def applies(self, action: str, resource: str, ctx: Mapping[str, Any]) -> bool:
        # NotAction "explicitly matches everything except the specified list of actions";
        # NotResource likewise for resources (elements_notaction, elements_notresource).
        if self.actions.matches(action) == self.not_action:
            return False
        if self.resources.matches(resource, ctx) == self.not_resource:
            return False
        # Operators, and keys under one operator, are ANDed (multi-value).
        return all(condition.holds(ctx) for condition in self.conditions)


def _string_list(value: object, *, where: str, element: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    strings = [item for item in items if isinstance(item, str) and item]
    if not items or len(strings) != len(items):
        raise PolicyEvaluationError(
            f"{where}: {element} must be a non-empty string or list of strings, got {value!r}"
        )
    return strings


def _compile_statement(raw: object, index: int, variables: bool) -> _Statement:
    where = f"statement {index}"
    if not isinstance(raw, Mapping):
        raise PolicyEvaluationError(f"{where}: a statement must be an object, got {raw!r}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyEvaluationError(f"{where}: Sid must be a string, got {sid!r}")
    if sid:
        where = f"statement {index} (Sid {sid!r})"
    for key in raw:
        if key in ("Principal", "NotPrincipal"):
            raise PolicyEvaluationError(
                f"{where}: {key} belongs in resource-based policies; this evaluator reads "
                "identity-based policies and SCPs only"
            )
        if key not in _STATEMENT_KEYS:
            raise PolicyEvaluationError(f"{where}: unknown statement element {key!r}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        # "The Effect value is case sensitive" (elements_effect).
        raise PolicyEvaluationError(f"{where}: Effect must be 'Allow' or 'Deny', got {effect!r}")
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyEvaluationError(f"{where}: needs exactly one of Action or NotAction")
    if ("Resource" in raw) == ("NotResource" in raw):
        raise PolicyEvaluationError(f"{where}: needs exactly one of Resource or NotResource")

    action_key = "Action" if "Action" in raw else "NotAction"
    actions = _string_list(raw[action_key], where=where, element=action_key)
    # "The prefix and the action name are case insensitive" (elements_action).
    action_regex = (
        None
        if "*" in actions
        else _regex("|".join(f"(?:{_glob_regex(_wild(a))})" for a in actions), True)
    )

    resource_key = "Resource" if "Resource" in raw else "NotResource"
    resources = _string_list(raw[resource_key], where=where, element=resource_key)
    static: list[str] = []
    templates: list[_Template] = []
    for pattern in resources:
        parsed = (
            _parse_template(pattern, where=f"{where}, {resource_key}") if variables else pattern
        )
        if isinstance(parsed, _Template):
            templates.append(parsed)
        else:
            static.append(f"(?:{_resource_regex(_wild(parsed))})")
    matcher = _ResourceMatcher(
        any_resource="*" in resources,
        static=_regex("|".join(static), False) if static else None,
        templates=tuple(templates),
    )

    conditions: list[_Condition] = []
    if "Condition" in raw:
        conditions = _compile_condition_block(raw["Condition"], where=where, variables=variables)

    return _Statement(
        index=index,
        sid=sid,
        effect=effect,
        not_action=action_key == "NotAction",
        actions=_ActionMatcher(action_regex),
        not_resource=resource_key == "NotResource",
        resources=matcher,
        conditions=tuple(conditions),
    )


@dataclass(frozen=True)
class _Policy:
    statements: tuple[_Statement, ...]


def _compile_document(document: Mapping[str, Any]) -> _Policy:
    for key in document:
        if key not in _DOCUMENT_KEYS:
            raise PolicyEvaluationError(f"unknown policy element {key!r}")
    version = document.get("Version")
    if version is not None and version not in _VERSIONS:
        raise PolicyEvaluationError(
            f"Version must be '2012-10-17' or '2008-10-17', got {version!r}"
        )
    if "Statement" not in document:
        raise PolicyEvaluationError("the policy has no Statement element")
    statements = document["Statement"]
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        raise PolicyEvaluationError(
            f"Statement must be an object or a list of objects, got {statements!r}"
        )
    variables = version == "2012-10-17"
    return _Policy(tuple(_compile_statement(raw, i, variables) for i, raw in enumerate(statements)))


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise PolicyEvaluationError(f"duplicate JSON key {key!r} in the policy text")
        seen[key] = value
    return seen


@lru_cache(maxsize=1024)
def _compile_text(text: str) -> _Policy:
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise PolicyEvaluationError(f"the policy is not valid JSON: {exc}") from None
    if not isinstance(document, Mapping):
        raise PolicyEvaluationError(f"the policy is not a JSON object: {document!r}")
    return _compile_document(document)


def _json_default(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{value!r} ({type(value).__name__}) is not a JSON value")


def _canonical(document: object, *, what: str) -> str:
    try:
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), default=_json_default, allow_nan=True
        )
    except (TypeError, ValueError) as exc:
        raise PolicyEvaluationError(f"{what} is not a JSON document: {exc}") from None


def _compiled(document: object) -> _Policy:
    if isinstance(document, str):
        return _compile_text(document)
    if isinstance(document, Mapping):
        return _compile_text(_canonical(document, what="the policy"))
    raise PolicyEvaluationError(
        f"a policy must be a JSON object (or its text), got {type(document).__name__}"
    )


@lru_cache(maxsize=1024)
def _compile_statement_text(text: str, version: str | None) -> _Statement:
    return _compile_statement(json.loads(text), 0, version == "2012-10-17")


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------


def _normalise_context(context: Mapping[str, ContextValue] | None) -> dict[str, Any]:
    if not context:
        return {}
    normalised: dict[str, Any] = {}
    for key, value in context.items():
        if not isinstance(key, str):
            raise PolicyEvaluationError(f"context key {key!r} is not a string")
        lowered = key.lower()
        if lowered in normalised and normalised[lowered] != value:
            raise PolicyEvaluationError(
                f"context keys differ only in case and carry different values: {key!r}"
            )
        normalised[lowered] = value
    return normalised


def _policy_items(
    policies: Mapping[str, Mapping[str, Any] | str] | Iterable[tuple[str, Mapping[str, Any] | str]],
) -> list[tuple[str, object]]:
    if isinstance(policies, Mapping):
        statement = policies.get("Statement")
        if isinstance(statement, list) or (
            isinstance(statement, Mapping) and "Effect" in statement
        ):
            raise PolicyEvaluationError(
                "evaluate() takes labelled policies, {label: document}; this looks like a "
                "single policy document - pass {'inline:Name': document}"
            )
        items: list[tuple[str, object]] = list(policies.items())
    elif isinstance(policies, str):
        raise PolicyEvaluationError("evaluate() takes labelled policies, not policy text")
    else:
        items = []
        for item in policies:
            if isinstance(item, str | Mapping) or not isinstance(item, Sequence) or len(item) != 2:
                raise PolicyEvaluationError(f"expected (label, policy) pairs, got {item!r:.80}")
            items.append((item[0], item[1]))
    for label, _ in items:
        if not isinstance(label, str):
            raise PolicyEvaluationError(f"policy label {label!r} is not a string")
    return items


def evaluate(
    policies: Mapping[str, Mapping[str, Any] | str] | Iterable[tuple[str, Mapping[str, Any] | str]],
    action: str,
    resource: str = "*",
    context: Mapping[str, ContextValue] | None = None,
) -> EvaluationResult:
    """Decide a request against identity-based policies (or SCPs) the way AWS does.

    "An explicit deny in any policy overrides any allows"; otherwise an explicit allow
    allows; otherwise the request is implicitly denied (reference_policies_evaluation-logic).
    Every matching statement is reported, in policy then statement order.

    `policies` maps a label of the caller's choosing to a policy document (a mapping or its
    JSON text), or is an iterable of (label, document) pairs. `context` holds the request's
    condition keys; key names are case-insensitive, a sequence value is a multivalued key,
    and a key that is absent (or None, or an empty sequence) is missing.
    """
    if not isinstance(action, str) or not action:
        raise PolicyEvaluationError(f"action must be a non-empty string, got {action!r}")
    if not isinstance(resource, str) or not resource:
        raise PolicyEvaluationError(f"resource must be a non-empty string, got {resource!r}")
    ctx = _normalise_context(context)
    denies: list[StatementRef] = []
    allows: list[StatementRef] = []
    for label, document in _policy_items(policies):
        try:
            compiled = _compiled(document)
            for statement in compiled.statements:
                if statement.applies(action, resource, ctx):
                    ref = StatementRef(label, statement.index, statement.sid, statement.effect)
                    (denies if statement.effect == "Deny" else allows).append(ref)
        except PolicyEvaluationError as exc:
            raise PolicyEvaluationError(f"policy {label!r}, {exc}") from exc
    decision: Decision = "explicit_deny" if denies else "allow" if allows else "implicit_deny"
    return EvaluationResult(decision, tuple(denies), tuple(allows))


def statement_matches(
    statement: Mapping[str, Any],
    action: str,
    resource: str = "*",
    context: Mapping[str, ContextValue] | None = None,
    *,
    version: str | None = "2012-10-17",
) -> bool:
    """Whether one statement applies to a request (action, resource and conditions), whatever
    its Effect. `version` is the Version of the policy the statement belongs to; it decides
    whether ${...} policy variables are substituted (only under 2012-10-17)."""
    if version is not None and version not in _VERSIONS:
        raise PolicyEvaluationError(f"unknown policy Version {version!r}")
    if not isinstance(statement, Mapping):
        raise PolicyEvaluationError(f"a statement must be an object, got {statement!r}")
    compiled = _compile_statement_text(_canonical(statement, what="the statement"), version)
    return compiled.applies(action, resource, _normalise_context(context))
