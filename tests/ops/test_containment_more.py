"""Issue 15 item 3 beyond the done-when e2e test: the pure planning of the new steps, a
role's trust lock (document, exemptions, journal, lift), reconcile of each new step after
a run died between its writes and its record, and the refusals of the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from revoke.aws.iam import IamGateway
from revoke.aws.session import AwsSession
from revoke.core.coverage import REVOKE_FLAGS, SIGNIN_SESSIONS, trust_locked
from revoke.core.evaluate import evaluate
from revoke.ops.containment import (
    DEACTIVATE_MFA_DEVICE,
    DEACTIVATE_SSH_KEY,
    LOCK_TRUST,
    LOCK_TRUST_SID,
    REVOKE_SIGNIN_SESSIONS,
    caller_role_arns,
    containment_options,
    locked_trust,
    mfa_steps,
    signin_steps,
    status_steps,
    unlocked_trust,
)
from revoke.ops.reconcile import reconcile
from revoke.sandbox import Sandbox
from revoke.state.journal import Journal, writer_identity
from tests.helpers import assert_clean_failure, json_out, run_cli
from tests.ops.test_residual import SSH_KEY

NOW = datetime(2026, 11, 1, 5, 0, 0, tzinfo=timezone.utc)
ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}

# -- pure ------------------------------------------------------------------------------


def test_only_active_credentials_are_steps_with_what_they_were() -> None:
    listed = [
        {"id": "A1", "status": "Active", "service": "codecommit.amazonaws.com", "created": "x"},
        {"id": "A2", "status": "Inactive", "service": "bedrock.amazonaws.com"},
    ]
    (step,) = status_steps("deactivate_service_credential", listed)
    assert step == {
        "action": "deactivate_service_credential",
        "credential_id": "A1",
        "status_before": "Active",
        "service": "codecommit.amazonaws.com",
        "created": "x",
        "result": "planned",
    }


def test_mfa_devices_at_or_after_the_start_only() -> None:
    devices = [
        {"serial_number": "old", "enabled": "2026-10-31T23:59:59Z"},
        {"serial_number": "edge", "enabled": "2026-11-01T00:00:00Z"},
        {"serial_number": "new", "enabled": "2026-11-01T04:00:00Z"},
    ]
    chosen = mfa_steps(devices, "2026-11-01T00:00:00Z")
    assert [s["serial_number"] for s in chosen] == ["edge", "new"]
    assert {s["action"] for s in chosen} == {DEACTIVATE_MFA_DEVICE}


def test_signin_sessions_are_revoked_five_a_call_and_only_live_ones() -> None:
    live = [
        {"arn": f"s{i}", "status": "ACTIVE", "expires_at": NOW.timestamp() + 60} for i in range(7)
    ]
    gone = [
        {"arn": "revoked", "status": "REVOKED", "expires_at": NOW.timestamp() + 60},
        {"arn": "expired", "status": "ACTIVE", "expires_at": NOW.timestamp() - 1},
    ]
    steps = signin_steps("arn:aws:iam::1:user/a", live + gone, NOW)
    assert [len(s["sessions"]) for s in steps] == [5, 2]
    assert {s["action"] for s in steps} == {REVOKE_SIGNIN_SESSIONS}
    assert "revoked" not in json.dumps(steps) and "expired" not in json.dumps(steps)


def test_contain_all_turns_on_every_flag_and_takes_the_week_before_the_cutoff_as_mfa_window() -> (
    None
):
    every = containment_options(
        {"contain_all": True},
        deactivate_keys=False,
        disable_console=False,
        key_ids=None,
        cutoff="2026-11-01T05:00:00Z",
        now=NOW,
    )
    assert every.deactivate_keys and every.disable_console
    assert every.deactivate_service_credentials and every.deactivate_ssh_keys
    assert every.deactivate_certificates and every.revoke_signin_sessions
    # An MFA device the attacker added before the cutoff is in the window (DESIGN: the
    # cutoff is at or after the attacker's latest session, so the window must start earlier).
    assert every.deactivate_mfa_since == "2026-10-25T05:00:00Z"
    assert not every.lock_trust
    since = containment_options(
        {"contain_all": True, "deactivate_mfa_since": "-1d"},
        deactivate_keys=False,
        disable_console=False,
        key_ids=None,
        cutoff="2026-11-01T05:00:00Z",
        now=NOW,
    )
    assert since.deactivate_mfa_since == "2026-10-31T05:00:00Z"
    assert not containment_options(
        {}, deactivate_keys=False, disable_console=False, key_ids=None, cutoff="x", now=NOW
    ).any


def test_residual_names_the_new_flags() -> None:
    assert REVOKE_FLAGS[SIGNIN_SESSIONS] == "--revoke-signin-sessions"
    assert set(REVOKE_FLAGS.values()) >= {
        "--deactivate-service-credentials",
        "--deactivate-ssh-keys",
        "--deactivate-certificates",
        "--deactivate-mfa-since",
    }


def test_the_lock_denies_everyone_but_the_exempt_and_lift_takes_only_it_out() -> None:
    exempt = ["arn:aws:iam::123456789012:role/BreakGlass"]
    locked = locked_trust(TRUST, exempt)
    assert trust_locked(locked)
    assert locked["Statement"][0] == TRUST["Statement"][0]  # the rest untouched
    deny = locked["Statement"][-1]
    assert deny["Sid"] == LOCK_TRUST_SID and deny["Effect"] == "Deny"
    assert set(deny["Action"]) == {
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
        "sts:TagSession",
        "sts:SetSourceIdentity",
    }
    # Decided with the project's evaluator (identity-policy grammar: Principal dropped,
    # the role as Resource): a Deny trumps the trust's Allow.
    locked = {
        **locked,
        "Statement": [
            {**{k: v for k, v in s.items() if k != "Principal"}, "Resource": "*"}
            for s in locked["Statement"]
        ],
    }
    attacker = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/mallory"}
    assert evaluate({"trust": locked}, "sts:AssumeRole", context=attacker).decision == (
        "explicit_deny"
    )
    federated: dict[str, Any] = {}  # no aws:PrincipalArn: ArnNotLike matches, denied too
    assert evaluate(
        {"trust": locked}, "sts:AssumeRoleWithWebIdentity", context=federated
    ).decision == ("explicit_deny")
    breakglass = {"aws:PrincipalArn": exempt[0]}
    assert evaluate({"trust": locked}, "sts:AssumeRole", context=breakglass).decision == "allow"
    assert unlocked_trust(locked_trust(TRUST, exempt)) == TRUST
    assert unlocked_trust(TRUST) is None


def test_the_callers_own_role_is_named() -> None:
    assert caller_role_arns(f"arn:aws:sts::{ACCOUNT}:assumed-role/Responder/me") == [
        f"arn:aws:iam::{ACCOUNT}:role/Responder",
        f"arn:aws:iam::{ACCOUNT}:role/*/Responder",
    ]
    assert caller_role_arns(f"arn:aws:iam::{ACCOUNT}:user/alice") == []


# -- against the sandbox ---------------------------------------------------------------


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


def _trust(sandbox: Sandbox, role: str) -> dict[str, Any]:
    found = sandbox.client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return found if isinstance(found, dict) else json.loads(found)  # type: ignore[no-any-return]


def test_lock_trust_is_journalled_with_the_document_before_and_lifted(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    iam = sandbox.client("iam")
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=json.dumps(TRUST))
    journal_path = tmp_path / "journal.jsonl"
    args = ("--output", "json", "--yes", "--journal", str(journal_path))
    exempt = f"arn:aws:iam::{sandbox.account_id}:role/BreakGlass"
    result = run_cli(
        *args, "role", "Deploy", "--before", "now", "--lock-trust", "--exempt-principal", exempt
    )
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    (step,) = target["containment"]
    assert step["action"] == LOCK_TRUST and step["result"] == "done"
    assert step["exempt"] == [exempt]
    live = _trust(sandbox, "Deploy")
    assert trust_locked(live) and live["Statement"][0] == TRUST["Statement"][0]
    (record,) = [r for r in Journal(journal_path).records() if r["action"] == "revoke"]
    assert record["containment"][0]["trust_before"] == TRUST
    assert record["evidence"]["trust_policy"] == TRUST

    again = run_cli(*args, "role", "Deploy", "--before", "now", "--lock-trust")
    assert again.exit_code == 0, again.stderr
    assert not json_out(again)["targets"][0].get("containment")  # locked already

    lifted = run_cli(*args, "lift", "role", "Deploy")
    assert lifted.exit_code == 0, lifted.stderr
    (plan,) = json_out(lifted)["targets"]
    assert [(s["action"], s["result"]) for s in plan["containment"]] == [("restore_trust", "done")]
    assert _trust(sandbox, "Deploy") == TRUST


def test_lift_keeps_a_trust_change_made_after_the_lock(sandbox: Sandbox, tmp_path: Path) -> None:
    iam = sandbox.client("iam")
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=json.dumps(TRUST))
    args = ("--output", "json", "--yes", "--journal", str(tmp_path / "j.jsonl"))
    assert run_cli(*args, "role", "Deploy", "--before", "now", "--lock-trust").exit_code == 0
    edited = _trust(sandbox, "Deploy")
    extra = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    edited["Statement"].insert(0, extra)
    iam.update_assume_role_policy(RoleName="Deploy", PolicyDocument=json.dumps(edited))
    lifted = run_cli(*args, "lift", "role", "Deploy")
    assert lifted.exit_code == 0, lifted.stderr
    assert "removes only revoke's lock statement" in " ".join(json_out(lifted)["warnings"]), (
        lifted.stdout
    )
    assert _trust(sandbox, "Deploy")["Statement"] == [extra, *TRUST["Statement"]]


def test_reconcile_finds_each_new_step_done_or_not(sandbox: Sandbox, tmp_path: Path) -> None:
    """A run died after its writes, before its record: reconcile reads each step's state."""
    iam = sandbox.client("iam")
    user = iam.create_user(UserName="mallory")["User"]
    iam.create_login_profile(UserName="mallory", Password="Correct-Horse-9!x")
    ssh = iam.upload_ssh_public_key(UserName="mallory", SSHPublicKeyBody=SSH_KEY)["SSHPublicKey"]
    git = iam.create_service_specific_credential(
        UserName="mallory", ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    session = sandbox.console_sign_in("mallory")
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=json.dumps(TRUST))
    # What the dead run had done: the SSH key and the sign-in session, the trust; not Git.
    iam.update_ssh_public_key(
        UserName="mallory", SSHPublicKeyId=ssh["SSHPublicKeyId"], Status="Inactive"
    )
    sandbox.client("signin").batch_revoke_sessions(
        principalArn=user["Arn"], sessionArns=[session.session_arn]
    )
    locked = locked_trust(TRUST, [])
    iam.update_assume_role_policy(RoleName="Deploy", PolicyDocument=json.dumps(locked))
    journal = Journal(tmp_path / "journal.jsonl")
    base = {"action": "intent", "account": sandbox.account_id, "cutoff": "2026-11-01T05:00:00Z"}
    journal.append(
        {
            **base,
            "target": {"kind": "user", "name": "mallory", "arn": user["Arn"]},
            "writes": [
                {"action": DEACTIVATE_SSH_KEY, "credential_id": ssh["SSHPublicKeyId"]},
                {
                    "action": "deactivate_service_credential",
                    "credential_id": git["ServiceSpecificCredentialId"],
                },
                {
                    "action": REVOKE_SIGNIN_SESSIONS,
                    "principal_arn": user["Arn"],
                    "sessions": [{"arn": session.session_arn}],
                },
            ],
            **writer_identity(),
        }
    )
    journal.append(
        {
            **base,
            "target": {"kind": "role", "name": "Deploy"},
            "writes": [{"action": LOCK_TRUST, "trust_before": TRUST, "trust_after": locked}],
            **writer_identity(),
        }
    )
    gateway = IamGateway(AwsSession(endpoint_url=sandbox.endpoint_url))
    done = reconcile(gateway, journal, gateway.caller_identity())
    assert done.left == 0, done.lines
    user_record, role_record = done.records
    assert [s["action"] for s in user_record["containment"]] == [
        DEACTIVATE_SSH_KEY,
        REVOKE_SIGNIN_SESSIONS,
    ]  # the Git credential is still active: not done, not claimed
    assert [s["action"] for s in role_record["containment"]] == [LOCK_TRUST]
    assert "SSH public key(s)" in done.lines[0] and "1 sign-in session(s) revoked" in done.lines[0]
    assert "the trust policy locked" in done.lines[1]
    assert journal.dangling_intents() == []


def test_flags_on_the_wrong_kind_are_refused_before_any_call(tmp_path: Path) -> None:
    journal = ("--journal", str(tmp_path / "j.jsonl"))
    assert_clean_failure(run_cli(*journal, "role", "Deploy", "--before", "now", "--contain-all"), 2)
    assert_clean_failure(run_cli(*journal, "user", "alice", "--before", "now", "--lock-trust"), 2)
    assert_clean_failure(
        run_cli(
            *journal,
            "role",
            "Deploy",
            "--before",
            "now",
            "--exempt-principal",
            "arn:aws:iam::1:role/x",
        ),
        2,
    )
