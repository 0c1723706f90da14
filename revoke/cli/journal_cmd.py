"""`revoke journal show|verify|reconcile|repair`: what was changed, by whom, proof nobody
edited it, the writes a crash left unjournalled, and a torn last line removed."""

from __future__ import annotations

from typing import Any

import typer

from revoke.cli.context import get_globals
from revoke.cli.render import emit
from revoke.errors import BadInput, ExitCode

journal_app = typer.Typer(
    help="The audit journal: every change, its evidence, and a hash chain to prove it.",
    no_args_is_help=True,
)

SHOW_COLUMNS = ["seq", "time", "action", "target", "status", "cutoff", "actor", "changes"]
VERIFY_COLUMNS = ["problem"]


def _open(g: Any) -> Any:
    from revoke.state.journal import Journal

    journal = Journal(g.journal_path)
    if not journal.exists():
        raise BadInput(
            f"no journal at {journal.path}",
            hint="nothing was journalled on this machine yet; pass --journal PATH (or set "
            "REVOKE_JOURNAL) for the journal of the incident",
        )
    return journal


def changes_summary(record: dict[str, Any]) -> str:
    """One line for people: what the record changed."""
    parts = []
    before, after = record.get("before"), record.get("after")
    action = record.get("action")
    if action == "verify":
        return f"verification: {(record.get('verification') or {}).get('status')}"
    if before != after:
        if after is None:
            parts.append("policy removed")
        elif before is None:
            parts.append("policy written")
        else:
            parts.append("policy replaced" if action != "revoke" else "policy refreshed")
    counts: dict[str, int] = {}
    for step in record.get("containment") or []:
        if step.get("result") == "done":
            counts[step["action"]] = counts.get(step["action"], 0) + 1
    labels = {
        "deactivate_key": "key(s) deactivated",
        "reactivate_key": "key(s) reactivated",
        "delete_login_profile": "console password removed",
    }
    for step_action, count in counts.items():
        label = labels.get(step_action, step_action)
        parts.append(label if step_action == "delete_login_profile" else f"{count} {label}")
    return ", ".join(parts) or "-"


def _row(record: dict[str, Any]) -> dict[str, Any]:
    target = record.get("target") or {}
    return {
        "seq": record.get("seq"),
        "time": record.get("time"),
        "action": record.get("action"),
        "target": f"{target.get('kind')}/{target.get('name')}",
        "status": record.get("status"),
        "cutoff": record.get("cutoff"),
        "actor": record.get("actor"),
        "changes": changes_summary(record),
    }


@journal_app.command("show")
def show(
    ctx: typer.Context,
    target: str = typer.Option(
        None, "--target", "-t", help="Only this principal: NAME, user/NAME, role/NAME or an ARN."
    ),
    action: str = typer.Option(
        None, "--action", help="Only revoke, lift, gc, verify, intent or close records."
    ),
    last: int = typer.Option(None, "--last", min=1, help="Only the newest N records."),
    every: bool = typer.Option(
        False,
        "--all",
        help="Also the write-ahead records: the intent before each write, and the close "
        "of an intent of which nothing was done.",
    ),
) -> None:
    """Print the journal's records (JSON: every field, evidence included)."""
    from revoke.state.journal import is_bookkeeping, matches_target

    g = get_globals(ctx)
    journal = _open(g)
    scan = journal.scan()
    records = [
        r
        for r in scan.records
        if (target is None or matches_target(r, target))
        and (action is None or r.get("action") == action)
        and (every or action is not None or not is_bookkeeping(r))
    ]
    if last:
        records = records[-last:]
    warnings = []
    if scan.problems:
        warnings.append(
            f"the journal fails verification ({len(scan.problems)} problem(s)): "
            "revoke journal verify"
        )
    if scan.torn_tail is not None:
        warnings.append(
            f"its last line, at byte {scan.torn_tail}, is torn (a write cut short): "
            "revoke journal repair"
        )
    dangling = journal.dangling_intents(scan.records)
    if dangling:
        warnings.append(
            f"{len(dangling)} write(s) announced by an intent have no outcome record (a run "
            "was cut short): revoke journal reconcile"
        )
    emit(
        g,
        {"journal": str(journal.path), "records": records},
        [_row(r) for r in records],
        SHOW_COLUMNS,
        title=f"journal {journal.path}",
        warnings=warnings,
    )


