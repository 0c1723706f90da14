"""`revoke completion bash|zsh|fish|powershell`: the shell's completion script on stdout.

typer's `--install-completion` edits the user's shell start-up files; a responder's shell
is theirs, so revoke only prints the script, as `kubectl completion bash` does:
`eval "$(revoke completion bash)"`, or save it where the shell loads completions.
"""

from __future__ import annotations

import typer

SHELLS = ("bash", "zsh", "fish", "powershell")
# The variable the script sets when it asks `revoke` for completions (typer's convention).
COMPLETE_VAR = "_REVOKE_COMPLETE"

HELP = (
    'Print the shell completion script: eval "$(revoke completion bash)" '
    "(zsh: the same; fish: revoke completion fish | source)."
)


def completion_script(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="revoke", complete_var=COMPLETE_VAR, shell=shell)


def completion(
    shell: str = typer.Argument(..., metavar="SHELL", help="bash, zsh, fish or powershell."),
) -> None:
    from revoke.errors import BadInput

    if shell not in SHELLS:
        raise BadInput(f"{shell!r} is not one of {', '.join(SHELLS)}")
    typer.echo(completion_script(shell))


def register(app: typer.Typer) -> None:
    app.command("completion", help=HELP)(completion)
