"""IAM behaviour moto lacks: the inline policy size quota, and SimulatePrincipalPolicy.

Size quota (fact 17; IAM User Guide, reference_iam-quotas "IAM and AWS STS character
limits"): the aggregate of an entity's inline policies may not exceed 2,048 characters
for a user, 10,240 for a role, 5,120 for a group, white space not counted. AWS does
not say that policy names count, so the sandbox counts the documents only, the same
rule as `revoke.core.policy.policy_size`. Over the quota, AWS answers
`LimitExceeded: Maximum policy size of 2048 bytes exceeded for user NAME` (HTTP 409).
moto's GetAccountSummary already reports the three quotas.

SimulatePrincipalPolicy (fact 20; IAM API reference): the principal's identity policies
(a user's include its groups'), plus any PolicyInputList, through the project's
evaluator, with the caller's ContextEntries as the only context. Results are one per
action and resource. Statement positions (StartPosition/EndPosition) and
MissingContextValues are not computed.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from revoke.sandbox.authorize import evaluate_sources
from revoke.sandbox.principals import (
    PolicySource,
    find_group,
    find_role,
    group_policies_of,
    inline_policy_documents,
    role_policies,
    user_policies,
)
from revoke.sandbox.responses import AwsError, Reply, query_reply, xml_elements

INLINE_QUOTAS = {"user": 2_048, "role": 10_240, "group": 5_120}
PUT_INLINE = {
    "PutUserPolicy": ("user", "UserName"),
    "PutRolePolicy": ("role", "RoleName"),
    "PutGroupPolicy": ("group", "GroupName"),
}
_WHITESPACE = re.compile(r"\s+")

_DECISIONS = {"allow": "allowed", "explicit_deny": "explicitDeny", "implicit_deny": "implicitDeny"}
_LIST_TYPES = {"stringList", "numericList", "booleanList", "dateList", "ipList", "binaryList"}


def policy_size(text: str) -> int:
    return len(_WHITESPACE.sub("", text))


def check_inline_quota(operation: str, params: dict[str, str], account_id: str) -> None:
    """Refuse a Put*Policy that would push the entity's inline total over its quota."""
    kind, name_param = PUT_INLINE[operation]
    name, policy_name = params.get(name_param), params.get("PolicyName")
    document = params.get("PolicyDocument")
    if not name or not policy_name or document is None:
        return  # moto reports the missing parameter
    existing = inline_policy_documents(kind, account_id, name)
    if existing is None:
        return  # moto reports NoSuchEntity
    existing.pop(policy_name, None)  # replacing a policy frees its own size
    total = sum(policy_size(text) for text in existing.values()) + policy_size(document)
    quota = INLINE_QUOTAS[kind]
    if total > quota:
        raise AwsError(
            "LimitExceeded", f"Maximum policy size of {quota} bytes exceeded for {kind} {name}", 409
        )


# --- SimulatePrincipalPolicy -------------------------------------------------------------


def members(params: dict[str, str], prefix: str) -> list[str]:
    """Query-protocol list `Prefix.member.N`, in N order."""
    pattern = re.compile(re.escape(prefix) + r"\.member\.(\d+)$")
    found = [(int(m.group(1)), value) for key, value in params.items() if (m := pattern.match(key))]
    return [value for _, value in sorted(found)]


def context_entries(params: dict[str, str]) -> dict[str, Any]:
    """ContextEntries as evaluator context: one string, or a list for the *List types."""
    context: dict[str, Any] = {}
    pattern = re.compile(r"ContextEntries\.member\.(\d+)\.ContextKeyName$")
    for key, name in params.items():
        match = pattern.match(key)
        if not match:
            continue
        base = f"ContextEntries.member.{match.group(1)}"
        values = members(params, f"{base}.ContextKeyValues")
        key_type = params.get(f"{base}.ContextKeyType", "string")
        _check_typed(name, key_type, values)
        if key_type in _LIST_TYPES:
            context[name] = values
        elif values:
            context[name] = values[0]
    return context


def _check_typed(name: str, key_type: str, values: list[str]) -> None:
    """IAM refuses a ContextKeyValue that is not of its ContextKeyType (the evaluator
    would only mark the statement undetermined, which is a policy's matter, not input's)."""
    base = key_type[:-4] if key_type.endswith("List") else key_type
    for value in values:
        ok = True
        if base == "numeric":
            try:
                float(value)
            except ValueError:
                ok = False
        elif base == "boolean":
            ok = value.lower() in ("true", "false")
        if not ok:
            raise AwsError(
                "InvalidInput", f"Invalid value {value!r} for context key {name} of type {key_type}"
            )


def _required(params: dict[str, str], name: str, member: str) -> str:
    value = params.get(name)
    if not value:
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value null at '{member}' failed to satisfy "
            "constraint: Member must not be null",
        )
    return value


def _principal_sources(source_arn: str) -> list[PolicySource]:
    match = re.match(r"^arn:aws[\w-]*:iam::(\d{12}):(user|role|group)(/.*)?/([^/]+)$", source_arn)
    if not match:
        raise AwsError("InvalidInput", f"Invalid ARN: {source_arn}")
    account_id, kind, _, name = match.groups()
    sources: list[PolicySource] | None = None
    if kind == "user":
        sources = user_policies(account_id, name)
    elif kind == "role":
        role = find_role(source_arn)
        sources = None if role is None else role_policies(role)
    else:
        group = find_group(account_id, name)
        sources = None if group is None else group_policies_of(group)
    if sources is None:
        raise AwsError("NoSuchEntity", f"The {kind} with name {name} cannot be found.", 404)
    return sources


