"""`revoke respond EVENT.json|- [--mode plan|approve|auto]` and `revoke approve ID`."""

from __future__ import annotations

import typer

from revoke.cli.context import Globals, get_globals
from revoke.cli.render import emit
from revoke.errors import BadInput

RESPOND_HELP = """Contain what one security event calls for: a GuardDuty or Security Hub
(ASFF) finding naming an access key, the AWS Health event AWS_RISK_CREDENTIALS_EXPOSED, a
CloudTrail event attaching AWSCompromisedKeyQuarantine*, or a TruffleHog JSON line; bare or
in its EventBridge envelope. The key's owner is contained as `revoke key KEY_ID` does.

--mode plan prints the plan (read-only; --offline: no call at all); approve journals it as
pending for `revoke approve ID`; auto carries it out. A finding already carried out (or
pending) changes nothing. Exit 2 for an event revoke does not know: nothing is called."""

COLUMNS = ["id", "status", "mode", "finding_type", "access_key_id", "principal", "reason"]


def _show(g: Globals, result: object) -> None:
    from revoke.ops.respond import RespondResult

    assert isinstance(result, RespondResult)
    payload = result.to_json()
    finding = payload["finding"]
    principal = finding.get("principal") or {}
    row = {
        "id": payload["id"],
        "status": payload["status"],
        "mode": payload["mode"],
        "finding_type": finding["finding_type"],
        "access_key_id": finding.get("access_key_id"),
        "principal": f"{principal['kind']} {principal['name']}" if principal else None,
        "reason": finding["reason"],
    }
    revocation = payload["revocation"] or {}
    emit(
        g,
        payload,
        [row],
        COLUMNS,
        title=f"respond: {payload['status']}",
        warnings=list(payload["warnings"]) + list(revocation.get("warnings") or []),
    )
    for step in payload["next_steps"]:
        g.say(f"next: {step}")
    code = result.exit_code()
    if code:
        raise typer.Exit(int(code))


def register(app: typer.Typer) -> None:
    @app.command("respond", help=RESPOND_HELP)
    def respond(
        ctx: typer.Context,
        event: str = typer.Argument(..., help="The event: a JSON file, or - for stdin."),
        mode: str = typer.Option("plan", "--mode", help="plan, approve or auto."),
        offline: bool = typer.Option(
            False, "--offline", help="With --mode plan: no AWS call at all."
        ),
        whole_role: bool = typer.Option(
            False,
            "--whole-role",
            help="Instance-credential exfiltration: deny every session of the instance's "
            "role (every instance using it), not only the instance's.",
        ),
        replace_association: bool = typer.Option(
            False,
            "--replace-instance-profile-association",
            help="Instance-credential exfiltration: after the deny, associate the instance's "
            "profile anew so it gets fresh credentials (journalled).",
        ),
    ) -> None:
        from revoke.core.events import parse_event_text
        from revoke.ops.inputs import read_text_argument
        from revoke.ops.respond import MODES
        from revoke.ops.respond import respond as run

        g = get_globals(ctx)
        if mode not in MODES:
            raise BadInput(f"--mode {mode!r} is not one of {', '.join(MODES)}")
        request = parse_event_text(read_text_argument(event, "one event as JSON"))
        _show(
            g,
            run(
                g,
                request,
                mode=mode,
                offline=offline,
                whole_role=whole_role,
                replace_association=replace_association,
            ),
        )

    @app.command("approve")
    def approve(
        ctx: typer.Context,
        pending_id: str = typer.Argument(..., help="The pending response's ID (r-...)."),
    ) -> None:
        """Carry out a response `revoke respond --mode approve` journalled as pending."""
        from revoke.ops.respond import approve as run

        _show(get_globals(ctx), run(get_globals(ctx), pending_id))
