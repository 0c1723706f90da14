"""The condition operators (condition operators page, one family per section): how each reads
a policy value and a request value and compares them, operator names with their ForAllValues:,
ForAnyValue: and IfExists forms, and a compiled condition deciding whether it holds.

A condition holds, does not hold, or is undetermined (`None`): AWS accepts the policy but
documents no result for it. The statement resolves an undetermined condition the way that
fails safe for a revocation proof, which must never claim a deny AWS might not apply: a Deny
statement does not apply, an Allow statement does (`grammar._Statement.applies`). Values
combine in Kleene's three-valued logic: OR is true if any value is true, AND is false if any
is false, otherwise an undetermined value makes the result undetermined.

Undetermined, where AWS documents no result (each is pinned by a test in
tests/core/evaluate/test_aws_accepts.py):
- A plain (non set) operator given a context key with several values: AWS says such keys
  "require a condition set operator" (single-vs-multi-valued context keys) and Access
  Analyzer reports "Missing qualifier", yet AWS accepts the policy (AWS managed policies
  carry it) and never says what it evaluates to.
- A policy value that cannot be read as the operator's type (`"*"` or `"arn:aws:sns:*"` for
  an ARN operator, a non-date for a Date operator, a non-number, non-boolean, non-CIDR or
  non-base64 value): Access Analyzer reports these as general warnings ("Type mismatch ...",
  "Invalid date value"), not errors, so AWS accepts them; the comparison with that value is
  undetermined, which an OR with a matching value still makes true.
- A request value that cannot be read as the operator's type (a non-date for a Date
  operator, say): undetermined for that value.

Documented results applied here: `ForAllValues:Null` always holds and `ForAnyValue:Null`
never does (Access Analyzer, "Suggestion - Null with qualifier"); an operator with an empty
list of values (Access Analyzer, "Suggestion - Empty array condition", "... ForAllValues",
"... ForAnyValue", "... IfExists"). A request value with fewer than six parts matches no ARN
pattern.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from revoke.core.evaluate.dates import Instant, _instant
from revoke.core.evaluate.errors import PolicyEvaluationError
from revoke.core.evaluate.matching import (
    PatternChars,
    _context_text,
    _glob_regex,
    _regex,
    _Template,
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
        # ForAllValues:Null and ForAnyValue:Null are accepted: Access Analyzer only suggests
        # avoiding them "because they always return a true or false respectively"
        # (access-analyzer-reference-policy-checks, "Suggestion - Null with qualifier").
        return _ParsedOperator(name, None, quantifier, False)
    base = _OPERATORS.get(rest)
    if base is None:
        close = difflib.get_close_matches(name, _ALL_OPERATOR_NAMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise PolicyEvaluationError(f"{where}: unknown condition operator {name!r}{hint}")
    return _ParsedOperator(name, base, quantifier, if_exists)


Truth = bool | None  # None: undetermined, AWS documents no result (module docstring)


@dataclass(frozen=True)
class _Unreadable:
    """A policy value AWS accepts but that cannot be read as its operator's type."""

    reason: str


# (converted, None), (None, template), or (_Unreadable, None)
_ValueSlot = tuple[Any, None] | tuple[None, _Template]


def _any(truths: Iterable[Truth]) -> Truth:
    """Kleene OR: true if any is true, else undetermined if any is, else false."""
    result: Truth = False
    for truth in truths:
        if truth is True:
            return True
        if truth is None:
            result = None
    return result


def _all(truths: Iterable[Truth]) -> Truth:
    """Kleene AND: false if any is false, else undetermined if any is, else true."""
    result: Truth = True
    for truth in truths:
        if truth is False:
            return False
        if truth is None:
            result = None
    return result


def _negate(truth: Truth) -> Truth:
    return None if truth is None else not truth


@dataclass(frozen=True)
class _Condition:
    operator: _ParsedOperator
    key: str  # lower-cased: "Condition key names are not case-sensitive"
    key_text: str
    values: tuple[_ValueSlot, ...]
    null_expect: tuple[bool | None, ...]  # Null only; None: not a boolean

    def holds(self, ctx: Mapping[str, Any]) -> Truth:
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
            if op.quantifier == "all":
                # "When you use the Null condition operator with ForAllValues, the statement
                # always returns true" (Access Analyzer, "Suggestion - Null with qualifier").
                return True
            if op.quantifier == "any":
                # "... with ForAnyValue, the statement always returns false" (same check).
                return False
            # Null: true "the key doesn't exist - it is null", false "the key exists and its
            # value is not null" (condition operators, Null check).
            return _any(None if expect is None else expect == null for expect in self.null_expect)
        if absent and op.if_exists:
            # "If the key is not present, evaluate the condition element as true."
            return True
        if op.quantifier == "all":
            # "It also returns true if there are no context keys in the request or if the
            # context key value resolves to a null dataset, such as an empty string."
            return True if null else _all(self._one(v, ctx) for v in values)
        if op.quantifier == "any":
            # ForAnyValue needs at least one request value to match; a missing key matches
            # nothing (multivalued examples: "No aws:TagKeys in the request context" -> No
            # match).
            return False if null else _any(self._one(v, ctx) for v in values)
        if not self.values:
            # An empty list of values: "the condition returns true and the policy statement
            # provides no permissions" (Access Analyzer, "Suggestion - Empty array
            # condition"). The two halves disagree for a Deny; "provides no permissions" is
            # the reading for an Allow and the fail-safe one for a Deny, so it never holds.
            # (IfExists on a missing key was decided above: "matches only if the key ... is
            # missing", "Suggestion - Empty array condition IfExists".)
            return False
        if absent:
            return op.base.negated
        if len(values) > 1:
            # "Multivalued context keys require a condition set operator" (single-vs-
            # multivalued context keys), but AWS accepts the policy and documents no result.
            return None
        return self._one(values[0], ctx)

    def _one(self, value: Any, ctx: Mapping[str, Any]) -> Truth:
        """One request value against every policy value: OR, or NOR when negated."""
        base = self.operator.base
        assert base is not None
        try:
            request = base.request(value)
        except ValueError:
            # AWS documents no result for a request value of the wrong type.
            return None
        matched: Truth = False
        for converted, template in self.values:
            if template is not None:
                chars = template.resolve(ctx)
                if chars is None:
                    continue  # "effectively null. There is no equal or like value."
                try:
                    converted = base.policy(chars)
                except ValueError:
                    matched = None  # resolved to a value the operator cannot read
                    continue
            if isinstance(converted, _Unreadable):
                matched = None
                continue
            if base.compare(request, converted):
                matched = True
                break
        return _negate(matched) if base.negated else matched
