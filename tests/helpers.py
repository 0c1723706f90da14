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


def member_client(account: str, service: str = "iam") -> Any:
    """A moto client in a member account, through the OrganizationAccountAccessRole that
    Organizations creates there (as the management account's admin reaches it)."""
    import boto3

    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="setup",
    )["Credentials"]
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
