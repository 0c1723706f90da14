"""`revoke key KEY_ID [--before WHEN]`: start from the leaked key ID, contain its owner.

Find the principal (revoke.ops.keyhunt), then run exactly the flow of `revoke user|role`
(revoke_cmd.run_revocation: plan, confirm, evidence, containment, deny, verify, journal),
so `revoke lift user|role NAME` undoes it like any other revocation.
"""

from __future__ import annotations

import dataclasses

import typer

from revoke.cli.context import Globals, get_globals
from revoke.cli.follow_cmd import (
    FOLLOW_HELP,
    ORG_SCP_HELP,
    RESTORE_HELP,
    SCOPE_HELP,
    run_follow_command,
)
from revoke.errors import BadInput

BEFORE_HELP = (
    "Cutoff: the owner's sessions issued before it are denied (default now). For an ASIA "
    "key whose issue time is known, the cutoff is moved after it if it is earlier."
)


def _say_owner(g: Globals, owner: object) -> None:
    from revoke.ops.keyhunt import KeyOwner

    assert isinstance(owner, KeyOwner)
    key = owner.key
    where = f"account {owner.account} ({owner.account_source})"
    if owner.role_arn:
        where += f", reached through {owner.role_arn}"
    g.say(f"key {key.value}: {key.kind} access key of {where}")
    if owner.target is None:
        return
    line = f"owner: {owner.target.kind} {owner.target.name} (found by {owner.found_by})"
    if owner.key_status:
        line += f"; key {owner.key_status}" + (
            f", created {owner.key_created}" if owner.key_created else ""
        )
    used = owner.last_used or {}
    if key.long_term:
        where_used = ", ".join(
            v for v in (used.get("service"), used.get("region")) if v and v != "N/A"
        )
        seen = f"last used {used['date']}" if used.get("date") else "never used"
        line += f"; {seen}" + (f" ({where_used})" if where_used else "")
    elif owner.minted_with:
        line += f"; minted with access key {owner.minted_with}"
    g.say(line)


def register(app: typer.Typer) -> None:
    @app.command("key")
    def key(
        ctx: typer.Context,
        key_id: str = typer.Argument(..., help="The leaked access key ID (AKIA... or ASIA...)."),
        before: str = typer.Option("now", "--before", "-b", help=BEFORE_HELP),
        dry_run: bool = typer.Option(False, "--dry-run", help="Read-only: print the plan."),
        all_keys: bool = typer.Option(
            False,
            "--all-keys",
            "--deactivate-keys",
            help="Deactivate every active access key of the owning user, not only this one.",
        ),
        no_verify: bool = typer.Option(False, "--no-verify", help="Skip verification."),
        allow_future: bool = typer.Option(
            False, "--allow-future", help="Accept a --before in the future."
        ),
        probe_profile: str = typer.Option(
            None,
            "--probe-profile",
            help="Profile holding a session of the owner issued before the cutoff: poll a "
            "harmless call with it until AWS denies it (verification layer 3).",
        ),
        deadline: str = typer.Option(
            "300", "--deadline", help="How long the probe may wait for the deny: 300, 5m."
        ),
        accounts: list[str] = typer.Option(
            None,
            "--accounts",
            help="Accounts this key may be acted on in (12-digit IDs); a key of another "
            "account than the caller's is reached through --assume-role-name there.",
        ),
        assume_role_name: str = typer.Option(
            None,
            "--assume-role-name",
            help="Role to assume in the key's account when it is not the caller's "
            "(default with --accounts: OrganizationAccountAccessRole).",
        ),
        follow: bool = typer.Option(False, "--follow", help=FOLLOW_HELP),
        scope: str = typer.Option("session", "--scope", help=SCOPE_HELP),
        restore_changes: bool = typer.Option(False, "--restore-changes", help=RESTORE_HELP),
        org_scp: bool = typer.Option(False, "--org-scp", help=ORG_SCP_HELP),
        since: str = typer.Option(
            None, "--since", help="With --follow: trace events since WHEN (default 90 days)."
        ),
    ) -> None:
        """Contain the owner of a leaked access key ID: deactivate the key (AKIA), deny the
        owner's sessions issued before the cutoff, verify, journal."""
        from revoke.cli import revoke_cmd
        from revoke.core.keyowner import cutoff_for_session, parse_access_key
        from revoke.core.timeparse import parse_cutoff
        from revoke.ops.accounts import check_role_name, parse_accounts
        from revoke.ops.probing import parse_deadline

        g = get_globals(ctx)
        # Everything the responder typed is checked before the first call (exit 2).
        parsed = parse_access_key(key_id)
        requested = parse_cutoff(before, now=g.now(), allow_future=allow_future)
        listed = parse_accounts(accounts or [])
        role_name = check_role_name(assume_role_name) if assume_role_name else None
        deadline_seconds = parse_deadline(deadline)
        if not follow and (restore_changes or org_scp or scope != "session" or since):
            raise BadInput("--scope, --restore-changes, --org-scp and --since go with --follow")

        from revoke.ops.keyhunt import hunt
        from revoke.state.ledger import Ledger

        owner, session = hunt(
            g.aws(),
            parsed,
            Ledger.in_state_dir(g.state_dir),
            accounts=listed,
            role_name=role_name,
        )
        _say_owner(g, owner)
        assert owner.target is not None  # hunt raises when nothing names it
        kind = owner.target.kind
        cutoff = requested
        details = owner.to_json()
        if parsed.temporary:
            choice = cutoff_for_session(requested, owner.issued_at, str(owner.found_by))
            cutoff = choice.cutoff
            details.update(cutoff_requested=requested, cutoff_reason=choice.reason)
            g.say(f"cutoff {cutoff}: {choice.reason}")
        for warning in owner.warnings:
            g.warn(warning)
        if follow:
            run_follow_command(
                g,
                parsed.value,
                cutoff=cutoff,
                owner=owner.target,
                leaked_key=parsed.value,
                dry_run=dry_run,
                verify=not no_verify,
                scope=scope,
                restore_changes=restore_changes,
                org_scp=org_scp,
                since=since,
                accounts=listed,
                role_name=role_name,
                deadline=deadline_seconds,
                details={"key": details},
            )
            return
        if all_keys and kind != "user":
            g.warn(f"--all-keys: role {owner.target.name} has no access keys; ignored")
        if parsed.long_term and not all_keys:
            key_ids: list[str] | None = [parsed.value]
        else:
            key_ids = None
        revoke_cmd.run_revocation(
            g if session is g.aws() else dataclasses.replace(g, _aws=session),
            kind,
            [owner.target],
            before=cutoff,
            dry_run=dry_run,
            offline=False,
            force=False,
            verify=not no_verify,
            # The responder's --before was checked above; a later cutoff derived from the
            # key's issue time is AWS's clock, which may run ahead of this machine's.
            allow_future=True,
            max_workers=1,
            probe_profile=probe_profile,
            deadline=deadline,
            deactivate_keys=all_keys and kind == "user",
            deactivate_key_ids=key_ids,
            details={"key": details},
        )
