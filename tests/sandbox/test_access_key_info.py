"""Sandbox fidelity for `revoke key`: sts:GetAccessKeyInfo names the account that owns a
key ID (fact 7) the way AWS does, and an action moto lacks is a clean NotImplemented."""

from __future__ import annotations

import botocore.exceptions
import pytest

from revoke.core.keyid import decode_account
from revoke.sandbox import Sandbox
from revoke.sandbox.tokens import key_id_for_account
from tests.sandbox.helpers import make_user

OTHER = "210987654321"


def test_a_key_id_of_another_account_is_that_account(sandbox: Sandbox) -> None:
    # moto alone answers the caller's account for any key it does not know.
    key_id = key_id_for_account("AKIA", OTHER)
    found = sandbox.client("sts").get_access_key_info(AccessKeyId=key_id)
    assert found["Account"] == OTHER == decode_account(key_id)


def test_users_keys_and_sessions_are_their_accounts(sandbox: Sandbox) -> None:
    alice = make_user(sandbox)
    session = sandbox.client("sts", **alice).get_session_token()["Credentials"]
    sts = sandbox.client("sts")
    for key_id in (alice["aws_access_key_id"], session["AccessKeyId"]):
        assert sts.get_access_key_info(AccessKeyId=key_id)["Account"] == sandbox.account_id


def test_a_session_token_may_not_ask(sandbox: Sandbox) -> None:
    # Fact 4: GetSessionToken credentials may call no STS API but AssumeRole and
    # GetCallerIdentity.
    alice = make_user(sandbox)
    creds = sandbox.client("sts", **alice).get_session_token()["Credentials"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        sandbox.client("sts", **creds).get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_an_action_moto_lacks_is_not_implemented_and_not_retried(sandbox: Sandbox) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        # LookupEvents is the sandbox's own now (cloudtrail.py); Lake queries are not
        sandbox.client("cloudtrail").describe_query(QueryId="0" * 36)
    response = err.value.response
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["ResponseMetadata"].get("RetryAttempts", 0) == 0
