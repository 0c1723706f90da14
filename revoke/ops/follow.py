"""`revoke key KEY_ID --follow` (and `revoke user|role NAME --follow`): contain the whole tree.

A leaked key is rarely used alone (issue 16): it assumes roles (in other accounts too),
mints federation tokens, creates access keys, users and login profiles, changes trust
policies. Revoking its owner leaves every one of those working. This workflow traces the
credential (revoke.ops.trace, read-only), then contains everything the trace reached in
one run, through the one pipeline (revoke.ops.pipeline: plan, one confirmation,
write-ahead journal, per-principal locks, verification, residual report, lift):

- each role reached gets a deny of the attacker's sessions only: `aws:userid` of each
  session seen, issued before the cutoff (revoke.core.sessiondeny, the policy
  AWSRevokeAttackerSessions), so the role's other sessions keep working; `--scope role`
  denies all of its sessions instead (the AWSRevokeOlderSessions deny of `revoke role`);
- the key's owner, and every user the attacker gave a key, gets the deny on its sessions
  (GetFederationToken and GetSessionToken sessions are covered by the deny on the user
  that made them, AWS-FACTS fact 26) and those keys deactivated, as `revoke key` does;
  users the attacker created are contained as `revoke user --deactivate-keys
  --disable-console` does; login profiles it made or changed are removed; service
  credentials and SSH keys it made are deactivated;
- trust policies and policies it changed are reported with the document before the change
  (the requestParameters of the earlier event that set it) and the command that restores
  it; `--restore-changes` restores them (journalled, action "restore-change").

Writes of one run go out together: every account's plan first (read-only), one
confirmation, then the organization SCP where `--org-scp` is given (so the deny is in
every member account before the attacker can react), then every pipeline at once.
Other accounts are reached through the fan-out role (revoke.ops.accounts.account_opener).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.names import TargetName
from revoke.core.plan import STATUS_PLANNED, TargetPlan, failed
from revoke.core.sessiondeny import SessionScope, plan_session_target, render_session_deny
from revoke.errors import BadInput, ExitCode, RevokeError
from revoke.ops.accounts import DEFAULT_ROLE_NAME
from revoke.ops.containment import ContainmentOptions
from revoke.ops.pipeline import Pipeline, Request

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession
    from revoke.aws.trail_sources import TrailSource
    from revoke.core import trace as core
    from revoke.core.scp import ScpPlan
    from revoke.ops.context import RunContext
    from revoke.ops.revocation import RunResult
    from revoke.ops.trace import TraceReport

SCOPE_SESSION, SCOPE_ROLE = "session", "role"
SCOPES = (SCOPE_SESSION, SCOPE_ROLE)
RESTORE_CHANGE = "restore-change"

# What each foothold asks of the user it names (the issue-12/15 containment flags).
_USER_NEEDS = {
    "CreateUser": ("all_keys", "console", "service", "ssh"),
    "CreateLoginProfile": ("console",),
    "UpdateLoginProfile": ("console",),
    "CreateServiceSpecificCredential": ("service",),
    "UploadSSHPublicKey": ("ssh",),
}
# Changes reported with their document before and the command that restores it.
_POLICY_SETTERS = {
    "UpdateAssumeRolePolicy": ("CreateRole", "UpdateAssumeRolePolicy"),
    "PutRolePolicy": ("PutRolePolicy",),
    "PutUserPolicy": ("PutUserPolicy",),
    "PutGroupPolicy": ("PutGroupPolicy",),
}


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise BadInput(f"--scope {scope!r} is not session or role", hint="--scope session|role")
    return scope


@dataclass
class FollowOptions:
    cutoff: str
    scope: str = SCOPE_SESSION
    since: str | None = None
    regions: str = "all"
    events: str = "lookup"
    workgroup: str | None = None
    accounts: Sequence[str] = ()
    role_name: str = DEFAULT_ROLE_NAME
    restore_changes: bool = False
    org_scp: bool = False
    verify: bool = True
    force: bool = False
    deadline: float = 300.0


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


# -- the pipelines -----------------------------------------------------------------------------


class SessionPipeline(Pipeline):
    """One account's session-scoped role denies: the one pipeline, planned with
    revoke.core.sessiondeny instead of the role-wide deny. Apply, locks, journal,
    verification and residual are the pipeline's own."""

    def __init__(
        self,
        ctx: RunContext,
        session: AwsSession,
        request: Request,
        scopes: dict[str, SessionScope],
    ) -> None:
        self.scopes = {name.lower(): scope for name, scope in scopes.items()}
        super().__init__(ctx, session, request)

    def _rendered(self, name: str) -> dict[str, Any]:
        from revoke.ops.templates import deny_sessions

        scope = self.scopes[name.lower()]
        return render_session_deny(
            deny_sessions(), self.request.cutoff, scope.userids, scope.instance_arns
        )

    def _plan_row(self, name: str, quotas: Any) -> TargetPlan:
        state = self.gateway.read_principal("role", name)
        row = plan_session_target(state, self.request.cutoff, self._rendered(name), quotas=quotas)
        return self.recorder.extend(state, row)

    def plan(self, *, on_done: Callable[[Any], None] | None = None) -> RunResult:
        from revoke.ops.pool import map_bounded
        from revoke.ops.revocation import RunResult

        if self._quotas is None:
            self._quotas = self.gateway.account_quotas()
        quotas = self._quotas

        def one(target: TargetName) -> TargetPlan:
            try:
                return self._plan_row(target.name, quotas)
            except RevokeError as err:
                return failed(
                    "role", target.name, target.account, err.message, getattr(err, "code", None)
                )

        rows = map_bounded(one, list(self.targets), self.request.max_workers, on_done)
        result = RunResult(action="revoke", dry_run=True, cutoff=self.request.cutoff, targets=rows)
        result.actor = self.actor
        result.details.update(self.request.details)
        for row in rows:
            if row.status == STATUS_PLANNED:
                key = self._lock_key(row)
                self._seen[key] = self.locks.generation(*key)
        return result

    def _replan(self, row: TargetPlan) -> TargetPlan:
        if self._quotas is None:
            self._quotas = self.gateway.account_quotas()
        fresh = self._plan_row(row.name, self._quotas)
        fresh.warnings.append(
            f"another revoke run wrote role {row.name}'s session deny while this one waited: "
            "planned again from what is in force now (every session kept, never earlier)"
        )
        return fresh


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


