"""Issue 15, done when: in the sandbox, one `revoke user NAME --before now --contain-all`
contains a user holding every kind of credential, `revoke residual user NAME` exits 0, and
`revoke lift user NAME` restores what can be restored and names what cannot.

The user: two access keys, a console password, a CodeCommit credential, a Bedrock API key,
an SSH key, a signing certificate, an MFA device added during the incident, two AWS
Sign-In sessions. Each credential is then *used* where the sandbox can tell (a refreshed
sign-in session, a Git credential, an SSH key, an access key minting a token), before and
after, so "contained" is what the services see, not only what IAM lists.

The MFA device: `--contain-all` deactivates devices enabled at or after the cutoff unless
`--deactivate-mfa-since` names the incident's start. With `--before now`, a device added
before the run is older than the cutoff; the responder says when the incident began
(`-1d`: relative to the run, so the test does not depend on the date).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from revoke.core.policy import POLICY_NAME
from revoke.sandbox import CredentialRefused, Sandbox, SigninRefused
from revoke.state.journal import Journal
from tests.helpers import json_out, run_cli
from tests.ops.test_residual import SSH_KEY, certificate_pem

pytestmark = pytest.mark.slow

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
PASSWORD = "Correct-Horse-9!x"
GIT = "codecommit.amazonaws.com"
BEDROCK = "bedrock.amazonaws.com"


@pytest.fixture(scope="module")
def _server() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox
        sandbox.reset()


@pytest.fixture
def sandbox(_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    _server.reset()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", _server.root_credentials["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", _server.root_credentials["aws_secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", _server.endpoint_url)
    return _server


def compromised(sandbox: Sandbox, name: str = "mallory") -> dict[str, Any]:
    iam = sandbox.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    keys = [iam.create_access_key(UserName=name)["AccessKey"] for _ in range(2)]
    iam.create_login_profile(UserName=name, Password=PASSWORD)
    git = iam.create_service_specific_credential(UserName=name, ServiceName=GIT)[
        "ServiceSpecificCredential"
    ]
    bedrock = iam.create_service_specific_credential(UserName=name, ServiceName=BEDROCK)[
        "ServiceSpecificCredential"
    ]
    ssh = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=SSH_KEY)["SSHPublicKey"]
    cert = iam.upload_signing_certificate(UserName=name, CertificateBody=certificate_pem())[
        "Certificate"
    ]
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-evil")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=serial,
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    sessions = [sandbox.console_sign_in(name), sandbox.console_sign_in(name, client_type="CLI")]
    return {
        "name": name,
        "keys": keys,
        "git": git,
        "bedrock": bedrock,
        "ssh": ssh["SSHPublicKeyId"],
        "cert": cert["CertificateId"],
        "serial": serial,
        "sessions": [s.session_arn for s in sessions],
    }


def secrets_of(made: dict[str, Any]) -> list[str]:
    return [
        *(k["SecretAccessKey"] for k in made["keys"]),
        made["git"]["ServicePassword"],
        made["bedrock"].get("ServiceCredentialSecret") or made["bedrock"].get("ServicePassword"),
        PASSWORD,
    ]


def bedrock_name(cred: dict[str, Any]) -> str:
    return str(cred.get("ServiceCredentialAlias") or cred.get("ServiceUserName"))


def bedrock_secret(cred: dict[str, Any]) -> str:
    return str(cred.get("ServiceCredentialSecret") or cred.get("ServicePassword"))


def statuses(sandbox: Sandbox, made: dict[str, Any]) -> dict[str, Any]:
    iam, name = sandbox.client("iam"), made["name"]
    listed = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
    return {
        "keys": sorted(
            k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
        ),
        "service": {c["ServiceSpecificCredentialId"]: c["Status"] for c in listed},
        "ssh": [k["Status"] for k in iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]],
        "cert": [c["Status"] for c in iam.list_signing_certificates(UserName=name)["Certificates"]],
        "mfa": [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]],
    }


def test_contain_all_then_residual_then_lift(sandbox: Sandbox, tmp_path: Path) -> None:
    made = compromised(sandbox)
    name = made["name"]
    journal_path = tmp_path / "journal.jsonl"
    # Every credential works before.
    for arn in made["sessions"]:
        sandbox.refresh_signin(arn)
    sandbox.use_service_credential(
        GIT, made["git"]["ServiceUserName"], made["git"]["ServicePassword"]
    )
    sandbox.use_service_credential(
        BEDROCK, bedrock_name(made["bedrock"]), bedrock_secret(made["bedrock"])
    )
    sandbox.use_ssh_key(name, made["ssh"])
    before = run_cli("--output", "json", "residual", "user", name)
    assert before.exit_code == 3, before.stderr

    contained = run_cli(
        "--output",
        "json",
        "--yes",
        "--journal",
        str(journal_path),
        "user",
        name,
        "--before",
        "now",
        "--contain-all",  # the command, to the letter: the MFA window is the default
    )
    assert contained.exit_code == 0, contained.stderr
    out = json_out(contained)
    (target,) = out["targets"]
    assert target["status"] == "applied"
    actions = sorted(s["action"] for s in target["containment"])
    assert actions == sorted(
        ["deactivate_key"] * 2
        + [
            "delete_login_profile",
            "deactivate_service_credential",
            "deactivate_service_credential",
            "deactivate_ssh_key",
            "deactivate_certificate",
            "deactivate_mfa_device",
            "revoke_signin_sessions",  # both sessions, one BatchRevokeSessions call
        ]
    )
    assert all(s["result"] == "done" for s in target["containment"])

    # What IAM lists, and what each service would see.
    now = statuses(sandbox, made)
    assert now["keys"] == ["Inactive", "Inactive"]
    assert set(now["service"].values()) == {"Inactive"}
    assert now["ssh"] == ["Inactive"] and now["cert"] == ["Inactive"] and now["mfa"] == []
    for arn in made["sessions"]:
        with pytest.raises(SigninRefused):
            sandbox.refresh_signin(arn)
    with pytest.raises(CredentialRefused):
        sandbox.use_service_credential(
            GIT, made["git"]["ServiceUserName"], made["git"]["ServicePassword"]
        )
    with pytest.raises(CredentialRefused):
        sandbox.use_ssh_key(name, made["ssh"])
    with pytest.raises(botocore.exceptions.ClientError):
        sandbox.client(
            "sts",
            aws_access_key_id=made["keys"][0]["AccessKeyId"],
            aws_secret_access_key=made["keys"][0]["SecretAccessKey"],
        ).get_session_token()

    # Evidence first: what each credential was, in the journal's record of the change.
    records = [r for r in Journal(journal_path).records() if r["action"] == "revoke"]
    evidence = records[0]["evidence"]
    assert {c["id"] for c in evidence["service_credentials"]} == set(now["service"])
    assert [k["status"] for k in evidence["ssh_keys"]] == ["Active"]
    assert [c["status"] for c in evidence["certificates"]] == ["Active"]
    assert [s["status"] for s in evidence["signin_sessions"]] == ["ACTIVE", "ACTIVE"]
    # Write-ahead: the intent, on disk before the first write, announced every step.
    lines = [json.loads(line) for line in journal_path.read_text().splitlines()]
    (intent,) = [r for r in lines if r["action"] == "intent"]
    assert records[0]["intent"] == intent["hash"] and intent["seq"] < records[0]["seq"]
    assert sorted(w["action"] for w in intent["writes"]) == sorted(["put_policy", *actions])

    residual = run_cli("--output", "json", "residual", "user", name)
    assert residual.exit_code == 0, residual.stdout
    states = {p["path"]: p["state"] for p in json_out(residual)["paths"]}
    assert "open" not in states.values(), states

    lifted = run_cli(
        "--output", "json", "--yes", "--journal", str(journal_path), "lift", "user", name
    )
    assert lifted.exit_code == 0, lifted.stderr
    payload = json_out(lifted)
    (plan,) = payload["targets"]
    undone = {s["action"]: s["result"] for s in plan["containment"]}
    assert undone == {
        "reactivate_key": "done",
        "reactivate_service_credential": "done",
        "reactivate_ssh_key": "done",
        "reactivate_certificate": "done",
    }
    after = statuses(sandbox, made)
    assert after["keys"] == ["Active", "Active"]
    assert set(after["service"].values()) == {"Active"}
    assert after["ssh"] == ["Active"] and after["cert"] == ["Active"]
    assert POLICY_NAME not in sandbox.client("iam").list_user_policies(UserName=name)["PolicyNames"]
    sandbox.use_service_credential(
        GIT, made["git"]["ServiceUserName"], made["git"]["ServicePassword"]
    )
    sandbox.use_ssh_key(name, made["ssh"])
    # What cannot be restored is named, each with what to do.
    said = " ".join(payload["warnings"])
    assert "console password" in said and "cannot be restored" in said
    assert f"MFA device {made['serial']}" in said and "enable-mfa-device" in said
    assert "2 AWS Sign-In session(s)" in said and "signs in again" in said
    for arn in made["sessions"]:
        with pytest.raises(SigninRefused):
            sandbox.refresh_signin(arn)

    text = journal_path.read_text()
    for secret in secrets_of(made):
        assert secret not in text
        for result in (contained, residual, lifted):
            assert secret not in result.stdout + result.stderr


def test_an_mfa_device_older_than_the_incident_window_is_spared_and_named(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Without --deactivate-mfa-since the window is the week before the cutoff: a device
    enabled earlier is the user's own, kept, and the run says so with the flag that would
    take it. The cutoff is set 8 days after the device was enabled (--allow-future), so no
    clock has to move."""
    from datetime import datetime, timedelta, timezone

    made = compromised(sandbox)
    later = (datetime.now(timezone.utc) + timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = run_cli(
        "--output",
        "json",
        "--yes",
        "--journal",
        str(tmp_path / "journal.jsonl"),
        "user",
        made["name"],
        "--before",
        later,
        "--allow-future",
        "--contain-all",
    )
    assert result.exit_code == 0, result.stderr
    warnings = " ".join(json_out(result)["warnings"])
    assert "1 MFA device(s) enabled before" in warnings and "--deactivate-mfa-since" in warnings
    assert statuses(sandbox, made)["mfa"] == [made["serial"]]
    residual = run_cli("--output", "json", "residual", "user", made["name"])
    assert residual.exit_code == 0, residual.stdout
