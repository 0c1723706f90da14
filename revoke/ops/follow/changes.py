"""The changes the attacker made that containment does not undo: reported, with the
document before each (from the events read) and the command that restores it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from revoke.errors import RevokeError

if TYPE_CHECKING:
    from revoke.aws.trail_sources import TrailSource
    from revoke.core import trace as core

RESTORE_CHANGE = "restore-change"

# Changes reported with their document before and the command that restores it.
_POLICY_SETTERS = {
    "UpdateAssumeRolePolicy": ("CreateRole", "UpdateAssumeRolePolicy"),
    "PutRolePolicy": ("PutRolePolicy",),
    "PutUserPolicy": ("PutUserPolicy",),
    "PutGroupPolicy": ("PutGroupPolicy",),
}


def change_entry(node: core.Node, account: str) -> dict[str, Any]:
    target = dict(node.details.get("target") or {})
    evidence = node.evidence[0].to_json() if node.evidence else {}
    after = target.pop("policyDocument", None)
    return {
        "action": node.action,
        "account": account,
        "target": target,
        "document_after": _document(after),
        "document_before": None,
        "before_source": None,
        "restore_command": None,
        "restored": None,
        "evidence": evidence,
    }


def _document(value: Any) -> Any:
    if isinstance(value, str):
        from urllib.parse import unquote

        from revoke.core.trace import parse_loose

        text = unquote(value) if value.lstrip().startswith("%") else value
        return parse_loose(text) or value
    return value


def restore_command(change: dict[str, Any]) -> str | None:
    """The AWS CLI command that undoes one change, or None when there is no safe one."""
    target, action = change["target"], change["action"]
    before = change.get("document_before")
    doc = f"'{json.dumps(before, separators=(',', ':'))}'" if before is not None else None
    role, user, group = target.get("roleName"), target.get("userName"), target.get("groupName")
    if action == "UpdateAssumeRolePolicy" and role:
        if doc is None:
            return None
        return f"aws iam update-assume-role-policy --role-name {role} --policy-document {doc}"
    for verb, kind, name in (
        ("role", "role", role),
        ("user", "user", user),
        ("group", "group", group),
    ):
        if not name:
            continue
        if action == f"Attach{kind.title()}Policy" and target.get("policyArn"):
            arn = target["policyArn"]
            return f"aws iam detach-{verb}-policy --{verb}-name {name} --policy-arn {arn}"
        if action == f"Put{kind.title()}Policy" and target.get("policyName"):
            if doc is None:
                return (
                    f"aws iam delete-{verb}-policy --{verb}-name {name} "
                    f"--policy-name {target['policyName']}"
                )
            return (
                f"aws iam put-{verb}-policy --{verb}-name {name} --policy-name "
                f"{target['policyName']} --policy-document {doc}"
            )
    if action == "CreateRole" and role:
        return f"aws iam delete-role --role-name {role}  (after removing its policies)"
    return None


def find_before(
    change: dict[str, Any], source: TrailSource | None
) -> tuple[Any, dict[str, Any] | None]:
    """The document before a change: the requestParameters of the newest earlier event
    that set the same document (CreateRole / UpdateAssumeRolePolicy for a trust policy,
    the same Put*Policy and policy name for an inline one). (None, None) when no event
    read holds it (LookupEvents answers for 90 days)."""
    setters = _POLICY_SETTERS.get(str(change["action"]))
    target = change["target"]
    name = target.get("roleName") or target.get("userName") or target.get("groupName")
    if setters is None or not name or source is None:
        return None, None
    from revoke.core import trace as core

    try:
        answer = source.query([core.Lookup("ResourceName", name, change["account"])])
    except RevokeError:
        return None, None
    when = (change.get("evidence") or {}).get("time") or ""
    best: core.Event | None = None
    for event in (core.parse_record(r) for r in answer.records):
        if event is None or event.failed or event.name not in setters:
            continue
        req = event.request
        if (req.get("roleName") or req.get("userName") or req.get("groupName")) != name:
            continue
        if target.get("policyName") and req.get("policyName") != target["policyName"]:
            continue
        stamp = event.evidence[0].time if event.evidence else ""
        if not stamp or stamp >= when:
            continue
        if best is None or stamp > (best.evidence[0].time or ""):
            best = event
    if best is None:
        return None, None
    req = best.request
    document = _document(req.get("assumeRolePolicyDocument") or req.get("policyDocument"))
    return document, best.evidence[0].to_json() if best.evidence else None


def _describe_target(target: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in target.items() if k != "what") or "?"