# -- the run -------------------------------------------------------------------------------


@dataclass
class FollowRun:
    credential: str
    options: FollowOptions
    report: TraceReport
    works: list[Work]
    changes: list[dict[str, Any]]
    dry_run: bool = True
    scp: ScpPlan | None = None
    warnings: list[str] = field(default_factory=list)
    journalled: int = 0

    @property
    def rows(self) -> list[TargetPlan]:
        return [row for w in self.works if w.result for row in w.result.targets]

    @property
    def changes_planned(self) -> int:
        planned = sum(1 for row in self.rows if row.changes)
        if self.scp is not None and self.scp.changes:
            planned += 1
        if self.options.restore_changes:
            planned += sum(1 for c in self.changes if c.get("restore_command"))
        return planned

    def describe(self) -> str:
        parts = []
        for work in self.works:
            rows = [r for r in (work.result.targets if work.result else []) if r.changes]
            if not rows:
                continue
            what = {
                SCOPE_SESSION: "the attacker's sessions of",
                SCOPE_ROLE: "all sessions of",
            }.get(work.scope, "sessions, keys and console of")
            parts.append(
                f"{what} {len(rows)} {work.kind}(s) in account {work.account}"
                f" ({', '.join(r.name for r in rows)})"
            )
        if self.scp is not None and self.scp.changes:
            parts.insert(0, "the organization SCP (first)")
        if self.options.restore_changes:
            n = sum(1 for c in self.changes if c.get("restore_command"))
            if n:
                parts.append(f"restore {n} changed polic(ies)")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        targets = []
        warnings = list(self.warnings) + list(self.report.to_json()["warnings"])
        residual: list[dict[str, Any]] = []
        for work in self.works:
            if work.error:
                warnings.append(f"account {work.account}: {work.error}")
            if work.result is None:
                continue
            data = work.result.to_json()
            for row in data["targets"]:
                row.setdefault("account", work.account)
                row["account"] = row["account"] or work.account
                row["scope"] = work.scope
                row["reached_because"] = work.why.get(row["name"], [])
                targets.append(row)
            warnings += data["warnings"]
            residual += data.get("residual") or []
        for change in self.changes:
            if change.get("restored") is None:
                where = f"{change['action']} in account {change['account']}"
                command = change.get("restore_command")
                warnings.append(
                    f"{where} changed {_describe_target(change['target'])}: "
                    + (
                        f"restore it with: {command} (or --restore-changes)"
                        if command
                        else "no document before it was found in the events read; review it by hand"
                    )
                )
        return {
            "action": "follow",
            "dry_run": self.dry_run,
            "cutoff": self.options.cutoff,
            "credential": self.credential,
            "scope": self.options.scope,
            "trace": self.report.trace.summary(),
            "targets": targets,
            "runs": [w.to_json() for w in self.works],
            "changes": self.changes,
            "scp": self.scp.to_json() if self.scp is not None else None,
            "residual": residual if not self.dry_run else None,
            "warnings": list(dict.fromkeys(warnings)),
        }

    def exit_code(self) -> ExitCode:
        codes = {w.result.exit_code() for w in self.works if w.result is not None}
        if any(w.error for w in self.works):
            codes.add(ExitCode.AWS_FAILURE)
        if self.scp is not None:
            from revoke.ops.organization import exit_code

            codes.add(exit_code(self.scp))
        if any(c.get("restored") == "failed" for c in self.changes):
            codes.add(ExitCode.PARTIAL)
        bad = codes - {ExitCode.OK}
        if not bad:
            return ExitCode.OK
        return bad.pop() if len(bad) == 1 else ExitCode.PARTIAL


