"""`revoke token issue` and `revoke token inspect`.

issue prints only the credential on stdout (so `eval "$(revoke token issue --format env)"`
is safe); the expiry and hints go to stderr. inspect never prints a secret.
"""

from __future__ import annotations

import typer

from revoke.cli.context import get_globals
from revoke.cli.render import emit
from revoke.core.exportfmt import FORMATS, LOAD_HINTS, get_format
from revoke.errors import ExitCode

token_app = typer.Typer(
    help="Issue a temporary credential (GetSessionToken), or inspect one you found.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


@token_app.command("issue")
def issue(
    ctx: typer.Context,
    duration: str = typer.Option(
        None,
        "--duration",
        help="Seconds or 15m/12h/36h. IAM user: 15m-36h (default 12h); root: 15m-1h (default 1h).",
    ),
    serial_number: str = typer.Option(
        None, "--serial-number", help="MFA device: serial (GAHT12345678) or virtual device ARN."
    ),
    token_code: str = typer.Option(None, "--token-code", help="The 6-digit MFA code."),
    fmt: str = typer.Option(
        None,
        "--format",
        "-f",
        help=f"{'|'.join(FORMATS)}. Default: json, or nothing with --write-profile.",
    ),
    write_profile: str = typer.Option(
        None,
        "--write-profile",
        help="Also write the token as this profile of the credentials file.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Let --write-profile replace a profile holding long-term keys."
    ),
) -> None:
    """Issue a session token for the caller (an IAM user or the root) with GetSessionToken."""
    g = get_globals(ctx)
    export = get_format(fmt) if fmt is not None else None
    if export is None and write_profile is None:
        export = get_format("json")
    from revoke.ops.tokens import describe_issue, issue_token

    issued = issue_token(
        g,
        duration=duration,
        serial_number=serial_number,
        token_code=token_code,
        export=export,
        write_profile=write_profile,
        force=force,
    )
    if issued.output:
        typer.echo(issued.output, nl=False)
    g.say(describe_issue(issued, g.now()))
    for note in issued.notes:
        g.say(note)
    for warning in issued.warnings:
        g.warn(warning)
    if export is not None and export.name in LOAD_HINTS and g.stdin_isatty:
        g.say(f"load it with: {LOAD_HINTS[export.name]}")


@token_app.command("inspect")
def inspect(
    ctx: typer.Context,
    profile: str = typer.Option(
        None, "--profile", help="Credentials to inspect. Default: the global --profile or chain."
    ),
    admin_profile: str = typer.Option(
        None,
        "--admin-profile",
        help="Credentials that can read IAM and call GetAccessKeyInfo, for the cutoff check.",
    ),
    fresh_profile: str = typer.Option(
        None,
        "--fresh-profile",
        help="A token of the same principal issued after the cutoff: when the ledger cannot "
        "tell, the probe compares the inspected token's answer with this one's.",
    ),
) -> None:
    """What a credential is, whose, until when, and whether a revocation covers it."""
    g = get_globals(ctx)
    from revoke.ops.token_inspect import inspect_credentials, inspect_rows

    result = inspect_credentials(
        g, profile=profile or g.profile, admin_profile=admin_profile, fresh_profile=fresh_profile
    )
    payload = result.payload
    emit(
        g,
        payload,
        inspect_rows(payload),
        ["field", "value"],
        title=f"credential {payload.get('access_key_id') or '?'}",
        warnings=payload["warnings"],
    )
    if not result.usable:
        typer.echo(f"revoke: {result.problem}", err=True)
        raise typer.Exit(int(ExitCode.NO_CREDENTIALS))


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
