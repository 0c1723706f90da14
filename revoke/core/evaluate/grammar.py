"""The policy grammar: a document or statement (a mapping or its JSON text) validated element
by element and compiled into matchers and conditions, with a message naming the statement and
element for anything this evaluator cannot read exactly.

A document is compiled as one policy type (identity, boundary, session, scp, rcp), and each
type takes the elements AWS takes in it: those rules, with the AWS pages that state them, are
in revoke.core.evaluate.policytypes (PolicyType, POLICY_TYPES re-exported here).

Compiled documents are cached by content and type, so evaluating the same policy on every
request (the sandbox) parses and compiles it once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from revoke.core.evaluate.errors import PolicyEvaluationError
from revoke.core.evaluate.matching import (
    _VARIABLE,
    _ActionMatcher,
    _glob_regex,
    _parse_template,
    _regex,
    _resource_regex,
    _ResourceMatcher,
    _Template,
    _wild,
)
from revoke.core.evaluate.operators import (
    Truth,
    _all,
    _boolean,
    _Condition,
    _parse_operator,
    _Unreadable,
    _ValueSlot,
)
from revoke.core.evaluate.policytypes import (
    _STATEMENT_KEYS,
    _check_actions_for_type,
    _check_rcp_statement,
    _check_version_for_type,
    _refused_element,
)
from revoke.core.evaluate.policytypes import POLICY_TYPES as POLICY_TYPES
from revoke.core.evaluate.policytypes import PolicyType as PolicyType
from revoke.core.evaluate.policytypes import _as_policy_type as _as_policy_type


def _policy_text(value: object) -> str:
    """A JSON scalar of a policy as the string AWS compares: true -> "true", 10 -> "10"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(f"{value!r} is not a string, number or boolean")


def _compile_condition_block(
    block: object, *, where: str, variables: bool
) -> tuple[list[_Condition], str | None]:
    """The conditions of a Condition element, and why it is undetermined (or None)."""
    if not isinstance(block, Mapping):
        raise PolicyEvaluationError(f"{where}: Condition must be an object, got {block!r}")
    conditions: list[_Condition] = []
    undetermined: str | None = None
    if not block:
        # "When you provide an empty object in a statement's condition element, the statement
        # has no effect on the policy", while the same check's title says the block "does not
        # affect the policy" (Access Analyzer, "Suggestion - Empty object condition"): AWS
        # accepts it and the two readings disagree, so it is undetermined.
        undetermined = "an empty Condition element"
    for op_name, keys in block.items():
        op = _parse_operator(op_name, where=where)
        here = f"{where}, {op_name}"
        if not isinstance(keys, Mapping):
            raise PolicyEvaluationError(
                f"{here}: expected an object of condition keys to values, got {keys!r}"
            )
        if not keys:
            # Accepted like an empty Condition element (above), and as undetermined.
            undetermined = f"{op_name} with no condition keys"
        for key, raw_values in keys.items():
            if not isinstance(key, str) or not key:
                # Access Analyzer, "Error - Invalid condition key format".
                raise PolicyEvaluationError(f"{here}: condition key {key!r} is not a string")
            # An empty list is accepted (Access Analyzer, "Suggestion - Empty array condition");
            # _Condition.holds applies what AWS documents for it.
            values_list = raw_values if isinstance(raw_values, list) else [raw_values]
            slots: list[_ValueSlot] = []
            null_expect: list[bool | None] = []
            for raw in values_list:
                if isinstance(raw, Mapping | list) or raw is None:
                    # The grammar: <condition_value> = ("string" | "number" | "Boolean").
                    raise PolicyEvaluationError(
                        f"{here}: value {raw!r} for {key!r} is not a string, number or boolean"
                    )
                supports = op.base is not None and op.base.variables and variables
                if isinstance(raw, str) and variables and not supports and _VARIABLE.search(raw):
                    # "Policy variables can only be used with String and ARN operators"
                    # (Access Analyzer, "Error - Invalid variable for operator").
                    raise PolicyEvaluationError(
                        f"{here}: value for {key!r}: policy variables are not supported by "
                        "this operator"
                    )
                try:
                    if op.base is None:
                        null_expect.append(_boolean(raw))
                        continue
                    text = _policy_text(raw)
                    if supports:
                        parsed = _parse_template(text, where=here)
                        if isinstance(parsed, _Template):
                            slots.append((None, parsed))
                            continue
                    slots.append((op.base.policy(_wild(text)), None))
                except ValueError as exc:
                    # A value of the wrong type is accepted: Access Analyzer reports "Type
                    # mismatch ..." and "Invalid date value" as general warnings, not errors.
                    # Comparing with it is undetermined (operators module docstring).
                    if op.base is None:
                        null_expect.append(None)
                    else:
                        slots.append((_Unreadable(str(exc)), None))
            conditions.append(_Condition(op, key.lower(), key, tuple(slots), tuple(null_expect)))
    return conditions, undetermined


