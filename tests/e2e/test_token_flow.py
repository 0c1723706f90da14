"""Issue 5, done: issue an MFA token, load it with one `eval`, inspect it, revoke the user,
and see `revoke token inspect` call the same token revoked, all against the sandbox.

The sandbox issues real ASIA tokens bound to their user, issue time and MFA flag, refuses
expired ones (fact 5) and keeps session tokens without MFA out of IAM (fact 4), which moto
alone cannot (tests/cli/test_token_cmd.py covers the rest against moto).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

from revoke.sandbox import Sandbox
from revoke.sandbox.mfa import totp
from revoke.state.ledger import Ledger
from tests.helpers import json_out, run_cli

pytestmark = pytest.mark.slow

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Sandbox]:
    """A fresh sandbox per test: the expiry test moves the sandbox clock forward for good.

    Profiles: `alice` (her long-term key), `admin` (an IAM user with AdministratorAccess:
    `token inspect --admin-profile` assumes roles, which AWS refuses the root), `root` (the
    account root). The environment holds no credentials, as for a responder who works with
    profiles.
    """
    with Sandbox() as sb:
        iam = sb.client("iam")
        iam.create_user(UserName="alice")
        iam.put_user_policy(
            UserName="alice", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL)
        )
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        # alice's virtual MFA device: the codes are its TOTP by the sandbox clock (mfa.py).
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
        seed = device["Base32StringSeed"]
        seed = seed.decode() if isinstance(seed, bytes) else seed
        iam.enable_mfa_device(
            UserName="alice",
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1=totp(seed, sb.clock.now(), step_offset=-1),
            AuthenticationCode2=totp(seed, sb.clock.now(), step_offset=-1),
        )
        sb.mfa = (device["SerialNumber"], seed)  # type: ignore[attr-defined]
        admin, root = sb.admin_credentials(), sb.root_credentials
        creds = tmp_path / "credentials"
        creds.write_text(
            f"[alice]\naws_access_key_id = {key['AccessKeyId']}\n"
            f"aws_secret_access_key = {key['SecretAccessKey']}\n\n"
            f"[admin]\naws_access_key_id = {admin['aws_access_key_id']}\n"
            f"aws_secret_access_key = {admin['aws_secret_access_key']}\n\n"
            f"[root]\naws_access_key_id = {root['aws_access_key_id']}\n"
            f"aws_secret_access_key = {root['aws_secret_access_key']}\n"
        )
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
        monkeypatch.setenv("AWS_ENDPOINT_URL", sb.endpoint_url)
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        sb.alice_key = key  # type: ignore[attr-defined]
        yield sb


def ledger() -> Ledger:
    return Ledger.in_state_dir(Path(os.environ["XDG_STATE_HOME"]) / "revoke")


def revoke_cli() -> str:
    return f"{sys.executable} -m revoke"


def test_issue_eval_inspect_revoke_inspect(sandbox: Sandbox, tmp_path: Path) -> None:
    """The whole responder flow in one bash, as a person would type it."""
    serial, seed = sandbox.mfa  # type: ignore[attr-defined]
    # The code shown now; the sandbox accepts the step either side of its clock (mfa.py).
    code = totp(seed, sandbox.clock.now())
    script = f"""
