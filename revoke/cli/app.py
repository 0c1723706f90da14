"""The `revoke` command: global options, command registration, and the entry points.

Each command group lives in its own module with a `register(app)` function; modules are
cheap to import (no boto3 at import time), so `revoke --help` starts fast. The root
callback's option checks are in revoke.cli.global_options, the argv pre-pass (global
options after the command) in revoke.cli.argv, the error boundary (RevokeGroup) in
revoke.cli.boundary; their names stay importable from here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from revoke import __version__
from revoke.cli import fastparams
from revoke.cli.argv import _attached, _option_name, _options, hoist_global_options
from revoke.cli.boundary import (
    BROKEN_PIPE_EXIT,
    RevokeGroup,
    _debug_enabled,
    _is_broken_pipe,
    _is_cli_signal,
    _quiet_broken_pipe,
    report_error,
)
from revoke.cli.context import Globals, cli_context, default_journal_path
from revoke.cli.global_options import (
    MAX_TIMEOUT,
    UNSUPPORTED_OUTPUTS,
    _check_configured_endpoints,
    _remember_environment_secrets,
    check_endpoint_url,
    choose_output,
)
from revoke.cli.lazy import LazyRevokeGroup
from revoke.errors import BadInput, ExitCode

__all__ = [
    "BROKEN_PIPE_EXIT",
    "COMMANDS",
    "COMMAND_MODULES",
    "MAX_TIMEOUT",
    "UNSUPPORTED_OUTPUTS",
    "Globals",
    "RevokeGroup",
    "_attached",
    "_check_configured_endpoints",
    "_debug_enabled",
    "_is_broken_pipe",
    "_is_cli_signal",
    "_option_name",
    "_options",
    "_quiet_broken_pipe",
    "_remember_environment_secrets",
    "app",
    "check_endpoint_url",
    "choose_output",
    "cli_context",
    "hoist_global_options",
    "main",
    "report_error",
    "run",
    "stdin_is_terminal",
]

_LIFT = ("revoke.cli.lift_cmd", "revoke.cli.org_cmd")  # org_cmd adds `lift org`
# Each command, in `revoke --help` order, and the modules whose register(app) make it:
# only those are imported and built when it runs (revoke.cli.lazy). A test checks this
# against registering every module (tests/cli/test_lazy_commands.py).
COMMANDS: dict[str, tuple[str, ...]] = {
    "user": ("revoke.cli.revoke_cmd",),
    "role": ("revoke.cli.revoke_cmd",),
    "verify": ("revoke.cli.verify_cmd",),
    "status": ("revoke.cli.verify_cmd",),
    "residual": ("revoke.cli.residual_cmd",),
    "trace": ("revoke.cli.trace_cmd",),
    "gc": _LIFT,
    "org": _LIFT,
    "key": ("revoke.cli.key_cmd",),
    "demo": ("revoke.cli.demo_cmd",),
    "respond": ("revoke.cli.respond_cmd",),
    "approve": ("revoke.cli.respond_cmd",),
    "completion": ("revoke.cli.completion_cmd",),
    "lift": _LIFT,
    "token": ("revoke.cli.token_cmd",),
    "journal": ("revoke.cli.journal_cmd",),
    "sandbox": ("revoke.cli.sandbox_cmd",),
}
# Every command module, once, in the order COMMANDS first names it.
COMMAND_MODULES = list(dict.fromkeys(m for modules in COMMANDS.values() for m in modules))
# The root's Typer settings its commands are built with (plain help text, no completion).
TYPER_SETTINGS: dict[str, Any] = {
    "pretty_exceptions_show_locals": False,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    "rich_markup_mode": None,
}
LazyRevokeGroup.commands_table = COMMANDS
LazyRevokeGroup.unit_settings = TYPER_SETTINGS
# What `revoke --help` says of each command: the first sentence of its help (a test
# checks them against the built commands), so listing them builds none (revoke.cli.lazy).
COMMAND_HELP: dict[str, str] = {
    "user": "Deny every session of the user(s) issued before --before, then verify it.",
    "role": "Deny every session of the role(s) issued before --before, then verify it.",
    "verify": (
        "Prove the revocation in force on a user or role, in three layers: read-back of the "
        "policy, its logic (evaluator, and the IAM policy simulator where the endpoint has it),"
        " and enforcement (with --probe-profile: a harmless call, polled until AWS denies it)."
    ),
    "status": (
        "The revocation policies in force and their cutoffs: of one principal, or of every user"
        " and role in the account (or, with --all-accounts, in the organization)."
    ),
    "residual": (
        "Every way a principal can still get in, read-only: access keys, console password, "
        "sessions before the cutoff, service-specific credentials (CodeCommit, Keyspaces, "
        "Bedrock API keys), SSH public keys, signing certificates, MFA devices enabled during "
        "the incident, AWS Sign-In sessions; for a role, its trust policy and instance "
        "profiles."
    ),
    "trace": (
        "The tree of what a credential did, from CloudTrail, read-only: what matters for "
        "containment."
    ),
    "gc": (
        "Remove revocation policies that can no longer deny anything: every token issued before"
        " their cutoff has expired (36 h for users, 12 h for roles, plus --margin)."
    ),
    "org": "Deny sessions issued before --before in every account of the organization (an SCP).",
    "key": (
        "Contain the owner of a leaked access key ID: deactivate the key (AKIA), deny the "
        "owner's sessions issued before the cutoff, verify, journal."
    ),
    "demo": (
        "The whole incident in a local sandbox: a user's key, a session token, revoke user with"
        " its three checks, the old token refused, a new one and the key still working, the "
        "journal entry (--scenario pivot: revoke key --follow)."
    ),
    "respond": (
        "Contain what one security event calls for: a GuardDuty or Security Hub (ASFF) finding "
        "naming an access key, the AWS Health event AWS_RISK_CREDENTIALS_EXPOSED, a CloudTrail "
        "event attaching AWSCompromisedKeyQuarantine*, or a TruffleHog JSON line; bare or in "
        "its EventBridge envelope."
    ),
    "approve": "Carry out a response `revoke respond --mode approve` journalled as pending.",
    "completion": (
        'Print the shell completion script: eval "$(revoke completion bash)" (zsh: the same; '
        "fish: revoke completion fish | source)."
    ),
    "lift": (
        "Undo a revocation recorded in the journal: restore the previous document or remove "
        "ours, reactivate the keys it deactivated."
    ),
    "token": "Issue a temporary credential (GetSessionToken), or inspect one you found.",
    "journal": "The audit journal: every change, its evidence, and a hash chain to prove it.",
    "sandbox": "A local AWS (moto + a fidelity layer) to rehearse and test revocation.",
}
LazyRevokeGroup.short_helps = COMMAND_HELP


app = typer.Typer(
    cls=LazyRevokeGroup,
    name="revoke",
    help="Revoke AWS temporary credentials issued before a cutoff, and prove it.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    **TYPER_SETTINGS,
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
        help="json, table or text. Default: AWS_DEFAULT_OUTPUT, else the profile's output "
        "setting, else json with --query, else table on a terminal and json otherwise.",
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
    output = choose_output(output, query=query, isatty=sys.stdout.isatty(), profile=profile)
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
