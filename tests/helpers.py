"""Shared test helpers: drive the CLI like a user does, with stdout and stderr apart."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from revoke.cli.app import app


def run_cli(*args: str, input: str | None = None) -> Any:
    """Run `revoke ARGS...` in-process through the real error boundary."""
    return CliRunner().invoke(app, list(args), input=input)


def json_out(result: Any) -> dict[str, Any]:
    """stdout must be exactly one JSON object, nothing else."""
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def assert_clean_failure(result: Any, code: int) -> None:
    """The documented exit code, one-line error on stderr, no traceback, empty stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert result.stderr.strip(), "an error must say what went wrong"
