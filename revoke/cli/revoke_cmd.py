"""`revoke user NAME...` and `revoke role NAME...`: deny sessions issued before a cutoff.

The result is printed by revoke.cli.revoke_result, whose names are re-exported here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import typer

from revoke.cli import fanout_cmd, follow_cmd
from revoke.cli.caller import say_acting_as
from revoke.cli.context import Globals, get_globals
from revoke.cli.revoke_result import TABLE_ROWS_UP_TO as TABLE_ROWS_UP_TO
from revoke.cli.revoke_result import _finish as _finish
from revoke.cli.revoke_result import _table_rows as _table_rows
from revoke.core.names import TargetName, parse_target, read_names_file
from revoke.core.output import DECLINED
from revoke.core.timeparse import parse_cutoff
from revoke.errors import BadInput
from revoke.ops.inputs import read_text_argument

BEFORE_HELP = (
    "Cutoff: sessions issued before it are denied. now, -30m, -2h, -1d, @EPOCH, or "
    "ISO 8601 with a zone (2026-11-29T14:00:00Z). Set it at or after the attacker's latest "
    "session."
)


def collect_targets(
    kind: str, names: list[str], from_file: str | None, *, all_flag: bool = False
) -> list[TargetName]:
    raw = list(names)
    if from_file:
        raw.extend(read_names_file(read_text_argument(from_file, "one name a line")))
    if not raw and not all_flag:
        raise BadInput(
            f"no {kind} named",
            hint=f"revoke {kind} NAME --before now (or --from-file FILE)",
        )
    seen: dict[tuple[str | None, str], TargetName] = {}
    for entry in raw:
        target = parse_target(kind, entry)
        # IAM names are case-insensitive; the same name in two accounts is two targets.
        seen.setdefault((target.account, target.name.lower()), target)
    return list(seen.values())


def run_revocation(
    g: Globals,
    kind: str,
    targets: list[TargetName],
    *,
    before: str,
    dry_run: bool,
    offline: bool,
    force: bool,
    verify: bool,
    allow_future: bool,
    max_workers: int,
    all_principals: bool = False,
    probe_profile: str | None = None,
    deadline: str = "300",
    deactivate_keys: bool = False,
    disable_console: bool = False,
    deactivate_key_ids: Sequence[str] | None = None,
    details: dict[str, Any] | None = None,
    containment_flags: dict[str, Any] | None = None,
) -> None:
    """Plan, confirm, apply, verify, journal. `deactivate_key_ids`: deactivate only these
    keys (implies key containment); `details`: more keys for the JSON output."""
    import time

    started = time.monotonic()
    cutoff = parse_cutoff(before, now=g.now(), allow_future=allow_future)
    from revoke.ops import revocation
    from revoke.ops.probing import open_probe, parse_deadline

    deadline_seconds = parse_deadline(deadline)

    if offline:
        if all_principals:
            raise BadInput("--all needs to list principals: it cannot be used with --offline")
        result = revocation.offline_plan(kind, targets, cutoff)
        if deactivate_keys or disable_console:
            result.warnings.append(
                "--offline reads nothing: the keys and console password to contain are "
                "planned only by a --dry-run"
            )
        _finish(g, result, kind=kind, started=started)
        return

    if not dry_run:  # a device, a FIFO, a stranger's file: exit 2 before any AWS call
        from revoke.state.journal import Journal

        Journal(g.journal_path).check_usable()
    # A bad --probe-profile stops here, before anything changed (exit 2 or 253).
    probe = None
    if verify and probe_profile and not dry_run:
        probe = open_probe(g, probe_profile, None if all_principals else targets, cutoff=cutoff)
    from revoke.ops.containment import containment_options
    from revoke.ops.pipeline import Pipeline, Request

    request = Request(
        kind,
        targets,
        cutoff,
        force=force,
        verify=verify,
        max_workers=max_workers,
        all_principals=all_principals,
        containment=containment_options(
            containment_flags or {},
            deactivate_keys=deactivate_keys or deactivate_key_ids is not None,
            disable_console=disable_console,
            key_ids=frozenset(deactivate_key_ids) if deactivate_key_ids is not None else None,
            cutoff=cutoff,
            now=g.now(),
        ),
        deadline=deadline_seconds,
        probe=probe,
        details=dict(details or {}),
    )
    # 253 here, before anything, when credentials are bad
    pipeline = Pipeline(g, g.aws(), request, prepare_iam=True)
    if not dry_run:  # issue 14: a run that died left dangling intents: journal them first
        for line in pipeline.reconcile_dangling():
            g.say(f"reconciling the journal: {line}")
    targets = pipeline.targets
    say_acting_as(g, pipeline.actor)
    g.say(f"planning: {len(targets)} {kind}(s) in account {pipeline.account}, cutoff {cutoff}")
    g.say(f"  (to resume an interrupted run, re-run with --before {cutoff})")
    from revoke.cli.progress import Progress

    with Progress("planning", len(targets)) as progress:
        result = pipeline.plan(on_done=progress.advance)
    # What was asked for, also when nothing needed changing or the prompt was declined.
    result.dry_run = dry_run
    if dry_run or not result.changes:
        if not dry_run:  # nothing to write: what is still open is still worth saying
            with Progress("reading what is still open", None):
                pipeline.report_residual(result)
        _finish(g, result, kind=kind, started=started)
        return
    from revoke.cli import plan_view

    # A person will be asked: the plan comes first. Only the warnings it showed are not
    # said again; those past its cap (a bulk run) are printed after the run.
    shown: list[str] = []
    if plan_view.person_asked(g):
        shown = plan_view.show(g, plan_view.plan_lines(result, kind, pipeline.account))
    if not g.confirm(plan_view.question(result, kind, pipeline.account)):
        result.warnings.append(DECLINED)
        _finish(g, result, kind=kind, started=started, shown=shown)
        return
    with Progress("writing", len(result.changes)) as progress:
        pipeline.apply(result, on_done=progress.advance, on_phase=progress.phase)
    if pipeline.journalled:
        g.say(f"journalled {pipeline.journalled} change(s) to {g.journal_path}")
    _finish(g, result, kind=kind, started=started, shown=shown)


def _command(kind: str):  # noqa: ANN202 - Typer builds the signature
    def command(
        ctx: typer.Context,
        names: list[str] = typer.Argument(None, help=f"{kind.title()} names or ARNs."),
        before: str = typer.Option(..., "--before", "-b", help=BEFORE_HELP),
        dry_run: bool = typer.Option(False, "--dry-run", help="Read-only: print the plan."),
        offline: bool = typer.Option(
            False, "--offline", help="No AWS call at all: print the rendered policy."
        ),
        force: bool = typer.Option(
            False, "--force", help="Allow moving an existing cutoff earlier (un-revokes)."
        ),
        no_verify: bool = typer.Option(False, "--no-verify", help="Skip verification."),
        from_file: str = typer.Option(
            None, "--from-file", help="Read names from FILE (- for stdin), one a line."
        ),
        all_principals: bool = typer.Option(False, "--all", help=f"Every {kind} in the account."),
        allow_future: bool = typer.Option(
            False, "--allow-future", help="Accept a cutoff in the future."
        ),
        max_workers: int = typer.Option(
            16,
            "--max-workers",
            min=1,
            max=64,
            help="Concurrent IAM calls (paced down automatically when IAM throttles).",
        ),
        probe_profile: str = typer.Option(
            None,
            "--probe-profile",
            help="Profile holding a session issued before the cutoff: poll a harmless call "
            "with it until AWS denies it (verification layer 3).",
        ),
        deadline: str = typer.Option(
            "300", "--deadline", help="How long the probe may wait for the deny: 300, 5m."
        ),
        deactivate_keys: bool = typer.Option(
            False,
            "--deactivate-keys",
            hidden=kind != "user",
            help="Also set every active access key Inactive (never deleted), after "
            "recording its last use: a leaked key mints new tokens otherwise.",
        ),
        disable_console: bool = typer.Option(
            False,
            "--disable-console",
            hidden=kind != "user",
            help="Also remove the console password (login profile), after recording it. "
            "revoke lift cannot restore a password: a new one must be set.",
        ),
        deactivate_service_credentials: bool = typer.Option(
            False,
            "--deactivate-service-credentials",
            hidden=kind != "user",
            help="Also set every active service-specific credential Inactive (CodeCommit "
            "Git, Keyspaces, Bedrock API keys, CloudWatch Logs): long-term, the deny does "
            "not stop them. Reversible: revoke lift reactivates them.",
        ),
        deactivate_ssh_keys: bool = typer.Option(
            False,
            "--deactivate-ssh-keys",
            hidden=kind != "user",
            help="Also set every active SSH public key (CodeCommit) Inactive; lift reactivates.",
        ),
        deactivate_certificates: bool = typer.Option(
            False,
            "--deactivate-certificates",
            hidden=kind != "user",
            help="Also set every active X.509 signing certificate Inactive; lift reactivates.",
        ),
        revoke_signin_sessions: bool = typer.Option(
            False,
            "--revoke-signin-sessions",
            hidden=kind != "user",
            help="Also revoke the user's AWS Sign-In sessions (console, aws login): they "
            "refresh credentials with a fresh issue time. Cannot be undone: the user signs "
            "in again.",
        ),
        deactivate_mfa_since: str = typer.Option(
            None,
            "--deactivate-mfa-since",
            metavar="WHEN",
            hidden=kind != "user",
            help="Also deactivate MFA devices enabled at or after WHEN (the incident's "
            "start): a device the attacker added is a foothold. Cannot be undone by lift: "
            "re-enabling needs two codes from the device.",
        ),
        contain_all: bool = typer.Option(
            False,
            "--contain-all",
            hidden=kind != "user",
            help="Every containment flag at once: --deactivate-keys --disable-console "
            "--deactivate-service-credentials --deactivate-ssh-keys "
            "--deactivate-certificates --revoke-signin-sessions, and MFA devices enabled "
            "at or after the cutoff (or --deactivate-mfa-since WHEN).",
        ),
        lock_trust: bool = typer.Option(
            False,
            "--lock-trust",
            hidden=kind != "role",
            help="Also add to the trust policy a Deny of sts:AssumeRole* (SAML, web "
            "identity, TagSession, SetSourceIdentity) for every principal but the "
            "--exempt-principal ones (your own role is exempted, and said so). lift "
            "removes that statement.",
        ),
        exempt_principals: list[str] = typer.Option(
            None,
            "--exempt-principal",
            metavar="ARN",
            hidden=kind != "role",
            help="With --lock-trust: a principal ARN (wildcards allowed) still allowed to "
            "assume the role; repeatable.",
        ),
        accounts: list[str] = typer.Option(None, "--accounts", help=fanout_cmd.ACCOUNTS_HELP),
        accounts_file: str = typer.Option(
            None, "--accounts-file", help=fanout_cmd.ACCOUNTS_FILE_HELP
        ),
        all_accounts: bool = typer.Option(
            False, "--all-accounts", help=fanout_cmd.ALL_ACCOUNTS_HELP
        ),
        assume_role_name: str = typer.Option(
            "OrganizationAccountAccessRole", "--assume-role-name", help=fanout_cmd.ROLE_HELP
        ),
        account_workers: int = typer.Option(
            4, "--account-workers", min=1, max=32, help=fanout_cmd.ACCOUNT_WORKERS_HELP
        ),
        follow: bool = typer.Option(False, "--follow", help=follow_cmd.FOLLOW_HELP),
        scope: str = typer.Option("session", "--scope", help=follow_cmd.SCOPE_HELP),
        restore_changes: bool = typer.Option(
            False, "--restore-changes", help=follow_cmd.RESTORE_HELP
        ),
        org_scp: bool = typer.Option(False, "--org-scp", help=follow_cmd.ORG_SCP_HELP),
    ) -> None:
        g = get_globals(ctx)
        if follow:  # issue 16: trace the principal, contain what it reached (ops.follow)
            follow_cmd.follow_principal(
                g,
                kind,
                names or [],
                before=before,
                dry_run=dry_run,
                verify=not no_verify,
                scope=scope,
                allow_future=allow_future,
                restore_changes=restore_changes,
                org_scp=org_scp,
                accounts=accounts,
                role_name=assume_role_name,
            )
            return
        if kind != "user" and (deactivate_keys or disable_console):
            raise BadInput(
                "--deactivate-keys and --disable-console apply to users only: a role has "
                "no access keys or console password"
            )
        containment_flags: dict[str, Any] = {
            "deactivate_service_credentials": deactivate_service_credentials,
            "deactivate_ssh_keys": deactivate_ssh_keys,
            "deactivate_certificates": deactivate_certificates,
            "revoke_signin_sessions": revoke_signin_sessions,
            "deactivate_mfa_since": deactivate_mfa_since,
            "contain_all": contain_all,
            "lock_trust": lock_trust,
            "exempt_principals": list(exempt_principals or []),
        }
        user_only = [
            k
            for k, v in containment_flags.items()
            if v and k not in ("lock_trust", "exempt_principals")
        ]
        if kind != "user" and user_only:
            raise BadInput(
                f"--{user_only[0].replace('_', '-')} applies to users only; for a role: "
                "--lock-trust"
            )
        if kind != "role" and (lock_trust or exempt_principals):
            raise BadInput("--lock-trust and --exempt-principal apply to roles only")
        if exempt_principals and not lock_trust:
            raise BadInput("--exempt-principal goes with --lock-trust")
        targets = collect_targets(kind, names or [], from_file, all_flag=all_principals)
        flow: dict[str, Any] = {
            "before": before,
            "dry_run": dry_run or offline,
            "offline": offline,
            "force": force,
            "verify": not no_verify,
            "allow_future": allow_future,
            "max_workers": max_workers,
            "all_principals": all_principals,
            "probe_profile": probe_profile,
            "deadline": deadline,
            "deactivate_keys": deactivate_keys,
            "disable_console": disable_console,
        }
        if fanout_cmd.wants_fanout(accounts, accounts_file, all_accounts):
            if any(containment_flags.values()):
                raise BadInput(
                    "the issue-15 containment flags (--contain-all, --lock-trust, ...) work "
                    "in one account for now: run them per account with --profile"
                )
            fanout_cmd.run_fanout_command(
                g,
                kind,
                targets,
                accounts=accounts,
                accounts_file=accounts_file,
                all_accounts=all_accounts,
                role_name=assume_role_name,
                account_workers=account_workers,
                **flow,
            )
            return
        run_revocation(g, kind, targets, **flow, containment_flags=containment_flags)

    command.__doc__ = f"Deny every session of the {kind}(s) issued before --before, then verify it."
    return command


def register(app: typer.Typer) -> None:
    app.command("user")(_command("user"))
    app.command("role")(_command("role"))
