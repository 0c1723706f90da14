"""The fan-out at the prompt (issue 18 item 3): `revoke user alice --all-accounts` shows,
before the question, the caller and per account each principal and what happens to it (or
why the account is not reached); 'n' changes nothing, 'y' writes. Against moto's
Organizations and multi-account STS, as tests/ops/test_fanout.py; a bulk plan (counts and
the first few) from a FanOutResult."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.core.authorization import disable_iam_authentication, enable_iam_authentication

from revoke.cli.plan_view import fanout_plan_lines, fanout_question
from revoke.core.plan import STATUS_PLANNED, STATUS_UNCHANGED, TargetPlan
from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.ops.accounts import ACCOUNT_FAILED, AccountOutcome
from revoke.ops.fanout import FanOutResult
from revoke.ops.revocation import RunResult
from tests.helpers import json_out, member_client, run_cli

MANAGEMENT = "123456789012"
ROLE = "OrganizationAccountAccessRole"
CUTOFF = "2026-11-01T05:00:00Z"
QUESTION = "Write the deny to"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
DENY = {
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": CUTOFF}},
    },
}


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """prod: alice, no revocation; dev: alice, the cutoff already in force; locked: the
    responder's own policy denies sts:AssumeRole into its role (moto enforces it)."""
    with mock_aws():
        orgs = boto3.client("organizations", region_name="us-east-1")
        orgs.create_organization(FeatureSet="ALL")
        accounts = [
            orgs.create_account(AccountName=n, Email=f"{n}@example.com")["CreateAccountStatus"][
                "AccountId"
            ]
            for n in ("prod", "dev", "locked")
        ]
        for account in accounts:
            iam = member_client(account)
            iam.put_role_policy(
                RoleName=ROLE, PolicyName="admin", PolicyDocument=json.dumps(ALLOW_ALL)
            )
            iam.create_user(UserName="alice")
        member_client(accounts[1]).put_user_policy(
            UserName="alice", PolicyName=POLICY_NAME, PolicyDocument=json.dumps(DENY)
        )
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="responder")
        locked = {
            "Effect": "Deny",
            "Action": "sts:AssumeRole",
            "Resource": f"arn:aws:iam::{accounts[2]}:role/{ROLE}",
        }
        policy = {**ALLOW_ALL, "Statement": [*ALLOW_ALL["Statement"], locked]}
        iam.put_user_policy(
            UserName="responder", PolicyName="responder", PolicyDocument=json.dumps(policy)
        )
        key = iam.create_access_key(UserName="responder")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        monkeypatch.setattr("revoke.cli.app.stdin_is_terminal", lambda: True)
        with enable_iam_authentication():
            yield accounts


def alice_cutoff(account: str) -> str | None:
    with disable_iam_authentication():
        iam = member_client(account)
        if POLICY_NAME not in iam.list_user_policies(UserName="alice")["PolicyNames"]:
            return None
        return existing_cutoff(
            iam.get_user_policy(UserName="alice", PolicyName=POLICY_NAME)["PolicyDocument"]
        )


