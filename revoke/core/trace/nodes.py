"""The tree's nodes: `Node` (credential, session, loop, foothold) and the session and
foothold nodes made from one event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from revoke.core.trace.meaning import Minted, foothold_target
from revoke.core.trace.records import Event, Evidence

# -- the tree ----------------------------------------------------------------------------------


@dataclass(eq=False)  # nodes are compared by identity: two alike are still two
class Node:
    kind: str  # credential | session | loop | foothold
    id: str
    action: str | None = None
    account: str | None = None
    principal: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    # loop nodes: the roles it cycled through and each session, in order
    roles: list[str] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def role_arn(self) -> str | None:
        value = self.details.get("role_arn")
        return value if isinstance(value, str) else None

    def to_json(self) -> dict[str, Any]:
        """Iterative: a chain of any depth becomes JSON without recursion."""
        root: dict[str, Any] = {}
        stack: list[tuple[Node, dict[str, Any]]] = [(self, root)]
        while stack:
            node, out = stack.pop()
            out.update(
                {
                    "kind": node.kind,
                    "id": node.id,
                    "action": node.action,
                    "account": node.account,
                    "principal": node.principal,
                }
            )
            out.update(node.details)
            if node.kind == "loop":
                out["roles"] = list(node.roles)
                out["sessions"] = [dict(s) for s in node.sessions]
            out["evidence"] = [e.to_json() for e in node.evidence]
            kids: list[dict[str, Any]] = [{} for _ in node.children]
            out["children"] = kids
            stack.extend(zip(node.children, kids, strict=True))
        return root


def _session_node(event: Event, made: Minted) -> Node:
    return Node(
        kind="session",
        id=made.access_key_id or made.userid or made.principal_arn or (event.event_id or "?"),
        action=event.name,
        account=made.account,
        principal=made.principal_arn,
        details={
            "role_arn": made.role_arn,
            "session_name": made.session_name,
            "userid": made.userid,
            "access_key_id": made.access_key_id,
        },
        evidence=list(event.evidence),
    )


def _foothold_node(event: Event) -> Node:
    target = foothold_target(event)
    ident = (
        target.get("accessKeyId")
        or target.get("arn")
        or target.get("serialNumber")
        or ":".join(
            str(target[k])
            for k in ("userName", "roleName", "groupName", "policyName", "policyArn")
            if k in target
        )
        or (event.event_id or event.name)
    )
    return Node(
        kind="foothold",
        id=str(ident),
        action=event.name,
        account=event.account,
        principal=event.actor_arn,
        details={"target": target},
        evidence=list(event.evidence),
    )
