"""The installed console script against a real HTTP endpoint (moto's server), as a
responder would run it: `revoke user alice --before now` attaches the documented policy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def revoke_exe() -> list[str]:
    found = shutil.which("revoke", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "revoke"]


def test_console_script_attaches_the_documented_policy(moto_endpoint: str) -> None:
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    iam.create_user(UserName="alice")
    env = dict(os.environ, AWS_ENDPOINT_URL=moto_endpoint)
    proc = subprocess.run(
        [*revoke_exe(), "user", "alice", "--before", "now"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # not a terminal: JSON by default
    cutoff = out["cutoff"]
    assert cutoff.endswith("Z") and len(cutoff) == 20
    document = iam.get_user_policy(UserName="alice", PolicyName="AWSRevokeOlderSessions")[
        "PolicyDocument"
    ]
    assert document == {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}},
        },
    }
    assert "Traceback" not in proc.stderr


def test_python_dash_m_and_bad_input_exit_code(moto_endpoint: str) -> None:
    env = dict(os.environ, AWS_ENDPOINT_URL=moto_endpoint)
    proc = subprocess.run(
        [sys.executable, "-m", "revoke", "user", "alice", "--before", "2026-11-29T10:00:00"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("revoke: error: '2026-11-29T10:00:00' has no time zone")
