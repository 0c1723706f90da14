"""`revoke residual user|role NAME | --all`: every credential path still open, read-only."""

from __future__ import annotations

import typer

from revoke.cli.context import get_globals
from revoke.cli.render import emit
from revoke.core.names import parse_target
from revoke.errors import BadInput

HELP = """Every way a principal can still get in, read-only: access keys, console password,
sessions before the cutoff, service-specific credentials (CodeCommit, Keyspaces, Bedrock API
keys), SSH public keys, signing certificates, MFA devices enabled during the incident, AWS
Sign-In sessions; for a role, its trust policy and instance profiles. Each open path comes
with the command that closes it. --all: every IAM user of the account from the credential
report and a few account-wide reads.

Exit 0 nothing open; 3 a path is open or could not be checked; 254 the principal does not
exist or AWS refused."""


def residual_command(
    ctx: typer.Context,
    kind: str = typer.Argument(None, help="user or role"),
    name: str = typer.Argument(None, help="Name or ARN of the principal."),
    all_users: bool = typer.Option(
        False, "--all", help="Every IAM user of the account, from account-wide reads."
    ),
    before: str = typer.Option(
        None,
        "--before",
        "-b",
        help="Hold the sessions to this cutoff (default: any issue-time deny in force).",
    ),
    since: str = typer.Option(
        None,
        "--since",
        help="The incident's start: MFA devices enabled at or after it are reported open "
        "(default: the cutoff).",
    ),
) -> None:
    from revoke.core.timeparse import parse_cutoff

    g = get_globals(ctx)
    cutoff = parse_cutoff(before, now=g.now()) if before else None
    start = parse_cutoff(since, now=g.now()) if since else None
    if all_users:
        if kind is not None:
            raise BadInput("--all takes no principal", hint="revoke residual --all")
        from revoke.ops.residual import account_report

        account = account_report(g, g.aws(), cutoff=cutoff, since=start)
        payload = account.to_json()
        emit(
            g,
            payload,
            account.rows(),
            _columns(),
            title="residual: every user",
            warnings=payload["warnings"],
        )
        code = account.exit_code()
    else:
        if kind is None or name is None or kind.lower() not in ("user", "role"):
            raise BadInput(
                "name a user or a role, or pass --all",
                hint="revoke residual user NAME, revoke residual role NAME, revoke residual --all",
            )
        from revoke.ops.residual import report_for

        target = parse_target(kind.lower(), name)
        report = report_for(g, g.aws(), target.kind, target.name, cutoff, since=start)
        payload = report.to_json()
        emit(
            g,
            payload,
            report.rows(),
            _columns(),
            title=f"residual: {target.kind} {target.name}",
            warnings=payload["warnings"],
        )
        code = report.exit_code()
    if code:
        raise typer.Exit(int(code))


def _columns() -> list[str]:
    # The coverage model is read only when residual runs: every command's start-up
    # imports this module (to build the command line), not the model.
    from revoke.core.coverage import ROW_COLUMNS

    return ROW_COLUMNS


def register(app: typer.Typer) -> None:
    app.command("residual", help=HELP)(residual_command)
