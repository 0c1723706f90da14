"""The command line's side of the run context: build it from the global options.

The context itself (revoke.ops.context.RunContext) is defined below the CLI, so workflows
receive it without importing the command line. Here it gets typer's ways of talking to a
person: narration on stderr and the confirmation prompt. Like httpie's Environment, the
terminal checks live in the context so commands can be tested without a terminal.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from revoke.core.scrub import scrub
from revoke.ops.context import OUTPUT_FORMATS, RunContext
from revoke.state.paths import default_journal_path, default_state_dir

# The name the commands (and their tests) have always used for the run context.
Globals = RunContext

__all__ = [
    "OUTPUT_FORMATS",
    "Globals",
    "cli_context",
    "default_journal_path",
    "default_state_dir",
    "get_globals",
]


# SIGINT's exit code (DESIGN.md, "Exit codes"), for Ctrl-C or end of input at the prompt.
PROMPT_INTERRUPTED_EXIT = 130


def _tell(message: str) -> None:
    # Warnings and narration quote AWS's words too: scrubbed like errors.
    typer.echo(fit_to_terminal(scrub(message)), err=True)


def fit_to_terminal(message: str, width: int | None = None) -> str:
    """On a terminal, wrap at its width between words, never inside one: an ARN, a key ID
    or a timestamp stays whole on one line (a word longer than the line keeps a line of its
    own). Off a terminal (a log, a pipe), the text is left as it is, one line per message."""
    if width is None:
        if not sys.stderr.isatty():
            return message
        import shutil

        width = shutil.get_terminal_size((80, 24)).columns
    if all(len(line) <= width for line in message.splitlines()):
        return message
    import textwrap

    lines = []
    for line in message.splitlines() or [""]:
        indent = line[: len(line) - len(line.lstrip(" "))]
        lines.extend(
            textwrap.wrap(
                line,
                width=width,
                subsequent_indent=indent + "  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [""]
        )
    return "\n".join(lines)


def _ask(question: str) -> bool:
    """The confirmation prompt. Ctrl-C or end of input there changes nothing: exit 130."""
    try:
        return bool(typer.confirm(question, default=False, err=True))
    except (typer.Abort, KeyboardInterrupt, EOFError):
        typer.echo("", err=True)  # the prompt left the cursor on its line
        typer.echo("revoke: stopped at the prompt: nothing was changed", err=True)
        raise typer.Exit(PROMPT_INTERRUPTED_EXIT) from None


def cli_context(**options: Any) -> RunContext:
    """A run context whose narration and prompt go through typer (stderr)."""
    return RunContext(tell=_tell, ask=_ask, **options)


def get_globals(ctx: typer.Context) -> RunContext:
    obj: Any = ctx.find_root().obj
    if isinstance(obj, RunContext):
        return obj
    g = cli_context(stdin_isatty=sys.stdin.isatty())
    ctx.find_root().obj = g
    return g
