"""From the trace to the plan: what the trace reached, per account, and the pipelines
(`Work`) that contain it: one per account for its roles, one per account and set of flags
for its users."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.names import TargetName
from revoke.core.sessiondeny import SessionScope
from revoke.ops.containment import ContainmentOptions
from revoke.ops.follow.changes import change_entry
from revoke.ops.follow.options import SCOPE_SESSION, FollowOptions
from revoke.ops.pipeline import Pipeline

if TYPE_CHECKING:
    from revoke.core import trace as core
    from revoke.ops.revocation import RunResult
    from revoke.ops.trace import TraceReport

# What each foothold asks of the user it names (the issue-12/15 containment flags).
_USER_NEEDS = {
    "CreateUser": ("all_keys", "console", "service", "ssh"),
    "CreateLoginProfile": ("console",),
    "UpdateLoginProfile": ("console",),
    "CreateServiceSpecificCredential": ("service",),
    "UploadSSHPublicKey": ("ssh",),
}


# -- what the trace reached, as targets ------------------------------------------------------


@dataclass
class UserNeeds:
    key_ids: set[str] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)
    why: list[str] = field(default_factory=list)


@dataclass
class Reached:
    """Per account: the roles (with the sessions seen) and users to contain."""

    roles: dict[str, dict[str, SessionScope]] = field(default_factory=dict)
    users: dict[str, dict[str, UserNeeds]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def user(self, account: str, name: str, why: str) -> UserNeeds:
        needs = self.users.setdefault(account, {}).setdefault(name, UserNeeds())
        if why not in needs.why:
            needs.why.append(why)
        return needs


def _name_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _walk(root: core.Node) -> Iterable[tuple[core.Node | None, core.Node]]:
    stack: list[tuple[core.Node | None, core.Node]] = [(None, root)]
    while stack:
        parent, node = stack.pop()
        yield parent, node
        stack.extend((node, child) for child in reversed(node.children))


def reached_from(
    report: TraceReport, home: str, owner: TargetName | None, leaked_key: str | None
) -> Reached:
    """Pure over the trace: what to contain where (revoke.core.trace's summary and tree)."""
    found = Reached()
    summary = report.trace.summary()
    for role in summary["roles"]:
        account = role.get("account") or home
        scope = found.roles.setdefault(account, {}).setdefault(
            _name_of(role["role_arn"]), SessionScope()
        )
        scope.add(role.get("userids") or [])
    if owner is not None and owner.kind == "user":
        needs = found.user(owner.account or home, owner.name, "owner of the leaked key")
        if leaked_key and leaked_key.startswith("AKIA"):
            needs.key_ids.add(leaked_key)
    for _parent, node in _walk(report.trace.root):
        if node.kind != "foothold":
            continue
        target = node.details.get("target") or {}
        account = node.account or home
        action = str(node.action)
        user = target.get("userName")
        if action == "CreateAccessKey" and user and target.get("accessKeyId"):
            needs = found.user(
                account, user, f"the attacker created access key {target['accessKeyId']}"
            )
            needs.key_ids.add(target["accessKeyId"])
        elif action in _USER_NEEDS and user:
            found.user(account, user, f"{action} by the attacker").flags.update(_USER_NEEDS[action])
        else:
            found.changes.append(change_entry(node, account))
    return found


@dataclass
class Work:
    """One pipeline of the run: an account, a kind, a scope, its targets."""

    account: str
    kind: str
    scope: str  # session | role | user
    targets: list[str]
    containment: ContainmentOptions = field(default_factory=ContainmentOptions)
    sessions: dict[str, SessionScope] = field(default_factory=dict)
    why: dict[str, list[str]] = field(default_factory=dict)
    pipeline: Pipeline | None = None
    result: RunResult | None = None
    error: str | None = None
    error_code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "kind": self.kind,
            "scope": self.scope,
            "targets": list(self.targets),
            "status": "failed" if self.error else "done",
            "error": self.error,
            "error_code": self.error_code,
        }


def works_for(reached: Reached, options: FollowOptions) -> list[Work]:
    works: list[Work] = []
    for account in sorted(set(reached.roles) | set(reached.users)):
        roles = reached.roles.get(account, {})
        if roles:
            scope = options.scope
            works.append(
                Work(
                    account,
                    "role",
                    scope,
                    sorted(roles),
                    sessions=dict(roles) if scope == SCOPE_SESSION else {},
                    why={n: [f"sessions seen: {', '.join(s.userids)}"] for n, s in roles.items()},
                )
            )
        groups: dict[tuple[bool, bool, bool, bool], list[str]] = {}
        users = reached.users.get(account, {})
        for name, needs in users.items():
            key = tuple(f in needs.flags for f in ("all_keys", "console", "service", "ssh"))
            groups.setdefault(key, []).append(name)  # type: ignore[arg-type]
        key_ids = frozenset(k for needs in users.values() for k in needs.key_ids)
        for (all_keys, console, service, ssh), names in sorted(groups.items()):
            works.append(
                Work(
                    account,
                    "user",
                    "user",
                    sorted(names),
                    containment=ContainmentOptions(
                        deactivate_keys=all_keys or bool(key_ids),
                        disable_console=console,
                        key_ids=None if all_keys else key_ids,
                        deactivate_service_credentials=service,
                        deactivate_ssh_keys=ssh,
                    ),
                    why={n: users[n].why for n in names},
                )
            )
    return works
