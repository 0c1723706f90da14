"""The real AWS CLI against the sandbox: a revoked token fails as it would against AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from revoke.sandbox import Sandbox
from revoke.sandbox.authorize import iso_time
from tests.sandbox.helpers import make_user, revocation_deny

AWS = Path(sys.executable).with_name("aws")


def _aws(sandbox: Sandbox, creds: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # keeps the guard's dead proxy; NO_PROXY covers 127.0.0.1
    env.update(sandbox.env(**creds))
    return subprocess.run(
        [str(AWS), *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
def test_aws_cli_sees_the_revoked_token_denied(sandbox: Sandbox) -> None:
    user = make_user(sandbox)
    issued = _aws(sandbox, user, "sts", "get-session-token")
    assert issued.returncode == 0, issued.stderr
    old = json.loads(issued.stdout)["Credentials"]
    assert _aws(sandbox, old, "s3api", "list-buckets").returncode == 0

    cutoff = iso_time(sandbox.clock.now().replace(microsecond=0) + timedelta(seconds=1))
    sandbox.client("iam").put_user_policy(
        UserName="alice",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(revocation_deny(cutoff)),
    )

    denied = _aws(sandbox, old, "s3api", "list-buckets")
    assert denied.returncode in (254, 255)  # AWS CLI v2 and v1 codes for a service error
    assert (
        "An error occurred (AccessDenied) when calling the ListBuckets operation: User: "
        "arn:aws:iam::123456789012:user/alice is not authorized to perform: "
        "s3:ListAllMyBuckets with an explicit deny in an identity-based policy"
    ) in denied.stderr
    who = _aws(sandbox, old, "sts", "get-caller-identity")
    assert who.returncode == 0 and json.loads(who.stdout)["Arn"].endswith(":user/alice")
