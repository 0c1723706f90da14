"""The guard of tests/conftest.py really stops a request for a real AWS endpoint."""

from __future__ import annotations

import subprocess
import sys

import boto3
import pytest

from tests.conftest import RealAwsRequest


def test_in_process_request_to_real_aws_is_refused() -> None:
    client = boto3.client("sts", region_name="us-east-1")
    with pytest.raises(RealAwsRequest, match="sts.us-east-1.amazonaws.com"):
        client.get_caller_identity()


def test_subprocess_request_to_real_aws_fails_at_the_dead_proxy() -> None:
    code = (
        "import boto3, botocore.config as c\n"
        "cfg = c.Config(retries={'max_attempts': 1}, connect_timeout=2, read_timeout=2)\n"
        "boto3.client('sts', region_name='us-east-1', config=cfg).get_caller_identity()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "ProxyConnectionError" in proc.stderr or "proxy" in proc.stderr.lower()
