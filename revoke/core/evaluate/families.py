"""The condition operator families (condition operators page, one family per section):
String, Bool, Binary, IP address, ARN, Numeric and Date; for each base operator, how it
reads a policy value and a request value and compares them (`_Operator`), and the table of
every base operator by name (`_OPERATORS`). A value that cannot be read as the family's type
raises ValueError; what that means for the condition is decided in `operators`.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from revoke.core.evaluate.dates import Instant, _instant
from revoke.core.evaluate.matching import (
    PatternChars,
    _context_text,
    _glob_regex,
    _regex,
    _text,
)


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