def _describe_target(target: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in target.items() if k != "what") or "?"


def plan_follow(
    ctx: RunContext,
    credential: str,
    options: FollowOptions,
    *,
    owner: TargetName | None = None,
    leaked_key: str | None = None,
    source: TrailSource | None = None,
    session: AwsSession | None = None,
) -> FollowRun:
    """Trace, then plan every pipeline (read-only). `owner`: the principal the credential
    belongs to (the key's owner, or the user/role named), contained as well."""
    from revoke.aws.iam import IamGateway
    from revoke.ops.accounts import account_opener, check_role_name
    from revoke.ops.trace import TraceOptions, make_source, run_trace

    check_scope(options.scope)
    home_session = session or ctx.aws()
    caller = IamGateway(home_session).caller_identity()  # 253 before anything else
    home = caller.get("account", "")
    trace_options = TraceOptions(
        credential,
        since=options.since,
        regions=options.regions,
        events=options.events,
        workgroup=options.workgroup,
        accounts=options.accounts,
        role_name=options.role_name,
    )
    if source is None:
        from revoke.core.timeparse import format_cutoff
        from revoke.ops.trace import LOOKUP_WINDOW

        since = options.since or format_cutoff(ctx.now() - LOOKUP_WINDOW)
        if options.since:
            from revoke.core.timeparse import parse_when

            since = format_cutoff(parse_when(options.since, now=ctx.now()))
        source, _ = make_source(ctx, trace_options, since)
    report = run_trace(ctx, trace_options, source=source)
    reached = reached_from(report, home, owner, leaked_key)
    if owner is not None and owner.kind == "role":
        reached.roles.setdefault(owner.account or home, {}).setdefault(owner.name, SessionScope())
    run = FollowRun(credential, options, report, works_for(reached, options), reached.changes)
    for change in run.changes:
        change["document_before"], change["before_source"] = find_before(change, source)
        change["restore_command"] = restore_command(change)

    open_account, _ = account_opener(home_session, caller, check_role_name(options.role_name))
    for work in run.works:
        if work.kind == "role" and work.scope == SCOPE_SESSION:
            empty = [n for n, s in work.sessions.items() if not s.userids]
            if empty:
                run.warnings.append(
                    f"account {work.account}: no session of role(s) {', '.join(empty)} was seen "
                    "by name: denying all of their sessions (--scope role)"
                )
                work.targets = [t for t in work.targets if t not in empty]
                run.works.append(
                    Work(
                        work.account,
                        "role",
                        SCOPE_ROLE,
                        empty,
                        why={n: work.why.get(n, []) for n in empty},
                    )
                )
    run.works = [w for w in run.works if w.targets]
    for work in run.works:
        _plan_work(
            ctx, work, options, open_account(work.account) if work.account != home else home_session
        )
    if options.org_scp:
        from revoke.aws.orgs import OrgsGateway
        from revoke.ops.organization import plan_org

        run.scp = plan_org(OrgsGateway(home_session), caller, None, options.cutoff, [])
    return run


def _plan_work(ctx: RunContext, work: Work, options: FollowOptions, session: AwsSession) -> None:
    request = Request(
        work.kind,
        [TargetName(work.kind, n, work.account) for n in work.targets],
        options.cutoff,
        force=options.force,
        verify=options.verify,
        max_workers=4,
        containment=work.containment,
        deadline=options.deadline,
    )
    try:
        if work.kind == "role" and work.scope == SCOPE_SESSION:
            work.pipeline = SessionPipeline(ctx, session, request, work.sessions)
        else:
            work.pipeline = Pipeline(ctx, session, request)
        ctx.say(
            f"planning: {len(work.targets)} {work.kind}(s) in account {work.account} "
            f"({work.scope} scope), cutoff {options.cutoff}"
        )
        work.result = work.pipeline.plan()
    except RevokeError as err:
        work.error = err.message
        work.error_code = getattr(err, "code", None) or type(err).__name__


