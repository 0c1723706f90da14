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
    "revoke.cli.completion_cmd",
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


def _options(command: Any) -> dict[str, bool]:
    """Each option name of a click command -> whether it takes a value."""
    found: dict[str, bool] = {}
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") != "option" or param.is_eager:
            continue
        takes_value = not (param.is_flag or param.count)
        for name in (*param.opts, *param.secondary_opts):
            found[name] = takes_value
    return found


def _option_name(token: str, known: dict[str, bool]) -> str | None:
    """The option `token` names (`--profile`, `--profile=x`, `-ojson`), if one of `known`."""
    if not token.startswith("-") or token == "-":
        return None
    if token.startswith("--"):
        name = token.split("=", 1)[0]
        return name if name in known else None
    if token in known:
        return token
    return token[:2] if len(token) > 2 and known.get(token[:2]) else None


def _attached(token: str, name: str) -> bool:
    """Whether the option's value is in the token itself (`--output=json`, `-ojson`)."""
    return token != name


def hoist_global_options(group: Any, ctx: Any, args: list[str]) -> list[str]:
    """`revoke user alice --before now --profile x` as `revoke --profile x user alice ...`.

    The AWS CLI takes its global options anywhere on the line; click takes a group's
    options only before its command. So the global options found after the command (with
    their values, whatever those look like: `--query -x` keeps `-x`) move in front of it, in
    their order. Left alone: everything after `--`, the command's own options of the same
    name (`revoke token inspect --profile P` is the profile to inspect) and the values of
    the command's options (`--from-file --debug` reads a file named --debug).
    """
    known = _options(group)
    start = 0
    while start < len(args):  # the options before the command, and their values
        token = args[start]
        if token == "--" or not token.startswith("-"):
            break
        name = _option_name(token, known)
        start += 2 if name and known[name] and not _attached(token, name) else 1
    if start >= len(args) or args[start] == "--":
        return args
    command, depth = group, start
    while depth < len(args) and hasattr(command, "get_command"):  # to the leaf command
        found = command.get_command(ctx, args[depth])
        if found is None:
            break
        command, depth = found, depth + 1
    if command is group:
        return args  # an unknown command: click says so
    own = _options(command)
    moved: list[str] = []
    kept = args[start:depth]
    index = depth
    while index < len(args):
        token = args[index]
        if token == "--":
            kept.extend(args[index:])
            break
        name = _option_name(token, own)
        target = kept
        if name is None:
            name = _option_name(token, known)
            target = moved if name is not None else kept
        width = 1
        if name is not None:
            takes_value = (own if target is kept else known)[name]
            width = 2 if takes_value and not _attached(token, name) else 1
        target.extend(args[index : index + width])
        index += width
    return args[:start] + moved + kept


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
        None,
        "--profile",
        help="AWS named profile. Default: as the AWS CLI chooses (exported keys, then "
        "AWS_PROFILE, then default).",
    ),
    region: str | None = typer.Option(None, "--region", help="AWS region for STS and probes."),
    endpoint_url: str | None = typer.Option(
        None,
        "--endpoint-url",
        help="Send every AWS call here (a sandbox: revoke sandbox serve). Default: as the "
        "AWS CLI chooses (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the config file).",
    ),
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        help="json, table or text. Default: AWS_DEFAULT_OUTPUT, else json with --query, "
        "else table on a terminal and json otherwise.",
    ),
    query: str | None = typer.Option(
        None,
        "--query",
        metavar="JMESPATH",
        help="JMESPath applied to the JSON result (https://jmespath.org), as `aws --query`.",
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
    debug: bool = typer.Option(
        False,
        "--debug",
        help="Show tracebacks, and log every AWS request on stderr (never a secret).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    output = choose_output(output, query=query, isatty=sys.stdout.isatty())
    if query is not None:
        from revoke.cli.query import compile_query

        compile_query(query)  # a bad expression is exit 2 before any call
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
        raise BadInput(
            f"--timeout {timeout:g} is not a number of seconds between 0 and {MAX_TIMEOUT:,}",
            hint="for example --timeout 60",
        )
    endpoint_url = check_endpoint_url(endpoint_url or None)
    _check_configured_endpoints()
    _remember_environment_secrets()
    from revoke.aws.deadline import start_run

    start_run(timeout)
    if debug or os.environ.get("REVOKE_DEBUG"):
        from revoke.aws.session import log_requests

        log_requests(lambda line: typer.echo(line, err=True))
    ctx.obj = cli_context(
        timeout=timeout,
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        output=output,
        query=query,
        journal_path=journal or default_journal_path(),
        yes=yes,
        debug=debug,
        stdin_isatty=stdin_is_terminal(),
    )


# What AWS_DEFAULT_OUTPUT may say that revoke has no printer for: json instead, and a warning.
UNSUPPORTED_OUTPUTS = ("yaml", "yaml-stream")


def choose_output(given: str | None, *, query: str | None, isatty: bool) -> str:
    """--output, else AWS_DEFAULT_OUTPUT (as the AWS CLI), else json when --query is given
    (its result is JSON), else table for a person and json for a program."""
    if given is not None:
        if given not in OUTPUT_FORMATS:
            raise typer.BadParameter(
                f"{given!r} is not one of {', '.join(OUTPUT_FORMATS)}", param_hint="--output"
            )
        return given
    configured = os.environ.get("AWS_DEFAULT_OUTPUT", "").strip().lower()
    if configured in OUTPUT_FORMATS:
        return configured
    if configured in UNSUPPORTED_OUTPUTS:
        typer.echo(
            f"revoke: warning: AWS_DEFAULT_OUTPUT={configured} is not supported by revoke; "
            "printing json",
            err=True,
        )
        return "json"
    if configured:
        raise BadInput(
            f"AWS_DEFAULT_OUTPUT={configured!r} is not one of {', '.join(OUTPUT_FORMATS)}",
            hint="unset it, or give --output json|table|text",
        )
    if query is not None:
        return "json"
    return "table" if isatty else "json"


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


def _check_configured_endpoints() -> None:
    """AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are botocore's to apply (each
    service's own wins, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns them all off); revoke
    only refuses one that is not a URL, as one line naming the variable, before any call."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return
    for name in sorted(os.environ):
        if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
            value = os.environ[name]
            if value:
                try:
                    check_endpoint_url(value)
                except BadInput as err:
                    err.message = err.message.replace("--endpoint-url", name, 1)
                    raise


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
    if os.environ.get("_REVOKE_COMPLETE"):  # the shell asks for completions (revoke completion)
        from typer.completion import completion_init

        completion_init()
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
