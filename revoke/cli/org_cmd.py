"""`revoke org` and `revoke lift org`: one SCP denying older sessions in every account."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

from revoke.cli.caller import say_acting_as
from revoke.cli.context import Globals, get_globals
from revoke.cli.render import emit
from revoke.core.output import DECLINED
from revoke.core.timeparse import parse_cutoff

if TYPE_CHECKING:
    # The SCP planner is read when `revoke org` runs, not at every command's start-up.
    from revoke.core.scp import ScpPlan

ORG_COLUMNS = [
    "kind",
    "name",
    "status",
    "cutoff",
    "previous_cutoff",
    "exempt",
    "accounts",
    "verification",
    "detail",
]
LIFT_COLUMNS = ["kind", "name", "status", "steps", "detail"]


def _rows(plan: ScpPlan) -> list[dict[str, Any]]:
    return [
        {
            "kind": plan.target.kind,
            "name": plan.target.id,
            "status": plan.status,
            "cutoff": plan.cutoff,
            "previous_cutoff": plan.previous_cutoff,
            "exempt": ", ".join(plan.exemptions) or None,
            "accounts": len(plan.covered_accounts),
            "verification": plan.verification.get("status"),
            "detail": plan.error or plan.reason,
        }
    ]


def _finish(
    g: Globals, plan: ScpPlan, requested_cutoff: str, dry_run: bool, shown: Sequence[str] = ()
) -> None:
    """Print the result; `shown`: warnings the prompt already showed (not said twice)."""
    from revoke.cli.plan_view import unsaid
    from revoke.ops.organization import exit_code

    payload = {
        "action": "revoke",
        "dry_run": dry_run,
        "cutoff": requested_cutoff,
        "organization": {
            "id": plan.organization_id,
            "management_account": plan.management_account,
        },
        "targets": [plan.to_json()],
        "warnings": list(plan.warnings),
    }
    title = f"{'plan' if dry_run else 'organization revocation'}: sessions before {plan.cutoff}"
    warnings = unsaid(plan.warnings, shown)
    emit(g, payload, _rows(plan), ORG_COLUMNS, title=title, warnings=warnings)
    # --query prints its result alone (as revoke user|role's dry-run table does)
    if g.output == "table" and g.query is None and dry_run and plan.policy_document is not None:
        typer.echo(f"service control policy to be written ({plan.size} characters):")
        typer.echo(json.dumps(plan.policy_document, indent=2))
    code = exit_code(plan)
    if code:
        raise typer.Exit(int(code))


def _narrate(g: Globals, steps: list[dict[str, str]], verb: str) -> None:
    for step in steps:
        g.say(f"{verb}: {step['action']} {step['target']}")


def _journal_ready(g: Globals) -> None:
    """Evidence first: stop before any change when the journal cannot take a record."""
    from revoke.state.journal import Journal

    Journal(g.journal_path).check_writable()


def _journal(g: Globals, record: dict[str, Any]) -> None:
    from revoke.state.journal import Journal

    Journal(g.journal_path).append(record)


def _org_records(g: Globals) -> list[dict[str, Any]]:
    """Every target's: the one SCP is shared, so a lift weighs what the others did to it."""
    from revoke.state.journal import CHANGE_ACTIONS, Journal

    return [
        r
        for r in Journal(g.journal_path).records()
        if (r.get("target") or {}).get("kind") == "org" and r.get("action") in CHANGE_ACTIONS
    ]


def org(
    ctx: typer.Context,
    before: str = typer.Option(
        ...,
        "--before",
        "-b",
        help="Cutoff: sessions issued before it are denied in every covered account.",
    ),
    target: str = typer.Option(
        None, "--target", help="Root (r-...), OU (ou-...) or account ID. Default: the root."
    ),
    exempt_principal: list[str] = typer.Option(
        None,
        "--exempt-principal",
        help="Break-glass principal ARN the deny must not touch (repeatable; wildcards: "
        "arn:aws:iam::*:role/BreakGlass).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read-only: print the plan."),
    offline: bool = typer.Option(
        False, "--offline", help="No AWS call at all: print the rendered SCP."
    ),
    force: bool = typer.Option(
        False, "--force", help="Allow moving an existing cutoff earlier (un-revokes)."
    ),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip verification."),
    allow_future: bool = typer.Option(
        False, "--allow-future", help="Accept a cutoff in the future."
    ),
) -> None:
    """Deny sessions issued before --before in every account of the organization (an SCP)."""

    g = get_globals(ctx)
    from revoke.core.scp import parse_exemption, parse_org_target

    cutoff = parse_cutoff(before, now=g.now(), allow_future=allow_future)
    org_target = parse_org_target(target) if target else None
    exemptions = [parse_exemption(arn) for arn in exempt_principal or []]
    from revoke.ops import organization

    if offline:
        plan = organization.offline_plan(org_target, cutoff, exemptions)
        _finish(g, plan, cutoff, True)
        return

    from revoke.aws.orgs import OrgsGateway

    caller = say_acting_as(g)  # 253 here when credentials are bad
    orgs = OrgsGateway(g.aws())
    plan = organization.plan_org(orgs, caller, org_target, cutoff, exemptions, force=force)
    g.say(
        f"planning: {plan.target.kind} {plan.target.id} of organization "
        f"{plan.organization_id}, {len(plan.covered_accounts)} member account(s), "
        f"cutoff {plan.cutoff}"
    )
    # dry_run says what was asked for, also when nothing needed changing or was declined.
    if dry_run or not plan.changes:
        _narrate(g, plan.steps, "would call")
        _finish(g, plan, cutoff, dry_run)
        return
    from revoke.cli import plan_view

    shown: list[str] = []
    if plan_view.person_asked(g):  # the plan before the question, as for revoke user|role
        covered = organization.already_covered(orgs, plan)
        shown = plan_view.show(g, plan_view.org_plan_lines(plan, covered))
    if not g.confirm(plan_view.org_question(plan)):
        plan.warnings.append(DECLINED)
        _finish(g, plan, cutoff, False, shown=shown)
        return
    _journal_ready(g)
    organization.apply_org(orgs, plan)
    _narrate(g, [s for s in plan.steps if s.get("done")], "done")
    _journal(g, organization.journal_record(plan, caller))  # failed runs too: lift needs it
    if not no_verify and plan.status == "applied":
        organization.verify_org(orgs, plan)
    _finish(g, plan, cutoff, False, shown=shown)