set -e
eval "$({revoke_cli()} --profile alice token issue --serial-number {serial} \\
        --token-code {code} --format env)"
{revoke_cli()} --output json token inspect > before.json
aws iam list-user-policies --user-name alice > /dev/null   # an MFA token may call IAM (fact 4)
{revoke_cli()} --profile admin --output json user alice --before now --no-verify > revoke.json
{revoke_cli()} --output json token inspect --admin-profile admin > after.json
{revoke_cli()} --output json token inspect > after-self.json
if aws iam list-user-policies --user-name alice 2> denied.txt; then exit 7; fi
echo "$AWS_ACCESS_KEY_ID"
"""
    env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.run(
        ["bash"],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    key_id = proc.stdout.strip()
    assert key_id.startswith("ASIA")
    assert "Traceback" not in proc.stderr

    def read(name: str) -> dict[str, Any]:
        return json.loads((tmp_path / name).read_text())  # type: ignore[no-any-return]

    before, after, self_view = read("before.json"), read("after.json"), read("after-self.json")
    assert before["access_key_id"] == after["access_key_id"] == key_id
    assert (before["key_type"], before["status"], before["mfa"]) == ("temporary", "valid", True)
    assert before["key_account"] == sandbox.account_id
    assert before["arn"] == f"arn:aws:iam::{sandbox.account_id}:user/alice"
    # `eval` exported AWS_CREDENTIAL_EXPIRATION, which botocore reads; the ledger agrees
    assert before["expires_at_source"] == "AWS_CREDENTIAL_EXPIRATION"
    assert before["expires_at"] == ledger().find(key_id).expires_at  # type: ignore[union-attr]
    assert before["time_left"] in ("12h", "11h 59m")
    assert before["revocation"]["status"] == "not revoked"

    (target,) = read("revoke.json")["targets"]
    assert target["status"] == "applied"
    cutoff = target["policy_document"]["Statement"]["Condition"]["DateLessThan"][
        "aws:TokenIssueTime"
    ]
    assert after["revocation"]["status"] == "revoked"
    assert after["revocation"]["cutoff"] == cutoff
    assert after["revocation"]["reason"].startswith("revoked (issued ")
    assert after["key_account_confirmed"] is True  # GetAccessKeyInfo via --admin-profile
    # Without admin credentials the token's own IAM read now meets the revocation's deny
    # (fact 14): inspect says so instead of guessing.
    assert self_view["revocation"]["status"] == "unknown"
    assert "explicit deny" in self_view["revocation"]["reason"]
    assert "explicit deny in an identity-based policy" in (tmp_path / "denied.txt").read_text()

    # The ledger's issue time is the sandbox's own, truncated to the second.
    issued = sandbox.tokens.get(key_id).issued_at.astimezone(timezone.utc)  # type: ignore[union-attr]
    assert before["issued_at"] == issued.strftime("%Y-%m-%dT%H:%M:%SZ")

    # No secret of the token in anything revoke wrote.
    record = sandbox.tokens.get(key_id)
    assert record is not None
    for name in ("before.json", "after.json", "after-self.json", "revoke.json"):
        text = (tmp_path / name).read_text()
        assert record.secret_access_key not in text and record.session_token not in text
    assert record.secret_access_key not in proc.stderr
    assert record.session_token not in proc.stderr
    assert record.secret_access_key not in ledger().path.read_text()


def test_expired_token_is_called_expired_with_its_expiry(sandbox: Sandbox) -> None:
    issued = run_cli(
        "--profile", "alice", "token", "issue", "--duration", "1h", "--write-profile", "tok"
    )
    assert issued.exit_code == 0, issued.stderr
    sandbox.clock.advance(3601)
    result = run_cli("--output", "json", "token", "inspect", "--profile", "tok")
    assert result.exit_code == 253
    assert "Traceback" not in result.stderr
    out = json_out(result)
    assert out["status"] == "expired" and out["time_left"] == "expired"
    assert out["error"].startswith("ExpiredToken")
    assert out["expires_at"] == ledger().find(out["access_key_id"]).expires_at  # type: ignore[union-attr]
    assert f"the token expired at {out['expires_at']}" in result.stderr


def test_token_without_mfa_cannot_read_iam_and_inspect_says_why(sandbox: Sandbox) -> None:
    assert run_cli("--profile", "alice", "token", "issue", "--write-profile", "tok").exit_code == 0
    out = json_out(run_cli("--output", "json", "token", "inspect", "--profile", "tok"))
    assert (out["status"], out["mfa"]) == ("valid", False)
    # The cutoff cannot be read with the token, so the probe decides: its call is allowed.
    verdict = out["revocation"]
    assert (verdict["status"], verdict["decided_by"]) == ("not revoked", "probe")
    assert verdict["probe"]["call"] == "s3api list-buckets"
    assert "was allowed" in verdict["reason"]
    # GetAccessKeyInfo is off limits for the token too (fact 4); the offline decoding stands.
    assert out["key_account"] == sandbox.account_id and out["key_account_confirmed"] is None
    admin = json_out(
        run_cli(
            "--output", "json", "token", "inspect", "--profile", "tok", "--admin-profile", "admin"
        )
    )
    assert admin["revocation"]["status"] == "not revoked"
    assert admin["revocation"]["decided_by"] == "ledger"
    assert admin["key_account_confirmed"] is True


def test_long_term_key_is_never_covered_by_the_cutoff(sandbox: Sandbox) -> None:
    assert (
        run_cli("--profile", "admin", "user", "alice", "--before", "now", "--no-verify").exit_code
        == 0
    )
    result = run_cli("--output", "json", "token", "inspect", "--profile", "alice")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert (out["key_type"], out["key_account"]) == ("long-term", sandbox.account_id)
    assert out["key_account_confirmed"] is True
    assert out["revocation"]["status"] == "not revoked"
    assert out["revocation"]["cutoff"] is not None  # the cutoff is there, and does not apply
    assert "condition-keys-tokenissuetime" in out["revocation"]["reason"]
    assert "deactivate it" in result.stderr


def test_root_asking_for_12h_gets_the_hour_aws_gives(sandbox: Sandbox) -> None:
    result = run_cli("--profile", "root", "token", "issue", "--duration", "12h")
    assert result.exit_code == 0, result.stderr
    assert "the account root gets at most 1h" in result.stderr
    key_id = json_out(result)["AccessKeyId"]
    granted = sandbox.tokens.get(key_id)
    assert granted is not None
    assert (granted.expires_at - granted.issued_at).total_seconds() == 3600
    inspected = json_out(run_cli("--output", "json", "token", "inspect", "--profile", "root"))
    assert inspected["principal_type"] == "root"
    assert inspected["revocation"]["status"] == "not applicable"


def test_session_credentials_never_reach_get_session_token(sandbox: Sandbox) -> None:
    assert run_cli("--profile", "alice", "token", "issue", "--write-profile", "tok").exit_code == 0
    before = len(sandbox.tokens)
    result = run_cli("--profile", "tok", "token", "issue")
    assert result.exit_code == 253
    assert "Cannot call GetSessionToken with session credentials" in result.stderr
    assert len(sandbox.tokens) == before


def _add_profile(name: str, creds: dict[str, Any]) -> None:
    path = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    path.write_text(
        path.read_text() + f"\n[{name}]\naws_access_key_id = {creds['AccessKeyId']}\n"
        f"aws_secret_access_key = {creds['SecretAccessKey']}\n"
        f"aws_session_token = {creds['SessionToken']}\n"
    )


def _alice_sts(sandbox: Sandbox) -> Any:
    import configparser

    parser = configparser.ConfigParser()
    parser.read(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    return sandbox.client("sts", **dict(parser["alice"]))


def test_inspect_calls_a_revoked_token_revoked_with_an_empty_ledger(sandbox: Sandbox) -> None:
    """Issue 17 item 4: the token was never in this machine's ledger (the attacker minted
    it), so its issue time is unknown; inspect asks AWS with the token itself."""
    leaked = _alice_sts(sandbox).get_session_token()["Credentials"]
    _add_profile("leaked", leaked)
    assert ledger().find(leaked["AccessKeyId"]) is None
    revoked = run_cli("--profile", "admin", "user", "alice", "--before", "now", "--no-verify")
    assert revoked.exit_code == 0, revoked.stderr
    sandbox.clock.advance(2)
    _add_profile("fresh", _alice_sts(sandbox).get_session_token()["Credentials"])

    result = run_cli(
        "--output", "json", "token", "inspect", "--profile", "leaked",
        "--admin-profile", "admin", "--fresh-profile", "fresh",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    verdict = json_out(result)["revocation"]
    assert (verdict["status"], verdict["decided_by"]) == ("revoked", "probe")
    probe = verdict["probe"]
    assert (probe["action"], probe["call"]) == ("s3:ListAllMyBuckets", "s3api list-buckets")
    assert probe["chosen_by"].startswith("the evaluator")
    assert (probe["outcome"], probe["fresh_outcome"]) == ("explicit-deny", "allowed")
    assert probe["compared_with"] == "a token of profile fresh"
    assert "explicit deny in an identity-based policy" in verdict["reason"]

    # Without a fresh token the comparison is the evaluator's, and the answer says so.
    alone = json_out(
        run_cli(
            "--output",
            "json",
            "token",
            "inspect",
            "--profile",
            "leaked",
            "--admin-profile",
            "admin",
        )  # fmt: skip
    )["revocation"]
    assert (alone["status"], alone["decided_by"]) == ("revoked", "probe")
    assert alone["probe"]["compared_with"].startswith("the principal's policies as read now")
    assert "cannot issue one for a user" in alone["reason"]

    # The fresh token itself: allowed, so not revoked, decided by the same probe.
    fresh = json_out(run_cli("--output", "json", "token", "inspect", "--profile", "fresh"))
    assert (fresh["revocation"]["status"], fresh["revocation"]["decided_by"]) == (
        "not revoked",
        "probe",
    )
    assert ledger().find(leaked["AccessKeyId"]) is None


def test_inspect_compares_a_role_session_with_one_the_admin_assumes(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="app", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    old = _alice_sts(sandbox).assume_role(
        RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/app", RoleSessionName="ci"
    )["Credentials"]
    _add_profile("old", old)
    assert (
        run_cli("--profile", "admin", "role", "app", "--before", "now", "--no-verify").exit_code
        == 0
    )
    sandbox.clock.advance(2)
    out = json_out(
        run_cli(
            "--output", "json", "token", "inspect", "--profile", "old", "--admin-profile", "admin"
        )
    )
    verdict = out["revocation"]
    assert (verdict["status"], verdict["decided_by"]) == ("revoked", "probe")
    assert verdict["probe"]["compared_with"] == (
        f"a session of arn:aws:iam::{sandbox.account_id}:role/app the admin profile assumed now"
    )