@journal_app.command("verify")
def verify(
    ctx: typer.Context,
    expect_head: str = typer.Option(
        None,
        "--expect-head",
        help="A head hash noted earlier (in the incident ticket): it must still be in the "
        "chain, which catches the removal of the newest records.",
    ),
    live: bool = typer.Option(
        False,
        "--live",
        help="Also compare with IAM (read-only): every revocation in force must be the "
        "document the journal says was written, and what the journal says existed before "
        "must match the digest IAM's own document carries. A journal rewritten with "
        "recomputed hashes passes the chain, not this.",
    ),
) -> None:
    """Check every record's hash and link (and with --live, against IAM). Exit 3 when the
    chain, or the journal against AWS, does not verify."""
    g = get_globals(ctx)
    journal = _open(g)
    scan = journal.scan()
    problems = journal.verify(expect_head=expect_head)
    payload: dict[str, Any] = {
        "journal": str(journal.path),
        "records": len(scan.records),
        "head": scan.head,
        "ok": not problems,
        "problems": problems,
    }
    if live:
        from revoke.aws.iam import IamGateway
        from revoke.ops.journal_live import check_live

        gateway = IamGateway(g.aws())
        actor = gateway.caller_identity()
        found = check_live(gateway, journal, actor.get("account"))
        problems = problems + found.problems
        for line in found.drift:
            g.warn(line)
        payload.update(
            ok=not problems,
            problems=problems,
            live={"account": actor.get("account"), "checked": found.checked, "drift": found.drift},
        )
    verdict = "intact" if not problems else f"{len(problems)} problem(s)"
    line = f"journal {journal.path}: {len(scan.records)} record(s), head {scan.head}: {verdict}"
    if g.output != "table":  # a table says it itself: the verdict above its problems
        g.say(line)
    emit(
        g,
        payload,
        [{"problem": p} for p in problems],
        VERIFY_COLUMNS,
        title=line,
        empty=line,
    )
    if problems:
        raise typer.Exit(int(ExitCode.UNVERIFIED))


@journal_app.command("reconcile")
def reconcile_cmd(ctx: typer.Context) -> None:
    """Journal what AWS shows for writes whose outcome never reached the journal (a crash,
    SIGKILL, a full disk): each dangling intent gets its record, once."""
    from revoke.aws.iam import IamGateway
    from revoke.ops.reconcile import reconcile

    g = get_globals(ctx)
    journal = _open(g)
    journal.check_writable()
    gateway = IamGateway(g.aws())
    actor = gateway.caller_identity()
    done = reconcile(gateway, journal, actor)
    for line in done.lines:
        g.say(line)
    g.say(f"journal {journal.path}: {len(done.records)} intent(s) reconciled, {done.left} left")
    emit(
        g,
        {
            "journal": str(journal.path),
            "reconciled": done.records,
            "left": done.left,
            "lines": done.lines,
        },
        [_row(r) for r in done.records],
        SHOW_COLUMNS,
        title=f"journal {journal.path}: reconciled",
    )
    if done.left:
        raise typer.Exit(int(ExitCode.PARTIAL))


@journal_app.command("repair")
def repair_cmd(ctx: typer.Context) -> None:
    """Remove a torn line (a write cut short by a crash or a full disk), keeping a backup
    of the journal next to it. Refuses when the chain does not verify without it."""
    g = get_globals(ctx)
    journal = _open(g)
    done = journal.repair()
    if not done.removed:
        g.say(f"journal {journal.path}: no torn line, nothing changed")
    else:
        offsets = ", ".join(str(o) for o in done.removed)
        g.say(
            f"journal {journal.path}: removed {len(done.removed)} torn line(s) (at byte "
            f"{offsets}); the file as it was is kept at {done.backup}"
        )
    emit(
        g,
        {
            "journal": str(journal.path),
            "removed_offsets": done.removed,
            "backup": str(done.backup) if done.backup else None,
        },
        [{"problem": f"removed the line at byte {o}"} for o in done.removed],
        VERIFY_COLUMNS,
        title=f"journal {journal.path}: repair",
    )


def register(app: typer.Typer) -> None:
    app.add_typer(journal_app, name="journal")
