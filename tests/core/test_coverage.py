"""The coverage model (revoke.core.coverage): pure, every path of a user and a role."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from revoke.core import coverage as cov
from revoke.core.coverage import PrincipalCredentials, coverage, is_quarantine_policy
from revoke.errors import ExitCode

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)
CUTOFF = "2026-12-01T11:00:00Z"
SINCE = "2026-11-30T00:00:00Z"
ARN = "arn:aws:iam::123456789012:user/alice"
SESSION_ARN = "arn:aws:signin::123456789012:session/s1"


def wide_open() -> PrincipalCredentials:
    return PrincipalCredentials(
        kind="user",
        name="alice",
        arn=ARN,
        account="123456789012",
        access_keys=[
            {"id": "AKIAAAAAAAAAAAAAAAA1", "status": "Active", "created": "2026-01-01T00:00:00Z"},
            {"id": "AKIAAAAAAAAAAAAAAAA2", "status": "Active", "created": "2026-01-02T00:00:00Z"},
        ],
        login_profile={"created": "2026-01-01T00:00:00Z"},
        login_profile_checked=True,
        service_credentials=[
            {"id": "ACCA1", "service": "codecommit.amazonaws.com", "status": "Active"},
            {"id": "ACCA2", "service": "bedrock.amazonaws.com", "status": "Active"},
        ],
        ssh_keys=[{"id": "APKA1", "status": "Active", "uploaded": "2026-01-01T00:00:00Z"}],
        certificates=[{"id": "CERT1", "status": "Active", "uploaded": "2026-01-01T00:00:00Z"}],
        mfa_devices=[
            {"serial": "arn:aws:iam::123456789012:mfa/old", "enabled": "2025-01-01T00:00:00Z"},
            {"serial": "arn:aws:iam::123456789012:mfa/evil", "enabled": "2026-12-01T10:00:00Z"},
        ],
        signin_sessions=[
            {
                "arn": SESSION_ARN,
                "status": "ACTIVE",
                "issued_at": 1764586800,
                "expires_at": NOW.timestamp() + 3600,
            },
        ],
    )


def contained() -> PrincipalCredentials:
    found = wide_open()
    found.revocation_cutoff = CUTOFF
    found.access_keys = [dict(k, status="Inactive") for k in found.access_keys or []]
    found.login_profile = None
    found.service_credentials = [
        dict(c, status="Inactive") for c in found.service_credentials or []
    ]
    found.ssh_keys = [dict(k, status="Inactive") for k in found.ssh_keys or []]
    found.certificates = [dict(c, status="Inactive") for c in found.certificates or []]
    found.mfa_devices = [(found.mfa_devices or [])[0]]
    found.signin_sessions = [dict(s, status="REVOKED") for s in found.signin_sessions or []]
    return found


def by_path(report: cov.CoverageReport) -> dict[str, cov.CredentialPath]:
    return {p.path: p for p in report.paths}


def test_every_user_path_open_names_its_closing_command() -> None:
    report = coverage(wide_open(), cutoff=CUTOFF, since=SINCE, now=NOW)
    paths = by_path(report)
    assert set(paths) == set(cov.USER_PATHS)
    assert all(p.state == cov.OPEN for p in paths.values()), {p.path: p.state for p in report.paths}
    assert paths[cov.ACCESS_KEYS].closes == ["revoke user alice --before now --deactivate-keys"]
    assert paths[cov.CONSOLE_PASSWORD].closes == [
        "revoke user alice --before now --disable-console"
    ]
    assert paths[cov.SESSIONS].closes == [f"revoke user alice --before {CUTOFF}"]
    # Issue 15 item 3: each path's own `revoke user` flag (REVOKE_FLAGS).
    assert paths[cov.SERVICE_CREDENTIALS].closes == [
        "revoke user alice --before now --deactivate-service-credentials"
    ]
    assert paths[cov.SERVICE_CREDENTIALS].docs == cov.BEDROCK_REVOKE_DOCS
    assert paths[cov.SSH_KEYS].closes == ["revoke user alice --before now --deactivate-ssh-keys"]
    assert paths[cov.SIGNING_CERTIFICATES].closes == [
        "revoke user alice --before now --deactivate-certificates"
    ]
    # Only the device enabled during the incident is a foothold.
    assert paths[cov.MFA_DEVICES].closes == [
        f"revoke user alice --before now --deactivate-mfa-since {SINCE}"
    ]
    assert paths[cov.SIGNIN_SESSIONS].closes == [
        "revoke user alice --before now --revoke-signin-sessions"
    ]
    assert report.exit_code() == ExitCode.UNVERIFIED
    payload = report.to_json()
    assert payload["action"] == "residual"
    assert payload["open"] == len(cov.USER_PATHS)
    assert payload["principal"] == {
        "kind": "user",
        "name": "alice",
        "arn": ARN,
        "account": "123456789012",
    }
    for path in payload["paths"]:
        assert set(path) >= {"path", "state", "detail", "closes", "docs"}
        assert path["docs"].startswith("https://docs.aws.amazon.com/")
        assert "AWS-FACTS" not in path["detail"]


def test_fully_contained_user_exits_0() -> None:
    report = coverage(contained(), cutoff=CUTOFF, since=SINCE, now=NOW)
    states = {p.path: p.state for p in report.paths}
    assert states == {
        cov.ACCESS_KEYS: cov.CONTAINED,
        cov.CONSOLE_PASSWORD: cov.ABSENT,
        cov.SESSIONS: cov.CONTAINED,
        cov.SERVICE_CREDENTIALS: cov.CONTAINED,
        cov.SSH_KEYS: cov.CONTAINED,
        cov.SIGNING_CERTIFICATES: cov.CONTAINED,
        cov.MFA_DEVICES: cov.ABSENT,
        cov.SIGNIN_SESSIONS: cov.CONTAINED,
    }
    assert report.exit_code() == ExitCode.OK
    assert report.to_json()["open"] == 0


def test_a_deny_earlier_than_the_cutoff_leaves_sessions_open() -> None:
    found = contained()
    found.revocation_cutoff = "2026-12-01T09:00:00Z"
    path = by_path(coverage(found, cutoff=CUTOFF, since=SINCE, now=NOW))[cov.SESSIONS]
    assert path.state == cov.OPEN
    assert "2026-12-01T09:00:00Z" in path.detail
    # Without a cutoff to hold it to, any deny in force counts.
    assert by_path(coverage(found, since=SINCE, now=NOW))[cov.SESSIONS].state == cov.CONTAINED


def test_an_expired_signin_session_is_not_open() -> None:
    found = contained()
    found.signin_sessions = [
        {"arn": SESSION_ARN, "status": "ACTIVE", "issued_at": 1, "expires_at": NOW.timestamp() - 1}
    ]
    assert by_path(coverage(found, cutoff=CUTOFF, now=NOW))[cov.SIGNIN_SESSIONS].state == (
        cov.CONTAINED
    )


def test_signin_revocations_are_batched_by_five(monkeypatch: pytest.MonkeyPatch) -> None:
    # The AWS CLI fallback (a role's sessions; a user's before the flag existed).
    monkeypatch.setitem(cov.REVOKE_FLAGS, cov.SIGNIN_SESSIONS, None)
    found = contained()
    found.signin_sessions = [
        {"arn": f"{SESSION_ARN}{n}", "status": "ACTIVE", "issued_at": 1, "expires_at": None}
        for n in range(7)
    ]
    closes = by_path(coverage(found, cutoff=CUTOFF, now=NOW))[cov.SIGNIN_SESSIONS].closes
    assert [c.count(SESSION_ARN) for c in closes] == [5, 2]


def test_mfa_window_defaults_to_the_cutoff_and_without_one_is_unchecked() -> None:
    found = contained()
    found.mfa_devices = [{"serial": "s-new", "enabled": "2026-12-01T11:30:00Z"}]
    assert by_path(coverage(found, cutoff=CUTOFF, now=NOW))[cov.MFA_DEVICES].state == cov.OPEN
    found.revocation_cutoff = None
    report = coverage(found, now=NOW)
    assert by_path(report)[cov.MFA_DEVICES].state == cov.UNCHECKED


def test_a_path_that_could_not_be_read_is_unchecked_and_exits_3() -> None:
    found = contained()
    found.signin_sessions = None
    found.unavailable[cov.SIGNIN_SESSIONS] = "the endpoint does not implement signin:ListSessions"
    report = coverage(found, cutoff=CUTOFF, since=SINCE, now=NOW)
    path = by_path(report)[cov.SIGNIN_SESSIONS]
    assert path.state == cov.UNCHECKED
    assert "https://console.aws.amazon.com/iam/home#/users/details/alice" in path.detail
    assert report.to_json()["open"] == 0 and report.to_json()["unchecked"] == 1
    assert report.exit_code() == ExitCode.UNVERIFIED
    assert any("could not be checked" in w for w in report.warnings())


def test_quarantine_policies_are_evidence_and_partial_containment() -> None:
    assert all(
        is_quarantine_policy(f"arn:aws:iam::aws:policy/{n}") for n in cov.QUARANTINE_POLICY_NAMES
    )
    assert {n[-2:] for n in cov.QUARANTINE_POLICY_NAMES} >= {"V2", "V3", "V4"}
    # A customer-managed policy of the same name is not AWS's.
    assert not is_quarantine_policy(
        "arn:aws:iam::123456789012:policy/AWSCompromisedKeyQuarantineV2"
    )
    found = wide_open()
    found.attached_policy_arns = ["arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"]
    report = coverage(found, cutoff=CUTOFF, since=SINCE, now=NOW)
    (evidence,) = report.to_json()["evidence"]
    assert evidence["policy_name"] == "AWSCompromisedKeyQuarantineV3"
    assert evidence["never_remove"] is True
    assert evidence["counts_as"] == "partial containment"
    assert evidence["docs"] == (
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/"
        "AWSCompromisedKeyQuarantineV3.html"
    )
    keys = by_path(report)[cov.ACCESS_KEYS]
    assert keys.state == cov.OPEN  # a partial deny does not close the path
    assert keys.to_json()["partially_contained_by"] == ["AWSCompromisedKeyQuarantineV3"]


def role(trust: dict[str, Any], profiles: list[str], cutoff: str | None) -> PrincipalCredentials:
    return PrincipalCredentials(
        kind="role",
        name="app",
        arn="arn:aws:iam::123456789012:role/app",
        account="123456789012",
        revocation_cutoff=cutoff,
        trust_policy=trust,
        instance_profiles=profiles,
        signin_sessions=[],
    )


TRUST_PEOPLE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::210987654321:root", "Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def test_role_paths_trust_and_instance_profiles() -> None:
    report = coverage(role(TRUST_PEOPLE, ["web"], None), now=NOW)
    paths = by_path(report)
    assert set(paths) == set(cov.ROLE_PATHS)
    assert paths[cov.SESSIONS].state == cov.OPEN
    assert paths[cov.SESSIONS].closes == ["revoke role app --before now"]
    assert paths[cov.TRUST_POLICY].state == cov.OPEN
    assert "arn:aws:iam::210987654321:root" in paths[cov.TRUST_POLICY].detail
    assert paths[cov.TRUST_POLICY].closes == ["revoke role app --before now --lock-trust"]
    profiles = paths[cov.INSTANCE_PROFILES]
    assert profiles.state == cov.NOT_CONTAINABLE
    assert "web" in profiles.detail
    assert profiles.warning and "until its credentials renew" in profiles.warning
    assert report.exit_code() == ExitCode.UNVERIFIED


def test_role_with_a_locked_trust_and_a_deny_exits_0() -> None:
    locked = {
        "Version": "2012-10-17",
        "Statement": TRUST_PEOPLE["Statement"]
        + [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/bg"}},
            }
        ],
    }
    report = coverage(role(locked, [], CUTOFF), cutoff=CUTOFF, now=NOW)
    assert {p.path: p.state for p in report.paths} == {
        cov.SESSIONS: cov.CONTAINED,
        cov.TRUST_POLICY: cov.CONTAINED,
        cov.INSTANCE_PROFILES: cov.ABSENT,
        cov.SIGNIN_SESSIONS: cov.ABSENT,
    }
    assert report.exit_code() == ExitCode.OK


def test_a_role_only_services_assume_is_not_containable_here() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
    }
    path = by_path(coverage(role(trust, ["web"], CUTOFF), now=NOW))[cov.TRUST_POLICY]
    assert path.state == cov.NOT_CONTAINABLE
    assert path.warning
