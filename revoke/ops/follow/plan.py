"""The run, planned: trace, choose the targets per account, plan every pipeline
(read-only), and what the run reports (`FollowRun`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.names import TargetName
from revoke.core.plan import TargetPlan
from revoke.core.sessiondeny import SessionScope
from revoke.errors import ExitCode, RevokeError
from revoke.ops.follow.changes import _describe_target, find_before, restore_command
from revoke.ops.follow.options import SCOPE_ROLE, SCOPE_SESSION, FollowOptions, check_scope
from revoke.ops.follow.sessions import SessionPipeline
from revoke.ops.follow.targets import Work, reached_from, works_for
from revoke.ops.pipeline import Pipeline, Request

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession
    from revoke.aws.trail_sources import TrailSource
    from revoke.core.scp import ScpPlan
    from revoke.ops.context import RunContext
    from revoke.ops.trace import TraceReport


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
    trace_options = TraceOptions(credential, **options.reading())
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
