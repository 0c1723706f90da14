"""Print results in the chosen format: JSON or text to stdout, tables for people.

JSON and text go to stdout alone (so `| jq` and `while read` are safe); warnings go to
stderr. rich is imported only when a table is printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import typer

from revoke.cli.context import Globals
from revoke.core.output import rows_text

# Status words and how a table colours them (rich drops colour for NO_COLOR and for
# anything that is not a terminal).
STATUS_STYLES = {
    "verified": "green",
    "applied": "green",
    "ok": "green",
    "intact": "green",
    "confirmed": "green",
    "closed": "green",
    "failed": "bold red",
    "error": "bold red",
    "missing": "bold red",
    "open": "red",
    "unverified": "yellow",
    "mismatch": "yellow",
    "partial": "yellow",
    "inconclusive": "yellow",
    "unchecked": "yellow",
    "planned": "cyan",
}
STATUS_COLUMNS = {"status", "verification", "result", "state"}


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def print_table(
    title: str | None,
    rows: Sequence[Mapping[str, Any]],
    columns: list[str],
    *,
    empty: str | None = None,
    note: str | None = None,
) -> None:
    """A table that fits the terminal (80 columns when it is not one): no ID, ARN or time
    split, the least needed columns left out first (revoke.core.output.fit_columns) and
    named under it. No rows: one line, `empty` (or the title), not an empty frame."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from revoke.core.output import fit_columns

    console = Console(soft_wrap=False)
    if not rows:
        console.print(Text(empty or title or "nothing to show"))
        return
    # People read tables: leave out columns with nothing in them (text output keeps them all,
    # scripts count on the column positions).
    columns = [c for c in columns if any(row.get(c) is not None for row in rows)] or columns
    cells = {c: [_cell(row.get(c)) for row in rows] for c in columns}
    fit = fit_columns({c: c.replace("_", " ") for c in columns}, cells, console.width)
    if title:
        console.print(Text(title, style="bold"))
    table = Table(show_lines=False, expand=False)
    for column in fit.columns:
        table.add_column(
            column.name.replace("_", " "),
            width=column.width,
            no_wrap=not column.wraps,
            overflow="fold",
        )
    for i in range(len(rows)):
        line = []
        for column in fit.columns:
            text = cells[column.name][i]
            style = (
                STATUS_STYLES.get(text.split(" ", 1)[0]) if column.name in STATUS_COLUMNS else None
            )
            line.append(Text(text, style=style or ""))
        table.add_row(*line)
    console.print(table)
    same: list[str] = []
    left_out: list[str] = []
    for name in fit.dropped:
        values = set(cells[name])
        label = name.replace("_", " ")
        (same if len(values) == 1 else left_out).append(
            f"{label} {values.pop()}" if len(values) == 1 else label
        )
    if same:
        console.print(Text(f"in every row: {', '.join(same)}"))
    if left_out:
        console.print(
            Text(
                f"not shown, to fit {console.width} columns: {', '.join(left_out)} (--output json)"
            )
        )
    if note:
        console.print(Text(note))


def write_json(payload: Mapping[str, Any]) -> None:
    """`to_json(payload)` and a newline on stdout, written as it is encoded: a result over
    10,000 targets is never one string in memory (issue 8: memory flat in the targets)."""
    import json
    import sys

    out = sys.stdout
    buffered: list[str] = []
    for chunk in json.JSONEncoder(indent=2, default=str).iterencode(payload):
        buffered.append(chunk)
        if len(buffered) >= 4096:  # a few hundred KB; one write call per chunk was slower
            out.write("".join(buffered))
            buffered.clear()
    buffered.append("\n")
    out.write("".join(buffered))
    out.flush()


def emit(
    g: Globals,
    payload: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    columns: list[str],
    *,
    title: str | None = None,
    warnings: Sequence[str] = (),
    empty: str | None = None,
    note: str | None = None,
) -> None:
    """Print `payload` as JSON, or `rows` as text/table; warnings also to stderr, always.
    A table with no rows is the one line `empty`; `note` goes under a table.
    With --query: the query's result over `payload`, in the output format (revoke.cli.query)."""
    if g.query is not None:
        import sys

        from revoke.cli.query import print_query

        print_query(g.output, g.query, payload, sys.stdout)
    elif g.output == "json":
        write_json(payload)
    elif g.output == "text":
        text = rows_text(list(rows), columns)
        if text:
            typer.echo(text)
    else:
        print_table(title, rows, columns, empty=empty, note=note)
    for warning in warnings:
        g.warn(warning)