def lift_org(
    ctx: typer.Context,
    target: str = typer.Option(
        None, "--target", help="Root, OU or account the SCP was attached to. Default: the root."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read-only: print what would change."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Lift even when the SCP changed since revoke last wrote it (the change someone "
        "made is replaced by the journal's earlier document, or deleted).",
    ),
) -> None:
    """Undo `revoke org` on one target: detach the SCP from it; the last target's lift also
    restores the previous SCP content, or deletes ours."""
    g = get_globals(ctx)
    from revoke.cli import plan_view
    from revoke.core.scp import OrgTarget, parse_org_target

    org_target = parse_org_target(target) if target else None
    from revoke.aws.orgs import OrgsGateway
    from revoke.errors import BadInput
    from revoke.ops import organization

    caller = say_acting_as(g)
    orgs = OrgsGateway(g.aws())
    if org_target is None:
        org_target = OrgTarget("root", orgs.root()["Id"])
    lift = organization.plan_lift(orgs, org_target, _org_records(g), force=force)
    if lift["status"] == "conflict":
        raise BadInput(
            f"{lift['conflict']}. Nothing was changed",
            hint=f"compare with: revoke journal show --target org/{org_target.id}; then put it "
            "right by hand, or pass --force to lift anyway",
        )
    applied = False
    shown: list[str] = []
    if not dry_run and lift["status"] == "planned":
        if plan_view.person_asked(g):  # the plan before the question
            reach = organization.lift_reach(orgs, lift)
            shown = plan_view.show(g, plan_view.org_lift_lines(lift, reach))
        if g.confirm(plan_view.org_lift_question(lift)):
            _journal_ready(g)
            organization.apply_lift(orgs, lift)
            _journal(g, organization.lift_record(lift, caller))
            applied = True
        else:
            g.say("nothing changed")
    _narrate(g, lift["steps"], "done" if applied else "would call")
    payload = {"action": "lift", "dry_run": not applied, "targets": [lift]}
    row = {
        "kind": lift["kind"],
        "name": lift["name"],
        "status": lift["status"],
        "steps": ", ".join(s["action"].split(":")[1] for s in lift["steps"]) or None,
        "detail": lift.get("error") or lift.get("reason"),
    }
    warnings = plan_view.unsaid(lift["warnings"], shown)
    emit(g, payload, [row], LIFT_COLUMNS, title="lift org", warnings=warnings)
    if lift["status"] == "failed":
        raise typer.Exit(int(organization.ExitCode.AWS_FAILURE))


def _lift_group(app: typer.Typer) -> typer.Typer:
    """The `lift` sub-app of lift_cmd when it has one, else one of our own."""
    for group in app.registered_groups:
        if group.name == "lift" and group.typer_instance is not None:
            return group.typer_instance
    lift_app = typer.Typer(help="Undo a revocation.", no_args_is_help=True)
    app.add_typer(lift_app, name="lift")
    return lift_app


def register(app: typer.Typer) -> None:
    app.command("org")(org)
    _lift_group(app).command("org")(lift_org)


STATUS_COLUMNS = ["account", "kind", "name", "policy_name", "cutoff", "mechanism"]


def org_status_command(g: Globals, kind: str | None, name: str | None, role_name: str) -> None:
    """`revoke status --all-accounts [user|role [NAME]]`: the revocations in force in every
    active account, and the organization's SCP. Exit 4 when an account could not be read."""
    from revoke.aws.iam import IamGateway
    from revoke.errors import BadInput, ExitCode
    from revoke.ops.accounts import check_role_name
    from revoke.ops.org_status import org_status

    if kind is not None and kind.lower() not in ("user", "role"):
        raise BadInput(f"{kind!r} is not user or role", hint="revoke status --all-accounts")
    session = g.aws()
    caller = IamGateway(session).caller_identity()
    payload = org_status(session, caller, role_name=check_role_name(role_name))
    if kind is not None:
        wanted = kind.lower()
        payload["targets"] = [
            t
            for t in payload["targets"]
            if t.get("kind") == wanted
            and (name is None or str(t.get("name", "")).lower() == name.lower())
        ]
    warnings = [
        f"account {a['account']}: {a['error']}"
        for a in payload["accounts"]
        if a["status"] in ("failed", "skipped")
    ]
    payload["warnings"] = warnings
    if not payload["targets"]:
        g.say("no revocation in force in the organization")
    emit(
        g,
        payload,
        payload["targets"],
        STATUS_COLUMNS,
        title=f"revocations in {len(payload['accounts'])} account(s)",
        warnings=warnings,
    )
    if any(a["status"] == "failed" for a in payload["accounts"]):
        raise typer.Exit(int(ExitCode.PARTIAL))
