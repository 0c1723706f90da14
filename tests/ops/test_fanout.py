"""Fan-out over accounts: choosing accounts, per-account results, exit codes; and the CLI
against moto's Organizations and multi-account STS, with one account whose role cannot be
assumed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.authorization import disable_iam_authentication, enable_iam_authentication

from revoke.core.plan import STATUS_APPLIED, STATUS_FAILED, TargetPlan
from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.errors import BadInput, ExitCode
from revoke.ops.fanout import (
    ACCOUNT_FAILED,
    ACCOUNT_SKIPPED,
    AccountOutcome,
    FanOutResult,
    check_role_name,
    parse_accounts,
)
from revoke.ops.revocation import RunResult
from revoke.state.journal import Journal
from tests.helpers import json_out, member_client, run_cli

A, B, C = "111111111111", "222222222222", "333333333333"
CUTOFF = "2026-11-01T05:00:00Z"


def test_accounts_from_options_and_file_in_order_without_duplicates() -> None:
    text = f"# prod\n{C}\n{A}, {B}  # dev\n\n"
    assert parse_accounts([f"{A},{B}", B], text) == [A, B, C]


@pytest.mark.parametrize("bad", ["12345", "1111-2222-3333", "arn:aws:iam::111111111111:root"])
def test_a_bad_account_id_is_refused(bad: str) -> None:
    with pytest.raises(BadInput, match="not an AWS account ID"):
        parse_accounts([bad])


def test_role_name_is_checked() -> None:
    assert check_role_name("OrganizationAccountAccessRole") == "OrganizationAccountAccessRole"
    with pytest.raises(BadInput):
        check_role_name("role/with/slash")


def _result(*statuses: str, verification: str = "verified") -> RunResult:
    rows = []
    for index, status in enumerate(statuses):
        row = TargetPlan("user", f"u{index}", None, "p", {}, status)
        row.verification = {"status": verification}
        if status == STATUS_FAILED:
            row.error_code = "NoSuchEntity"
        rows.append(row)
    return RunResult("revoke", False, CUTOFF, rows)


def _run(*outcomes: AccountOutcome) -> FanOutResult:
    return FanOutResult("revoke", False, CUTOFF, list(outcomes))


def _unreachable(account: str) -> AccountOutcome:
    return AccountOutcome(
        account, status=ACCOUNT_FAILED, error="AccessDenied", error_code="AccessDenied"
    )


def test_one_account_unreachable_the_others_applied_is_partial() -> None:
    run = _run(
        AccountOutcome(A, result=_result(STATUS_APPLIED)),
        _unreachable(B),
        AccountOutcome(C, result=_result(STATUS_APPLIED)),
    )
    assert run.exit_code() == ExitCode.PARTIAL


def test_every_account_unreachable_is_an_aws_failure() -> None:
    assert _run(_unreachable(A), _unreachable(B)).exit_code() == ExitCode.AWS_FAILURE


def test_all_applied_and_verified_is_ok_and_skipped_accounts_do_not_count() -> None:
    skipped = AccountOutcome(C, status=ACCOUNT_SKIPPED, error="account state SUSPENDED: skipped")
    run = _run(AccountOutcome(A, result=_result(STATUS_APPLIED)), skipped)
    assert run.exit_code() == ExitCode.OK


def test_unverified_in_one_account_is_exit_3() -> None:
    run = _run(
        AccountOutcome(A, result=_result(STATUS_APPLIED)),
        AccountOutcome(B, result=_result(STATUS_APPLIED, verification="unverified")),
    )
    assert run.exit_code() == ExitCode.UNVERIFIED


def test_json_targets_carry_their_account_and_accounts_list_each_outcome() -> None:
    run = _run(AccountOutcome(A, result=_result(STATUS_APPLIED, STATUS_FAILED)), _unreachable(B))
    data = run.to_json()
    assert [t["account"] for t in data["targets"]] == [A, A]
    assert data["accounts"] == [
        {
            "account": A,
            "name": None,
            "status": "done",
            "role_arn": None,
            "error": None,
            "error_code": None,
            "targets": {"applied": 1, "failed": 1},
            "absent": [],
        },
        {
            "account": B,
            "name": None,
            "status": "failed",
            "role_arn": None,
            "error": "AccessDenied",
            "error_code": "AccessDenied",
            "targets": {},
            "absent": [],
        },
    ]


# -- against moto: Organizations, multi-account STS, IAM authorization ------------------------

MANAGEMENT = "123456789012"
ROLE = "OrganizationAccountAccessRole"
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Three member accounts, each with a user alice; a responder in the management account
    whose own policy denies sts:AssumeRole into the third account's role: a realistic
    "role cannot be assumed" for that account, enforced by moto's IAM authorization."""
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
            # What AWS gives the role it creates: AdministratorAccess.
            iam.put_role_policy(RoleName=ROLE, PolicyName="admin", PolicyDocument=ALLOW_ALL)
            iam.create_user(UserName="alice")
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="responder")
        deny = {
            "Effect": "Deny",
            "Action": "sts:AssumeRole",
            "Resource": f"arn:aws:iam::{accounts[2]}:role/{ROLE}",
        }
        policy = json.loads(ALLOW_ALL)
        policy["Statement"].append(deny)
        iam.put_user_policy(
            UserName="responder", PolicyName="responder", PolicyDocument=json.dumps(policy)
        )
        key = iam.create_access_key(UserName="responder")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        with enable_iam_authentication():
            yield {"accounts": accounts, "orgs": orgs}


