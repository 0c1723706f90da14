"""Every command of every runbook runs, in order, against the sandbox: runbooks cannot rot.

The test extracts each runbook's fenced `bash` blocks, fills in the placeholders of its
step 0, and runs them as one `bash -euo pipefail` script with the real `revoke` and `aws`
executables pointed at a sandbox, then checks what a responder would check afterwards.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from revoke.core.policy import POLICY_NAME
from revoke.sandbox import Sandbox
from revoke.state.journal import Journal

pytestmark = pytest.mark.slow

RUNBOOKS = Path(__file__).resolve().parents[2] / "runbooks"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)


def bash_blocks(name: str) -> list[str]:
    return _BLOCK.findall((RUNBOOKS / name).read_text("utf-8"))


def script_of(name: str, placeholders: dict[str, str]) -> str:
    parts = []
    for number, block in enumerate(bash_blocks(name), 1):
        for placeholder, value in placeholders.items():
            block = re.sub(rf"\b{placeholder}\b", value, block)
        parts.append(f'echo "--- {name}: block {number} ---" >&2\n{block}')
    return "set -euo pipefail\n" + "\n".join(parts)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def run_runbook(
    name: str,
    sandbox: Sandbox,
    cwd: Path,
    placeholders: dict[str, str],
    *,
    stdin: str = "",
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # keeps the test guard's dead proxy; NO_PROXY covers loopback
    # The responder acts as an IAM admin of the account, not its root: the fan-out
    # assumes roles, which AWS refuses the root.
    env.update(sandbox.env(**sandbox.admin_credentials()))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["REVOKE_JOURNAL"] = str(cwd / "incident-journal.jsonl")
    env.update(extra_env or {})
    script = script_of(name, placeholders)
    leftover = [p for p in ("USER_NAME", "ACCESS_KEY_ID", "ROLE_NAME") if p in script]
    assert not leftover, f"placeholders not filled in: {leftover}"
    proc = subprocess.run(
        ["bash", "-c", script],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{name} failed:\n{proc.stderr[-4000:]}"
    assert "Traceback" not in proc.stderr
    return proc


def test_every_runbook_with_commands_is_exercised_here() -> None:
    with_commands = {p.name for p in RUNBOOKS.glob("*.md") if bash_blocks(p.name)}
    assert with_commands == {
        "compromised-access-key.md",
        "compromised-user-every-credential.md",
        "key-used-follow-it.md",
        "leaked-key-id.md",
        "leaked-role-session.md",
        "org-wide-revocation.md",
    }


def test_compromised_access_key_runbook(sandbox: Sandbox, tmp_path: Path) -> None:
    iam = sandbox.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    iam.create_login_profile(UserName="alice", Password="Old-Passw0rd!x")
    leaked = iam.create_access_key(UserName="alice")["AccessKey"]
    other = iam.create_access_key(UserName="alice")["AccessKey"]
    attacker = sandbox.client(
        "sts",
        aws_access_key_id=leaked["AccessKeyId"],
        aws_secret_access_key=leaked["SecretAccessKey"],
    ).get_session_token()["Credentials"]
    sandbox.client("s3", **attacker).list_buckets()  # the attacker's session works

    proc = run_runbook(
        "compromised-access-key.md",
        sandbox,
        tmp_path,
        {"USER_NAME": "alice", "ACCESS_KEY_ID": leaked["AccessKeyId"]},
        stdin="New-Passw0rd!x\n",
    )

    journal = Journal(tmp_path / "incident-journal.jsonl")
    assert journal.verify() == []
    changes = [r for r in journal.records() if r["action"] != "verify"]
    # Containment, then the gap-closing refresh (none when it fell in the same second as
    # the cutoff: the deny was already in force), then the lift.
    assert [r["action"] for r in changes] in (["revoke", "revoke", "lift"], ["revoke", "lift"])
    contained = changes[0]
    assert changes[-1]["after"] is None and len(changes[-1]["ref"]) == len(changes) - 1
    steps = {s.get("access_key_id", s["action"]): s["result"] for s in contained["containment"]}
    assert steps == {
        leaked["AccessKeyId"]: "done",
        other["AccessKeyId"]: "done",
        "delete_login_profile": "done",
    }
    assert contained["evidence"]["inline_policies"] == {"grant": ALLOW_ALL}
    assert contained["evidence"]["login_profile"] is not None
    # Recovery: the leaked key is gone, the other one is back, the deny is lifted, and the
    # console password is a new one (the lift said it could not restore the old one).
    keys = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(other["AccessKeyId"], "Active")]
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["grant"]
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] in (
        True,
        False,  # moto does not keep the flag
    )
    assert "cannot be restored" in proc.stderr
    assert "STOP" not in proc.stdout + proc.stderr
    for secret in (leaked["SecretAccessKey"], other["SecretAccessKey"], "New-Passw0rd!x"):
        assert secret not in (tmp_path / "incident-journal.jsonl").read_text()
        assert secret not in proc.stdout + proc.stderr


def test_compromised_user_every_credential_runbook(sandbox: Sandbox, tmp_path: Path) -> None:
    """Issue 15: every credential kind contained by the runbook, nothing open after, and
    the lift gives back what it can and names the rest."""
    from tests.e2e.test_contain_all import compromised, secrets_of, statuses

    made = compromised(sandbox)
    name = made["name"]
    proc = run_runbook(
        "compromised-user-every-credential.md",
        sandbox,
        tmp_path,
        {"USER_NAME": name, "INCIDENT_START_TIME": "-1d"},
    )
    containment = json.loads((tmp_path / "containment.json").read_text())
    (target,) = containment["targets"]
    assert target["status"] == "applied"
    assert all(s["result"] == "done" for s in target["containment"])
    assert len(target["containment"]) == 9  # 2 keys, password, 2 service, SSH, cert, MFA, sign-in
    # After the lift: every reversible credential is back, the MFA device and the
    # sessions are named as not restorable.
    after = statuses(sandbox, made)
    assert after["keys"] == ["Active", "Active"] and after["ssh"] == ["Active"]
    assert set(after["service"].values()) == {"Active"} and after["cert"] == ["Active"]
    assert after["mfa"] == []
    assert f"MFA device {made['serial']}" in proc.stdout + proc.stderr
    assert "cannot be restored" in proc.stdout + proc.stderr
    journal = Journal(tmp_path / "incident-journal.jsonl")
    assert journal.verify() == []
    assert [r["action"] for r in journal.records() if r["action"] != "verify"] == [
        "revoke",
        "lift",
    ]
    for secret in secrets_of(made):
        assert secret not in proc.stdout + proc.stderr
        assert secret not in (tmp_path / "incident-journal.jsonl").read_text()


def test_leaked_role_session_runbook(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam = sandbox.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{sandbox.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="Deploy", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    arn = f"arn:aws:iam::{sandbox.account_id}:role/Deploy"
    sts = sandbox.client("sts", **sandbox.admin_credentials())  # root may not assume roles
    leaked = sts.assume_role(RoleArn=arn, RoleSessionName="ci")["Credentials"]
    mine = sts.assume_role(RoleArn=arn, RoleSessionName="responder")["Credentials"]
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[probe]\n"
        f"aws_access_key_id = {mine['AccessKeyId']}\n"
        f"aws_secret_access_key = {mine['SecretAccessKey']}\n"
        f"aws_session_token = {mine['SessionToken']}\n"
    )
    sandbox.client("s3", **_creds(leaked)).list_buckets()  # the leaked session works

    proc = run_runbook(
        "leaked-role-session.md",
        sandbox,
        tmp_path,
        {
            "ROLE_NAME": "Deploy",
            "SESSION_KEY_ID": leaked["AccessKeyId"],
            "PROBE_PROFILE_NAME": "probe",
        },
        extra_env={"AWS_SHARED_CREDENTIALS_FILE": str(credentials)},
    )

    assert POLICY_NAME in iam.list_role_policies(RoleName="Deploy")["PolicyNames"]
    with pytest.raises(Exception) as denied:
        sandbox.client("s3", **_creds(leaked)).list_buckets()
    assert "explicit deny in an identity-based policy" in str(denied.value)
    fresh = sts.assume_role(RoleArn=arn, RoleSessionName="after")["Credentials"]
    sandbox.client("s3", **_creds(fresh)).list_buckets()  # new sessions keep working
    assert "enforcement confirmed" in proc.stderr  # the probe step ran, and was denied
    journal = Journal(tmp_path / "incident-journal.jsonl")
    assert journal.verify() == []
    (record,) = [r for r in journal.records() if r["action"] == "revoke"]
    assert record["target"] == {"kind": "role", "name": "Deploy", "arn": arn}
    assert record["evidence"]["inline_policies"] == {"grant": ALLOW_ALL}


def test_org_wide_revocation_runbook(sandbox: Sandbox, tmp_path: Path) -> None:
    orgs = sandbox.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    accounts = [
        orgs.create_account(AccountName=n, Email=f"{n}@example.com")["CreateAccountStatus"][
            "AccountId"
        ]
        for n in ("prod", "dev")
    ]
    sts = sandbox.client("sts", **sandbox.admin_credentials())  # root may not assume roles
    member_iam, keys, sessions = {}, {}, {}
    for account in accounts:  # alice in every member account, with a session from before
        admin = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            RoleSessionName="setup",
        )["Credentials"]
        iam = member_iam[account] = sandbox.client("iam", **_creds(admin))
        iam.create_user(UserName="alice")
        iam.put_user_policy(
            UserName="alice", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL)
        )
        keys[account] = iam.create_access_key(UserName="alice")["AccessKey"]
        sessions[account] = sandbox.client(
            "sts",
            aws_access_key_id=keys[account]["AccessKeyId"],
            aws_secret_access_key=keys[account]["SecretAccessKey"],
        ).get_session_token()["Credentials"]
        sandbox.client("s3", **_creds(sessions[account])).list_buckets()  # works before

    proc = run_runbook(
        "org-wide-revocation.md",
        sandbox,
        tmp_path,
        {"USER_NAME": "alice", "BREAK_GLASS_ROLE_NAME": "BreakGlass"},
    )

    for account in accounts:
        iam = member_iam[account]
        assert POLICY_NAME in iam.list_user_policies(UserName="alice")["PolicyNames"]
        with pytest.raises(Exception) as denied:
            sandbox.client("s3", **_creds(sessions[account])).list_buckets()
        assert "explicit deny in an identity-based policy" in str(denied.value)
        (key,) = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
        assert key["Status"] == "Inactive"
    # The SCP was written, verified, journalled, then lifted (detached and deleted).
    names = [p["Name"] for p in orgs.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]]
    assert "RevokeOlderSessions" not in names
    journal = Journal(tmp_path / "incident-journal.jsonl")
    assert journal.verify() == []
    changes = [r for r in journal.records() if r["action"] != "verify"]
    assert [
        (r["action"], r["target"]["kind"]) for r in changes if r["target"]["kind"] == "org"
    ] == [
        ("revoke", "org"),
        ("lift", "org"),
    ]
    users = [r for r in changes if r["target"]["kind"] == "user"]
    assert sorted(r["account"] for r in users) == sorted(accounts)
    assert "arn:aws:iam::*:role/BreakGlass" in (tmp_path / "org-revocation.json").read_text()
    for account in accounts:
        for secret in (keys[account]["SecretAccessKey"], sessions[account]["SessionToken"]):
            assert secret not in proc.stdout + proc.stderr
            assert secret not in (tmp_path / "incident-journal.jsonl").read_text()


def test_leaked_key_id_runbook(sandbox: Sandbox, tmp_path: Path) -> None:
    """Issue 9: from nothing but the key ID to a contained, verified, journalled owner."""
    iam = sandbox.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    leaked = iam.create_access_key(UserName="alice")["AccessKey"]
    other = iam.create_access_key(UserName="alice")["AccessKey"]
    attacker = sandbox.client(
        "sts",
        aws_access_key_id=leaked["AccessKeyId"],
        aws_secret_access_key=leaked["SecretAccessKey"],
    ).get_session_token()["Credentials"]
    sandbox.client("s3", **_creds(attacker)).list_buckets()  # the attacker's session works

    proc = run_runbook(
        "leaked-key-id.md",
        sandbox,
        tmp_path,
        {"ACCESS_KEY_ID": leaked["AccessKeyId"]},
        extra_env={"COLUMNS": "200"},  # tables unwrapped, as on a responder's wide terminal
    )

    assert "the key belongs to user alice in account 123456789012" in proc.stdout
    keys = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert {k["AccessKeyId"]: k["Status"] for k in keys} == {
        leaked["AccessKeyId"]: "Inactive",
        other["AccessKeyId"]: "Active",  # left alone, and named in a warning
    }
    assert f"keeps other active access keys ({other['AccessKeyId']})" in proc.stderr
    with pytest.raises(Exception) as denied:
        sandbox.client("s3", **_creds(attacker)).list_buckets()
    assert "explicit deny in an identity-based policy" in str(denied.value)
    journal = Journal(tmp_path / "incident-journal.jsonl")
    assert journal.verify() == []
    changes = [r for r in journal.records() if r["action"] != "verify"]
    assert [r["action"] for r in changes] in (["revoke", "revoke"], ["revoke"])
    assert [(s["access_key_id"], s["result"]) for s in changes[0]["containment"]] == [
        (leaked["AccessKeyId"], "done")
    ]
    # The lift plan would give back exactly that key.
    assert leaked["AccessKeyId"] in proc.stdout and other["AccessKeyId"] not in proc.stdout
    for secret in (leaked["SecretAccessKey"], other["SecretAccessKey"], attacker["SessionToken"]):
        assert secret not in proc.stdout + proc.stderr
        assert secret not in (tmp_path / "incident-journal.jsonl").read_text()


def _creds(credentials: dict[str, Any]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def test_key_used_follow_it_runbook(sandbox: Sandbox, tmp_path: Path) -> None:
    """Issue 16 item 5: the leaked key assumed a role, minted a federation token and gave
    another user a key; the runbook's --follow contains all of it, the role's other session
    keeps working, every change is journalled and the chain verifies."""
    iam = sandbox.client("iam")
    account = sandbox.account_id
    for user in ("alice", "bob"):
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="grant", PolicyDocument=json.dumps(ALLOW_ALL))
    leaked = iam.create_access_key(UserName="alice")["AccessKey"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="Admin", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="Admin", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    role_arn = f"arn:aws:iam::{account}:role/Admin"
    admin_sts = sandbox.client("sts", **sandbox.admin_credentials())  # not the root's
    legit = admin_sts.assume_role(RoleArn=role_arn, RoleSessionName="ci")
    attacker = sandbox.client(
        "sts",
        aws_access_key_id=leaked["AccessKeyId"],
        aws_secret_access_key=leaked["SecretAccessKey"],
    )
    admin = attacker.assume_role(RoleArn=role_arn, RoleSessionName="pivot")["Credentials"]
    federated = attacker.get_federation_token(Name="fed", Policy=json.dumps(ALLOW_ALL))
    made = sandbox.client("iam", **admin).create_access_key(UserName="bob")["AccessKey"]

    proc = run_runbook(
        "key-used-follow-it.md",
        sandbox,
        tmp_path,
        {"ACCESS_KEY_ID": leaked["AccessKeyId"], "ACCOUNT_LIST": account},
    )

    contained = json.loads((tmp_path / "follow.json").read_text())
    assert {(t["kind"], t["name"], t["status"]) for t in contained["targets"]} == {
        ("role", "Admin", "applied"),
        ("user", "alice", "applied"),
        ("user", "bob", "applied"),
    }
    for credentials in (admin, federated["Credentials"]):
        with pytest.raises(Exception, match="explicit deny"):
            sandbox.client("s3", **credentials).list_buckets()
    sandbox.client("s3", **legit["Credentials"]).list_buckets()  # the role's other session
    listed = iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]
    assert {k["AccessKeyId"]: k["Status"] for k in listed}[made["AccessKeyId"]] == "Inactive"
    journal = Journal(tmp_path / "incident-journal.jsonl")
    assert journal.verify() == []
    changed = {r["target"]["name"] for r in journal.records() if r["action"] == "revoke"}
    assert changed == {"Admin", "alice", "bob"}
    assert "STOP" not in proc.stdout + proc.stderr
    for secret in (leaked["SecretAccessKey"], made["SecretAccessKey"]):
        assert secret not in proc.stdout + proc.stderr
        assert secret not in (tmp_path / "incident-journal.jsonl").read_text()
