"""`revoke user|role NAME --accounts ...|--accounts-file F|--all-accounts`: the options and
the output of the fan-out (the flow is revoke.ops.fanout). Not a command module of its own:
revoke_cmd hands over to it when an account option is given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from revoke.cli.caller import acting_as_first
from revoke.cli.context import Globals
from revoke.cli.render import emit
from revoke.core.names import TargetName
from revoke.core.output import TARGET_COLUMNS, target_rows
from revoke.errors import BadInput

if TYPE_CHECKING:
    from revoke.ops.fanout import FanOutResult

ACCOUNTS_HELP = (
    "Only these accounts (include your own to act there too; comma-separated 12-digit IDs; "
    "repeatable)."
)
ACCOUNTS_FILE_HELP = "Account IDs from FILE (- for stdin), one or more a line."
ALL_ACCOUNTS_HELP = "Every active account of the organization (organizations:ListAccounts)."
ROLE_HELP = "Role to assume in each account."
ACCOUNT_WORKERS_HELP = "Accounts worked on at once (each with its own --max-workers)."


def wants_fanout(accounts: list[str] | None, accounts_file: str | None, all_accounts: bool) -> bool:
    return bool(accounts or accounts_file or all_accounts)


def run_fanout_command(
    g: Globals,
    kind: str,
    targets: list[TargetName],
    *,
    before: str,
    accounts: list[str] | None,
    accounts_file: str | None,
    all_accounts: bool,
    role_name: str,
    account_workers: int,
    dry_run: bool,
    offline: bool,
    force: bool,
    verify: bool,
    allow_future: bool,
    max_workers: int,
    all_principals: bool,
    probe_profile: str | None,
    deadline: str,
    deactivate_keys: bool,
    disable_console: bool,
) -> None:
    import time

    from revoke.core.timeparse import parse_cutoff
    from revoke.ops.fanout import FanOutOptions, check_role_name, run_fanout
    from revoke.ops.probing import parse_deadline

    started = time.monotonic()
    cutoff = parse_cutoff(before, now=g.now(), allow_future=allow_future)
    if offline:
        raise BadInput(
            "--offline makes no AWS call, so it cannot reach other accounts",
            hint="drop --accounts/--all-accounts to render the policy, or use --dry-run",
        )
    if probe_profile:
        raise BadInput(
            "--probe-profile proves one principal in one account: it does not fan out",
            hint=f"after the run: revoke verify {kind} NAME --probe-profile P in that account",
        )
    options = FanOutOptions(
        kind=kind,
        targets=targets,
        cutoff=cutoff,
        dry_run=dry_run,
        force=force,
        verify=verify,
        max_workers=max_workers,
        account_workers=account_workers,
        role_name=check_role_name(role_name),
        all_principals=all_principals,
        deactivate_keys=deactivate_keys,
        disable_console=disable_console,
        deadline=parse_deadline(deadline),
    )
    from revoke.cli import plan_view

    shown: list[str] = []

    def confirm(run: FanOutResult) -> bool:
        # Per account, each principal and what happens to it, before the question.
        shown.extend(plan_view.show(g, plan_view.fanout_plan_lines(run, kind, options.role_name)))
        return g.confirm(plan_view.fanout_question(run, kind))

    with acting_as_first(g):
        run = run_fanout(
            g,
            options,
            accounts=accounts or [],
            accounts_file=accounts_file,
            all_accounts=all_accounts,
            confirm=confirm,
        )
    payload: dict[str, Any] = run.to_json()
    title = f"{'plan' if run.dry_run else 'revocation'}: sessions before {cutoff}"
    emit(
        g,
        payload,
        target_rows(payload, layers=g.output == "table"),
        TARGET_COLUMNS,
        title=title,
        warnings=plan_view.unsaid(payload["warnings"], shown),
    )
    if g.output != "json":
        for account in payload["accounts"]:
            detail = account["error"] or ", ".join(
                f"{n} {s}" for s, n in account["targets"].items()
            )
            g.say(f"account {account['account']}: {account['status']}: {detail or '-'}")
    from revoke.cli.plan_view import summary_line
    from revoke.ops.revocation import RunResult

    every = RunResult(
        action=run.action,
        dry_run=run.dry_run,
        cutoff=cutoff,
        targets=[t for r in run.results for t in r.targets],
        actor={"fanout": "yes"},  # not --offline
    )
    line = summary_line(every, kind, time.monotonic() - started)
    g.say(f"{line} (across {len(payload['accounts'])} account(s))")
    code = run.exit_code()
    if code:
        raise typer.Exit(int(code))