def put_revocation(account: str) -> None:
    member_client(account).put_user_policy(
        UserName="alice",
        PolicyName=POLICY_NAME,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"DateLessThan": {"aws:TokenIssueTime": CUTOFF}},
                },
            }
        ),
    )


def test_status_across_accounts_with_one_unreachable(org: dict[str, Any]) -> None:
    prod, dev, locked = org["accounts"]
    with disable_iam_authentication():
        put_revocation(prod)
    result = run_cli("--output", "json", "status", "--all-accounts")
    assert result.exit_code == 4, result.stderr
    out = json_out(result)
    assert [(t["account"], t["kind"], t["name"], t["cutoff"]) for t in out["targets"]] == [
        (prod, "user", "alice", CUTOFF)
    ]
    by_account = {a["account"]: a for a in out["accounts"]}
    assert by_account[prod]["in_force"] == 1 and by_account[dev]["in_force"] == 0
    assert by_account[locked]["status"] == "failed"
    assert "AccessDenied" in by_account[locked]["error"]
    assert by_account[MANAGEMENT]["role_arn"] is None  # own credentials, no role assumed
    assert f"account {locked}:" in result.stderr


def alice_policy(account: str) -> dict[str, Any] | None:
    with disable_iam_authentication():
        iam = member_client(account)
        if POLICY_NAME not in iam.list_user_policies(UserName="alice")["PolicyNames"]:
            return None
        return iam.get_user_policy(UserName="alice", PolicyName=POLICY_NAME)[  # type: ignore[no-any-return]
            "PolicyDocument"
        ]


def test_fan_out_over_accounts_with_one_unreachable(org: dict[str, Any], tmp_path: Any) -> None:
    prod, dev, locked = org["accounts"]
    result = run_cli(
        "--output",
        "json",
        "user",
        "alice",
        "--before",
        CUTOFF,
        "--accounts",
        f"{prod},{dev},{locked}",
    )
    assert result.exit_code == 4, result.stderr  # partial: one account not reached
    out = json_out(result)
    assert sorted((t["account"], t["name"], t["status"]) for t in out["targets"]) == sorted(
        [(prod, "alice", "applied"), (dev, "alice", "applied")]
    )
    assert all(t["verification"]["status"] == "verified" for t in out["targets"])
    by_account = {a["account"]: a for a in out["accounts"]}
    assert by_account[prod]["status"] == by_account[dev]["status"] == "done"
    assert by_account[locked]["status"] == "failed"
    assert by_account[locked]["role_arn"] == f"arn:aws:iam::{locked}:role/{ROLE}"
    assert "sts:AssumeRole" in by_account[locked]["error"]
    assert "AccessDenied" in by_account[locked]["error"]
    assert f"account {locked}: not reached" in result.stderr
    # Written in each reached account, nothing in the locked one.
    assert existing_cutoff(alice_policy(prod)) == existing_cutoff(alice_policy(dev)) == CUTOFF
    assert alice_policy(locked) is None
    # One journal record per account change, each naming its account.
    records = Journal(tmp_path / "state" / "revoke" / "journal.jsonl").records()
    changes = [r for r in records if r["action"] == "revoke"]
    assert sorted(r["account"] for r in changes) == sorted([prod, dev])
    assert all(r["target"]["name"] == "alice" for r in changes)


def test_fan_out_all_accounts_dry_run_changes_nothing(org: dict[str, Any], tmp_path: Any) -> None:
    prod, dev, locked = org["accounts"]
    result = run_cli(
        "--output", "json", "user", "alice", "--before", CUTOFF, "--all-accounts", "--dry-run"
    )
    assert result.exit_code == 4, result.stderr
    out = json_out(result)
    assert out["dry_run"] is True
    planned = {t["account"]: t["status"] for t in out["targets"]}
    assert planned == {prod: "planned", dev: "planned"}
    # The management account (reached with the caller's own credentials) has no alice:
    # not a failure when fanning out, an identity exists where it exists.
    by_account = {a["account"]: a for a in out["accounts"]}
    assert (by_account[MANAGEMENT]["status"], by_account[MANAGEMENT]["absent"]) == (
        "done",
        ["alice"],
    )
    assert alice_policy(prod) is None
    assert not (tmp_path / "state" / "revoke" / "journal.jsonl").exists()


