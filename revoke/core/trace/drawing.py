"""A trace drawn for a terminal: the tree with box characters (`tree_lines`) and one row
a node for `--output text` (`node_rows`, NODE_COLUMNS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from revoke.core.trace.summary import Trace

# -- drawing ---------------------------------------------------------------------------------


def _label(node: Mapping[str, Any]) -> str:
    kind = node.get("kind")
    first = (node.get("evidence") or [{}])[0]
    where = " ".join(
        str(x) for x in (first.get("time"), first.get("region"), first.get("account")) if x
    )
    if kind == "credential":
        who = f" ({node['principal']})" if node.get("principal") else ""
        return f"{node['id']}{who}"
    if kind == "session":
        what = node.get("role_arn") or node.get("principal") or "session"
        name = f" as {node['session_name']}" if node.get("session_name") else ""
        key = f" key {node['access_key_id']}" if node.get("access_key_id") else ""
        copies = len(node.get("evidence") or [])
        logged = f", logged in {copies} accounts" if copies > 1 else ""
        return f"{node.get('action')} {what}{name}{key}  [{where}{logged}]"
    if kind == "loop":
        roles = " <-> ".join(node.get("roles") or [])
        return f"LOOP {roles}: {len(node.get('sessions') or [])} sessions  [{where}]"
    target = node.get("target") or {}
    named = ", ".join(f"{k}={v}" for k, v in target.items() if k not in ("what", "policyDocument"))
    return f"{node.get('action')} {target.get('what', '')} {named}  [{where}]"


def tree_lines(tree: Mapping[str, Any]) -> list[str]:
    """The tree drawn with box characters, one node a line (iterative)."""
    lines = [_label(tree)]
    stack: list[tuple[Mapping[str, Any], str, bool]] = []
    children = list(tree.get("children") or [])
    for i, child in reversed(list(enumerate(children))):
        stack.append((child, "", i == len(children) - 1))
    while stack:
        node, prefix, last = stack.pop()
        lines.append(f"{prefix}{'└── ' if last else '├── '}{_label(node)}")
        kids = list(node.get("children") or [])
        below = prefix + ("    " if last else "│   ")
        for i, child in reversed(list(enumerate(kids))):
            stack.append((child, below, i == len(kids) - 1))
    return lines


NODE_COLUMNS = ["depth", "kind", "action", "id", "account", "region", "time", "event_id"]


def node_rows(trace: Trace) -> list[dict[str, Any]]:
    """One row a node, for `--output text` (tab-separated, column order fixed)."""
    rows = []
    for depth, node in trace.walk():
        first = node.evidence[0] if node.evidence else None
        rows.append(
            {
                "depth": depth,
                "kind": node.kind,
                "action": node.action,
                "id": node.id,
                "account": node.account,
                "region": first.region if first else None,
                "time": first.time if first else None,
                "event_id": first.event_id if first else None,
            }
        )
    return rows
