"""GetSessionToken as AWS does it (facts 1-4, 7, 13), not as moto does."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from revoke.sandbox import Sandbox
from tests.sandbox.helpers import error_of, make_user, mfa_code, virtual_mfa

NO_CLIENT_VALIDATION = Config(parameter_validation=False)
ASIA = re.compile(r"^ASIA[A-Z2-7]{16}$")


def _account_in(key_id: str) -> str:
    # Tal Be'ery's decoding (the one revoke/core/keyid.py documents).
    raw = base64.b32decode(key_id[4:20])[:6]
    number = int.from_bytes(raw, "big")
    return str((number & 0x7FFFFFFFFF80) >> 7).zfill(12)


def _lifetime(sandbox: Sandbox, creds: dict) -> float:
    expires = creds["Expiration"]
    return (expires - sandbox.clock.now()).total_seconds()


def test_each_session_has_its_own_real_looking_key(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", **make_user(sandbox))
    first = sts.get_session_token()["Credentials"]
    second = sts.get_session_token()["Credentials"]
    assert ASIA.match(first["AccessKeyId"]) and ASIA.match(second["AccessKeyId"])
    assert first["AccessKeyId"] != second["AccessKeyId"]
    assert first["SecretAccessKey"] != second["SecretAccessKey"]
    assert first["SessionToken"] != second["SessionToken"]
    assert _account_in(first["AccessKeyId"]) == sandbox.account_id


def test_session_is_bound_to_its_user(sandbox: Sandbox) -> None:
    creds = sandbox.client("sts", **make_user(sandbox)).get_session_token()["Credentials"]
    identity = sandbox.client("sts", **creds).get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::123456789012:user/alice"
    assert identity["Account"] == "123456789012"
    record = sandbox.tokens.get(creds["AccessKeyId"])
    assert record is not None and record.name == "alice" and record.mfa is False
    assert abs((record.issued_at - sandbox.clock.now()).total_seconds()) < 5


def test_user_duration_default_and_limits(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", config=NO_CLIENT_VALIDATION, **make_user(sandbox))
    assert _lifetime(sandbox, sts.get_session_token()["Credentials"]) == pytest.approx(
        43_200, abs=5
    )
    longest = sts.get_session_token(DurationSeconds=129_600)["Credentials"]
    assert _lifetime(sandbox, longest) == pytest.approx(129_600, abs=5)
    shortest = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert _lifetime(sandbox, shortest) == pytest.approx(900, abs=5)
    with pytest.raises(ClientError) as too_long:
        sts.get_session_token(DurationSeconds=129_601)
    assert error_of(too_long) == (
        "ValidationError",
        "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value less than or equal to 129600",
        400,
    )
    with pytest.raises(ClientError) as too_short:
        sts.get_session_token(DurationSeconds=899)
    assert error_of(too_short)[0] == "ValidationError"
    assert "greater than or equal to 900" in error_of(too_short)[1]


def test_root_duration_default_and_cap(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", config=NO_CLIENT_VALIDATION)  # root: a key no user owns
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"
    assert _lifetime(sandbox, sts.get_session_token()["Credentials"]) == pytest.approx(3_600, abs=5)
    capped = sts.get_session_token(DurationSeconds=7_200)["Credentials"]
    assert _lifetime(sandbox, capped) == pytest.approx(3_600, abs=5)
    short = sts.get_session_token(DurationSeconds=1_000)["Credentials"]
    assert _lifetime(sandbox, short) == pytest.approx(1_000, abs=5)
    with pytest.raises(ClientError) as too_short:
        sts.get_session_token(DurationSeconds=600)
    assert error_of(too_short)[0] == "ValidationError"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"SerialNumber": "GAHT12345678", "TokenCode": "12345"},
            "have length greater than or equal to 6",
        ),
        (
            {"SerialNumber": "GAHT12345678", "TokenCode": "1234567"},
            "have length less than or equal to 6",
        ),
        (
            {"SerialNumber": "GAHT12345678", "TokenCode": "12a456"},
            r"regular expression pattern: [\d]*",
        ),
        (
            {"SerialNumber": "GAHT1234", "TokenCode": "123456"},
            "have length greater than or equal to 9",
        ),
        (
            {"SerialNumber": "G" * 257, "TokenCode": "123456"},
            "have length less than or equal to 256",
        ),
    ],
)
def test_mfa_parameters_are_validated(sandbox: Sandbox, params: dict, expected: str) -> None:
    sts = sandbox.client("sts", config=NO_CLIENT_VALIDATION, **make_user(sandbox))
    with pytest.raises(ClientError) as refused:
        sts.get_session_token(**params)
    code, message, status = error_of(refused)
    assert (code, status) == ("ValidationError", 400)
    assert message.startswith("1 validation error detected: Value ")
    assert expected in message


def test_the_current_code_of_the_users_virtual_device_passes_as_mfa(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", **make_user(sandbox))
    serial, seed = virtual_mfa(sandbox)
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=mfa_code(sandbox, seed))[
        "Credentials"
    ]
    assert sandbox.tokens.get(creds["AccessKeyId"]).mfa is True  # type: ignore[union-attr]


def test_session_credentials_cannot_get_session_tokens(sandbox: Sandbox) -> None:
    creds = sandbox.client("sts", **make_user(sandbox)).get_session_token()["Credentials"]
    with pytest.raises(ClientError) as refused:
        sandbox.client("sts", **creds).get_session_token()
    assert error_of(refused) == (
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
        403,
    )


def test_session_without_mfa_cannot_call_iam(sandbox: Sandbox) -> None:
    creds = sandbox.client("sts", **make_user(sandbox)).get_session_token()["Credentials"]
    with pytest.raises(ClientError) as refused:
        sandbox.client("iam", **creds).list_users()
    assert error_of(refused) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )


def test_session_with_mfa_can_call_iam(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", **make_user(sandbox))
    serial, seed = virtual_mfa(sandbox)
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=mfa_code(sandbox, seed))[
        "Credentials"
    ]
    users = sandbox.client("iam", **creds).list_users()["Users"]
    assert [u["UserName"] for u in users] == ["alice"]


def test_session_cannot_call_other_sts_operations(sandbox: Sandbox) -> None:
    creds = sandbox.client("sts", **make_user(sandbox)).get_session_token()["Credentials"]
    with pytest.raises(ClientError) as refused:
        sandbox.client("sts", **creds).get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assert error_of(refused)[0] == "AccessDenied"


def test_get_caller_identity_is_never_denied(sandbox: Sandbox) -> None:
    deny_all = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    }
    user = make_user(sandbox, policy=deny_all)
    sts = sandbox.client("sts", **user)
    assert sts.get_caller_identity()["Arn"].endswith(":user/alice")
    creds = sts.get_session_token()["Credentials"]  # no policy governs it (fact 3)
    assert sandbox.client("sts", **creds).get_caller_identity()["Arn"].endswith(":user/alice")
    with pytest.raises(ClientError) as denied:
        sandbox.client("s3", **creds).list_buckets()
    assert "with an explicit deny in an identity-based policy" in error_of(denied)[1]


def test_expired_session_is_refused(sandbox: Sandbox) -> None:
    sts = sandbox.client("sts", **make_user(sandbox))
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    s3 = sandbox.client("s3", **creds)
    s3.list_buckets()
    sandbox.clock.advance(timedelta(seconds=901).total_seconds())
    with pytest.raises(ClientError) as expired:
        s3.list_buckets()
    assert error_of(expired) == ("ExpiredToken", "The provided token has expired.", 400)
    with pytest.raises(ClientError) as expired_sts:
        sandbox.client("sts", **creds).get_caller_identity()
    assert error_of(expired_sts)[0] == "ExpiredToken"


def test_unknown_session_token_is_invalid(sandbox: Sandbox) -> None:
    creds = sandbox.client("sts", **make_user(sandbox)).get_session_token()["Credentials"]
    forged = dict(creds, SessionToken=creds["SessionToken"][:-4] + "AAAA")
    with pytest.raises(ClientError) as refused:
        sandbox.client("sts", **forged).get_caller_identity()
    assert error_of(refused)[0] == "InvalidClientTokenId"
