"""`revoke sandbox serve`: a local AWS, on 127.0.0.1 only, where revocation really bites.

The lines it prints are for a person to paste into another shell: comments start with
`#`, the rest are `export` lines. They go to stdout so `revoke sandbox serve > env.sh`
works too. Ctrl-C (or SIGTERM) stops the server and exits 0.
"""

from __future__ import annotations

import shlex
import signal
import threading
from typing import Any

import typer

from revoke.cli.context import get_globals
from revoke.errors import BadInput

sandbox_app = typer.Typer(
    help="A local AWS (moto + a fidelity layer) to rehearse and test revocation.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _check_options(port: int, latency_ms: int, throttle_rate: float) -> None:
    if not 0 <= port <= 65535:
        raise BadInput(
            f"--port {port} is not a TCP port", hint="use 1-65535, or 0 for any free port"
        )
    if latency_ms < 0:
        raise BadInput(f"--latency-ms {latency_ms} is negative")
    if not 0.0 <= throttle_rate <= 1.0:
        raise BadInput(
            f"--throttle-rate {throttle_rate} is not a fraction",
            hint="0 (never) to 1 (every request); 0.1 throttles one request in ten",
        )


# The sandbox refuses AssumeRole to the account root as AWS does, so a rehearsal that
# assumes roles (--accounts, --all-accounts, a member account) needs an IAM user's key.
ROLE_NOTE = (
    "# AWS refuses AssumeRole to the account root, and so does the sandbox: to assume roles",
    "# (revoke ... --accounts / --all-accounts) export an IAM user's key instead, e.g.",
    "#   aws iam create-user --user-name admin",
    "#   aws iam attach-user-policy --user-name admin \\",
    "#       --policy-arn arn:aws:iam::aws:policy/AdministratorAccess",
    "#   aws iam create-access-key --user-name admin",
    "# (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html)",
)


def _banner(sandbox: Any) -> str:
    creds = sandbox.root_credentials
    lines = [
        f"# revoke sandbox: local AWS at {sandbox.endpoint_url} (account {sandbox.account_id})",
        "# Root credentials (any key no IAM user owns acts as the account root).",
        "# Paste into another shell; Ctrl-C here stops the sandbox and forgets everything.",
        f"export AWS_ENDPOINT_URL={shlex.quote(sandbox.endpoint_url)}",
        f"export AWS_ACCESS_KEY_ID={shlex.quote(creds['aws_access_key_id'])}",
        f"export AWS_SECRET_ACCESS_KEY={shlex.quote(creds['aws_secret_access_key'])}",
        "export AWS_DEFAULT_REGION=us-east-1",
        *ROLE_NOTE,
        "unset AWS_SESSION_TOKEN AWS_PROFILE",
    ]
    return "\n".join(lines)


@sandbox_app.command("serve")
def serve(
    ctx: typer.Context,
    port: int = typer.Option(5000, "--port", help="TCP port on 127.0.0.1 (0: any free port)."),
    latency_ms: int = typer.Option(0, "--latency-ms", help="Delay every request by N ms."),
    throttle_rate: float = typer.Option(
        0.0, "--throttle-rate", help="Answer this fraction of requests with Throttling (0-1)."
    ),
) -> None:
    """Serve the sandbox until Ctrl-C, printing the environment to point clients at it."""
    globals_ = get_globals(ctx)
    _check_options(port, latency_ms, throttle_rate)
    from revoke.sandbox import Sandbox

    sandbox = Sandbox(port=port, latency_ms=latency_ms, throttle_rate=throttle_rate)
    try:
        sandbox.start()
    except OSError as err:
        raise BadInput(
            f"cannot listen on 127.0.0.1:{port}: {err.strerror or err}",
            hint="pick another --port, or --port 0 for any free port",
        ) from None
    stop = threading.Event()
    previous = _on_sigterm(stop.set)
    try:
        typer.echo(_banner(sandbox))
        globals_.say(f"sandbox: serving {sandbox.endpoint_url}; Ctrl-C to stop")
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        _restore_sigterm(previous)
        globals_.say("sandbox: stopped")


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _on_sigterm(handler: Any) -> Any:
    """SIGTERM and SIGINT stop the server, whatever this process inherited: a sandbox
    started in the background of a script (`revoke sandbox serve &`) inherits SIGINT
    ignored, and would otherwise outlive a `kill -INT` (and the Ctrl-C it promises)."""
    try:
        return {sig: signal.signal(sig, lambda *_: handler()) for sig in _STOP_SIGNALS}
    except ValueError:  # not the main thread (e.g. a test runner's worker)
        return None


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        try:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        except ValueError:
            pass


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")
