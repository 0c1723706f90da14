"""The run, carried out: the SCP first (when asked), every pipeline together, then the
changes restored (when asked, journalled as "restore-change"); and `run_follow`, the whole
of it: plan, one confirmation, apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from revoke.errors import RevokeError
from revoke.ops.follow.changes import RESTORE_CHANGE
from revoke.ops.follow.options import FollowOptions
from revoke.ops.follow.plan import FollowRun, plan_follow
from revoke.ops.follow.targets import Work

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession
    from revoke.aws.trail_sources import TrailSource
    from revoke.core.names import TargetName
    from revoke.ops.context import RunContext


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
