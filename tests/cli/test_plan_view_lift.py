"""`revoke lift user|role` at the prompt (issue 18 item 3): the plan before the question
(the caller, the deny removed or the document restored in full, each credential
reactivated, what cannot be restored), 'n' changes nothing and 'y' lifts. Against moto, as
tests/cli/test_lift_cmd.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core.policy import POLICY_NAME, existing_cutoff
from tests.helpers import json_out, run_cli

ACCOUNT = "123456789012"
CUTOFF = "2026-11-01T05:00:00Z"
EARLIER = "2026-10-01T00:00:00Z"
QUESTION = "Lift the revocation of"


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        client.create_login_profile(UserName="alice", Password="Correct-Horse-9!")
        yield client


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "journal.jsonl"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A person at a terminal answers the prompt."""
    monkeypatch.setattr("revoke.cli.app.stdin_is_terminal", lambda: True)


def cli(journal: Path, *args: str, input: str | None = None) -> Any:
    return run_cli("--output", "json", "--journal", str(journal), *args, input=input)


def inline(iam: Any) -> dict[str, Any] | None:
    try:
        return iam.get_user_policy(UserName="alice", PolicyName=POLICY_NAME)["PolicyDocument"]  # type: ignore[no-any-return]
    except iam.exceptions.NoSuchEntityException:
        return None


def deny(cutoff: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}},
            }
        ],
    }


def before(stderr: str) -> list[str]:
    assert QUESTION in stderr, stderr
    return stderr[: stderr.index(QUESTION)].splitlines()


def payload(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout[result.stdout.index("{") :])  # CliRunner echoes the answer


def test_lift_shows_what_goes_and_what_cannot_come_back_and_n_changes_nothing(
    iam: Any, journal: Path, terminal: None
) -> None:
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    contain = ("user", "alice", "--before", CUTOFF, "--deactivate-keys", "--disable-console")
    assert cli(journal, "--yes", *contain).exit_code == 0
    lines_before = journal.read_text()
    result = cli(journal, "lift", "user", "alice", input="n\n")
    assert result.exit_code == 0, result.stderr
    plan = before(result.stderr)
    assert plan[0].startswith("acting as arn:aws:") and plan[0].endswith(f"(account {ACCOUNT})")
    assert f"plan: lift the revocation of user alice in account {ACCOUNT}" in plan
    assert (
        f"  remove inline policy {POLICY_NAME} (a deny with cutoff {CUTOFF}): nothing of "
        "revoke's stays"
    ) in plan
    assert f"  reactivate access key {key}" in plan
    # What stays: the password cannot be restored; said before the question, and once.
    console = "warning: the console password of user alice was removed and cannot be restored"
    assert any(line.startswith(console) for line in plan), plan
    assert result.stderr.count("cannot be restored") == 1
    assert (
        "Lift the revocation of user alice (remove the policy, reactivate 1 credential)? "
        "Sessions it denied work again."
    ) in result.stderr
    assert payload(result)["targets"][0]["status"] == "planned"
    assert existing_cutoff(inline(iam)) == CUTOFF
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    assert journal.read_text() == lines_before

    accepted = cli(journal, "lift", "user", "alice", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert inline(iam) is None
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Active"


def test_a_restore_shows_the_document_in_full_and_the_cutoff_that_stays(
    iam: Any, journal: Path, terminal: None
) -> None:
    # An earlier incident's deny is there: lifting narrows ours back to it, not to nothing.
    iam.put_user_policy(
        UserName="alice", PolicyName=POLICY_NAME, PolicyDocument=json.dumps(deny(EARLIER))
    )
    assert cli(journal, "--yes", "user", "alice", "--before", CUTOFF).exit_code == 0
    result = cli(journal, "lift", "user", "alice", input="n\n")
    assert result.exit_code == 0, result.stderr
    plan = before(result.stderr)
    assert (
        f"  restore inline policy {POLICY_NAME} as it was before revoke (a deny with cutoff "
        f"{EARLIER}), replacing a deny with cutoff {CUTOFF}"
    ) in plan
    start = plan.index(f"  document to install as {POLICY_NAME} on user alice:")
    shown = "\n".join(plan[start + 1 :])
    assert json.loads(shown[: shown.rindex("}") + 1]) == deny(EARLIER)
    assert existing_cutoff(inline(iam)) == CUTOFF  # 'n'

    accepted = cli(journal, "lift", "user", "alice", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert existing_cutoff(inline(iam)) == EARLIER


def test_yes_prints_nothing_of_the_prompt(iam: Any, journal: Path, terminal: None) -> None:
    assert cli(journal, "--yes", "user", "alice", "--before", CUTOFF).exit_code == 0
    result = cli(journal, "--yes", "lift", "user", "alice")
    assert result.exit_code == 0, result.stderr
    assert "plan: lift" not in result.stderr and QUESTION not in result.stderr
    assert json_out(result)["targets"][0]["status"] == "applied"  # stdout: the JSON alone
    assert inline(iam) is None


def test_a_role_lift_shows_the_trust_policy_it_puts_back(
    iam: Any, journal: Path, terminal: None
) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=json.dumps(trust))
    assert (
        cli(journal, "--yes", "role", "Deploy", "--before", CUTOFF, "--lock-trust").exit_code == 0
    )
    result = cli(journal, "lift", "role", "Deploy", input="n\n")
    assert result.exit_code == 0, result.stderr
    plan = before(result.stderr)
    assert f"plan: lift the revocation of role Deploy in account {ACCOUNT}" in plan
    assert "  restore the trust policy (remove revoke's lock statement)" in plan
    start = plan.index("  trust policy to install on role Deploy:")
    shown = "\n".join(plan[start + 1 :])
    assert json.loads(shown[: shown.rindex("}") + 1]) == trust
    assert "(remove the policy, restore the trust policy)?" in result.stderr
    locked = iam.get_role(RoleName="Deploy")["Role"]["AssumeRolePolicyDocument"]
    assert len(locked["Statement"]) == 2  # 'n': revoke's lock statement is still there
