"""`--follow` on `revoke key|user|role` (issue 16): trace the credential, contain what it
reached (revoke.ops.follow), print the result. Shared by key_cmd.py and revoke_cmd.py."""

from __future__ import annotations

import typer

from revoke.cli.context import Globals
from revoke.errors import BadInput

FOLLOW_HELP = (
    "Trace what the credential did (revoke trace) and contain all of it in this run: the "
    "attacker's sessions of every role reached, keys it created, users and passwords it "
    "made; changed policies are reported with the command that restores them."
)
SCOPE_HELP = (
    "With --follow: session (default) denies only the attacker's sessions of each role "
    "reached (aws:userid); role denies all of the role's sessions."
)
RESTORE_HELP = "With --follow: also restore the trust and inline policies the attacker changed."
ORG_SCP_HELP = "With --follow: write the organization SCP deny first (revoke org)."


def run_follow_command(
    g: Globals,
    credential: str,
    *,
    cutoff: str,
    owner: object | None,
    leaked_key: str | None,
    dry_run: bool,
    verify: bool,
    scope: str,
    restore_changes: bool,
    org_scp: bool,
    since: str | None = None,
    accounts: list[str] | None = None,
    role_name: str | None = None,
    force: bool = False,
    deadline: float = 300.0,
    details: dict[str, object] | None = None,
) -> None:
    """`--follow` on revoke key|user|role: revoke.ops.follow, then print its result."""
    from revoke.cli.render import emit
    from revoke.core.names import TargetName
    from revoke.core.output import TARGET_COLUMNS, target_rows
    from revoke.ops.accounts import DEFAULT_ROLE_NAME
    from revoke.ops.follow import FollowOptions, check_scope, run_follow

    assert owner is None or isinstance(owner, TargetName)
    options = FollowOptions(
        cutoff=cutoff,
        scope=check_scope(scope),
        since=since,
        accounts=accounts or (),
        role_name=role_name or DEFAULT_ROLE_NAME,
        restore_changes=restore_changes,
        org_scp=org_scp,
        verify=verify,
        force=force,
        deadline=deadline,
    )
    run = run_follow(
        g,
        credential,
        options,
        dry_run=dry_run,
        confirm=g.confirm,
        owner=owner,
        leaked_key=leaked_key,
    )
    payload = run.to_json()
    if details:
        payload.update(details)
    rows = [] if g.output == "json" else target_rows(payload)
    title = f"{'plan' if run.dry_run else 'follow'}: what {credential} reached, before {cutoff}"
    emit(g, payload, rows, TARGET_COLUMNS, title=title, warnings=payload["warnings"])
    code = run.exit_code()
    if code:
        raise typer.Exit(int(code))


def follow_principal(
    g: Globals,
    kind: str,
    names: list[str],
    *,
    before: str,
    dry_run: bool,
    verify: bool,
    scope: str,
    allow_future: bool,
    restore_changes: bool,
    org_scp: bool,
    accounts: list[str] | None,
    role_name: str | None,
) -> None:
    """`revoke user|role NAME --follow`: the same run, traced from the principal's ARN."""
    from revoke.aws.iam import IamGateway
    from revoke.core.names import parse_target
    from revoke.core.timeparse import parse_cutoff
    from revoke.ops.accounts import parse_accounts

    if len(names) != 1:
        raise BadInput(f"--follow traces one {kind} at a time", hint=f"revoke {kind} NAME --follow")
    cutoff = parse_cutoff(before, now=g.now(), allow_future=allow_future)
    listed = parse_accounts(accounts or [])
    target = parse_target(kind, names[0])
    account = target.account or IamGateway(g.aws()).caller_identity()["account"]
    partition = "aws"
    arn = f"arn:{partition}:iam::{account}:{kind}/{target.name}"
    run_follow_command(
        g,
        arn,
        cutoff=cutoff,
        owner=type(target)(kind, target.name, account),
        leaked_key=None,
        dry_run=dry_run,
        verify=verify,
        scope=scope,
        restore_changes=restore_changes,
        org_scp=org_scp,
        accounts=listed,
        role_name=role_name,
    )