def test_fan_out_dry_run_is_what_was_asked_and_no_verify_is_skipped(
    org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from revoke.cli.context import Globals
    from revoke.core.output import DECLINED

    prod, dev, _ = org["accounts"]
    args = ["--output", "json", "user", "alice", "--before", CUTOFF, "--accounts", f"{prod},{dev}"]
    monkeypatch.setattr(Globals, "confirm", lambda self, question: False)
    declined = run_cli(*args)
    assert declined.exit_code == 0, declined.stderr
    out = json_out(declined)
    assert out["dry_run"] is False and DECLINED in out["warnings"]
    assert {t["status"] for t in out["targets"]} == {"planned"}
    assert alice_policy(prod) is None

    monkeypatch.setattr(Globals, "confirm", lambda self, question: True)
    first = run_cli(*args, "--no-verify")
    assert first.exit_code == 0, first.stderr
    out = json_out(first)
    assert out["dry_run"] is False
    assert {t["verification"]["status"] for t in out["targets"]} == {"skipped"}
    again = run_cli(*args)  # the same cutoff is in force everywhere: nothing to change
    assert again.exit_code == 0, again.stderr
    out = json_out(again)
    assert out["dry_run"] is False
    assert {t["status"] for t in out["targets"]} == {"unchanged"}


def test_suspended_accounts_are_skipped(org: dict[str, Any]) -> None:
    prod, dev, locked = org["accounts"]
    with disable_iam_authentication():
        org["orgs"].close_account(AccountId=locked)
    result = run_cli(
        "--output", "json", "user", "alice", "--before", CUTOFF, "--all-accounts", "--dry-run"
    )
    by_account = {a["account"]: a for a in json_out(result)["accounts"]}
    assert by_account[locked]["status"] == "skipped"
    assert "SUSPENDED" in by_account[locked]["error"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--accounts", "12345"], "not an AWS account ID"),
        (["--accounts", A, "--offline"], "--offline makes no AWS call"),
        (["--accounts", A, "--assume-role-name", "a/b"], "not a valid IAM role name"),
    ],
)
def test_fan_out_bad_input_is_exit_2(args: list[str], needle: str) -> None:
    result = run_cli("--output", "json", "user", "alice", "--before", CUTOFF, *args)
    assert result.exit_code == 2
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_user_that_exists_in_no_account_reached_is_exit_254(org: dict[str, Any]) -> None:
    prod, dev, _ = org["accounts"]
    result = run_cli(
        "--output", "json", "user", "mallory", "--before", CUTOFF, "--accounts", f"{prod},{dev}"
    )
    assert result.exit_code == 254
    assert "exists in none of the 2 account(s)" in result.stderr
    assert json_out(result)["targets"] == []


def test_accounts_are_worked_on_at_most_account_workers_at_a_time() -> None:
    import threading
    import time

    from revoke.ops.fanout import plan_accounts

    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def plan(account: str, session: Any) -> RunResult:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return _result(STATUS_APPLIED)

    accounts = [f"{i:012d}" for i in range(12)]
    outcomes, _ = plan_accounts(
        accounts,
        open_account=lambda a: object(),
        plan=plan,
        account_workers=3,  # type: ignore[arg-type,return-value]
    )
    assert [o.account for o in outcomes] == accounts  # results in input order
    assert state["peak"] == 3


def test_accounts_means_only_these_and_warns_when_the_callers_own_is_left_out(
    org: dict[str, Any],
) -> None:
    # alice exists in the caller's own account too: --accounts PROD leaves her there alone.
    prod = org["accounts"][0]
    with disable_iam_authentication():
        boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")
    args = ["--output", "json", "user", "alice", "--before", CUTOFF, "--dry-run"]
    result = run_cli(*args, "--accounts", prod)
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert [t["account"] for t in out["targets"]] == [prod]
    warning = f"the caller's account {MANAGEMENT} is not in --accounts: nothing changes there"
    assert warning in out["warnings"]
    assert warning in result.stderr
    # Listed, it is acted on like any other, and there is nothing to warn about.
    both = run_cli(*args, "--accounts", f"{MANAGEMENT},{prod}")
    assert both.exit_code == 0, both.stderr
    assert sorted(t["account"] for t in json_out(both)["targets"]) == sorted([MANAGEMENT, prod])
    assert not any("caller's account" in w for w in json_out(both)["warnings"])


def test_accounts_help_says_only_these_accounts() -> None:
    result = run_cli("user", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())  # the help column wraps
    assert "--accounts <list[str]> Only these accounts (include your own to act there too" in text
