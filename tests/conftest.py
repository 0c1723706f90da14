"""Session-wide guards: no test may reach real AWS, and none may read the developer's
own AWS configuration or journal.

The guard has two layers (like prowler's tests/providers/aws/conftest.py):
- in-process: botocore's HTTP sender refuses any host that is not loopback, with a clear
  error naming the URL;
- subprocesses (the AWS CLI, `revoke` itself): HTTP(S)_PROXY points at a closed loopback
  port, with NO_PROXY for loopback only, so a request for a real endpoint fails fast.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

DEAD_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused


class RealAwsRequest(AssertionError):
    """A test tried to send a request to a real AWS endpoint."""


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _isolate_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # Credentials and config that belong to nobody, so nothing of the developer's leaks in.
    for var in list(os.environ):
        if var.startswith("AWS_") or var.startswith("REVOKE_"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-not-real")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, DEAD_PROXY)
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(var, "127.0.0.1,localhost,::1")

    from botocore.httpsession import URLLib3Session

    real_send = URLLib3Session.send

    def guarded_send(self: URLLib3Session, request):  # type: ignore[no-untyped-def]
        host = urlsplit(request.url).hostname or ""
        if not _is_loopback(host):
            raise RealAwsRequest(f"test tried to reach a real AWS endpoint: {request.url}")
        return real_send(self, request)

    monkeypatch.setattr(URLLib3Session, "send", guarded_send)
    yield
