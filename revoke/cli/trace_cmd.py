"""`revoke trace KEY_ID|ARN`: the tree of what a credential did, from CloudTrail. Read-only."""

from __future__ import annotations

import typer

from revoke.cli.context import get_globals
from revoke.cli.render import write_json

HELP = """The tree of what a credential did, from CloudTrail, read-only: what matters for
containment. Sessions it minted (AssumeRole, AssumeRoleWithSAML/WebIdentity,
GetFederationToken, GetSessionToken) and, recursively, what those sessions minted, in every
account reached through the fan-out role; credentials and principals it created or changed
(access keys, users, console passwords, service-specific credentials, SSH keys, MFA
devices, trust policies, roles, inline and attached policies, OIDC and SAML providers, Roles
Anywhere trust anchors and profiles). A cross-account AssumeRole logged in both accounts is
one node; role chain juggling (roles re-assuming each other) is one "loop" node listing
every session it cycled through.

Events: --events lookup (default) asks LookupEvents in every region in parallel, 2 requests
a second per account and region, last 90 days
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html);
--events lake:EVENT_DATA_STORE_ID or athena:DATABASE.TABLE [--workgroup W] query the
organization trail instead, one query per level of the walk.

JSON keys: action ("trace"), credential, credential_kind, since, events_source, complete,
lookups; tree: a node {kind: credential|session|loop|foothold, id, action, account,
principal, evidence: [{event_id, event_name, time, region, account, shared_event_id}],
children: [...]}, sessions add role_arn, session_name, userid (aws:userid), access_key_id;
loops add roles, sessions, session_count; footholds add target; summary: sessions, loops,
footholds, events, refused_attempts, accounts, regions, roles [{role_arn, account,
userids}], user_sessions, access_keys_created, users_created, changed; sources: one per
account and region (or query) with status answered|refused|unavailable, error, calls,
events; warnings. Records are read in the fields CloudTrail documents
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).

Exit 0 every source answered; 4 some did not (the tree holds what the others logged, each
refusal listed); 254 none answered; 2 bad input."""


def trace_command(
    ctx: typer.Context,
    credential: str = typer.Argument(..., help="Access key ID (AKIA.../ASIA...) or ARN."),
    since: str = typer.Option(
        None, "--since", help="Only events at or after WHEN (default: 90 days ago)."
    ),
    regions: str = typer.Option(
        "all", "--regions", help="all (every enabled region) or us-east-1,eu-west-1 (lookup)."
    ),
    events: str = typer.Option(
        "lookup", "--events", help="lookup, lake:EVENT_DATA_STORE_ID or athena:DATABASE.TABLE."
    ),
    workgroup: str = typer.Option(None, "--workgroup", help="Athena workgroup (athena only)."),
    accounts: list[str] = typer.Option(  # noqa: B008 - typer's way
        [], "--accounts", help="Also look for the credential in these accounts (comma-separated)."
    ),
    role_name: str = typer.Option(
        "OrganizationAccountAccessRole",
        "--assume-role-name",
        help="Role assumed in other accounts to read their CloudTrail.",
    ),
) -> None:
    from revoke.ops.trace import TraceOptions, run_trace

    g = get_globals(ctx)
    report = run_trace(
        g,
        TraceOptions(
            credential=credential,
            since=since,
            regions=regions,
            events=events,
            workgroup=workgroup,
            accounts=accounts,
            role_name=role_name,
        ),
    )
    payload = report.to_json()
    if g.query is not None:
        import sys

        from revoke.cli.query import print_query

        print_query(g.output, g.query, payload, sys.stdout)
    elif g.output == "json":
        write_json(payload)
    elif g.output == "text":
        from revoke.core.output import rows_text
        from revoke.core.trace import NODE_COLUMNS

        text = rows_text(list(report.rows()), NODE_COLUMNS)
        if text:
            typer.echo(text)
    else:
        from revoke.core.trace import tree_lines

        typer.echo("\n".join(tree_lines(payload["tree"])))
    for warning in payload["warnings"]:
        g.warn(warning)
    code = report.exit_code()
    if code:
        raise typer.Exit(int(code))


def register(app: typer.Typer) -> None:
    app.command("trace", help=HELP)(trace_command)
