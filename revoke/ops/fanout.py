"""Fan-out: the same revocation in many accounts, by assuming a role in each.

In a breach the same identity (or attacker) often reaches many accounts, and AWS's
playbooks ask for containment in all of them at once. For every account: assume
`--assume-role-name` (default `OrganizationAccountAccessRole`, the role AWS Organizations
creates in the accounts it creates), then run exactly the single-account flow (plan ->
apply -> verify -> journal) with a gateway on that session. Plans for every account come
first, so one confirmation covers the whole run.

Bounded concurrency at two levels: `account_workers` accounts at a time, each with its own
`max_workers` IAM calls (IAM throttles per account, fact 19, so accounts do not share a
budget). An account whose role cannot be assumed is that account's `failed` entry with the
AWS error; the others go on, and the run exits 4 (partial).

The account the caller's credentials belong to is served by those credentials, without
assuming a role: OrganizationAccountAccessRole does not exist in the management account.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.output import DECLINED
from revoke.core.plan import STATUS_FAILED
from revoke.errors import ExitCode, RevokeError
from revoke.ops.accounts import (
    ACCOUNT_DONE,
    ACCOUNT_FAILED,
    ACCOUNT_SKIPPED,
    DEFAULT_ACCOUNT_WORKERS,
    DEFAULT_ROLE_NAME,
    AccountOutcome,
    account_opener,
    check_role_name,
    choose_accounts,
    failed_outcome,
    parse_accounts,
    read_accounts_file,
)

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession
    from revoke.core.names import TargetName
    from revoke.ops.context import RunContext
    from revoke.ops.pipeline import Pipeline
    from revoke.ops.revocation import RunResult


__all__ = [
    "ACCOUNT_DONE",
    "ACCOUNT_FAILED",
    "ACCOUNT_SKIPPED",
    "AccountOutcome",
    "FanOutOptions",
    "FanOutResult",
    "check_role_name",
    "parse_accounts",
    "run_fanout",
]


@dataclass
class FanOutResult:
    action: str
    dry_run: bool
    cutoff: str
    accounts: list[AccountOutcome]
    warnings: list[str] = field(default_factory=list)

    @property
    def results(self) -> list[RunResult]:
        return [o.result for o in self.accounts if o.result is not None]

    @property
    def changes(self) -> bool:
        return any(r.changes for r in self.results)

    def to_json(self) -> dict[str, Any]:
        targets: list[dict[str, Any]] = []
        warnings = list(self.warnings)
        for outcome in self.accounts:
            if outcome.result is None:
                continue
            data = outcome.result.to_json()
            for target in data["targets"]:
                target["account"] = target.get("account") or outcome.account
                targets.append(target)
            warnings.extend(f"{outcome.account}: {w}" for w in data["warnings"])
        return {
            "action": self.action,
            "dry_run": self.dry_run,
            "cutoff": self.cutoff,
            "targets": targets,
            "accounts": [o.to_json() for o in self.accounts],
            "warnings": warnings,
        }

    def exit_code(self) -> ExitCode:
        failed_accounts = [o for o in self.accounts if o.status == ACCOUNT_FAILED]
        rows = [t for r in self.results for t in r.targets]
        failed_rows = [t for t in rows if t.status == STATUS_FAILED]
        if not rows and any(o.absent for o in self.accounts):
            return ExitCode.AWS_FAILURE  # the target exists in none of the accounts reached
        if not failed_accounts and not failed_rows:
            return max((r.exit_code() for r in self.results), default=ExitCode.OK)
        if len(failed_rows) < len(rows):
            return ExitCode.PARTIAL  # some accounts (or targets) failed, the others applied
        if not failed_accounts:  # every target failed: the single-account rule decides
            codes = {r.exit_code() for r in self.results}
            return codes.pop() if len(codes) == 1 else ExitCode.AWS_FAILURE
        if not rows and all(o.error_code == "NoCredentials" for o in failed_accounts):
            return ExitCode.NO_CREDENTIALS
        return ExitCode.AWS_FAILURE


def plan_accounts(
    accounts: Sequence[str],
    *,
    open_account: Callable[[str], AwsSession],
    plan: Callable[[str, AwsSession], RunResult],
    account_workers: int = DEFAULT_ACCOUNT_WORKERS,
    names: dict[str, str] | None = None,
    role_arn: Callable[[str], str | None] = lambda _account: None,
    on_done: Callable[[AccountOutcome], None] | None = None,
) -> tuple[list[AccountOutcome], dict[str, AwsSession]]:
    """Open a session in every account and plan there (read-only calls only)."""
    from revoke.ops.pool import map_bounded

    sessions: dict[str, AwsSession] = {}

    def one(account: str) -> AccountOutcome:
        outcome = AccountOutcome(
            account=account, name=(names or {}).get(account), role_arn=role_arn(account)
        )
        try:
            session = open_account(account)
            sessions[account] = session
            result = plan(account, session)
        except RevokeError as err:
            return failed_outcome(outcome, err)
        outcome.absent = [t.name for t in result.targets if t.error_code == "NoSuchEntity"]
        result.targets = [t for t in result.targets if t.error_code != "NoSuchEntity"]
        outcome.result = result
        return outcome

    outcomes = map_bounded(one, list(accounts), account_workers, on_done)
    return outcomes, sessions


def apply_accounts(
    outcomes: Sequence[AccountOutcome],
    sessions: dict[str, AwsSession],
    *,
    apply: Callable[[str, AwsSession, RunResult], RunResult],
    account_workers: int = DEFAULT_ACCOUNT_WORKERS,
) -> None:
    """Apply (and verify, and journal) every account's plan that has changes."""
    from revoke.ops.pool import map_bounded

    def one(outcome: AccountOutcome) -> AccountOutcome:
        if outcome.result is None or not outcome.result.changes:
            return outcome
        try:
            outcome.result = apply(outcome.account, sessions[outcome.account], outcome.result)
        except RevokeError as err:
            return failed_outcome(outcome, err)
        return outcome

    map_bounded(one, list(outcomes), account_workers)


