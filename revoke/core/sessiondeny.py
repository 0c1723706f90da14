"""The session-scoped deny: one role's attacker sessions, not all of its sessions. Pure.

A role session's `aws:userid` is `ROLE-ID:RoleSessionName` ("Role session principal
ID", and for a role of an EC2 instance `ROLE-ID:INSTANCE-ID`:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid;
the role session's ID is STS's AssumedRoleUser.AssumedRoleId, "the role ID and the role
session name", https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumedRoleUser.html),
and `aws:TokenIssueTime` is present in every request signed with temporary credentials
(same page, #condition-keys-tokenissuetime). A deny on the role that holds both, StringEquals
on the sessions seen AND DateLessThan the cutoff, stops those sessions and leaves every
other session of the role working (AWS-FACTS facts 26, 29). A session the attacker
re-assumes under the same name after the cutoff is not denied (fact 22): the cutoff is
`now`, after the trace.

The policy (`SESSION_POLICY_NAME`, the template policies/deny-sessions.json.j2) holds one
statement per cutoff: merging a run's sessions into the policy in force keeps every
session already there, each at the later of its two cutoffs (never earlier, fact 12), and
every statement that is not a session deny verbatim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from revoke.core import names
from revoke.core.plan import (
    STATUS_PLANNED,
    STATUS_UNCHANGED,
    PrincipalState,
    Quotas,
    TargetPlan,
    failed,
)
from revoke.core.policy import (
    POLICY_VERSION,
    TOKEN_ISSUE_TIME,
    PolicyError,
    PolicyTemplate,
    compact,
    policy_size,
    replace_in_place,
    statements_of,
)
from revoke.core.timeparse import cutoff_datetime
from revoke.errors import BadInput

SESSION_POLICY_NAME = "AWSRevokeAttackerSessions"
USERID = "aws:userid"
SOURCE_INSTANCE = "ec2:SourceInstanceARN"
SID_USERIDS = "RevokeSessionsSeen"
SID_INSTANCES = "RevokeInstanceSessions"

# What each kind of session statement matches on: its operator and key.
_MATCHERS = {"userids": ("StringEquals", USERID), "instance_arns": ("ArnEquals", SOURCE_INSTANCE)}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class SessionStatement:
    """One recognised session deny: which sessions (or instances), before which cutoff."""

    what: str  # "userids" | "instance_arns"
    values: tuple[str, ...]
    cutoff: str


def session_statement_of(statement: Any) -> SessionStatement | None:
    """The statement as a session deny (ours), or None for anything else."""
    if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
        return None
    if _as_list(statement.get("Action")) != ["*"] or _as_list(statement.get("Resource")) != ["*"]:
        return None
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping) or len(condition) != 2:
        return None
    dates = condition.get("DateLessThan")
    if not isinstance(dates, Mapping) or list(dates) != [TOKEN_ISSUE_TIME]:
        return None
    cutoffs = _as_list(dates[TOKEN_ISSUE_TIME])
    if len(cutoffs) != 1 or not isinstance(cutoffs[0], str):
        return None
    for what, (operator, key) in _MATCHERS.items():
        block = condition.get(operator)
        if isinstance(block, Mapping) and list(block) == [key]:
            values = _as_list(block[key])
            if values and all(isinstance(v, str) and v for v in values):
                return SessionStatement(what, tuple(values), cutoffs[0])
    return None


def is_session_deny(document: Mapping[str, Any] | None) -> bool:
    """True when the document holds at least one session deny."""
    return bool(document) and any(
        session_statement_of(s) is not None for s in statements_of(document or {})
    )


def denied_sessions(document: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """{"userids": {userid: cutoff}, "instance_arns": {arn: cutoff}}: each at the latest
    cutoff any statement gives it (an unreadable cutoff raises BadInput: fail closed)."""
    found: dict[str, dict[str, str]] = {"userids": {}, "instance_arns": {}}
    for statement in statements_of(document or {}):
        seen = session_statement_of(statement)
        if seen is None:
            continue
        moment = cutoff_datetime(seen.cutoff)
        for value in seen.values:
            held = found[seen.what].get(value)
            if held is None or cutoff_datetime(held) < moment:
                found[seen.what][value] = seen.cutoff
    return found


def session_cutoff(document: Mapping[str, Any] | None) -> str | None:
    """The latest cutoff of the document's session denies, or None if it has none."""
    cutoffs = {c for values in denied_sessions(document).values() for c in values.values()}
    return max(cutoffs, key=cutoff_datetime) if cutoffs else None


def render_session_deny(
    template: PolicyTemplate,
    cutoff: str,
    userids: Sequence[str],
    instance_arns: Sequence[str] = (),
) -> dict[str, Any]:
    """Render policies/deny-sessions.json.j2 (values through tojson) and check it says what
    it must: only session denies, no IfExists (fact 9), the sessions and cutoff asked."""
    if not userids and not instance_arns:
        raise BadInput("a session deny needs at least one aws:userid or instance ARN")
    document = template.render(
        cutoff=cutoff, userids=list(userids), instance_arns=list(instance_arns)
    )
    for statement in statements_of(document):
        for operator in statement.get("Condition") or {}:
            if operator.endswith("IfExists"):
                raise PolicyError(
                    f"{template.name}: renders {operator}, which would also deny long-term keys"
                )
        if session_statement_of(statement) is None:
            raise PolicyError(f"{template.name}: renders a statement that is not a session deny")
    found = denied_sessions(document)
    if set(found["userids"]) != set(userids) or set(found["instance_arns"]) != set(instance_arns):
        raise PolicyError(f"{template.name}: the rendered policy does not name the sessions asked")
    if session_cutoff(document) != cutoff:
        raise PolicyError(f"{template.name}: the rendered policy does not hold cutoff {cutoff}")
    return document


