"""`revoke sandbox serve`: paste-able environment on stdout, clean exit on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

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


def test_the_banner_says_how_to_assume_roles_and_its_recipe_works(sandbox: Any) -> None:
    import json

    from botocore.exceptions import ClientError

    from revoke.cli.sandbox_cmd import _banner

    banner = _banner(sandbox).splitlines()
    assert all(line.startswith(("#", "export ", "unset ")) for line in banner)  # pasteable
    assert any("refuses AssumeRole to the account root" in line for line in banner)
    root_iam = sandbox.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{sandbox.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = root_iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps(trust))
    arn = role["Role"]["Arn"]
    with pytest.raises(ClientError) as refused:  # the exported root key
        sandbox.client("sts").assume_role(RoleArn=arn, RoleSessionName="rehearsal")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # The banner's recipe, step by step, then the user's key assumes the role.
    root_iam.create_user(UserName="admin")
    root_iam.attach_user_policy(
        UserName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    key = root_iam.create_access_key(UserName="admin")["AccessKey"]
    sts = sandbox.client(
        "sts",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    assumed = sts.assume_role(RoleArn=arn, RoleSessionName="rehearsal")
    assert assumed["AssumedRoleUser"]["Arn"].endswith(":assumed-role/ops/rehearsal")
