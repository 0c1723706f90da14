"""The one error boundary of the command line: every failure one line and its exit code.

Split out of revoke.cli.app (which builds its Typer app with `cls=RevokeGroup` and
re-exports these names): RevokeGroup's `invoke` turns a RevokeError, an interrupt, a broken
pipe or any other exception into one scrubbed line and the documented exit code
(DESIGN.md), tracebacks only with --debug or REVOKE_DEBUG=1; its `parse_args` runs the argv
pre-pass (revoke.cli.argv).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from revoke.cli.argv import hoist_global_options
from revoke.cli.context import Globals
from revoke.errors import RevokeError


def _debug_enabled(ctx: Any) -> bool:
    if os.environ.get("REVOKE_DEBUG"):
        return True
    obj = ctx.find_root().obj if ctx is not None else None
    return bool(isinstance(obj, Globals) and obj.debug) or "--debug" in sys.argv[1:]


def _is_cli_signal(err: BaseException) -> bool:
    """Exit, Abort and usage errors of Typer (or the click it vendors): not ours to report."""
    return any(
        cls.__module__.split(".", 1)[0] in ("typer", "click") for cls in type(err).__mro__[:-2]
    )


def report_error(err: RevokeError) -> None:
    """The one place errors are printed: scrubbed of every secret the process holds."""
    from revoke.core.scrub import scrub

    typer.echo(f"revoke: error: {scrub(err.message)}", err=True)
    if err.hint:
        typer.echo(f"  hint: {scrub(err.hint)}", err=True)


# What a shell reports for a writer killed by SIGPIPE (`revoke ... | head` under pipefail).
BROKEN_PIPE_EXIT = 141


def _quiet_broken_pipe() -> None:
    """The reader of stdout went away (`| head -c1`): stop writing to it, say nothing.

    stdout is pointed at /dev/null so the interpreter's last flush finds nowhere to fail
    (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file descriptor (CliRunner)
        pass


def _is_broken_pipe(err: BaseException) -> bool:
    import errno

    return isinstance(err, BrokenPipeError) or (
        isinstance(err, OSError) and err.errno == errno.EPIPE
    )


class RevokeGroup(TyperGroup):
    """The error boundary: every failure becomes one line and its documented exit code.

    It sits in `invoke`, so the CLI, `python -m revoke` and CliRunner tests all go
    through it. Tracebacks only with `--debug` (or REVOKE_DEBUG=1).
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(self, ctx, list(args)))

    def invoke(self, ctx: Any) -> Any:
        from revoke.aws.deadline import start_run

        try:
            return self._invoke(ctx)
        finally:
            start_run(None)  # the deadline was this run's (the demo and tests run many)
            session = sys.modules.get("revoke.aws.session")
            if session is not None:
                session.log_requests(None)  # so is --debug's request log

    def _invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RevokeError as err:
            if _debug_enabled(ctx):
                raise
            report_error(err)
            raise typer.Exit(int(err.exit_code)) from None
        except KeyboardInterrupt:
            typer.echo("revoke: interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as err:  # noqa: BLE001 - the boundary: no traceback for users
            if _is_broken_pipe(err):
                _quiet_broken_pipe()
                raise typer.Exit(BROKEN_PIPE_EXIT) from None
            if _is_cli_signal(err) or _debug_enabled(ctx):
                raise
            from revoke.aws.errors import translate_exception

            translated = translate_exception(err)
            if translated is not None:
                report_error(translated)
                raise typer.Exit(int(translated.exit_code)) from None
            typer.echo(
                f"revoke: internal error: {type(err).__name__} (run again with --debug "
                "for the traceback)",
                err=True,
            )
            raise typer.Exit(1) from None
