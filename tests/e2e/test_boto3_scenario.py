"""Issue 4's scenario in-process: boto3 as the attacker's client, `revoke` through its CLI
entry point, the sandbox's clock moved instead of waiting.

Only what tests elsewhere do not already pin: the user story with `revoke user` is the
demo's (tests/cli/test_demo_cmd.py), the session-token rules and duration limits are
tests/sandbox/test_session_tokens.py, and tests/sandbox/test_revocation.py writes the deny
by hand. Here: `revoke role` against a live AssumeRole session, and what expiry does to a
revoked token and to a probe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from revoke.core.timeparse import cutoff_datetime
from revoke.sandbox import Sandbox
from tests.helpers import json_out, run_cli
from tests.sandbox.helpers import ALLOW_ALL, error_of, make_user

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}
EXPLICIT_DENY = "with an explicit deny in an identity-based policy"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A fresh sandbox per test: the tests move its clock, and `revoke --before now` reads
    the real one, so a clock moved by an earlier test would put tokens after the cutoff."""
    with Sandbox() as sb:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sb.root_credentials["aws_access_key_id"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sb.root_credentials["aws_secret_access_key"])
        monkeypatch.setenv("AWS_ENDPOINT_URL", sb.endpoint_url)
        yield sb


def past_the_cutoff(sandbox: Sandbox, cutoff: str) -> None:
    """Move the sandbox clock one second past the cutoff (fact 10) instead of sleeping."""
    behind = (cutoff_datetime(cutoff) - sandbox.clock.now()).total_seconds()
    sandbox.clock.advance(max(0.0, behind) + 1)


def test_revoke_role_denies_the_live_assume_role_session(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    role_arn = iam.create_role(
        RoleName="deploy", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT)
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName="deploy", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    sts = sandbox.client("sts", **make_user(sandbox, "carol"))
    session = sts.assume_role(RoleArn=role_arn, RoleSessionName="attacker")["Credentials"]
    sandbox.client("s3", **session).list_buckets()

    result = run_cli("--output", "json", "role", "deploy", "--before", "now")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["targets"][0]["verification"]["status"] == "verified"

    with pytest.raises(ClientError) as denied:
        sandbox.client("s3", **session).list_buckets()
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/attacker"
    assert error_of(denied) == (
        "AccessDenied",
        f"User: {session_arn} is not authorized to perform: s3:ListAllMyBuckets {EXPLICIT_DENY}",
        403,
    )
    assert sandbox.client("sts", **session).get_caller_identity()["Arn"] == session_arn

    past_the_cutoff(sandbox, out["cutoff"])
    fresh = sts.assume_role(RoleArn=role_arn, RoleSessionName="after")["Credentials"]
    assert sandbox.client("s3", **fresh).list_buckets()["Buckets"] == []


def test_a_revoked_token_expires_and_an_expired_probe_proves_nothing(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = make_user(sandbox)
    sts = sandbox.client("sts", **key)
    old = sts.get_session_token(DurationSeconds=900)["Credentials"]
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[old]\naws_access_key_id = {old['AccessKeyId']}\n"
        f"aws_secret_access_key = {old['SecretAccessKey']}\n"
        f"aws_session_token = {old['SessionToken']}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))

    result = run_cli(
        "--output", "json", "user", "alice", "--before", "now", "--probe-profile", "old"
    )
    assert result.exit_code == 0, result.stderr
    cutoff = json_out(result)["cutoff"]
    with pytest.raises(ClientError) as denied:
        sandbox.client("s3", **old).list_buckets()
    assert EXPLICIT_DENY in error_of(denied)[1]

    # Fifteen minutes later, without waiting: expiry is checked before any policy (fact 5).
    sandbox.clock.advance(901)
    with pytest.raises(ClientError) as expired:
        sandbox.client("s3", **old).list_buckets()
    assert error_of(expired) == ("ExpiredToken", "The provided token has expired.", 400)
    # An expired probe cannot show enforcement: revoke verify says so, exit 253.
    again = run_cli("--output", "json", "verify", "user", "alice", "--probe-profile", "old")
    assert again.exit_code == 253, again.stderr
    assert "ExpiredToken" in again.stderr and "Traceback" not in again.stderr

    # The deny stays in force and harmless: later tokens and the key work.
    assert cutoff_datetime(cutoff) < sandbox.clock.now()
    fresh = sts.get_session_token()["Credentials"]
    assert sandbox.client("s3", **fresh).list_buckets()["Buckets"] == []
    assert sandbox.client("s3", **key).list_buckets()["Buckets"] == []