def apply_follow(ctx: RunContext, run: FollowRun) -> FollowRun:
    """Carry the plan out: the SCP first (when asked), then every pipeline at once, then
    the changes to restore (when asked). Each writes its journal records."""
    from revoke.ops.pool import map_bounded
    from revoke.state.journal import Journal

    run.dry_run = False
    journal = Journal(ctx.journal_path)
    journal.check_writable()
    if run.scp is not None and run.scp.changes:
        from revoke.aws.iam import IamGateway
        from revoke.aws.orgs import OrgsGateway
        from revoke.ops import organization

        session = ctx.aws()
        caller = IamGateway(session).caller_identity()
        orgs = OrgsGateway(session)
        organization.apply_org(orgs, run.scp)
        journal.append(organization.journal_record(run.scp, caller))
        run.journalled += 1
        if run.options.verify and run.scp.status == "applied":
            organization.verify_org(orgs, run.scp)

    def apply(work: Work) -> Work:
        if work.pipeline is None or work.result is None or not work.result.changes:
            if work.result is not None:
                work.result.dry_run = False
            return work
        try:
            work.pipeline.apply(work.result)
        except RevokeError as err:
            work.error = err.message
            work.error_code = getattr(err, "code", None) or type(err).__name__
        return work

    # Together: every account's writes in flight at once (role chain juggling re-assumes
    # between one deny and the next, IRP-STSTokenAbuse).
    run.works = map_bounded(apply, run.works, max(1, len(run.works)))
    run.journalled += sum(w.pipeline.journalled for w in run.works if w.pipeline is not None)
    if run.options.restore_changes:
        _restore_changes(ctx, run, journal)
    return run


def _restore_changes(ctx: RunContext, run: FollowRun, journal: Any) -> None:
    from revoke.aws.containment_calls import ContainmentCalls
    from revoke.aws.iam import IamGateway
    from revoke.ops.accounts import account_opener, check_role_name

    session = ctx.aws()
    caller = IamGateway(session).caller_identity()
    open_account, _ = account_opener(session, caller, check_role_name(run.options.role_name))
    for change in run.changes:
        if not change.get("restore_command"):
            continue
        target, action = change["target"], change["action"]
        there = open_account(change["account"])
        gateway = IamGateway(there)
        found: Any = None
        restored: Any = change.get("document_before")
        try:
            if action == "UpdateAssumeRolePolicy":
                calls = ContainmentCalls(there)
                found = calls.trust_document(target["roleName"])
                calls.put_trust_document(target["roleName"], restored)
            elif action in ("PutRolePolicy", "PutUserPolicy"):
                kind = "role" if action == "PutRolePolicy" else "user"
                name = target["roleName" if kind == "role" else "userName"]
                found = gateway.get_inline(kind, name, target["policyName"])
                if restored is None:
                    gateway.delete_inline(kind, name, target["policyName"])
                else:
                    gateway.put_inline(kind, name, target["policyName"], restored)
            else:
                change["restored"] = "not restored"
                change["restore_note"] = (
                    "revoke does not make this call; run the restore command by hand"
                )
                continue
            change["restored"] = "restored"
        except RevokeError as err:
            change["restored"] = "failed"
            change["restore_error"] = err.message
        journal.append(
            {
                "action": RESTORE_CHANGE,
                "actor": caller.get("arn"),
                "account": change["account"],
                "target": {k: v for k, v in target.items() if k != "what"},
                "status": "applied" if change["restored"] == "restored" else "failed",
                "cutoff": run.options.cutoff,
                "change": change["action"],
                "evidence": change.get("evidence"),
                "found": found,
                "restored_document": restored,
                "error": change.get("restore_error"),
            }
        )
        run.journalled += 1


def run_follow(
    ctx: RunContext,
    credential: str,
    options: FollowOptions,
    *,
    dry_run: bool,
    confirm: Callable[[str], bool],
    owner: TargetName | None = None,
    leaked_key: str | None = None,
    source: TrailSource | None = None,
    session: AwsSession | None = None,
) -> FollowRun:
    """Plan everything, ask once, write everything."""
    if not dry_run:
        from revoke.state.journal import Journal

        Journal(ctx.journal_path).check_usable()
    run = plan_follow(
        ctx, credential, options, owner=owner, leaked_key=leaked_key, source=source, session=session
    )
    if dry_run or run.changes_planned == 0:
        if not dry_run:
            run.dry_run = False
            for work in run.works:
                if work.result is not None:
                    work.result.dry_run = False
        return run
    if not confirm(
        f"Contain what {credential} reached, sessions issued before {options.cutoff}: "
        f"{run.describe()}?"
    ):
        run.warnings.append("declined at the prompt: nothing was changed")
        return run
    apply_follow(ctx, run)
    if run.journalled:
        ctx.say(f"journalled {run.journalled} change(s) to {ctx.journal_path}")
    return run
