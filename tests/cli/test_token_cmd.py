"""`revoke token issue|inspect` against moto: what a responder sees on stdout and stderr.

moto's GetSessionToken returns one fixed AKIA key and ignores MFA; its GetCallerIdentity
answers `user/moto` for a key it does not know. Good enough for formats, files, limits and
error paths; the real issue -> revoke -> inspect flow runs in the sandbox (tests/e2e).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core.exportfmt import FORMATS, ExportCredentials, render
from revoke.state import credfile
from revoke.state.ledger import Ledger, new_record
from tests.helpers import assert_clean_failure, json_out, run_cli

SERIAL = "arn:aws:iam::123456789012:mfa/alice"
ACCOUNT = "123456789012"
TOKEN = "IQoJb3JpZ2luX2VjTEST+session/token=="


@pytest.fixture
def alice(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto with IAM user alice; the environment holds alice's long-term key."""
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="alice")
        iam.create_user(UserName="moto")  # whom moto's GetCallerIdentity names for unknown keys
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
        yield {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS operation the command sends, by name."""
    import botocore.client

    seen: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def spy(self: Any, operation_name: str, api_params: Any) -> Any:
        seen.append(operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return seen


def ledger() -> Ledger:
    return Ledger.in_state_dir(Path(os.environ["XDG_STATE_HOME"]) / "revoke")


def ledger_lines() -> list[dict[str, Any]]:
    path = ledger().path
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def no_secret_in(result: Any, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stderr, "a secret reached stderr"


# -- issue ----------------------------------------------------------------------------------


def test_issue_prints_get_session_tokens_credentials_and_nothing_else(
    alice: dict[str, str], calls: list[str]
) -> None:
    result = run_cli("token", "issue")
    assert result.exit_code == 0, result.stderr
    creds = json_out(result)
    assert set(creds) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert calls == ["GetCallerIdentity", "GetSessionToken"]
    # expiry and who, for people, on stderr; the secret never there
    assert "arn:aws:iam::123456789012:user/alice" in result.stderr
    assert creds["Expiration"] in result.stderr and "(in 12h)" in result.stderr
    no_secret_in(result, creds["SecretAccessKey"], creds["SessionToken"], alice["secret"])


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_prints_exactly_that_format(alice: dict[str, str], name: str) -> None:
    result = run_cli("token", "issue", "--format", name)
    assert result.exit_code == 0, result.stderr
    (line,) = ledger_lines()
    moto_secret, moto_token = _moto_secrets()
    expected = render(
        name,
        ExportCredentials(line["access_key_id"], moto_secret, moto_token, line["expires_at"]),
    )
    assert result.stdout == expected
    no_secret_in(result, moto_secret, moto_token)


def _moto_secrets() -> tuple[str, str]:
    found = boto3.client("sts", region_name="us-east-1").get_session_token()["Credentials"]
    return found["SecretAccessKey"], found["SessionToken"]


def test_mfa_token_is_recorded_in_the_ledger_without_secrets(alice: dict[str, str]) -> None:
    result = run_cli(
        "token", "issue", "--duration", "2h", "--serial-number", SERIAL, "--token-code", "123456"
    )
    assert result.exit_code == 0, result.stderr
    creds = json_out(result)
    (line,) = ledger_lines()
    assert line["access_key_id"] == creds["AccessKeyId"]
    assert line["principal_arn"] == "arn:aws:iam::123456789012:user/alice"
    assert (line["mfa"], line["mfa_serial"], line["duration_seconds"]) == (True, SERIAL, 7200)
    assert line["expires_at"] == creds["Expiration"]
    assert line["source_access_key_id"] == alice["key"]
    text = ledger().path.read_text()
    for secret in (creds["SecretAccessKey"], creds["SessionToken"], alice["secret"]):
        assert secret not in text
    assert stat.S_IMODE(ledger().path.stat().st_mode) == 0o600
    assert ledger().path.parent == Path(os.environ["XDG_STATE_HOME"]) / "revoke"


def test_write_profile_writes_a_usable_profile_and_prints_no_secret(
    alice: dict[str, str],
) -> None:
    path = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    path.write_text("# mine\n[keep]\naws_access_key_id = AKIAKEEPKEEPKEEPKEEP\n")
    result = run_cli("token", "issue", "--write-profile", "incident")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # no --format: the credential only goes to the file
    assert "profile 'incident' written" in result.stderr and "--profile incident" in result.stderr
    assert path.read_text().startswith("# mine\n[keep]\naws_access_key_id = AKIAKEEPKEEPKEEPKEEP\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = credfile.read_profile(path, "incident")
    assert written is not None
    assert written["x_security_token_expires"] == ledger_lines()[0]["expires_at"]
    ident = boto3.Session(profile_name="incident").client("sts", region_name="us-east-1")
    assert ident.get_caller_identity()["Account"] == ACCOUNT
    assert ledger_lines()[0]["profile_written"] == "incident"


def test_write_profile_refuses_long_term_keys_before_any_call(
    alice: dict[str, str], calls: list[str]
) -> None:
    path = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    original = "[prod]\naws_access_key_id = AKIAPRODPRODPRODPROD\naws_secret_access_key = s\n"
    path.write_text(original)
    result = run_cli("token", "issue", "--write-profile", "prod")
    assert_clean_failure(result, 2)
    assert "holds long-term keys (AKIAPRODPRODPRODPROD)" in result.stderr
    assert "--force" in result.stderr
    assert calls == [] and ledger_lines() == [] and path.read_text() == original
    forced = run_cli("token", "issue", "--write-profile", "prod", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert (credfile.read_profile(path, "prod") or {}).get("aws_session_token")


@pytest.mark.parametrize(
    ("duration", "says"),
    [
        ("40h", "an IAM user gets at most 129600 s (36h)"),
        ("129601", "an IAM user gets at most 129600 s (36h)"),
        ("10m", "at least 900 s"),
        ("soon", "cannot read 'soon' as a duration"),
    ],
)
def test_user_duration_limits_are_checked_before_get_session_token(
    alice: dict[str, str], calls: list[str], duration: str, says: str
) -> None:
    result = run_cli("token", "issue", "--duration", duration)
    assert_clean_failure(result, 2)
    assert says in result.stderr
    assert "GetSessionToken" not in calls and ledger_lines() == []


@pytest.mark.parametrize("duration", ["36h", "129600", "15m", "900"])
def test_user_duration_limits_inclusive(alice: dict[str, str], duration: str) -> None:
    result = run_cli("token", "issue", "--duration", duration)
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from revoke.aws.sts import StsGateway

    monkeypatch.setattr(
        StsGateway,
        "caller_identity",
        lambda self: {
            "account": ACCOUNT,
            "arn": f"arn:aws:iam::{ACCOUNT}:root",
            "user_id": ACCOUNT,
        },
    )


def test_root_gets_one_hour_by_default(alice: dict[str, str], as_root: None) -> None:
    result = run_cli("token", "issue")
    assert result.exit_code == 0, result.stderr
    assert ledger_lines()[0]["duration_seconds"] == 3600


def test_root_asking_for_12h_is_told_it_gets_1h(alice: dict[str, str], as_root: None) -> None:
    result = run_cli("token", "issue", "--duration", "12h")
    assert result.exit_code == 0, result.stderr
    assert "warning: the account root gets at most 1h" in result.stderr
    expires = datetime.fromisoformat(json_out(result)["Expiration"].replace("Z", "+00:00"))
    left = expires - datetime.now(timezone.utc)
    assert timedelta(minutes=55) < left <= timedelta(hours=1)
    assert ledger_lines()[0]["duration_seconds"] == 3600


def test_root_over_36h_is_refused(alice: dict[str, str], as_root: None, calls: list[str]) -> None:
    result = run_cli("token", "issue", "--duration", "37h")
    assert_clean_failure(result, 2)
    assert "the account root gets at most 3600 s" in result.stderr
    assert "GetSessionToken" not in calls


@pytest.mark.parametrize(
    ("key", "token"),
    [("AKIAIOSFODNN7EXAMPLE", TOKEN), ("ASIAY34FZKBOKMUTVV7A", None)],
    ids=["session-token-present", "asia-key"],
)
def test_session_credentials_are_refused_before_any_call(
    alice: dict[str, str],
    calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    token: str | None,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    if token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    result = run_cli("token", "issue")
    assert_clean_failure(result, 253)
    assert "Cannot call GetSessionToken with session credentials" in result.stderr
    assert "API_GetSessionToken.html" in result.stderr
    assert calls == []
    assert TOKEN not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--serial-number", SERIAL],
        ["--token-code", "123456"],
        ["--serial-number", SERIAL, "--token-code", "12345"],
        ["--serial-number", "short", "--token-code", "123456"],
        ["--format", "yaml"],
        ["--write-profile", "has space"],
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_call(
    alice: dict[str, str], calls: list[str], args: list[str]
) -> None:
    result = run_cli("token", "issue", *args)
    assert_clean_failure(result, 2)
    assert calls == []
    assert len(result.stderr.strip().splitlines()) <= 2  # the error and its hint


def test_no_credentials_is_253_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run_cli("token", "issue")
    assert_clean_failure(result, 253)
    assert "no AWS credentials" in result.stderr


def test_unknown_profile_is_253(monkeypatch: pytest.MonkeyPatch) -> None:
    for args in (
        ["--profile", "nope", "token", "issue"],
        ["token", "inspect", "--profile", "nope"],
    ):
        result = run_cli(*args)
        assert_clean_failure(result, 253)
        assert "nope" in result.stderr


def test_unreachable_endpoint_is_254_without_traceback() -> None:
    result = run_cli("--endpoint-url", "http://127.0.0.1:9", "token", "issue")
    assert_clean_failure(result, 254)
    assert "cannot reach the AWS endpoint" in result.stderr


def test_aws_refusal_is_254_one_line(
    alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import botocore.client
    import botocore.exceptions

    real = botocore.client.BaseClient._make_api_call

    def mfa_refused(self: Any, name: str, params: Any) -> Any:
        if name == "GetSessionToken":
            error = {
                "Error": {"Code": "AccessDenied", "Message": "MultiFactorAuthentication failed"}
            }
            raise botocore.exceptions.ClientError(error, name)  # type: ignore[arg-type]
        return real(self, name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", mfa_refused)
    result = run_cli("token", "issue", "--serial-number", SERIAL, "--token-code", "000000")
    assert_clean_failure(result, 254)
    assert "sts:GetSessionToken: AccessDenied: MultiFactorAuthentication failed" in result.stderr
    assert ledger_lines() == []


# -- inspect --------------------------------------------------------------------------------


def asia_key() -> str:
    from moto.iam.utils import generate_access_key_id_from_account_id

    return generate_access_key_id_from_account_id(ACCOUNT, "ASIA", 20)


def use_session(monkeypatch: pytest.MonkeyPatch, key: str, token: str = TOKEN) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "session-secret-not-to-print")
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)


def record(key: str, *, issued_ago: timedelta, duration: int = 43_200, mfa: bool = True) -> None:
    issued = datetime.now(timezone.utc).replace(microsecond=0) - issued_ago
    ledger().append(
        new_record(
            access_key_id=key,
            principal_arn=f"arn:aws:iam::{ACCOUNT}:user/moto",
            account=ACCOUNT,
            expiration=issued + timedelta(seconds=duration),
            duration_seconds=duration,
            mfa_serial=SERIAL if mfa else None,
            source_access_key_id=None,
            profile_written=None,
            now=issued,
        )
    )


def inspect(*args: str) -> Any:
    result = run_cli("--output", "json", "token", "inspect", *args)
    for secret in ("session-secret-not-to-print", TOKEN):
        assert secret not in result.stdout + result.stderr, "inspect printed a secret"
    return result


def test_inspect_long_term_key(alice: dict[str, str]) -> None:
    result = inspect()
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert (out["access_key_id"], out["key_type"]) == (alice["key"], "long-term")
    assert out["key_account"] == ACCOUNT and out["key_account_confirmed"] is True
    assert (out["status"], out["arn"]) == ("valid", "arn:aws:iam::123456789012:user/alice")
    assert out["expires_at"] is None and out["session_token"] == "absent"
    assert out["revocation"]["status"] == "not revoked"
    assert "condition-keys-tokenissuetime" in out["revocation"]["reason"]
    assert "deactivate it" in result.stderr  # fact 3: the key mints fresh tokens
    assert alice["secret"] not in result.stdout + result.stderr


def test_inspect_temporary_key_from_the_ledger(
    alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = asia_key()
    record(key, issued_ago=timedelta(hours=2))
    use_session(monkeypatch, key)
    result = inspect()
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert (out["key_type"], out["key_account"], out["session_token"]) == (
        "temporary",
        ACCOUNT,
        "present",
    )
    assert out["issued_at_source"] == "token ledger" and out["mfa"] is True
    assert out["expires_at_source"] == "token ledger"
    assert out["time_left"] in ("9h 59m", "10h")
    assert out["revocation"] == {
        "status": "not revoked",
        "cutoff": None,
        "reason": "no revocation cutoff on this principal",
        "decided_by": "ledger",
        "probe": None,
    }


def test_inspect_says_revoked_after_revoke_user(
    alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = asia_key()
    record(key, issued_ago=timedelta(hours=1))
    assert (
        run_cli("--output", "json", "user", "moto", "--before", "now", "--no-verify").exit_code == 0
    )
    use_session(monkeypatch, key)
    out = json_out(inspect())
    assert out["revocation"]["status"] == "revoked"
    assert out["revocation"]["reason"].startswith("revoked (issued ")
    assert out["revocation"]["cutoff"] is not None


def test_a_token_issued_after_the_cutoff_is_not_revoked(
    alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        run_cli("--output", "json", "user", "moto", "--before", "-2h", "--no-verify").exit_code == 0
    )
    key = asia_key()
    record(key, issued_ago=timedelta(hours=1))
    use_session(monkeypatch, key)
    out = json_out(inspect())
    assert out["revocation"]["status"] == "not revoked"
    assert "at or after cutoff" in out["revocation"]["reason"]


def moto_enforces_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto allows every call, so inspect's probe (asking AWS with the token, when the
    ledger cannot tell) would say "allowed" of any token; here it is refused without an
    explicit deny, which decides nothing (tests/e2e/test_token_flow.py probes the sandbox,
    which enforces policies)."""
    from revoke.aws.probe import IMPLICIT_DENY, Probe, ProbeOutcome

    refused = ProbeOutcome(IMPLICIT_DENY, "AccessDenied", "Access Denied")
    monkeypatch.setattr(Probe, "attempt", lambda self: refused)


def test_unknown_issue_time_is_unknown_with_the_reason(
    alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        run_cli("--output", "json", "user", "moto", "--before", "now", "--no-verify").exit_code == 0
    )
    use_session(monkeypatch, asia_key())  # not in the ledger
    moto_enforces_nothing(monkeypatch)
    out = json_out(inspect())
    assert out["revocation"]["status"] == "unknown"
    assert out["revocation"]["decided_by"] is None
    assert "issue time is not known" in out["revocation"]["reason"]
    assert "probe: s3api list-buckets" in out["revocation"]["reason"]
    assert out["revocation"]["probe"]["outcome"] == "implicit-deny"


def test_a_token_that_cannot_read_iam_says_so_and_admin_profile_answers(
    alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fact 4: a session token issued without MFA gets InvalidClientTokenId from IAM.
    from revoke.aws.iam import IamGateway
    from revoke.errors import NoCredentials

    real = IamGateway.read_principal

    def token_cannot_read_iam(self: IamGateway, *a: Any, **k: Any) -> Any:
        if self.session.profile is None:  # the inspected env credentials
            raise NoCredentials(
                "iam:GetUser moto: InvalidClientTokenId: The security token included in the "
                "request is invalid"
            )
        return real(self, *a, **k)

    assert (
        run_cli("--output", "json", "user", "moto", "--before", "now", "--no-verify").exit_code == 0
    )
    monkeypatch.setattr(IamGateway, "read_principal", token_cannot_read_iam)
    moto_enforces_nothing(monkeypatch)
    key = asia_key()
    record(key, issued_ago=timedelta(hours=1), mfa=False)
    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[admin]\naws_access_key_id = {alice['key']}\naws_secret_access_key = {alice['secret']}\n"
    )
    use_session(monkeypatch, key)
    out = json_out(inspect())
    assert out["revocation"]["status"] == "unknown"
    assert "id_credentials_temp_request.html" in out["revocation"]["reason"]
    assert "--admin-profile" in out["revocation"]["reason"]
    out = json_out(inspect("--admin-profile", "admin"))
    assert out["revocation"]["status"] == "revoked"


def test_inspect_an_expired_token_says_so_with_its_expiry(
    alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from revoke.aws.sts import IdentityProbe, StsGateway

    monkeypatch.setattr(
        StsGateway,
        "probe_identity",
        lambda self: IdentityProbe(
            error_code="ExpiredToken", error_message="The provided token has expired."
        ),
    )
    key = asia_key()
    record(key, issued_ago=timedelta(hours=13))
    use_session(monkeypatch, key)
    result = inspect()
    assert result.exit_code == 253
    assert "Traceback" not in result.stderr
    out = json_out(result)
    assert out["status"] == "expired" and out["time_left"] == "expired"
    assert out["error"] == "ExpiredToken: The provided token has expired."
    assert out["revocation"]["status"] == "not applicable"
    assert f"the token expired at {out['expires_at']}" in result.stderr
    assert out["arn"] == f"arn:aws:iam::{ACCOUNT}:user/moto"  # from the ledger


def test_expiry_from_aws_credential_expiration(
    alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_session(monkeypatch, asia_key())
    soon = (datetime.now(timezone.utc) + timedelta(minutes=30, seconds=30)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", soon)
    out = json_out(inspect())
    assert (out["expires_at"], out["expires_at_source"]) == (soon, "AWS_CREDENTIAL_EXPIRATION")
    assert out["time_left"] == "30m 30s" or out["time_left"].startswith("30m")
    assert out["issued_at"] is None


def test_expiry_from_the_profile_written_by_issue(alice: dict[str, str]) -> None:
    path = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    key = asia_key()
    credfile.write_profile(
        path,
        "found",
        {
            "aws_access_key_id": key,
            "aws_secret_access_key": "session-secret-not-to-print",
            "aws_session_token": TOKEN,
            "x_security_token_expires": "2030-01-01T00:00:00Z",
        },
    )
    out = json_out(inspect("--profile", "found"))
    assert out["access_key_id"] == key
    assert out["credential_source"] == "shared-credentials-file"
    assert out["expires_at"] == "2030-01-01T00:00:00Z"
    assert out["expires_at_source"] == "profile found (x_security_token_expires)"


def test_inspect_text_and_table_output_never_print_secrets(
    alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = asia_key()
    record(key, issued_ago=timedelta(hours=1))
    use_session(monkeypatch, key)
    for output in ("text", "table"):
        result = run_cli("--output", output, "token", "inspect")
        assert result.exit_code == 0, result.stderr
        assert key in result.stdout
        assert "session-secret-not-to-print" not in result.stdout + result.stderr
        assert TOKEN not in result.stdout + result.stderr
    text = run_cli("--output", "text", "token", "inspect").stdout
    assert "key type\ttemporary" in text.splitlines()


def test_inspect_without_credentials_is_253(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run_cli("token", "inspect")
    assert_clean_failure(result, 253)


# -- a real shell and a real process: `eval "$(revoke token issue --format env)"` ------------


@pytest.fixture
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.mark.slow
def test_eval_env_output_in_bash_loads_exactly_the_credentials(
    moto_server: str, tmp_path: Path
) -> None:
    env = dict(os.environ, AWS_ENDPOINT_URL=moto_server)
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_server)
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    revoke = [sys.executable, "-m", "revoke"]
    script = (
        f'eval "$({" ".join(revoke)} token issue --format env)" || exit 9\n'
        f"{sys.executable} -c 'import os, json; print(json.dumps({{k: os.environ.get(k) for k in "
        '("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", '
        '"AWS_CREDENTIAL_EXPIRATION")}))\'\n'
    )
    proc = subprocess.run(
        ["bash"], input=script, capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout)
    assert loaded["AWS_SESSION_TOKEN"] and loaded["AWS_ACCESS_KEY_ID"] != key["AccessKeyId"]
    assert loaded["AWS_CREDENTIAL_EXPIRATION"].endswith("Z")
    assert "issued " in proc.stderr and "Traceback" not in proc.stderr
    assert key["SecretAccessKey"] not in proc.stderr
    assert loaded["AWS_SECRET_ACCESS_KEY"] not in proc.stderr


def test_an_unwritable_credentials_file_is_refused_before_a_token_is_issued(
    alice: dict[str, str], calls: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(blocker / "credentials"))
    result = run_cli("token", "issue", "--write-profile", "incident")
    assert_clean_failure(result, 2)
    assert "is not a folder" in result.stderr
    assert calls == [] and ledger_lines() == []


def test_a_ledger_that_cannot_be_written_does_not_lose_the_token(
    alice: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = run_cli("--journal", str(blocker / "journal.jsonl"), "token", "issue")
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["SessionToken"]
    assert "warning: cannot write the token ledger" in result.stderr
    assert "issued all the same" in result.stderr
