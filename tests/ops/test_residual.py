"""`revoke.ops.residual` against moto: the live reads feed the coverage model.

moto 5.2.5 has no ListServiceSpecificCredentials and no AWS Sign-In, so those two reads
are replaced by fixtures here (the sandbox gets them in issue 15 item 6); everything else
(access keys, login profile, SSH keys, signing certificates, MFA devices, policies, trust,
instance profiles, the credential report) is moto's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.aws.credentials import CredentialReader, Unavailable
from revoke.aws.session import AwsSession
from revoke.core import coverage as cov
from revoke.errors import AwsFailure, ExitCode
from revoke.ops.context import RunContext
from revoke.ops.residual import account_report, per_user_account_report, report_for

ACCOUNT = "123456789012"
QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2"


def certificate_pem() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alice")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


SSH_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDn0aXGfVYq3E5Jq1k0dY2lBvXo2b0Gq4mM1R7a0Sg0c"
    " alice@example"
)


class Fakes:
    """What moto lacks: service-specific credentials and sign-in sessions, per user."""

    def __init__(self) -> None:
        self.service: dict[str, list[dict[str, Any]]] = {}
        self.signin: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        fakes = self

        def service_credentials(
            self: CredentialReader, user: str | None = None, *, all_users: bool = False
        ) -> list[dict[str, Any]]:
            fakes.calls.append("ssc-all" if all_users else f"ssc:{user}")
            if all_users:
                return [c for listed in fakes.service.values() for c in listed]
            return list(fakes.service.get(str(user), []))

        def signin_sessions(self: CredentialReader, principal_arn: str) -> list[dict[str, Any]]:
            fakes.calls.append(f"signin:{principal_arn}")
            if principal_arn.endswith(":*"):
                return [s for listed in fakes.signin.values() for s in listed]
            return list(fakes.signin.get(principal_arn, []))

        monkeypatch.setattr(CredentialReader, "service_credentials", service_credentials)
        monkeypatch.setattr(CredentialReader, "signin_sessions", signin_sessions)


@pytest.fixture
def iam() -> Iterator[Any]:
    # AWS managed policies loaded, so the quarantine policy can be attached as AWS does.
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        yield boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    found = Fakes()
    found.install(monkeypatch)
    return found


def ctx() -> RunContext:
    return RunContext()


def compromised_user(iam: Any, fakes: Fakes, name: str = "alice") -> dict[str, Any]:
    """Every path open: two keys, a password, a CodeCommit credential and a Bedrock API
    key, an SSH key, a signing certificate, an MFA device added now, a sign-in session."""
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    keys = [iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for _ in range(2)]
    iam.create_login_profile(UserName=name, Password="Correct-Horse-9!")
    ssh = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=SSH_KEY)["SSHPublicKey"]
    cert = iam.upload_signing_certificate(UserName=name, CertificateBody=certificate_pem())
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-evil")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=serial,
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    fakes.service[name] = [
        {
            "id": f"ACCA{name.upper()}1",
            "user": name,
            "service": "codecommit.amazonaws.com",
            "status": "Active",
        },
        {
            "id": f"ACCA{name.upper()}2",
            "user": name,
            "service": "bedrock.amazonaws.com",
            "status": "Active",
        },
    ]
    fakes.signin[arn] = [
        {
            "arn": f"arn:aws:signin::{ACCOUNT}:session/{name}",
            "principal_arn": arn,
            "status": "ACTIVE",
            "issued_at": 1,
            "expires_at": None,
        }
    ]
    return {
        "arn": arn,
        "keys": keys,
        "ssh": ssh["SSHPublicKeyId"],
        "cert": cert["Certificate"]["CertificateId"],
        "serial": serial,
    }


def contain(iam: Any, fakes: Fakes, name: str, made: dict[str, Any], cutoff: str) -> None:
    """What `revoke user NAME --contain-all` will do (item 3), done here by hand."""
    for key in made["keys"]:
        iam.update_access_key(UserName=name, AccessKeyId=key, Status="Inactive")
    iam.delete_login_profile(UserName=name)
    iam.update_ssh_public_key(UserName=name, SSHPublicKeyId=made["ssh"], Status="Inactive")
    iam.update_signing_certificate(UserName=name, CertificateId=made["cert"], Status="Inactive")
    iam.deactivate_mfa_device(UserName=name, SerialNumber=made["serial"])
    iam.put_user_policy(
        UserName=name,
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}},
                },
            }
        ),
    )
    fakes.service[name] = [dict(c, status="Inactive") for c in fakes.service[name]]
    fakes.signin[made["arn"]] = [dict(s, status="REVOKED") for s in fakes.signin[made["arn"]]]


def now_cutoff() -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_every_path_open_with_its_closing_command(iam: Any, fakes: Fakes) -> None:
    made = compromised_user(iam, fakes)
    iam.attach_user_policy(UserName="alice", PolicyArn=QUARANTINE)
    since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    report = report_for(ctx(), AwsSession(), "user", "alice", None, since=since)
    states = {p.path: p.state for p in report.paths}
    assert states == {path: cov.OPEN for path in cov.USER_PATHS}
    closes = {p.path: p.closes for p in report.paths}
    assert closes[cov.ACCESS_KEYS] == ["revoke user alice --before now --deactivate-keys"]
    assert closes[cov.CONSOLE_PASSWORD] == ["revoke user alice --before now --disable-console"]
    assert closes[cov.SESSIONS] == ["revoke user alice --before now"]
    # Issue 15 item 3: each path's own `revoke user` flag (REVOKE_FLAGS); the items
    # still name each credential.
    listed = str(report.to_json())
    assert all(made[k] in listed for k in ("ssh", "cert", "serial"))
    assert closes[cov.SSH_KEYS] == ["revoke user alice --before now --deactivate-ssh-keys"]
    assert closes[cov.SIGNING_CERTIFICATES] == [
        "revoke user alice --before now --deactivate-certificates"
    ]
    assert closes[cov.MFA_DEVICES] == [
        f"revoke user alice --before now --deactivate-mfa-since {since}"
    ]
    assert closes[cov.SERVICE_CREDENTIALS] == [
        "revoke user alice --before now --deactivate-service-credentials"
    ]
    assert closes[cov.SIGNIN_SESSIONS] == [
        "revoke user alice --before now --revoke-signin-sessions"
    ]
    payload = report.to_json()
    assert payload["open"] == len(cov.USER_PATHS)
    assert payload["evidence"][0]["policy_name"] == "AWSCompromisedKeyQuarantineV2"
    assert payload["evidence"][0]["never_remove"] is True
    assert report.exit_code() == ExitCode.UNVERIFIED


def test_fully_contained_user_reports_nothing_open(iam: Any, fakes: Fakes) -> None:
    made = compromised_user(iam, fakes)
    cutoff = now_cutoff()
    contain(iam, fakes, "alice", made, cutoff)
    # The gateway form the lead passes works too.
    from revoke.aws.iam import IamGateway

    report = report_for(ctx(), IamGateway(AwsSession()), "user", "alice", cutoff)
    assert report.to_json()["open"] == 0, report.to_json()
    assert report.exit_code() == ExitCode.OK


def test_what_moto_lacks_is_reported_unchecked(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_signin(self: CredentialReader, principal_arn: str) -> list[dict[str, Any]]:
        raise Unavailable("signin:ListSessions: endpoint unreachable")

    # In-process moto would send signin to the real endpoint (the test guard refuses it).
    monkeypatch.setattr(CredentialReader, "signin_sessions", no_signin)
    iam.create_user(UserName="bob")
    report = report_for(ctx(), AwsSession(), "user", "bob", None)
    paths = {p.path: p for p in report.paths}
    assert paths[cov.SERVICE_CREDENTIALS].state == cov.UNCHECKED
    assert "does not implement" in paths[cov.SERVICE_CREDENTIALS].detail
    assert paths[cov.SIGNIN_SESSIONS].state == cov.UNCHECKED
    assert report.exit_code() == ExitCode.UNVERIFIED


def test_missing_api_is_unavailable_not_an_error(iam: Any) -> None:
    iam.create_user(UserName="bob")
    with pytest.raises(Unavailable):
        CredentialReader(AwsSession()).service_credentials("bob")


def test_unknown_principal_is_no_such_entity(iam: Any, fakes: Fakes) -> None:
    with pytest.raises(AwsFailure) as raised:
        report_for(ctx(), AwsSession(), "user", "nobody", None)
    assert raised.value.code == "NoSuchEntity"


def test_role_trust_and_instance_profiles(iam: Any, fakes: Fakes) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                "Action": "sts:AssumeRole",
            },
        ],
    }
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_instance_profile(InstanceProfileName="web")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="app")
    report = report_for(ctx(), AwsSession(), "role", "app", None)
    paths = {p.path: p for p in report.paths}
    assert paths[cov.TRUST_POLICY].state == cov.OPEN
    assert f"arn:aws:iam::{ACCOUNT}:user/alice" in paths[cov.TRUST_POLICY].detail
    assert paths[cov.INSTANCE_PROFILES].state == cov.NOT_CONTAINABLE
    assert "web" in paths[cov.INSTANCE_PROFILES].detail
    assert paths[cov.SIGNIN_SESSIONS].state == cov.ABSENT
    assert any("until its credentials renew" in w for w in report.warnings())


def test_account_report_from_bulk_reads(iam: Any, fakes: Fakes) -> None:
    made = compromised_user(iam, fakes, "alice")
    compromised_user(iam, fakes, "carol")
    contain(iam, fakes, "alice", made, now_cutoff())
    account = account_report(ctx(), AwsSession())
    payload = account.to_json()
    assert payload["action"] == "residual" and payload["scope"] == "account"
    assert payload["account"] == ACCOUNT
    by_name = {p["principal"]["name"]: p for p in payload["principals"]}
    assert by_name["alice"]["open"] == 0, by_name["alice"]
    carol = {p["path"]: p["state"] for p in by_name["carol"]["paths"]}
    assert carol[cov.ACCESS_KEYS] == cov.OPEN
    assert carol[cov.CONSOLE_PASSWORD] == cov.OPEN
    assert carol[cov.SIGNING_CERTIFICATES] == cov.OPEN
    assert carol[cov.SERVICE_CREDENTIALS] == cov.OPEN
    assert carol[cov.SIGNIN_SESSIONS] == cov.OPEN
    assert carol[cov.SESSIONS] == cov.OPEN
    assert cov.SSH_KEYS not in carol and cov.MFA_DEVICES not in carol
    assert {n["path"] for n in payload["not_covered"]} == {cov.SSH_KEYS, cov.MFA_DEVICES}
    assert payload["users_with_open_paths"] == 1
    assert account.exit_code() == ExitCode.UNVERIFIED
    # One account-wide call each, not one a user.
    assert fakes.calls.count("ssc-all") == 1
    assert [c for c in fakes.calls if c.startswith("ssc:")] == []
    assert fakes.calls.count(f"signin:arn:aws:iam::{ACCOUNT}:*") == 1


def test_bulk_and_per_user_agree_on_what_is_open(iam: Any, fakes: Fakes) -> None:
    compromised_user(iam, fakes, "carol")
    bulk = {r.name: {p.path for p in r.open} for r in account_report(ctx(), AwsSession()).reports}
    loop = {
        r.name: {p.path for p in r.open} - {cov.SSH_KEYS, cov.MFA_DEVICES}
        for r in per_user_account_report(ctx(), AwsSession())
    }
    assert bulk == loop
