"""Helpers shared by the sandbox tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from revoke.sandbox import Sandbox

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def revocation_deny(cutoff: str) -> dict[str, Any]:
    """The deny of fact 8, exactly as the brief and the console write it."""
    return {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}},
        },
    }


def make_user(
    sandbox: Sandbox, name: str = "alice", policy: dict[str, Any] | None = ALLOW_ALL
) -> dict[str, str]:
    """An IAM user with an inline policy and an access key: boto3 keyword credentials."""
    iam = sandbox.client("iam")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="grant", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError."""
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def virtual_mfa(sandbox: Sandbox, user: str = "alice") -> tuple[str, str]:
    """A virtual MFA device enabled for `user`: (serial, Base32 seed). The two enabling
    codes are the seed's at the sandbox clock, as an authenticator app would show them."""
    from revoke.sandbox.mfa import totp

    iam = sandbox.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else seed
    now = sandbox.clock.now()
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp(seed, now, step_offset=-1),
        AuthenticationCode2=totp(seed, now),
    )
    return device["SerialNumber"], seed


def mfa_code(sandbox: Sandbox, seed: str, *, step_offset: int = 0) -> str:
    """The device's one-time code now, by the sandbox clock (never the wall clock)."""
    from revoke.sandbox.mfa import totp

    return totp(seed, sandbox.clock.now(), step_offset=step_offset)
