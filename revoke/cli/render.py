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


def print_table(title: str | None, rows: Sequence[Mapping[str, Any]], columns: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    # People read tables: leave out columns with nothing in them (text output keeps them all,
    # scripts count on the column positions).
    columns = [c for c in columns if any(row.get(c) is not None for row in rows)] or columns
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*["-" if row.get(c) is None else str(row.get(c)) for c in columns])
    Console(soft_wrap=False).print(table)


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
) -> None:
    """Print `payload` as JSON, or `rows` as text/table; warnings also to stderr, always.
    With --query: the query's result over `payload`, in the output format (revoke.cli.query)."""
    if g.query is not None:
        import sys

        from revoke.cli.query import print_query

        print_query(g.output, g.query, payload, sys.stdout, table=print_table)
    elif g.output == "json":
        write_json(payload)
    elif g.output == "text":
        text = rows_text(list(rows), columns)
        if text:
            typer.echo(text)
    else:
        print_table(title, rows, columns)
    for warning in warnings:
        g.warn(warning)
