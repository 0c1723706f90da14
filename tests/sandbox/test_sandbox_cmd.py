"""`revoke sandbox serve`: paste-able environment on stdout, clean exit on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import boto3
import pytest
from typer.testing import CliRunner

from revoke.cli.app import app


@pytest.mark.parametrize(
    "args",
    [["--throttle-rate", "1.5"], ["--latency-ms", "-5"], ["--port", "70000"]],
)
def test_bad_options_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["sandbox", "serve", *args])
    assert result.exit_code == 2


@pytest.mark.slow
def test_serve_prints_the_environment_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "revoke", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("unset "):
                break
        env = dict(
            line.removeprefix("export ").split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        iam = boto3.session.Session().client(
            "iam",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"].strip("'"),
        )
        iam.create_user(UserName="alice")
        assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "sandbox: stopped" in stderr
