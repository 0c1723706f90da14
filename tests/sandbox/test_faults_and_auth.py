"""Signatures, dead keys, and the injected faults (latency, throttling: fact 19)."""

from __future__ import annotations

import time
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox
from tests.sandbox.helpers import error_of, make_user

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def test_wrong_secret_is_refused(sandbox: Sandbox) -> None:
    user = make_user(sandbox)
    bad = dict(user, aws_secret_access_key="x" * 40)
    with pytest.raises(ClientError) as refused:
        sandbox.client("sts", **bad).get_caller_identity()
    code, message, status = error_of(refused)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("The request signature we calculated does not match")
    creds = sandbox.client("sts", **user).get_session_token()["Credentials"]
    with pytest.raises(ClientError) as s3_refused:
        sandbox.client("s3", **dict(creds, SecretAccessKey="y" * 40)).list_buckets()
    assert error_of(s3_refused)[0] == "SignatureDoesNotMatch"


def test_deactivated_key_is_refused_but_its_sessions_live(sandbox: Sandbox) -> None:
    """Sessions outlive the key that minted them: they "cannot be revoked" (IAM User
    Guide, id_credentials_temp_control-access), which is why revocation is a policy."""
    user = make_user(sandbox)
    creds = sandbox.client("sts", **user).get_session_token()["Credentials"]
    sandbox.client("iam").update_access_key(
        UserName="alice", AccessKeyId=user["aws_access_key_id"], Status="Inactive"
    )
    with pytest.raises(ClientError) as refused:
        sandbox.client("sts", **user).get_caller_identity()
    assert error_of(refused)[0] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as s3_refused:
        sandbox.client("s3", **user).list_buckets()
    assert error_of(s3_refused)[0] == "InvalidAccessKeyId"
    assert sandbox.client("s3", **creds).list_buckets()["Buckets"] == []


def test_s3_rest_actions_and_presigned_urls(sandbox: Sandbox) -> None:
    creds = sandbox.client("sts", **make_user(sandbox)).get_session_token()["Credentials"]
    s3 = sandbox.client("s3", **creds)
    s3.create_bucket(Bucket="evidence")
    s3.put_object(Bucket="evidence", Key="logs/über 1.txt", Body=b"proof")
    assert s3.head_object(Bucket="evidence", Key="logs/über 1.txt")["ContentLength"] == 5
    listed = s3.list_objects_v2(Bucket="evidence")["Contents"]
    assert [o["Key"] for o in listed] == ["logs/über 1.txt"]
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "evidence", "Key": "logs/über 1.txt"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        assert response.read() == b"proof"
    s3.delete_object(Bucket="evidence", Key="logs/über 1.txt")
    s3.delete_bucket(Bucket="evidence")


def test_throttling_injection_is_seeded() -> None:
    with Sandbox(throttle_rate=0.5, seed=3) as sandbox:
        sts = sandbox.client("sts", config=NO_RETRIES)
        outcomes = []
        for _ in range(40):
            try:
                sts.get_caller_identity()
                outcomes.append("ok")
            except ClientError as err:
                assert err.response["Error"] == {
                    "Type": "Sender",
                    "Code": "Throttling",
                    "Message": "Rate exceeded",
                }
                assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
                outcomes.append("throttled")
    assert 8 <= outcomes.count("throttled") <= 32
    with Sandbox(throttle_rate=0.5, seed=3) as again:
        sts = again.client("sts", config=NO_RETRIES)
        replay = []
        for _ in range(40):
            try:
                sts.get_caller_identity()
                replay.append("ok")
            except ClientError:
                replay.append("throttled")
    assert replay == outcomes


def test_standard_retries_ride_out_throttling() -> None:
    with Sandbox(throttle_rate=0.2, seed=5) as sandbox:
        iam = sandbox.client(
            "iam", config=Config(retries={"mode": "standard", "total_max_attempts": 10})
        )
        for index in range(6):
            iam.create_user(UserName=f"user-{index}")
        assert len(iam.list_users()["Users"]) == 6


def test_latency_injection() -> None:
    with Sandbox(latency_ms=50) as sandbox:
        sts = sandbox.client("sts")
        sts.get_caller_identity()
        started = time.monotonic()
        sts.get_caller_identity()
        assert time.monotonic() - started >= 0.05


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError):
        Sandbox(throttle_rate=1.5)
    with pytest.raises(ValueError):
        Sandbox(latency_ms=-1)


def test_concurrent_clients(sandbox: Sandbox) -> None:
    """The server is threaded: sessions issued and used in parallel stay distinct."""
    from concurrent.futures import ThreadPoolExecutor

    sts = sandbox.client("sts", **make_user(sandbox))

    def issue_and_use(_: int) -> str:
        creds = sts.get_session_token()["Credentials"]
        assert sandbox.client("s3", **creds).list_buckets()["Buckets"] == []
        return creds["AccessKeyId"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(issue_and_use, range(32)))
    assert len(set(keys)) == 32


def test_json_protocol_denial(sandbox: Sandbox) -> None:
    only_s3 = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    with pytest.raises(ClientError) as denied:
        sandbox.client("organizations", **make_user(sandbox, policy=only_s3)).list_accounts()
    code, message, _ = error_of(denied)
    assert code == "AccessDeniedException"
    assert message.endswith(
        "because no identity-based policy allows the organizations:ListAccounts action"
    )


def test_session_iam_calls_default_to_the_signing_user(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", **make_user(sandbox))
    # A hardware device: moto holds no secret for it, so any six digits pass (mfa.py).
    sandbox.client("iam").enable_mfa_device(
        UserName="alice",
        SerialNumber="GAHT12345678",
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    creds = sts.get_session_token(SerialNumber="GAHT12345678", TokenCode="654321")["Credentials"]
    iam = sandbox.client("iam", **creds)
    assert iam.get_user()["User"]["UserName"] == "alice"
    assert len(iam.list_access_keys()["AccessKeyMetadata"]) == 1


def test_rest_json_action_named_from_the_service_model(sandbox: Sandbox) -> None:
    only_s3 = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    with pytest.raises(ClientError) as denied:
        sandbox.client("lambda", **make_user(sandbox, policy=only_s3)).list_functions()
    assert "perform: lambda:ListFunctions because no identity-based policy" in error_of(denied)[1]