def _input_sources(params: dict[str, str]) -> list[PolicySource]:
    sources = []
    for index, text in enumerate(members(params, "PolicyInputList"), start=1):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as err:
            raise AwsError("MalformedPolicyDocument", f"Syntax errors in policy. {err}") from err
        name = f"PolicyInputList.{index}"
        sources.append(PolicySource(name, name, "none", document))
    return sources


def simulate_principal_policy(params: dict[str, str]) -> Reply:
    source_arn = _required(params, "PolicySourceArn", "policySourceArn")
    actions = members(params, "ActionNames")
    if not actions:
        _required(params, "ActionNames.member.1", "actionNames")
    sources = _principal_sources(source_arn) + _input_sources(params)
    by_key = {source.key: source for source in sources}
    resources = members(params, "ResourceArns") or ["*"]
    context = context_entries(params)
    results = []
    for action in actions:
        for resource in resources:
            try:
                result = evaluate_sources(sources, action, resource, context)
            except AwsError as err:  # the caller's context or policy input, not the sandbox
                raise AwsError("InvalidInput", err.message) from err
            decision = _DECISIONS[result.decision]
            matched: tuple[Any, ...] = ()
            if result.decision == "explicit_deny":
                matched = result.matched_denies
            elif result.decision == "allow":
                matched = result.matched_allows
            statements = "".join(
                "<member>"
                + xml_elements(
                    {
                        "SourcePolicyId": by_key[ref.policy].name
                        if ref.policy in by_key
                        else str(ref.policy),
                        "SourcePolicyType": by_key[ref.policy].source_type
                        if ref.policy in by_key
                        else "none",
                    }
                )
                + "</member>"
                for ref in matched
            )
            results.append(
                "<member>"
                + xml_elements(
                    {
                        "EvalActionName": action,
                        "EvalResourceName": resource,
                        "EvalDecision": decision,
                    }
                )
                + f"<MatchedStatements>{statements}</MatchedStatements>"
                + "<MissingContextValues/>"
                + "</member>"
            )
    body = "<IsTruncated>false</IsTruncated><EvaluationResults>" + "".join(results)
    return query_reply("iam", "SimulatePrincipalPolicy", body + "</EvaluationResults>")


# --- names IAM refuses --------------------------------------------------------------------

# The members whose constraints the sandbox checks before moto (which checks none of them),
# as botocore's IAM model states them (data/iam/2010-05-08/service-2.json: userNameType,
# roleNameType, pathType: length and pattern).
NAMED_MEMBERS = {
    "CreateUser": ("UserName", "Path"),
    "CreateRole": ("RoleName", "Path"),
}


@lru_cache(maxsize=8)
def _member_rules(operation: str) -> tuple[tuple[str, int | None, int | None, str | None], ...]:
    import botocore.session

    shape = botocore.session.get_session().get_service_model("iam").operation_model(operation)
    input_shape = shape.input_shape
    assert input_shape is not None  # CreateUser and CreateRole take input
    members = input_shape.members
    rules = []
    for name in NAMED_MEMBERS[operation]:
        meta = members[name].metadata
        rules.append((name, meta.get("min"), meta.get("max"), meta.get("pattern")))
    return tuple(rules)


def check_names(operation: str | None, params: dict[str, str]) -> None:
    """Refuse a CreateUser/CreateRole whose name or path IAM refuses, with AWS's (Coral's)
    ValidationError: "1 validation error detected: Value 'a b' at 'userName' failed to
    satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"."""
    if operation not in NAMED_MEMBERS:
        return
    from revoke.sandbox.sts import validation_error

    problems: list[str] = []
    for name, low, high, pattern in _member_rules(operation):
        value = params.get(name)
        if value is None:
            continue
        member = name[0].lower() + name[1:]
        head = f"Value '{value}' at '{member}' failed to satisfy constraint: Member must"
        if low is not None and len(value) < low:
            problems.append(f"{head} have length greater than or equal to {low}")
        if high is not None and len(value) > high:
            problems.append(f"{head} have length less than or equal to {high}")
        if pattern is not None and not re.fullmatch(pattern, value, re.ASCII):
            problems.append(f"{head} satisfy regular expression pattern: {pattern}")
    if problems:
        raise validation_error(problems)


# --- users' permissions boundaries (moto 5.2.5 has no user boundaries at all) ----------------

USER_BOUNDARY_OPS = frozenset({"PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary"})


def user_boundary(operation: str, params: dict[str, str], account_id: str) -> Reply:
    """PutUserPermissionsBoundary / DeleteUserPermissionsBoundary (IAM API reference): the
    boundary is kept on moto's user, so it goes when moto's state does, and
    principals.boundary_for reads it as it reads a role's."""
    from revoke.sandbox.principals import find_user, managed_policy_document

    name = _required(params, "UserName", "userName")
    user = find_user(account_id, name)
    if user is None:
        raise AwsError("NoSuchEntity", f"The user with name {name} cannot be found.", 404)
    if operation == "DeleteUserPermissionsBoundary":
        user.permissions_boundary_arn = None
        return query_reply("iam", operation, "")
    arn = _required(params, "PermissionsBoundary", "permissionsBoundary")
    if managed_policy_document(account_id, arn) is None:
        raise AwsError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", 404)
    user.permissions_boundary_arn = arn
    return query_reply("iam", operation, "")
