"""The decision (reference_policies_evaluation-logic.html): explicit deny > allow > implicit
deny over every statement of every policy, and the public entry points `evaluate` and
`statement_matches`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from revoke.core.evaluate.errors import PolicyEvaluationError
from revoke.core.evaluate.grammar import (
    _VERSIONS,
    PolicyType,
    _as_policy_type,
    _canonical,
    _compile_statement_text,
    _compiled,
)

ContextValue = str | int | float | bool | datetime | Sequence[str | int | float | bool | datetime]
Decision = Literal["explicit_deny", "allow", "implicit_deny"]


@dataclass(frozen=True)
class StatementRef:
    policy: str
    index: int
    sid: str | None
    effect: str


class DecisionFlags:
    """What every decision answers from its `decision` (a policy's, a whole request's)."""

    decision: Decision

    @property
    def explicit_deny(self) -> bool:
        return self.decision == "explicit_deny"

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"


@dataclass(frozen=True)
class EvaluationResult(DecisionFlags):
    decision: Decision
    matched_denies: tuple[StatementRef, ...]
    matched_allows: tuple[StatementRef, ...]
    # Statements whose result AWS does not document for this request (grammar,
    # _Statement.applies): a Deny among them is not in matched_denies, an Allow is in
    # matched_allows, so the decision never claims a deny AWS might not apply.
    undetermined: tuple[StatementRef, ...] = ()


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
    *,
    policy_type: PolicyType = "identity",
) -> EvaluationResult:
    """Decide a request against policies of one type the way AWS does.

    "An explicit deny in any policy overrides any allows"; otherwise an explicit allow
    allows; otherwise the request is implicitly denied (reference_policies_evaluation-logic).
    Every matching statement is reported, in policy then statement order.

    `policies` maps a label of the caller's choosing to a policy document (a mapping or its
    JSON text), or is an iterable of (label, document) pairs. `context` holds the request's
    condition keys; key names are case-insensitive, a sequence value is a multivalued key,
    and a key that is absent (or None, or an empty sequence) is missing. `policy_type` (identity,
    boundary, session, scp, rcp) decides which elements the documents may hold (grammar).
    """
    kind = _as_policy_type(policy_type)
    if not isinstance(action, str) or not action:
        raise PolicyEvaluationError(f"action must be a non-empty string, got {action!r}")
    if not isinstance(resource, str) or not resource:
        raise PolicyEvaluationError(f"resource must be a non-empty string, got {resource!r}")
    ctx = _normalise_context(context)
    denies: list[StatementRef] = []
    allows: list[StatementRef] = []
    undetermined: list[StatementRef] = []
    for label, document in _policy_items(policies):
        try:
            compiled = _compiled(document, kind)
            for statement in compiled.statements:
                truth = statement.truth(action, resource, ctx)
                if truth is False:
                    continue
                ref = StatementRef(label, statement.index, statement.sid, statement.effect)
                if truth is None:
                    undetermined.append(ref)
                    if statement.effect == "Deny":
                        continue  # never claim a deny AWS might not apply
                (denies if statement.effect == "Deny" else allows).append(ref)
        except PolicyEvaluationError as exc:
            raise PolicyEvaluationError(f"policy {label!r}, {exc}") from exc
    decision: Decision = "explicit_deny" if denies else "allow" if allows else "implicit_deny"
    return EvaluationResult(decision, tuple(denies), tuple(allows), tuple(undetermined))


def statement_matches(
    statement: Mapping[str, Any],
    action: str,
    resource: str = "*",
    context: Mapping[str, ContextValue] | None = None,
    *,
    version: str | None = "2012-10-17",
    policy_type: PolicyType = "identity",
) -> bool:
    """Whether one statement applies to a request (action, resource and conditions), whatever
    its Effect. `version` is the Version of the policy the statement belongs to; it decides
    whether ${...} policy variables are substituted (only under 2012-10-17). `policy_type` is
    the type of that policy (evaluate)."""
    kind = _as_policy_type(policy_type)
    if version is not None and version not in _VERSIONS:
        raise PolicyEvaluationError(f"unknown policy Version {version!r}")
    if not isinstance(statement, Mapping):
        raise PolicyEvaluationError(f"a statement must be an object, got {statement!r}")
    compiled = _compile_statement_text(_canonical(statement, what="the statement"), version, kind)
    return compiled.applies(action, resource, _normalise_context(context))