# -- `revoke user|role NAME --accounts ...` ---------------------------------------------------


@dataclass
class FanOutOptions:
    kind: str
    targets: Sequence[TargetName]
    cutoff: str
    dry_run: bool = False
    force: bool = False
    verify: bool = True
    max_workers: int = 8
    account_workers: int = DEFAULT_ACCOUNT_WORKERS
    role_name: str = DEFAULT_ROLE_NAME
    all_principals: bool = False
    deactivate_keys: bool = False
    disable_console: bool = False
    deadline: float = 300.0


class AccountRun:
    """One revocation pipeline (revoke.ops.pipeline) per account of a fan-out, on that
    account's session. One recorder per account: its journal records name it."""

    def __init__(self, g: RunContext, options: FanOutOptions) -> None:
        self.g = g
        self.options = options
        self.pipelines: dict[str, Pipeline] = {}

    def targets_for(self, account: str) -> list[TargetName]:
        # A target given as an ARN belongs to the account its ARN names, and only there.
        return [t for t in self.options.targets if t.account in (None, account)]

    def plan(self, account: str, session: AwsSession) -> RunResult:
        from revoke.ops.containment import ContainmentOptions
        from revoke.ops.pipeline import Pipeline, Request

        o = self.options
        request = Request(
            o.kind,
            self.targets_for(account),
            o.cutoff,
            force=o.force,
            verify=o.verify,
            max_workers=o.max_workers,
            all_principals=o.all_principals,
            containment=ContainmentOptions(o.deactivate_keys, o.disable_console),
            deadline=o.deadline,
        )
        pipeline = self.pipelines[account] = Pipeline(self.g, session, request)
        result = pipeline.plan()
        self.g.say(f"{account}: planned {len(result.changes)} change(s) of {len(pipeline.targets)}")
        return result

    def apply(self, account: str, session: AwsSession, result: RunResult) -> RunResult:
        pipeline = self.pipelines[account]
        pipeline.apply(result)
        self.g.say(f"{account}: journalled {pipeline.journalled} change(s)")
        return result


def run_fanout(
    g: RunContext,
    options: FanOutOptions,
    *,
    accounts: Sequence[str] = (),
    accounts_file: str | None = None,
    all_accounts: bool = False,
    confirm: Callable[[FanOutResult], bool] | None = None,
) -> FanOutResult:
    """Plan in every account, one confirmation, then apply everywhere. Per-account errors
    (the role cannot be assumed, AccessDenied) are that account's entry; the run goes on.
    `confirm`: the question, asked with the whole plan (the CLI shows it first)."""
    from revoke.aws.iam import IamGateway

    # Bad input stops here, before any call (exit 2).
    listed = parse_accounts(accounts, read_accounts_file(accounts_file) if accounts_file else None)
    session = g.aws()
    caller = IamGateway(session).caller_identity()  # 253 here when credentials are bad
    chosen, skipped_accounts, names = choose_accounts(
        session, listed=listed, all_accounts=all_accounts
    )
    open_account, role_arn = account_opener(session, caller, options.role_name)
    flow = AccountRun(g, options)
    g.say(
        f"planning: {len(options.targets) or 'every'} {options.kind}(s) in {len(chosen)} "
        f"account(s) through {options.role_name}, cutoff {options.cutoff}"
    )
    outcomes, sessions = plan_accounts(
        chosen,
        open_account=open_account,
        plan=flow.plan,
        account_workers=options.account_workers,
        names=names,
        role_arn=role_arn,
    )
    # dry_run says what was asked for, also when nothing needed changing or the prompt
    # was declined.
    run = FanOutResult("revoke", options.dry_run, options.cutoff, [*outcomes, *skipped_accounts])
    home = caller.get("account")
    if not all_accounts and home and home not in chosen:
        # The list is exactly what the responder typed: say what that leaves out.
        named = "/".join(
            option
            for option, given in (("--accounts", accounts), ("--accounts-file", accounts_file))
            if given
        )
        run.warnings.append(f"the caller's account {home} is not in {named}: nothing changes there")
    for outcome in run.accounts:
        if outcome.status == ACCOUNT_FAILED:
            run.warnings.append(f"account {outcome.account}: not reached: {outcome.error}")
    nowhere = set.intersection(*[set(o.absent) for o in outcomes]) if outcomes else set()
    if nowhere and all(o.status == ACCOUNT_DONE for o in outcomes):
        run.warnings.append(
            f"{options.kind} {', '.join(sorted(nowhere))} exists in none of the "
            f"{len(outcomes)} account(s) reached"
        )
    if options.dry_run or not run.changes:
        return run
    from revoke.state.journal import Journal

    Journal(g.journal_path).check_writable()  # evidence first: no journal, no change
    count = sum(len(r.changes) for r in run.results)
    reached = sum(1 for r in run.results if r.changes)
    if not (
        confirm(run)
        if confirm is not None
        else g.confirm(
            f"Write the deny for sessions issued before {options.cutoff} to {count} "
            f"{options.kind}(s) in {reached} account(s)?"
        )
    ):
        run.warnings.append(DECLINED)
        return run
    apply_accounts(outcomes, sessions, apply=flow.apply, account_workers=options.account_workers)
    return run
