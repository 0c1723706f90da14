"""The walk that builds the tree (`build_trace`): every event in the records that descends
from the start, each key and each action placed once, then ordered and its loops collapsed."""

from __future__ import annotations

from collections.abc import Iterable

from revoke.core.trace.lookups import Start
from revoke.core.trace.loops import _collapse_loops
from revoke.core.trace.meaning import _account_of, _created_user_arn, is_foothold, minted
from revoke.core.trace.nodes import Node, _foothold_node, _session_node
from revoke.core.trace.records import Event, merge_copies
from revoke.core.trace.summary import Trace


def _is_root_event(start: Start, event: Event) -> bool:
    if start.kind == "key":
        return event.actor_key == start.text
    if start.kind in ("user", "federated"):
        return event.actor_arn == start.text or (
            event.actor_user == start.name
            and event.actor_type == "IAMUser"
            and (event.account in (None, start.account))
        )
    # role / session starts: the role's sessions, each a child of the root
    made = minted(event)
    if made is None or made.role_arn != start.role_arn:
        return False
    return start.kind == "role" or made.principal_arn == start.text


def build_trace(start: Start, records: Iterable[Event]) -> Trace:
    """The tree of everything in `records` that descends from `start`.

    Each key and each action is placed once (the first, in time order, that reaches it),
    so a key that seems to mint its own parent, or a record read twice, cannot loop.
    """
    events = merge_copies(records)
    refused = [e.evidence[0] for e in events if e.failed]
    good = [e for e in events if not e.failed]
    by_key: dict[str, list[Event]] = {}
    by_arn: dict[str, list[Event]] = {}
    for event in good:
        if event.actor_key:
            by_key.setdefault(event.actor_key, []).append(event)
        if event.actor_arn:
            by_arn.setdefault(event.actor_arn, []).append(event)

    root = Node(kind="credential", id=start.text, account=start.account)
    root.details = {"credential_kind": start.kind}
    root_events = [e for e in good if _is_root_event(start, e)]
    for event in root_events:
        if start.kind == "key" and event.actor_arn and root.principal is None:
            root.principal = event.actor_arn
            root.account = root.account or event.account or _account_of(event.actor_arn)

    placed_events: set[tuple[str, str]] = set()
    placed_keys: set[str] = {start.text} if start.is_key else set()
    placed_users: set[str] = set()
    # (node, the events it made): a work list, not recursion.
    work: list[tuple[Node, list[Event]]] = [(root, root_events)]
    while work:
        node, made_by_node = work.pop()
        for event in made_by_node:
            if event.identity in placed_events:
                continue
            made = minted(event)
            child: Node | None = None
            below: list[Event] = []
            if made is not None:
                if made.access_key_id and made.access_key_id in placed_keys:
                    continue  # already in the tree: one place per key
                placed_events.add(event.identity)
                child = _session_node(event, made)
                if made.access_key_id:
                    placed_keys.add(made.access_key_id)
                    below = by_key.get(made.access_key_id, [])
            elif is_foothold(event):
                placed_events.add(event.identity)
                child = _foothold_node(event)
                new_key = child.details["target"].get("accessKeyId")
                if event.name == "CreateAccessKey" and new_key and new_key not in placed_keys:
                    placed_keys.add(new_key)
                    below = by_key.get(new_key, [])
                user_arn = _created_user_arn(event)
                if user_arn and user_arn not in placed_users:
                    placed_users.add(user_arn)
                    # Everything the new user did with keys not placed elsewhere.
                    below = [
                        e
                        for e in by_arn.get(user_arn, [])
                        if not e.actor_key or e.actor_key not in placed_keys
                    ]
            if child is not None:
                node.children.append(child)
                if below:
                    work.append((child, below))
    _order(root)
    _collapse_loops(root)
    return Trace(root=root, events=len(events), refused=refused)


def _order(root: Node) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        node.children.sort(key=lambda n: (n.evidence[0].time or "") if n.evidence else "")
        stack.extend(node.children)
