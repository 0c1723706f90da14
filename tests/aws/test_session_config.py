"""Issue 18 item 1: botocore resolves credentials, endpoints and retries as the AWS CLI does
(revoke/aws/session.py); the global options override only when given.

Endpoints and request counts are checked against a local socket that records what reaches
it, never AWS."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.aws.session import READ_ATTEMPTS, WRITE_ATTEMPTS, AwsSession
from tests.helpers import assert_clean_failure, run_cli

EXPORTED_KEY = "AKIAIOSFODNN7EXAMPLE"  # tests/conftest.py exports it


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request with a 500 (botocore retries those) and counts them."""

    seen: list[str]

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode()
        action = next((p[7:] for p in body.split("&") if p.startswith("Action=")), "?")
        self.seen.append(action)
        payload = (
            b"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
            b"<Message>recorded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
        )
        self.send_response(500)
        self.send_header("content-type", "text/xml")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without their sleeps: counts are what matters, not time."""
    import botocore.retries.standard

    monkeypatch.setattr(
        botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0
    )


def _config(text: str) -> None:
    import os

    Path(os.environ["AWS_CONFIG_FILE"]).write_text(text)


def _credentials(text: str) -> None:
    import os

    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(text)


# Which identity: exported keys beat AWS_PROFILE, --profile beats exported keys (as `aws`).


def test_exported_keys_beat_aws_profile_and_profile_option_beats_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _credentials("[other]\naws_access_key_id = AKIAOTHERPROFILE0001\naws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_PROFILE", "other")
    assert AwsSession().frozen_credentials().access_key == EXPORTED_KEY
    assert AwsSession(profile="other").frozen_credentials().access_key == "AKIAOTHERPROFILE0001"
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert AwsSession().frozen_credentials().access_key == "AKIAOTHERPROFILE0001"


def test_the_run_acts_as_the_identity_aws_would_use_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="alice")
        iam.create_user(UserName="bob")
        key = iam.create_access_key(UserName="bob")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        _credentials(
            "[other]\naws_access_key_id = AKIAOTHERPROFILE0001\naws_secret_access_key = x\n"
        )
        monkeypatch.setenv("AWS_PROFILE", "other")
        result = run_cli("-o", "json", "user", "alice", "--before", "now", "--dry-run")
        assert result.exit_code == 0, result.stderr
        first = result.stderr.splitlines()[0]
        assert first == "acting as arn:aws:iam::123456789012:user/bob (account 123456789012)"
        # --profile, given after the command: the profile's identity, not bob's.
        result = run_cli("user", "alice", "--before", "now", "--dry-run", "--profile", "other")
        assert result.exit_code == 0, result.stderr
        assert result.stderr.startswith("acting as ") and "user/bob" not in result.stderr


# Which endpoint each variable selects.


def _endpoints(session: AwsSession) -> tuple[str, str]:
    return session.client("iam").meta.endpoint_url, session.client("sts").meta.endpoint_url


def test_service_endpoint_variables_beat_the_global_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7001")
    assert _endpoints(AwsSession()) == ("http://127.0.0.1:7001", "http://127.0.0.1:7001")
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:7002")
    assert _endpoints(AwsSession()) == ("http://127.0.0.1:7002", "http://127.0.0.1:7001")
    # The option beats every configured endpoint.
    given = AwsSession(endpoint_url="http://127.0.0.1:7003")
    assert _endpoints(given) == ("http://127.0.0.1:7003", "http://127.0.0.1:7003")


def test_ignore_configured_endpoint_urls_turns_them_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7001")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    iam, sts = _endpoints(AwsSession())
    assert "127.0.0.1" not in iam and "127.0.0.1" not in sts
    assert AwsSession().endpoint_url is None


def test_endpoint_url_in_the_profile_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    _config("[profile sandbox]\nendpoint_url = http://127.0.0.1:7004\n")
    session = AwsSession(profile="sandbox")
    assert _endpoints(session) == ("http://127.0.0.1:7004", "http://127.0.0.1:7004")
    assert session.endpoint_url == "http://127.0.0.1:7004"  # the signin client keeps it too
    # An assumed session (fan-out, probes) keeps the profile's endpoint, not its keys.
    assumed = session.assume(
        {"aws_access_key_id": "ASIAASSUMED000000001", "aws_secret_access_key": "y" * 40}
    )
    assert _endpoints(assumed)[0] == "http://127.0.0.1:7004"
    assert assumed.frozen_credentials().access_key == "ASIAASSUMED000000001"


def test_requests_go_where_the_variables_say(
    recorder: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = recorder
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = run_cli("-o", "json", "user", "alice", "--before", "now", "--dry-run")
    assert_clean_failure(result, 254)
    assert seen == ["GetCallerIdentity"]


# How many requests: max_attempts and retry_mode are the user's.


@pytest.mark.parametrize(
    ("variable", "config", "expected"),
    [
        (None, "", READ_ATTEMPTS),
        ("1", "", 1),
        ("3", "", 3),
        (None, "[default]\nmax_attempts = 2\n", 2),
        (None, "[default]\nretry_mode = legacy\nmax_attempts = 1\n", 1),
    ],
    ids=["revoke-default", "AWS_MAX_ATTEMPTS=1", "AWS_MAX_ATTEMPTS=3", "config", "legacy"],
)
def test_a_failing_call_is_sent_as_many_times_as_aws_would(
    recorder: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    variable: str | None,
    config: str,
    expected: int,
) -> None:
    url, seen = recorder
    if variable is not None:
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", variable)
    _config(config)
    result = run_cli("--endpoint-url", url, "-o", "json", "user", "alice", "--before", "now")
    assert_clean_failure(result, 254)
    assert seen == ["GetCallerIdentity"] * expected


def test_retry_mode_is_the_configs_and_bulk_writes_keep_their_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    session = AwsSession()
    read = session.client("iam").meta.config.retries
    write = session.client("iam", attempts=WRITE_ATTEMPTS).meta.config.retries
    assert read == {"total_max_attempts": 1, "mode": "adaptive"}
    assert write == {"total_max_attempts": WRITE_ATTEMPTS, "mode": "adaptive"}
    monkeypatch.delenv("AWS_RETRY_MODE")
    assert AwsSession().client("sts").meta.config.retries["mode"] == "standard"


def test_a_max_attempts_that_is_not_a_number_is_253(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "many")
    result = run_cli("--endpoint-url", "http://127.0.0.1:9", "user", "alice", "--before", "now")
    assert_clean_failure(result, 253)
    assert "max_attempts" in result.stderr


# Credentials the AWS CLI way: the MFA role session cached, SSO and credential_process 253.


def test_an_mfa_role_profile_asks_for_its_code_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import botocore.credentials

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    asked: list[str] = []

    def prompter(question: str) -> str:
        asked.append(question)
        return "123456"

    init = botocore.credentials.AssumeRoleProvider.__init__
    defaults = list(init.__defaults__ or ())
    defaults[0] = prompter  # prompter=getpass.getpass, the first default
    monkeypatch.setattr(init, "__defaults__", tuple(defaults))
    _config(
        "[profile responder]\nrole_arn = arn:aws:iam::123456789012:role/responder\n"
        "source_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n"
    )
    _credentials("[base]\naws_access_key_id = AKIABASEPROFILE00001\naws_secret_access_key = x\n")
    with mock_aws():
        boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")
        for _ in range(2):
            result = run_cli("-o", "json", "user", "alice", "--before", "now", "--dry-run",
                             "--profile", "responder")  # fmt: skip
            assert result.exit_code == 0, result.stderr
            assert "assumed-role/responder/" in result.stderr.splitlines()[0]
    assert len(asked) == 1
    cached = list((tmp_path / "home" / ".aws" / "cli" / "cache").glob("*.json"))
    assert len(cached) == 1  # where `aws` looks for it
    assert json.loads(cached[0].read_text())["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_an_sso_profile_without_a_token_is_253_with_the_login_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _config(
        "[profile corp]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Responder\n"
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_PROFILE", "corp")
    result = run_cli("--endpoint-url", "http://127.0.0.1:9", "user", "alice", "--before", "now")
    assert_clean_failure(result, 253)
    assert "hint: aws sso login --profile corp" in result.stderr


def test_a_failing_credential_process_is_253(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    _config(f"[profile vault]\ncredential_process = {shutil.which('false') or 'false'}\n")
    result = run_cli(
        "--endpoint-url", "http://127.0.0.1:9", "user", "alice", "--before", "now",
        "--profile", "vault",
    )  # fmt: skip
    assert_clean_failure(result, 253)
    assert "credential_process" in result.stderr
