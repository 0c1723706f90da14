"""`revoke demo`: the whole incident, end to end, in a sandbox inside this process.

The scenario lives with the sandbox (revoke/sandbox/demo/); this module narrates it: for
people on stderr (numbered steps, ✓/✗, the commands each ran and what they said); with
`--output json` (or text) a summary of the steps on stdout. The responder's steps run this
command line's own entry point (`revoke.cli.app.main`), handed to the scenario here.

Exit 0 only if every step behaved, else 3 (`ExitCode.UNVERIFIED`): the demo is a proof
that the product works on this machine, and a step that did not behave is a proof that did
not confirm, which is what 3 means for `revoke user` too. Nothing in AWS is touched, so
254 (AWS refused) would mislead.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from revoke.cli.context import Globals, get_globals
from revoke.cli.render import emit
from revoke.errors import NotVerified

STEP_COLUMNS = ["step", "status", "title", "detail"]


def _journal_given(ctx: typer.Context) -> bool:
    """Only a `--journal` typed on this command line is used: a REVOKE_JOURNAL in the
    environment is the responder's real journal, and the demo must not write to it."""
    source = ctx.find_root().get_parameter_source("journal")
    # By name: typer vendors its own click, whose ParameterSource is not click's.
    return getattr(source, "name", None) == "COMMANDLINE"


def _narrator(g: Globals) -> Any:
    from revoke.sandbox.demo import FAILED, StepResult, marks

    ok_mark, fail_mark = marks(getattr(sys.stderr, "encoding", None))

    def narrate(result: StepResult) -> None:
        mark = ok_mark if result.status != FAILED else fail_mark
        g.say(f"{mark} {result.number:>2}. {result.title}")
        for note in result.notes:
            g.say(f"       {note}")
        if result.status == FAILED:
            g.say(f"       expected: {result.expected}")
            g.say(f"       found:    {result.found}")
        elif result.detail:
            g.say(f"       {result.detail}")

    return narrate


INTROS = {
    "basic": "an IAM user's sessions revoked and proven",
    "pivot": "a leaked key that pivots through roles, followed and contained in one run",
}


def demo(
    ctx: typer.Context,
    scenario: str = typer.Option(
        "basic",
        "--scenario",
        help="basic: one user's sessions revoked and proven; pivot: a leaked key assumes "
        "an admin role, makes a key for another user and a role chain, and "
        "revoke key --follow contains all of it.",
    ),
) -> None:
    """The whole incident in a local sandbox: a user's key, a session token, revoke user with
    its three checks, the old token refused, a new one and the key still working, the
    journal entry (--scenario pivot: revoke key --follow). Touches no AWS account. Exit 0
    when every step behaved, 3 otherwise."""
    g = get_globals(ctx)
    from revoke.cli.app import main
    from revoke.errors import BadInput
    from revoke.sandbox.demo import NOT_RUN, SCENARIOS, run_demo

    if scenario not in SCENARIOS:
        raise BadInput(f"--scenario {scenario!r} is not one of {', '.join(SCENARIOS)}")
    steps = SCENARIOS[scenario]
    journal = g.journal_path if _journal_given(ctx) else None
    g.say(
        f"revoke demo: {INTROS[scenario]}, in {len(steps)} steps, "
        "against a local sandbox (no AWS account is touched)"
    )
    report = run_demo(
        cli=main, journal_path=journal, on_step=_narrator(g), debug=g.debug, steps=steps
    )
    payload = report.to_json()
    if g.output != "table":  # on a terminal the narration above is the human output
        rows = [{**s, "detail": s.get("detail") or s.get("found")} for s in payload["steps"]]
        emit(g, payload, rows, STEP_COLUMNS, title="revoke demo")
    failed = report.failed
    if failed is None:
        g.say(
            f"revoke demo: all {len(report.steps)} steps behaved in {report.seconds:.1f} s. "
            "Rehearse your own runbook with `revoke sandbox serve`; in a real incident: "
            "revoke user NAME --before now --contain-all, then revoke residual user NAME"
        )
        return
    skipped = sum(1 for s in report.steps if s.status == NOT_RUN)
    raise NotVerified(
        f"demo step {failed.number} did not behave; {skipped} later step(s) not run",
        hint="the failed step above says what was expected and what happened",
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
