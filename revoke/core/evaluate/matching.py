"""Matching text against policy patterns: the `*` and `?` wildcards (Action and Resource
rules), ${...} policy variables resolved against the request context, and the Action and
Resource matchers a compiled statement holds.

Principals are not matched: the only Principal the grammar takes is an RCP's "*", which names
every principal (resource-based policies, where others belong, are not read here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from revoke.core.evaluate.dates import _format_utc
from revoke.core.evaluate.errors import PolicyEvaluationError

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
