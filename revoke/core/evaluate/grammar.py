"""The policy grammar: a document or statement (a mapping or its JSON text) validated element
by element and compiled into matchers and conditions, with a message naming the statement and
element for anything this evaluator cannot read exactly.

A document is compiled as one policy type, and each type takes the elements AWS takes in it:
- identity, boundary, session: the IAM policy language without Principal or NotPrincipal
  ("You cannot use the Principal element in an identity-based policy",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html;
  a permissions boundary is a managed policy, a session policy likewise an identity policy).
- scp: since AWS Organizations' September 2025 update, the full IAM language: Condition,
  resource ARNs, NotAction and NotResource in Allow and Deny statements, wildcards anywhere in
  an action; still no Principal or NotPrincipal; Version "2012-10-17" (SCP syntax,
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html,
  and "AWS Organizations service control policy now supports full IAM language",
  https://aws.amazon.com/blogs/security/unlock-new-possibilities-aws-organizations-service-control-policy-now-supports-full-iam-language).
  The syntax page still says an Allow statement's Resource can only be "*", against its own
  table and the announcement: such an SCP is taken and read as IAM reads it. Were AWS to
  refuse it, no such SCP could be in force, so taking it never puts a wrong answer on a
  policy that exists, while refusing it would fail every check near a valid SCP.
- rcp: a Principal of exactly "*" in every statement (principals are narrowed with Condition),
  Action (not NotAction), Resource or NotResource, Condition, no NotPrincipal; Deny only, except
  RCPFullAWSAccess's one Allow of "*" on "*"; no Action "*" in a Deny; Version "2012-10-17"
  (RCP syntax, https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html).

A missing Version is taken for every type: the SCP and RCP syntax pages say every policy
"must include" one yet show whole policies without it, so refusing would be the reading that
can fail a valid policy; it is read as IAM reads it, policy variables as literal text.

Compiled documents are cached by content and type, so evaluating the same policy on every
request (the sandbox) parses and compiles it once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

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


PolicyType = Literal["identity", "boundary", "session", "scp", "rcp"]
POLICY_TYPES: tuple[PolicyType, ...] = ("identity", "boundary", "session", "scp", "rcp")
_WORDS: dict[PolicyType, str] = {
    "identity": "an identity-based policy",
    "boundary": "a permissions boundary",
    "session": "a session policy",
    "scp": "an SCP",
    "rcp": "an RCP",
}
_PRINCIPAL_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
)
_SCP_SYNTAX = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html"
_RCP_SYNTAX = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html"
_IAM_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
# RCP syntax, "Unsupported elements": NotPrincipal and NotAction; "Each statement must contain
# the Principal element".
_STATEMENT_KEYS: dict[PolicyType, frozenset[str]] = {
    "identity": _IAM_STATEMENT_KEYS,
    "boundary": _IAM_STATEMENT_KEYS,
    "session": _IAM_STATEMENT_KEYS,
    "scp": _IAM_STATEMENT_KEYS,
    "rcp": (_IAM_STATEMENT_KEYS - {"NotAction"}) | {"Principal"},
}
_DOCUMENT_KEYS = {"Version", "Id", "Statement"}
# "Variables were introduced in version 2012-10-17 ... If you don't include the Version
# element ..., variables like ${aws:username} are treated as literal strings" (policy
# variables).
_VERSIONS = {"2012-10-17", "2008-10-17"}
# "Every SCP must include a Version element with the value "2012-10-17"" (SCP syntax); the
# RCP syntax page says the same of RCPs.
_ORG_VERSIONS = {"2012-10-17"}


def _as_policy_type(value: object) -> PolicyType:
    """`value` as a policy type, or PolicyEvaluationError."""
    for known in POLICY_TYPES:
        if value == known:
            return known
    raise PolicyEvaluationError(
        f"policy type must be one of {', '.join(POLICY_TYPES)}, got {value!r}"
    )


def _refused_element(key: str, kind: PolicyType) -> str:
    if kind == "rcp" and key in ("NotPrincipal", "NotAction"):
        return f"{key} is not supported in an RCP ({_RCP_SYNTAX})"
    if key in ("Principal", "NotPrincipal"):
        if kind == "scp":
            return f"{key} is not supported in an SCP ({_SCP_SYNTAX})"
        return (
            f"{key} belongs in resource-based policies and RCPs, and AWS refuses it in "
            f"{_WORDS[kind]} ({_PRINCIPAL_DOC})"
        )
    return f"unknown statement element {key!r}"


def _check_rcp_statement(raw: Mapping[str, Any], where: str) -> None:
    """What RCP syntax asks of a statement beyond the IAM grammar (Action "*" is checked
    where the actions are read)."""
    if "Principal" not in raw:
        raise PolicyEvaluationError(
            f'{where}: an RCP statement must have "Principal": "*" ({_RCP_SYNTAX})'
        )
    principal = raw["Principal"]
    if principal != "*":
        # "You can only specify "*" in the Principal element of an RCP. Use the Conditions
        # element to restrict specific principals." Not {"AWS": "*"}, not a list: only "*".
        raise PolicyEvaluationError(
            f'{where}: an RCP\'s Principal can only be "*", got {principal!r:.80}; narrow '
            f"principals with a Condition such as aws:PrincipalArn ({_RCP_SYNTAX})"
        )
    if raw.get("Effect") == "Allow" and not _is_rcp_full_access(raw):
        # "The effect of Allow is only supported for the RCPFullAWSAccess policy", which is
        # one Allow of every action on every resource to "*" (RCP examples, RCPFullAWSAccess).
        raise PolicyEvaluationError(
            f"{where}: an RCP statement must be a Deny; Allow is only supported in "
            f'RCPFullAWSAccess, which allows "*" on "*" with no Condition ({_RCP_SYNTAX})'
        )


def _is_rcp_full_access(raw: Mapping[str, Any]) -> bool:
    elements = set(raw) - {"Sid"}
    return (
        elements == {"Effect", "Principal", "Action", "Resource"}
        and raw["Action"] in ("*", ["*"])
        and raw["Resource"] in ("*", ["*"])
    )


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
    if kind == "rcp" and effect == "Deny" and "*" in actions:
        # "You cannot use "*" in the Action element of a customer managed RCP and have to
        # specify the abbreviation for the service" (RCP syntax, Action element).
        raise PolicyEvaluationError(
            f'{where}: an RCP cannot deny Action "*"; name the service, e.g. "s3:*" ({_RCP_SYNTAX})'
        )
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
    if version is not None and kind in ("scp", "rcp") and version not in _ORG_VERSIONS:
        syntax = _SCP_SYNTAX if kind == "scp" else _RCP_SYNTAX
        raise PolicyEvaluationError(
            f"{_WORDS[kind]}'s Version must be '2012-10-17', got {version!r} ({syntax})"
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