_DOCUMENT_KEYS = {"Version", "Id", "Statement"}
# "Variables were introduced in version 2012-10-17 ... If you don't include the Version
# element ..., variables like ${aws:username} are treated as literal strings" (policy
# variables).
_VERSIONS = {"2012-10-17", "2008-10-17"}


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
    undetermined: str | None = None  # why the statement is undetermined whatever the request

    def truth(self, action: str, resource: str, ctx: Mapping[str, Any]) -> Truth:
        """Whether the statement applies; None when AWS documents no answer."""
        # NotAction "explicitly matches everything except the specified list of actions";
        # NotResource likewise for resources (elements_notaction, elements_notresource).
        if self.actions.matches(action) == self.not_action:
            return False
        if self.resources.matches(resource, ctx) == self.not_resource:
            return False
        # Operators, and keys under one operator, are ANDed (multi-value).
        holds = _all(condition.holds(ctx) for condition in self.conditions)
        if holds is False:
            return False
        return None if self.undetermined else holds

    def applies(self, action: str, resource: str, ctx: Mapping[str, Any]) -> bool:
        """Whether the statement applies, an undetermined one resolved to fail safe for a
        revocation proof, which must never claim a deny AWS might not apply: a Deny does not
        apply and an Allow does, so neither an explicit nor an implicit deny is claimed."""
        truth = self.truth(action, resource, ctx)
        return self.effect == "Allow" if truth is None else truth


def _string_list(value: object, *, where: str, element: str) -> list[str]:
    # An empty list is accepted: "This statement includes no actions and does not affect the
    # policy" (Access Analyzer, "Suggestion - Empty array action"; "... resource" likewise).
    items = value if isinstance(value, list) else [value]
    strings = [item for item in items if isinstance(item, str) and item]
    if len(strings) != len(items):
        raise PolicyEvaluationError(
            f"{where}: {element} must be a non-empty string or a list of them, got {value!r}"
        )
    return strings


def _compile_statement(
    raw: object, index: int, variables: bool, kind: PolicyType = "identity"
) -> _Statement:
    where = f"statement {index}"
    if not isinstance(raw, Mapping):
        raise PolicyEvaluationError(f"{where}: a statement must be an object, got {raw!r}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyEvaluationError(f"{where}: Sid must be a string, got {sid!r}")
    if sid:
        where = f"statement {index} (Sid {sid!r})"
    allowed = _STATEMENT_KEYS[kind]
    for key in raw:
        if key not in allowed:
            raise PolicyEvaluationError(f"{where}: {_refused_element(key, kind)}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        # "The Effect value is case sensitive" (elements_effect).
        raise PolicyEvaluationError(f"{where}: Effect must be 'Allow' or 'Deny', got {effect!r}")
    if kind == "rcp":
        # Principal "*" names every principal, so it narrows nothing and is not matched: the
        # statement applies whoever asks, as far as its Action, Resource and Condition go.
        _check_rcp_statement(raw, where)
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyEvaluationError(f"{where}: needs exactly one of Action or NotAction")
    if ("Resource" in raw) == ("NotResource" in raw):
        raise PolicyEvaluationError(f"{where}: needs exactly one of Resource or NotResource")

    action_key = "Action" if "Action" in raw else "NotAction"
    actions = _string_list(raw[action_key], where=where, element=action_key)
    _check_actions_for_type(kind, effect, actions, where)
    # "The prefix and the action name are case insensitive" (elements_action).
    action_regex = (
        None
        if "*" in actions
        else _regex("|".join(f"(?:{_glob_regex(_wild(a))})" for a in actions) or "(?!)", True)
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
    undetermined: str | None = None
    if "Condition" in raw:
        conditions, undetermined = _compile_condition_block(
            raw["Condition"], where=where, variables=variables
        )
    for key, items in ((action_key, actions), (resource_key, resources)):
        if key.startswith("Not") and not items:
            # Access Analyzer documents an empty Action or Resource ("does not affect the
            # policy"), not an empty NotAction or NotResource: undetermined.
            undetermined = f"an empty {key} list"

    return _Statement(
        index=index,
        sid=sid,
        effect=effect,
        not_action=action_key == "NotAction",
        actions=_ActionMatcher(action_regex),
        not_resource=resource_key == "NotResource",
        resources=matcher,
        conditions=tuple(conditions),
        undetermined=undetermined,
    )


@dataclass(frozen=True)
class _Policy:
    statements: tuple[_Statement, ...]


def _compile_document(document: Mapping[str, Any], kind: PolicyType = "identity") -> _Policy:
    for key in document:
        if key not in _DOCUMENT_KEYS:
            raise PolicyEvaluationError(f"unknown policy element {key!r}")
    version = document.get("Version")
    if version is not None and version not in _VERSIONS:
        raise PolicyEvaluationError(
            f"Version must be '2012-10-17' or '2008-10-17', got {version!r}"
        )
    if version is not None:
        _check_version_for_type(version, kind)
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
    return _Policy(
        tuple(_compile_statement(raw, i, variables, kind) for i, raw in enumerate(statements))
    )


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise PolicyEvaluationError(f"duplicate JSON key {key!r} in the policy text")
        seen[key] = value
    return seen


@lru_cache(maxsize=1024)
def _compile_text(text: str, kind: PolicyType = "identity") -> _Policy:
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise PolicyEvaluationError(f"the policy is not valid JSON: {exc}") from None
    if not isinstance(document, Mapping):
        raise PolicyEvaluationError(f"the policy is not a JSON object: {document!r}")
    return _compile_document(document, kind)


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


def _compiled(document: object, kind: PolicyType = "identity") -> _Policy:
    if isinstance(document, str):
        return _compile_text(document, kind)
    if isinstance(document, Mapping):
        return _compile_text(_canonical(document, what="the policy"), kind)
    raise PolicyEvaluationError(
        f"a policy must be a JSON object (or its text), got {type(document).__name__}"
    )


@lru_cache(maxsize=1024)
def _compile_statement_text(
    text: str, version: str | None, kind: PolicyType = "identity"
) -> _Statement:
    return _compile_statement(json.loads(text), 0, version == "2012-10-17", kind)
