"""Role chain juggling: the roles on a cycle of the "session of role X assumed role Y"
graph (Tarjan's algorithm, iterative), and their sessions collapsed into one `loop` node."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from revoke.core.trace.nodes import Node


def _cyclic_roles(root: Node) -> dict[str, int]:
    """Role ARN -> component number, for roles on a cycle of the "session of role X
    assumed role Y" graph (Tarjan's algorithm, iterative)."""
    edges: dict[str, set[str]] = {}
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        for child in node.children:
            if (
                node.kind == "session"
                and node.role_arn
                and child.kind == "session"
                and child.role_arn
            ):
                edges.setdefault(node.role_arn, set()).add(child.role_arn)
            stack.append(child)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    scc_stack: list[str] = []
    component: dict[str, int] = {}
    counter = 0
    for origin in list(edges):
        if origin in index:
            continue
        call: list[tuple[str, Iterable[str]]] = [(origin, iter(sorted(edges.get(origin, ()))))]
        index[origin] = low[origin] = counter
        counter += 1
        scc_stack.append(origin)
        on_stack.add(origin)
        while call:
            vertex, successors = call[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    scc_stack.append(nxt)
                    on_stack.add(nxt)
                    call.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[vertex] = min(low[vertex], index[nxt])
            if advanced:
                continue
            call.pop()
            if call:
                low[call[-1][0]] = min(low[call[-1][0]], low[vertex])
            if low[vertex] == index[vertex]:
                members: list[str] = []
                while True:
                    member = scc_stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == vertex:
                        break
                cyclic = len(members) > 1 or vertex in edges.get(vertex, set())
                if cyclic:
                    for member in members:
                        component[member] = index[vertex]
    return component


def _session_entry(node: Node) -> dict[str, Any]:
    return {
        "action": node.action,
        "account": node.account,
        "principal": node.principal,
        **node.details,
        "evidence": [e.to_json() for e in node.evidence],
    }


def _collapse_loops(root: Node) -> None:
    """Sessions of roles on one cycle become one `loop` node: the first session into the
    cycle stands for all, lists each session it cycled through, and keeps as children
    whatever any of them did outside the cycle."""
    component = _cyclic_roles(root)
    if not component:
        return
    stack: list[tuple[Node, int | None]] = [(root, None)]
    while stack:
        node, inside = stack.pop()
        new_children: list[Node] = []
        for child in node.children:
            group = component.get(child.role_arn or "") if child.kind == "session" else None
            if group is None or group == inside:
                new_children.append(child)
                stack.append((child, None))
                continue
            loop = Node(
                kind="loop",
                id=child.id,
                action="role chain juggling",
                account=child.account,
                principal=child.principal,
            )
            # Absorb every session of this cycle below `child`, depth first, in order.
            pending: list[Node] = [child]
            outside: list[Node] = []
            while pending:
                member = pending.pop(0)
                loop.sessions.append(_session_entry(member))
                loop.evidence.extend(member.evidence)
                if member.role_arn and member.role_arn not in loop.roles:
                    loop.roles.append(member.role_arn)
                inner = [
                    c
                    for c in member.children
                    if c.kind == "session" and component.get(c.role_arn or "") == group
                ]
                outside.extend(c for c in member.children if c not in inner)
                pending[0:0] = inner
            loop.children = sorted(
                outside, key=lambda n: (n.evidence[0].time or "") if n.evidence else ""
            )
            loop.details = {"session_count": len(loop.sessions)}
            new_children.append(loop)
            stack.append((loop, group))
        node.children = new_children
