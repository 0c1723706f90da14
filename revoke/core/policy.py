"""Render, validate, merge and measure revocation policies. Pure: text in, documents out.

The revocation deny is AWS-FACTS fact 8. Every interpolated value goes through jinja2's
`tojson`, and the rendered text is parsed and validated before anyone may send it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from revoke.errors import BadInput

POLICY_NAME = "AWSRevokeOlderSessions"  # the console's own name (fact 8): one policy, both tools
MANAGED_POLICY_PREFIX = "AWSRevokeOlderSessions"
MANAGED_POLICY_PATH = "/revoke/"
POLICY_VERSION = "2012-10-17"
TOKEN_ISSUE_TIME = "aws:TokenIssueTime"

# Fact 17: policy text may hold only tab, LF, CR and U+0020-U+00FF.
_ALLOWED_CHARS = re.compile(r"^[\t\n\r\u0020-\u00ff]*$")
_WHITESPACE = re.compile(r"\s+")


class PolicyError(BadInput):
    """A rendered or supplied policy document is not valid."""


@dataclass(frozen=True)
class PolicyTemplate:
    """A jinja2 template's name and text (loading from disk happens outside the core)."""

    name: str
    source: str

    def render(self, **values: Any) -> dict[str, Any]:
        """Render with autoescaping off (JSON, not HTML) and StrictUndefined, then validate."""
        from jinja2 import Environment, StrictUndefined

        env = Environment(
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,  # noqa: S701 - JSON, not HTML: values go through tojson
        )
        text = env.from_string(self.source).render(**values)
        return parse_document(text, source=self.name)


def parse_document(text: str, *, source: str = "policy") -> dict[str, Any]:
    """Parse and validate a policy document's text."""
    if not _ALLOWED_CHARS.match(text):
        bad = next(ch for ch in text if not _ALLOWED_CHARS.match(ch))
        raise PolicyError(
            f"{source}: character U+{ord(bad):04X} is not allowed in IAM policy text "
            "(only tab, LF, CR and U+0020-U+00FF)"
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise PolicyError(f"{source}: not valid JSON ({err.msg} at line {err.lineno})") from None
    validate_document(document, source=source)
    return document  # type: ignore[no-any-return]


def validate_document(document: Any, *, source: str = "policy") -> None:
    if not isinstance(document, dict):
        raise PolicyError(f"{source}: a policy document must be a JSON object")
    if document.get("Version") != POLICY_VERSION:
        raise PolicyError(f"{source}: Version must be {POLICY_VERSION!r}")
    statements = statements_of(document)
    if not statements:
        raise PolicyError(f"{source}: no Statement")
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            raise PolicyError(f"{source}: statement {index} is not an object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(f"{source}: statement {index} needs Effect Allow or Deny")
        if ("Action" in statement) == ("NotAction" in statement):
            raise PolicyError(f"{source}: statement {index} needs exactly one of Action/NotAction")
        if not isinstance(statement.get("Condition", {}), dict):
            raise PolicyError(f"{source}: statement {index} Condition must be an object")


def render_revocation(template: PolicyTemplate, cutoff: str, **values: Any) -> dict[str, Any]:
    """Render the deny-older-sessions template and check it says what it must."""
    document = template.render(cutoff=cutoff, **values)
    for statement in statements_of(document):
        for operator in statement.get("Condition") or {}:
            if operator.endswith("IfExists"):
                # Fact 9: an IfExists operator would deny long-term keys too. Never render it.
                raise PolicyError(
                    f"{template.name}: renders {operator}, which would also deny long-term keys"
                )
    if existing_cutoff(document) != cutoff:
        raise PolicyError(f"{template.name}: the rendered policy does not hold cutoff {cutoff}")
    return document


def statements_of(document: Mapping[str, Any]) -> list[Any]:
    statement = document.get("Statement")
    if statement is None:
        return []
    return list(statement) if isinstance(statement, list) else [statement]


def compact(document: Mapping[str, Any]) -> str:
    """The text we send: compact JSON, no whitespace outside strings."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def policy_size(document: Mapping[str, Any] | str) -> int:
    """IAM's size of a policy: its characters, not counting white space (fact 17)."""
    text = document if isinstance(document, str) else compact(document)
    return len(_WHITESPACE.sub("", text))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def revocation_cutoff_of(statement: Any) -> str | None:
    """The cutoff if `statement` is a session-revocation deny (ours or the console's)."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return None
    if _as_list(statement.get("Action")) != ["*"] or _as_list(statement.get("Resource")) != ["*"]:
        return None
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or list(condition) != ["DateLessThan"]:
        return None
    block = condition["DateLessThan"]
    if not isinstance(block, dict) or list(block) != [TOKEN_ISSUE_TIME]:
        return None
    values = _as_list(block[TOKEN_ISSUE_TIME])
    if len(values) != 1 or isinstance(values[0], bool):
        return None
    if isinstance(values[0], (int, float)):  # epoch seconds as a JSON number (fact 11)
        return str(values[0])
    return values[0] if isinstance(values[0], str) else None


def existing_cutoff(document: Mapping[str, Any] | None) -> str | None:
    """The latest revocation cutoff in a document, or None if it holds none."""
    if not document:
        return None
    from revoke.core.timeparse import cutoff_datetime

    found = [c for s in statements_of(document) if (c := revocation_cutoff_of(s))]
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    # Several denies: the latest one is in force. An unreadable one raises (BadInput):
    # picking any other would let a merge drop a later deny (fact 12).
    return max(found, key=cutoff_datetime)


def merge_revocation(
    existing: Mapping[str, Any] | None, rendered: Mapping[str, Any]
) -> dict[str, Any]:
    """The document to write: `rendered`, keeping anybody else's statements verbatim.

    When the existing document is only a revocation deny (ours or the console's), the
    result is exactly the rendered template. Otherwise the revocation statement(s) are
    replaced in place by ours and every other statement is kept, in order.
    """
    ours = statements_of(rendered)
    if not existing:
        return dict(rendered)
    others = statements_of(existing)
    if all(revocation_cutoff_of(s) is not None for s in others):
        return dict(rendered)
    merged = replace_in_place(others, ours, lambda s: revocation_cutoff_of(s) is not None)
    result = dict(existing)
    result["Version"] = POLICY_VERSION
    result["Statement"] = merged
    return result


def replace_in_place(
    statements: Sequence[Any], ours: Sequence[Any], is_ours: Callable[[Any], bool]
) -> list[Any]:
    """`statements` with the ones `is_ours` picks replaced by `ours`, where the first of them
    stood (at the end when there was none); everybody else's kept verbatim, in order."""
    merged: list[Any] = []
    placed = False
    for statement in statements:
        if is_ours(statement):
            if not placed:
                merged.extend(ours)
                placed = True
            continue
        merged.append(statement)
    if not placed:
        merged.extend(ours)
    return merged


def managed_policy_name(kind: str, name: str) -> str:
    """Name of the customer-managed fallback for one principal (128 characters at most)."""
    return f"{MANAGED_POLICY_PREFIX}-{kind}-{name}"[:128]