def _statements(what: str, by_value: Mapping[str, str]) -> list[dict[str, Any]]:
    """One statement per distinct cutoff, oldest first, values in sorted order."""
    operator, key = _MATCHERS[what]
    sid = SID_USERIDS if what == "userids" else SID_INSTANCES
    groups: dict[str, list[str]] = {}
    for value, cutoff in by_value.items():
        groups.setdefault(cutoff, []).append(value)
    out = []
    for index, cutoff in enumerate(sorted(groups, key=cutoff_datetime)):
        out.append(
            {
                "Sid": sid if index == 0 else f"{sid}{index}",  # a Sid is unique in a policy
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {
                    operator: {key: sorted(groups[cutoff])},
                    "DateLessThan": {TOKEN_ISSUE_TIME: cutoff},
                },
            }
        )
    return out


def merge_session_deny(
    existing: Mapping[str, Any] | None, rendered: Mapping[str, Any]
) -> dict[str, Any]:
    """The document to write: every session of both, each at the later of its cutoffs
    (never earlier), anybody else's statements kept verbatim and in order."""
    merged: dict[str, dict[str, str]] = {"userids": {}, "instance_arns": {}}
    for source in (existing, rendered):
        for what, values in denied_sessions(source).items():
            for value, cutoff in values.items():
                held = merged[what].get(value)
                if held is None or cutoff_datetime(held) < cutoff_datetime(cutoff):
                    merged[what][value] = cutoff
    ours = _statements("userids", merged["userids"]) + _statements(
        "instance_arns", merged["instance_arns"]
    )
    others = [s for s in statements_of(existing or {}) if session_statement_of(s) is None]
    if not others:
        return {"Version": POLICY_VERSION, "Statement": ours}
    result = replace_in_place(
        statements_of(existing or {}), ours, lambda s: session_statement_of(s) is not None
    )
    document = dict(existing or {})
    document.update(Version=POLICY_VERSION, Statement=result)
    return document


def strip_sessions(document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The document without its session denies; None when nothing else is left."""
    others = [s for s in statements_of(document) if session_statement_of(s) is None]
    if not others:
        return None
    kept = dict(document)
    kept["Statement"] = others
    return kept


@dataclass
class SessionScope:
    """What one role's session deny is to name."""

    userids: list[str] = field(default_factory=list)
    instance_arns: list[str] = field(default_factory=list)

    def add(self, userids: Iterable[str] = (), instance_arns: Iterable[str] = ()) -> None:
        for value in userids:
            if value not in self.userids:
                self.userids.append(value)
        for value in instance_arns:
            if value not in self.instance_arns:
                self.instance_arns.append(value)


def plan_session_target(
    state: PrincipalState,
    cutoff: str,
    rendered: dict[str, Any],
    *,
    quotas: Quotas,
) -> TargetPlan:
    """What to write for one role's session deny, given what exists. Like
    revoke.core.plan.plan_target: refusals are `failed` rows; a deny in force that already
    names every session at a cutoff as late is `unchanged`; the aggregate inline budget
    (fact 17) is checked, and over it the row fails saying `--scope role`."""
    kind, name = state.kind, state.name
    if not state.exists:
        return failed(kind, name, state.account, f"{kind} {name} does not exist", "NoSuchEntity")
    if kind != "role":
        return failed(kind, name, state.account, "a session-scoped deny is for roles", "BadInput")
    if state.path.startswith(names.SERVICE_LINKED_PATH):
        return failed(kind, name, state.account, names.service_linked_refused(name).message)
    if state.path.startswith(names.IDENTITY_CENTER_PATH_PREFIX):
        return failed(kind, name, state.account, names.identity_center_refused(name).message)
    current = state.inline_policies.get(SESSION_POLICY_NAME)
    try:
        document = merge_session_deny(current, rendered)
    except BadInput as err:  # an unreadable cutoff in force may be later than ours: keep it
        return failed(
            kind,
            name,
            state.account,
            f"role {name}: {err.message}; nothing changed",
            "UnreadableCutoff",
        )
    plan = TargetPlan(
        kind=kind,
        name=name,
        account=state.account,
        policy_name=SESSION_POLICY_NAME,
        policy_document=document,
        status=STATUS_PLANNED,
        previous_cutoff=session_cutoff(current),
        previous_document=current,
    )
    if current is not None and compact(current) == compact(document):
        plan.status = STATUS_UNCHANGED
        plan.reason = "every session seen is already denied at this cutoff or a later one"
        return plan
    others = sum(
        policy_size(doc)
        for pname, doc in state.inline_policies.items()
        if pname != SESSION_POLICY_NAME
    )
    plan.inline_size_after = others + policy_size(document)
    plan.inline_size_quota = quotas.inline_for(kind)
    if plan.inline_size_after > plan.inline_size_quota:
        plan.status = "failed"
        plan.error_code = "SizeBudget"
        plan.error = (
            f"role {name}: inline policies would total {plan.inline_size_after} of "
            f"{plan.inline_size_quota} characters with the session deny; nothing was changed. "
            "Deny all of the role's sessions instead: --scope role"
        )
    return plan