def test_the_prompt_shows_each_account_and_n_changes_nothing(org: list[str]) -> None:
    prod, dev, locked = org
    args = ("--output", "json", "user", "alice", "--before", CUTOFF, "--all-accounts")
    result = run_cli(*args, input="n\n")
    assert result.exit_code == 4, result.stderr  # partial: the locked account is not reached
    assert QUESTION in result.stderr, result.stderr
    plan = result.stderr[: result.stderr.index(QUESTION)].splitlines()
    assert plan[0] == f"acting as arn:aws:iam::{MANAGEMENT}:user/responder (account {MANAGEMENT})"
    assert (
        f"plan: deny sessions issued before {CUTOFF} in 4 accounts (as role {ROLE} there, as "
        "you in your own): 2 users found"
    ) in plan
    start = plan.index(f"  account {prod} (prod):")
    assert plan[start + 1] == f"    user alice: write the deny (inline policy {POLICY_NAME})"
    start = plan.index(f"  account {dev} (dev):")
    assert plan[start + 1] == f"    user alice: unchanged: cutoff {CUTOFF} is already in force"
    assert f"  account {locked} (locked): not reached (the warning below says why)" in plan
    own = [line for line in plan if line.startswith(f"  account {MANAGEMENT}")]
    assert own and own[0].endswith(": no user named there"), plan
    # Why the locked account is not reached comes before the question, and only there.
    reason = f"warning: account {locked}: not reached:"
    assert any(line.startswith(reason) and "AccessDenied" in line for line in plan), plan
    assert result.stderr.count(f"account {locked}: not reached:") == 1
    # The count is of the principals that change, out of those found.
    assert "Write the deny to 1 of 2 users in 1 account?" in result.stderr
    out = json.loads(result.stdout[result.stdout.index("{") :])  # CliRunner echoes the "n"
    assert {(t["account"], t["status"]) for t in out["targets"]} == {
        (prod, "planned"),
        (dev, "unchanged"),
    }
    assert alice_cutoff(prod) is None

    accepted = run_cli(*args, input="y\n")
    assert accepted.exit_code == 4, accepted.stderr
    assert alice_cutoff(prod) == CUTOFF


def test_yes_prints_nothing_of_the_prompt(org: list[str]) -> None:
    prod, dev, _ = org
    result = run_cli(
        "--yes", "--output", "json", "user", "alice", "--before", CUTOFF, "--accounts", prod
    )
    assert result.exit_code == 0, result.stderr
    assert "plan: deny" not in result.stderr and QUESTION not in result.stderr
    assert [t["status"] for t in json_out(result)["targets"]] == ["applied"]
    assert alice_cutoff(prod) == CUTOFF


# -- a bulk fan-out: counts and the first few -------------------------------------------------


def _outcome(index: int, status: str) -> AccountOutcome:
    account = f"{index:012d}"
    row = TargetPlan("user", "alice", account, POLICY_NAME, DENY, status)
    if status == STATUS_UNCHANGED:
        row.reason = f"cutoff {CUTOFF} is already in force"
    result = RunResult("revoke", False, CUTOFF, [row])
    return AccountOutcome(account, name=f"acct{index}", result=result)


def test_a_bulk_fan_out_is_counts_and_the_first_few() -> None:
    outcomes = [_outcome(i, STATUS_PLANNED) for i in range(1, 31)]
    outcomes += [_outcome(i, STATUS_UNCHANGED) for i in range(31, 33)]
    outcomes.append(
        AccountOutcome("999999999999", status=ACCOUNT_FAILED, error="AccessDenied: sts:AssumeRole")
    )
    run = FanOutResult(
        "revoke", False, CUTOFF, outcomes, warnings=["account 999999999999: not reached: ..."]
    )
    lines = fanout_plan_lines(run, "user", ROLE)
    assert len(lines) < 15, lines
    assert lines[1] == "  accounts: 30 to change, 2 nothing to change, 1 not reached"
    assert lines[2] == (
        "  to change: 000000000001 (acct1) (1 user), 000000000002 (acct2) (1 user), "
        "000000000003 (acct3) (1 user), 000000000004 (acct4) (1 user), "
        "000000000005 (acct5) (1 user) and 25 more"
    )
    assert "  not reached: 999999999999" in lines
    assert "    30 to write, 2 unchanged" in lines
    # In a fan-out the same name is many principals: each is named with its account.
    unchanged = [line for line in lines if line.startswith("    unchanged: ")]
    assert unchanged == [
        f"    unchanged: alice in 000000000031 (cutoff {CUTOFF} is already in force), "
        f"alice in 000000000032 (cutoff {CUTOFF} is already in force)"
    ]
    assert lines[-1] == "warning: account 999999999999: not reached: ..."
    assert fanout_question(run, "user") == "Write the deny to 30 of 32 users in 30 accounts?"
