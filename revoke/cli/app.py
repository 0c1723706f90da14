"""The `revoke` command: global options, command registration, and the one error boundary.

Each command group lives in its own module with a `register(app)` function; modules are
cheap to import (no boto3 at import time), so `revoke --help` starts fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from revoke import __version__
from revoke.cli import fastparams
from revoke.cli.context import OUTPUT_FORMATS, Globals, cli_context, default_journal_path
from revoke.errors import BadInput, ExitCode, RevokeError

# Command modules, in the order their commands appear in `revoke --help`.
COMMAND_MODULES = [
    "revoke.cli.revoke_cmd",
    "revoke.cli.verify_cmd",
    "revoke.cli.residual_cmd",
    "revoke.cli.trace_cmd",
    "revoke.cli.lift_cmd",
    "revoke.cli.token_cmd",
    "revoke.cli.journal_cmd",
    "revoke.cli.org_cmd",
    "revoke.cli.key_cmd",
    "revoke.cli.sandbox_cmd",
    "revoke.cli.demo_cmd",
    "revoke.cli.respond_cmd",
]


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

    def invoke(self, ctx: Any) -> Any:
        from revoke.aws.deadline import start_run

        try:
            return self._invoke(ctx)
        finally:
            start_run(None)  # the deadline was this run's (the demo and tests run many)

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


app = typer.Typer(
    cls=RevokeGroup,
    name="revoke",
    help="Revoke AWS temporary credentials issued before a cutoff, and prove it.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def stdin_is_terminal() -> bool:
    """Whether a person can answer a prompt (tests replace this)."""
    return sys.stdin.isatty()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"revoke {__version__}")
        raise typer.Exit()


@app.callback()
def _globals(
    ctx: typer.Context,
    profile: str | None = typer.Option(
        None, "--profile", envvar="AWS_PROFILE", help="AWS named profile."
    ),
    region: str | None = typer.Option(None, "--region", help="AWS region for STS and probes."),
    endpoint_url: str | None = typer.Option(
        None,
        "--endpoint-url",
        envvar="AWS_ENDPOINT_URL",
        help="Send every AWS call here (a sandbox: revoke sandbox serve).",
    ),
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        help="json, table or text. Default: table on a terminal, json otherwise.",
    ),
    journal: Path | None = typer.Option(
        None,
        "--journal",
        envvar="REVOKE_JOURNAL",
        help="Audit journal file. Default: $XDG_STATE_HOME/revoke/journal.jsonl.",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        envvar="REVOKE_TIMEOUT",
        metavar="SECONDS",
        help="Deadline for the whole run: every AWS call and credential_process stops "
        "waiting when it passes (exit 254). Also caps each call's connect/read timeout.",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    if output is None:
        output = "table" if sys.stdout.isatty() else "json"
    if output not in OUTPUT_FORMATS:
        raise typer.BadParameter(
            f"{output!r} is not one of {', '.join(OUTPUT_FORMATS)}", param_hint="--output"
        )
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
        raise BadInput(
            f"--timeout {timeout:g} is not a number of seconds between 0 and {MAX_TIMEOUT:,}",
            hint="for example --timeout 60",
        )
    endpoint_url = check_endpoint_url(endpoint_url or None)
    _remember_environment_secrets()
    from revoke.aws.deadline import start_run

    start_run(timeout)
    ctx.obj = cli_context(
        timeout=timeout,
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        output=output,
        journal_path=journal or default_journal_path(),
        yes=yes,
        debug=debug,
        stdin_isatty=stdin_is_terminal(),
    )


MAX_TIMEOUT = 86_400  # a day: longer than any run, short of overflowing a socket timeout


def check_endpoint_url(url: str | None) -> str | None:
    """`--endpoint-url` / AWS_ENDPOINT_URL as http(s)://host[:port][/path], or one-line BadInput.

    botocore would only refuse it when the first client is made, as a ValueError.
    """
    if url is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"--endpoint-url {url!r} is not a URL",
            hint="give it as http(s)://host[:port], for example http://127.0.0.1:5000 "
            "(https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html)",
        )
    return url


def _remember_environment_secrets() -> None:
    """The secrets the environment gives this process, so no message echoes them."""
    from revoke.core import scrub

    scrub.remember(
        *(
            os.environ.get(name)
            for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
        )
    )


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # not written yet: skip, do not hide real import errors
                continue
            raise
        module.register(app)


_register_commands()
# Plain option values skip pydantic (~50 ms of every start): revoke.cli.fastparams.
fastparams.install()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="revoke", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if isinstance(code, int) and code == 2:
            raise SystemExit(int(ExitCode.BAD_INPUT)) from None
        raise


def run() -> None:
    """The `revoke` console script and `python -m revoke`: main(), then leave at once.

    By the time main() returns, everything revoke writes is on disk (the journal and the
    ledger are fsynced, profiles replaced atomically) and the result is printed. What an
    ordinary interpreter exit still does is free every object one by one and run a last
    full garbage collection: 60 to 100 ms after a 500-user bulk run has finished (issue 8,
    `benchmarks/bench_bulk.py`), time a responder waits for nothing. So: run the exit
    handlers, flush stdout and stderr, and `os._exit`. If a non-daemon thread is still
    running, or the interpreter has no `atexit._run_exitfuncs`, exit the ordinary way.
    Programs that call main() themselves (the demo, tests) are not affected.
    """
    import atexit
    import threading

    try:
        main()
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)  # what SystemExit("message") prints
        code = 1
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    working = [
        t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()
    ]
    if run_exit_handlers is None or any(t.is_alive() for t in working):
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`revoke ... | head`): as Python does
            code = code or 120
    os._exit(code)
