"""A finished trace (`Trace`): its tree, walked in order, and the flat summary of what
containment needs (roles and their sessions, keys and users created, everything changed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from revoke.core.trace.nodes import Node
from revoke.core.trace.records import Evidence


@dataclass
class Trace:
    root: Node
    events: int  # distinct actions read
    refused: list[Evidence]  # attempts AWS refused (errorCode): nothing was issued

    def walk(self) -> Iterable[tuple[int, Node]]:
        stack: list[tuple[int, Node]] = [(0, self.root)]
        while stack:
            depth, node = stack.pop()
            yield depth, node
            stack.extend((depth + 1, child) for child in reversed(node.children))

    def summary(self) -> dict[str, Any]:
        """What containment needs, flat: each role reached with the sessions seen (their
        aws:userid), keys and users created, everything else changed."""
        roles: dict[str, dict[str, Any]] = {}
        keys: list[str] = []
        users: list[str] = []
        changed: list[dict[str, Any]] = []
        user_sessions: list[str] = []
        counts = {"sessions": 0, "loops": 0, "footholds": 0}
        accounts: set[str] = set()
        regions: set[str] = set()

        def add_session(details: Mapping[str, Any], account: str | None) -> None:
            role = details.get("role_arn")
            if role:
                entry = roles.setdefault(
                    role, {"role_arn": role, "account": account, "userids": []}
                )
                userid = details.get("userid")
                if userid and userid not in entry["userids"]:
                    entry["userids"].append(userid)
            elif details.get("principal"):
                if details["principal"] not in user_sessions:
                    user_sessions.append(details["principal"])

        for _, node in self.walk():
            for proof in node.evidence:
                if proof.account:
                    accounts.add(proof.account)
                if proof.region:
                    regions.add(proof.region)
            if node.kind == "session":
                counts["sessions"] += 1
                add_session({**node.details, "principal": node.principal}, node.account)
            elif node.kind == "loop":
                counts["loops"] += 1
                counts["sessions"] += len(node.sessions)
                for session in node.sessions:
                    add_session(session, session.get("account"))
            elif node.kind == "foothold":
                counts["footholds"] += 1
                target = node.details.get("target", {})
                if node.action == "CreateAccessKey" and target.get("accessKeyId"):
                    keys.append(target["accessKeyId"])
                elif node.action == "CreateUser" and target.get("userName"):
                    users.append(target["userName"])
                else:
                    changed.append({"action": node.action, "account": node.account, **target})
        return {
            **counts,
            "events": self.events,
            "refused_attempts": len(self.refused),
            "accounts": sorted(accounts),
            "regions": sorted(regions),
            "roles": list(roles.values()),
            "user_sessions": user_sessions,
            "access_keys_created": keys,
            "users_created": users,
            "changed": changed,
        }
