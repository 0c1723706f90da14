"""`revoke lift user|role NAME` (undo from the journal) and `revoke gc` (remove dead denies)."""

from __future__ import annotations

from typing import Any

import typer

from revoke.cli.caller import say_acting_as
from revoke.cli.context import Globals, get_globals
from revoke.cli.render import emit
from revoke.core.output import DECLINED
from revoke.errors import ExitCode

lift_app = typer.Typer(
    help="Undo a revocation recorded in the journal: restore the previous document or remove "
    "ours, reactivate the keys it deactivated.",
    no_args_is_help=True,
)

LIFT_COLUMNS = ["kind", "name", "status", "policy", "restores", "keys", "detail"]
GC_COLUMNS = ["kind", "name", "policy_name", "cutoff", "removable_after", "status", "detail"]


def _session(g: Globals) -> tuple[Any, dict[str, str]]:
    from revoke.aws.iam import IamGateway

    gateway = IamGateway(g.aws())
    return gateway, say_acting_as(g, gateway.caller_identity())


def _lift_row(plan: Any) -> dict[str, Any]:
    from revoke.core.policy import existing_cutoff

    restored = plan.restored_document
    if plan.policy_action == "remove":
        restores = "nothing (ours removed)"
    elif plan.policy_action == "restore":
        cutoff = existing_cutoff(restored)
        restores = f"previous document (cutoff {cutoff})" if cutoff else "previous document"
    else:
        restores = "-"
    keys = [s for s in plan.containment if str(s.get("action", "")).startswith("reactivate_")]
    return {
        "kind": plan.kind,
        "name": plan.name,
        "status": plan.status,
        "policy": plan.policy_action,
        "restores": restores,
        "keys": ", ".join(
            f"{s.get('access_key_id') or s.get('credential_id')} {s['result']}" for s in keys
        )
        or "-",
        "detail": plan.error or plan.reason,
    }


def _lift_command(kind: str):  # noqa: ANN202 - Typer builds the signature
    def command(
        ctx: typer.Context,
        name: str = typer.Argument(..., help=f"{kind.title()} name or ARN."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Read-only: print the plan."),
        force: bool = typer.Option(
            False,
            "--force",
            help="Lift even when the document changed since revoke wrote it (the change "
            "someone made is replaced by the journal's previous document).",
        ),
    ) -> None:
        from revoke.core.names import parse_target
        from revoke.ops.lift import lift_target
        from revoke.state.journal import Journal

        g = get_globals(ctx)
        target = parse_target(kind, name)
        gateway, actor = _session(g)
        journal = Journal(g.journal_path)
        if not dry_run:
            journal.check_writable()

        from revoke.cli import plan_view

        shown: list[str] = []

        def confirm(plan: Any) -> bool:
            # What goes back into IAM, in full, and what stays, before the question.
            shown.extend(plan_view.show(g, plan_view.lift_plan_lines(plan)))
            return g.confirm(plan_view.lift_question(plan))

        plan = lift_target(
            gateway,
            journal,
            kind,
            target.name,
            actor=actor,
            dry_run=dry_run,
            force=force,
            confirm=confirm,
        )
        if plan.status == "planned" and not dry_run:
            plan.notes.append(DECLINED)
        payload = {
            "action": "lift",
            "dry_run": dry_run,
            "targets": [plan.to_json()],
            "warnings": list(plan.notes),
        }
        warnings = plan_view.unsaid(plan.notes, shown)
        emit(g, payload, [_lift_row(plan)], LIFT_COLUMNS, title="lift", warnings=warnings)
        if plan.status == "failed":
            raise typer.Exit(int(ExitCode.AWS_FAILURE))
        if plan.status == "skipped":
            # Changed since the plan: refused like a change found while planning (exit 2).
            raise typer.Exit(int(ExitCode.BAD_INPUT))

    command.__doc__ = (
        f"Undo the journalled revocation of a {kind}: restore the document that was there "
        "before, or remove ours"
        + (
            "; reactivate the keys, service-specific credentials, SSH keys and signing "
            "certificates it deactivated, and say what cannot be restored (console "
            "password, MFA devices, sign-in sessions)."
            if kind == "user"
            else "; remove the statement --lock-trust added to the trust policy."
        )
    )
    return command


def gc(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Read-only: print what would go."),
    margin: str = typer.Option(
        "1h", "--margin", help="Wait this long past the last token's expiry (propagation, clocks)."
    ),
    use_max_session_duration: bool = typer.Option(
        False,
        "--use-max-session-duration",
        help="Roles: wait the role's MaxSessionDuration instead of 12 h. Only safe when no EC2 "
        "instance or console sign-in URL uses the role (their sessions ignore that setting).",
    ),
    max_workers: int = typer.Option(8, "--max-workers", min=1, max=64, help="Concurrent calls."),
) -> None:
    """Remove revocation policies that can no longer deny anything: every token issued
    before their cutoff has expired (36 h for users, 12 h for roles, plus --margin)."""
    from datetime import datetime, timezone

    from revoke.core.timeparse import parse_duration
    from revoke.ops.gc import apply_gc, gc_warnings, plan_gc
    from revoke.state.journal import Journal

    g = get_globals(ctx)
    margin_seconds = parse_duration(margin)
    gateway, actor = _session(g)
    journal = Journal(g.journal_path)
    now = datetime.now(timezone.utc)
    items = plan_gc(
        gateway,
        journal,
        account=actor.get("account"),
        now=now,
        margin=margin_seconds,
        use_max_session_duration=use_max_session_duration,
        max_workers=max_workers,
    )
    planned = [i for i in items if i.status == "planned"]
    warnings: list[str] = []
    if planned and not dry_run:
        if g.confirm(f"Remove {len(planned)} revocation polic(ies) that no longer deny anything?"):
            journal.check_writable()  # evidence first: no journal, no change
            apply_gc(gateway, journal, items, actor=actor, margin=margin_seconds)
        else:
            warnings.append(DECLINED)
    warnings += gc_warnings(items)
    removed = [i for i in items if i.status == "removed"]
    if removed:
        g.say(f"journalled {len(removed)} removal(s) to {journal.path}")
    payload = {
        "action": "gc",
        "dry_run": dry_run,
        "now": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "margin_seconds": margin_seconds,
        "targets": [i.to_json() for i in items],
        "warnings": warnings,
    }
    rows = [{**i.to_json(), "detail": i.error or i.reason} for i in items]
    emit(g, payload, rows, GC_COLUMNS, title="revocation policies", warnings=warnings)
    failed = [i for i in items if i.status == "failed"]
    if failed:
        code = ExitCode.PARTIAL if removed else ExitCode.AWS_FAILURE
        raise typer.Exit(int(code))


def register(app: typer.Typer) -> None:
    lift_app.command("user")(_lift_command("user"))
    lift_app.command("role")(_lift_command("role"))
    app.add_typer(lift_app, name="lift")
    app.command("gc")(gc)
