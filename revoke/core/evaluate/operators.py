"""The condition operators: operator names with their ForAllValues:, ForAnyValue: and
IfExists forms, and a compiled condition deciding whether it holds. How each base operator
reads a policy value and a request value and compares them (one family per section of the
condition operators page) is in `families`.

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

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from revoke.core.evaluate.errors import PolicyEvaluationError
from revoke.core.evaluate.families import _OPERATORS, _Operator

# grammar reads a Null condition's values with the Bool family's reader, through this name.
from revoke.core.evaluate.families import _boolean as _boolean
from revoke.core.evaluate.matching import _Template

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
