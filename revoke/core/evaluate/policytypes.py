"""The policy types, and what each asks of a document beyond the IAM grammar.

revoke.core.evaluate.grammar compiles a document as one of these types and re-exports
PolicyType, POLICY_TYPES and _as_policy_type; this module was split out of it (issue 13,
item 5).

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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from revoke.core.evaluate.errors import PolicyEvaluationError

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


def _check_actions_for_type(kind: PolicyType, effect: str, actions: list[str], where: str) -> None:
    """What a policy type asks of a statement's actions beyond the IAM grammar."""
    if kind == "rcp" and effect == "Deny" and "*" in actions:
        # "You cannot use "*" in the Action element of a customer managed RCP and have to
        # specify the abbreviation for the service" (RCP syntax, Action element).
        raise PolicyEvaluationError(
            f'{where}: an RCP cannot deny Action "*"; name the service, e.g. "s3:*" ({_RCP_SYNTAX})'
        )


def _check_version_for_type(version: object, kind: PolicyType) -> None:
    """What a policy type asks of a document's Version (present and IAM-valid) beyond IAM."""
    if kind in ("scp", "rcp") and version not in _ORG_VERSIONS:
        syntax = _SCP_SYNTAX if kind == "scp" else _RCP_SYNTAX
        raise PolicyEvaluationError(
            f"{_WORDS[kind]}'s Version must be '2012-10-17', got {version!r} ({syntax})"
        )
