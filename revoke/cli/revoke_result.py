"""The end of `revoke user|role` (revoke.cli.revoke_cmd): the run's result printed in the
output format, a long table cut to the targets that need a look, what the prompt already
showed not said twice, and the exit code. Split out of revoke_cmd (issue 13, item 5), which
re-exports these names."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer

from revoke.cli.context import Globals
from revoke.cli.render import emit
from revoke.core.output import TARGET_COLUMNS, residual_lines, target_rows

# A result table past this many rows shows the targets that need a look and the first
# few others; JSON and text output list every one.
TABLE_ROWS_UP_TO = 50


def _table_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    if len(rows) <= TABLE_ROWS_UP_TO:
        return rows, None

    def needs_look(row: dict[str, Any]) -> bool:
        verification = str(row.get("verification") or "")
        return row["status"] not in ("applied", "unchanged", "planned") or (
            verification.startswith(("unverified", "failed"))
        )

    looks = [r for r in rows if needs_look(r)]
    others = [r for r in rows if not needs_look(r)]
    room = max(5, TABLE_ROWS_UP_TO - len(looks))
    shown = looks[:TABLE_ROWS_UP_TO] + others[:room]
    left = len(rows) - len(shown)
    return shown, (
        f"{left} more like these: --output text or json lists every target" if left else None
    )


def _finish(
    g: Globals,
    result: object,
    *,
    kind: str | None = None,
    started: float | None = None,
    shown: Sequence[str] = (),
) -> None:
    """Print the result; `shown`: warnings the prompt already showed (not said twice)."""
    import time

    from revoke.cli.plan_view import summary_line, unsaid
    from revoke.ops.revocation import RunResult

    assert isinstance(result, RunResult)
    payload = result.to_json()
    title = f"{'plan' if result.dry_run else 'revocation'}: sessions before {result.cutoff}"
    # JSON needs no rows; a table says which verification layer was left out.
    rows = [] if g.output == "json" else target_rows(payload, layers=g.output == "table")
    note = None
    if g.output == "table":
        rows, note = _table_rows(rows)
    warnings = unsaid(payload["warnings"], shown)
    emit(g, payload, rows, TARGET_COLUMNS, title=title, warnings=warnings, note=note)
    if g.output == "table" and g.query is None:  # --query prints its result alone
        from revoke.ops.containment import step_summary

        for t in result.targets:
            for step in t.containment:
                typer.echo(f"{t.kind} {t.name}: {step_summary(step)}")
        for line in residual_lines(payload):
            typer.echo(line)
    if g.output == "table" and g.query is None and result.dry_run:
        documents = {
            json.dumps(t.policy_document, indent=2)
            for t in result.targets
            if t.policy_document is not None and t.changes
        }
        for document in sorted(documents):
            typer.echo("policy document to be written:")
            typer.echo(document)
    if kind is not None and started is not None:
        g.say(summary_line(result, kind, time.monotonic() - started))
    code = result.exit_code()
    if code:
        raise typer.Exit(int(code))
