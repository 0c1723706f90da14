"""`revoke verify user|role NAME` and `revoke status [user|role NAME]`."""

from __future__ import annotations

import typer

from revoke.cli.context import get_globals
from revoke.cli.render import emit
from revoke.core.names import parse_target
from revoke.core.output import TARGET_COLUMNS, target_rows
from revoke.errors import BadInput

KINDS = ("user", "role")
STATUS_COLUMNS = ["kind", "name", "account", "policy_name", "cutoff", "mechanism"]

VERIFY_HELP = """Prove the revocation in force on a user or role, in three layers: read-back
of the policy, its logic (evaluator, and the IAM policy simulator where the endpoint has
it), and enforcement (with --probe-profile: a harmless call, polled until AWS denies it).

Exit 0 verified; 3 not confirmed before the deadline, or contradicted; 254 the principal
does not exist or holds no revocation policy."""


def _kind(kind: str) -> str:
    lowered = kind.lower()
    if lowered not in KINDS:
        raise BadInput(f"{kind!r} is not user or role", hint="revoke verify user NAME")
    return lowered


def verify_command(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="user or role"),
    name: str = typer.Argument(..., help="Name or ARN of the principal."),
    probe_profile: str = typer.Option(
        None,
        "--probe-profile",
        help="Profile holding a session issued before the cutoff, to poll with.",
    ),
    deadline: str = typer.Option(
        "300", "--deadline", help="How long the probe may wait for the deny: 300, 5m."
    ),
) -> None:
    from revoke.ops.probing import open_probe, parse_deadline
    from revoke.ops.verify import verify_in_force

    g = get_globals(ctx)
    target = parse_target(_kind(kind), name)
    seconds = parse_deadline(deadline)
    probe = open_probe(g, probe_profile, [target]) if probe_profile else None

    from revoke.aws.iam import IamGateway

    result = verify_in_force(
        g,
        IamGateway(g.aws()),
        target.kind,
        target.name,
        account=target.account,
        probe=probe,
        deadline=seconds,
    )
    payload = result.to_json()
    emit(
        g,
        payload,
        target_rows(payload, layers=g.output == "table"),
        TARGET_COLUMNS,
        title=f"verification: sessions before {result.cutoff}",
        warnings=payload["warnings"],
    )
    code = result.exit_code()
    if code:
        raise typer.Exit(int(code))


def status_command(
    ctx: typer.Context,
    kind: str = typer.Argument(None, help="user or role (default: every one)"),
    name: str = typer.Argument(None, help="Name or ARN of the principal."),
    all_accounts: bool = typer.Option(
        False,
        "--all-accounts",
        help="Every active account of the organization (through --assume-role-name), and "
        "the organization's RevokeOlderSessions SCP.",
    ),
    assume_role_name: str = typer.Option(
        "OrganizationAccountAccessRole",
        "--assume-role-name",
        help="Role to assume in each account with --all-accounts.",
    ),
) -> None:
    """The revocation policies in force and their cutoffs: of one principal, or of every
    user and role in the account (or, with --all-accounts, in the organization)."""
    from revoke.aws.iam import IamGateway
    from revoke.aws.policies import account_revocations, principal_revocations

    g = get_globals(ctx)
    if all_accounts:
        from revoke.cli.org_cmd import org_status_command

        org_status_command(g, kind, name, assume_role_name)
        return
    if kind is not None and name is None:
        raise BadInput(f"name the {kind}", hint=f"revoke status {kind} NAME, or revoke status")
    gateway = IamGateway(g.aws())
    if kind is None:
        from revoke.cli.progress import Progress

        # Every user's and role's policies: 10-50 s in a large account, so the clock runs.
        with Progress("reading users and roles", None) as progress:
            found = account_revocations(gateway, on_read=progress.add)
    else:
        target = parse_target(_kind(kind), name)
        found = principal_revocations(gateway, target.kind, target.name)
    none = "no revocation in force" + (f" on {kind} {name}" if kind else " in this account")
    if not found and g.output != "table":  # a table says it itself, in one line
        g.say(none)
    emit(
        g,
        {"action": "status", "targets": found},
        found,
        STATUS_COLUMNS,
        title="revocations",
        empty=none,
    )


def register(app: typer.Typer) -> None:
    app.command("verify", help=VERIFY_HELP)(verify_command)
    app.command("status")(status_command)
