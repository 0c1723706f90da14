"""`revoke user|role` against moto: what a responder sees, and what ends up in IAM."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core.output import DECLINED
from revoke.core.policy import POLICY_NAME, existing_cutoff
from tests.helpers import assert_clean_failure, json_out, run_cli

CUTOFF = "2026-11-01T05:00:00Z"


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        yield client


def attached(iam: Any, user: str = "alice") -> dict[str, Any]:
    return iam.get_user_policy(UserName=user, PolicyName=POLICY_NAME)["PolicyDocument"]


def revoke(*args: str, input: str | None = None) -> Any:
    return run_cli("--output", "json", *args, input=input)


def test_apply_attaches_the_documented_policy(iam: Any) -> None:
    result = revoke("user", "alice", "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["action"] == "revoke" and out["dry_run"] is False and out["cutoff"] == CUTOFF
    (target,) = out["targets"]
    assert target["status"] == "applied"
    assert target["account"] == "123456789012"
    assert target["verification"]["read_back"]["status"] == "ok"
    assert (
        attached(iam)
        == target["policy_document"]
        == {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": CUTOFF}},
            },
        }
    )


def test_role_gets_put_role_policy(iam: Any) -> None:
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument="{}")
    result = revoke("role", "Deploy", "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    found = iam.get_role_policy(RoleName="Deploy", PolicyName=POLICY_NAME)["PolicyDocument"]
    assert existing_cutoff(found) == CUTOFF


def test_later_cutoff_refreshes_the_same_policy(iam: Any) -> None:
    assert revoke("user", "alice", "--before", CUTOFF).exit_code == 0
    result = revoke("user", "alice", "--before", "2026-11-01T06:00:00Z")
    (target,) = json_out(result)["targets"]
    assert (target["status"], target["previous_cutoff"]) == ("applied", CUTOFF)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == [POLICY_NAME]
    assert existing_cutoff(attached(iam)) == "2026-11-01T06:00:00Z"


def test_earlier_cutoff_is_refused_unless_forced(iam: Any) -> None:
    assert revoke("user", "alice", "--before", CUTOFF).exit_code == 0
    result = revoke("user", "alice", "--before", "2026-11-01T04:00:00Z")
    assert result.exit_code == 0
    (target,) = json_out(result)["targets"]
    assert target["status"] == "unchanged"
    assert CUTOFF in target["reason"] and "2026-11-01T04:00:00Z" in target["reason"]
    assert existing_cutoff(attached(iam)) == CUTOFF
    forced = revoke("user", "alice", "--before", "2026-11-01T04:00:00Z", "--force")
    assert json_out(forced)["targets"][0]["status"] == "applied"
    assert existing_cutoff(attached(iam)) == "2026-11-01T04:00:00Z"


def test_dry_run_changes_nothing(iam: Any) -> None:
    result = revoke("user", "alice", "--before", CUTOFF, "--dry-run")
    assert result.exit_code == 0
    out = json_out(result)
    assert out["dry_run"] is True and out["targets"][0]["status"] == "planned"
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


def test_missing_user_is_an_aws_failure_with_json_on_stdout(iam: Any) -> None:
    result = revoke("user", "mallory", "--before", CUTOFF)
    assert result.exit_code == 254
    assert "Traceback" not in result.stderr
    out = json_out(result)
    assert out["dry_run"] is False  # a real run that had nothing it could change
    (target,) = out["targets"]
    assert target["status"] == "failed" and "does not exist" in target["error"]


def test_a_run_with_nothing_to_change_is_no_dry_run(iam: Any) -> None:
    assert revoke("user", "alice", "--before", CUTOFF).exit_code == 0
    result = revoke("user", "alice", "--before", "2026-11-01T04:00:00Z")  # later cutoff in force
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert (out["dry_run"], out["targets"][0]["status"]) == (False, "unchanged")
    dry = revoke("user", "alice", "--before", "2026-11-01T04:00:00Z", "--dry-run")
    assert json_out(dry)["dry_run"] is True
    offline = revoke("user", "alice", "--before", CUTOFF, "--offline")
    assert json_out(offline)["dry_run"] is True


def test_no_verify_is_skipped_not_verified(iam: Any) -> None:
    # Only verify_run may say "verified"; the read-back alone is reported, not promoted.
    names = [f"u{i:02d}" for i in range(25)]  # above BULK_THRESHOLD: the bulk read-back too
    for name in names:
        iam.create_user(UserName=name)
    for args in (["alice"], names):
        result = revoke("user", *args, "--before", CUTOFF, "--no-verify")
        assert result.exit_code == 0, result.stderr
        for target in json_out(result)["targets"]:
            assert target["status"] == "applied"
            assert target["verification"]["status"] == "skipped"
            assert target["verification"]["read_back"]["status"] == "ok"
    verified = revoke("user", *names, "--before", "2026-11-01T06:00:00Z")
    assert verified.exit_code == 0, verified.stderr
    assert {t["verification"]["status"] for t in json_out(verified)["targets"]} == {"verified"}
    assert {"logic"} <= set(json_out(verified)["targets"][0]["verification"])


def test_no_verify_still_fails_a_read_back_that_contradicts_the_write(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revoke.aws.iam import IamGateway

    monkeypatch.setattr(IamGateway, "get_inline", lambda self, kind, name, policy: None)
    result = revoke("user", "alice", "--before", CUTOFF, "--no-verify")
    assert result.exit_code == 3, result.stderr
    verification = json_out(result)["targets"][0]["verification"]
    assert verification == {"status": "failed", "read_back": {"status": "missing"}}


def test_partial_failure_exits_4_and_applies_the_rest(iam: Any) -> None:
    result = revoke("user", "alice", "mallory", "--before", CUTOFF)
    assert result.exit_code == 4
    statuses = {t["name"]: t["status"] for t in json_out(result)["targets"]}
    assert statuses == {"alice": "applied", "mallory": "failed"}
    assert existing_cutoff(attached(iam)) == CUTOFF


@pytest.mark.parametrize(
    "args",
    [
        ["user", "bad name", "--before", CUTOFF],
        ["user", "alice", "--before", "2026-11-01T05:00:00"],
        ["user", "alice", "--before", "2999-01-01T00:00:00Z"],
        ["user", "root", "--before", CUTOFF],
        ["user", "arn:aws:iam::123456789012:root", "--before", CUTOFF],
        ["role", "AWSServiceRoleForSupport", "--before", CUTOFF],
        ["user", "--before", CUTOFF],
        ["user", "alice", "--from-file", "/nonexistent/names.txt", "--before", CUTOFF],
    ],
)
def test_bad_input_exits_2_changes_nothing_and_keeps_stdout_clean(
    iam: Any, args: list[str]
) -> None:
    result = revoke(*args)
    assert_clean_failure(result, 2)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []
    assert len(result.stderr.strip().splitlines()) <= 2  # the error, and maybe a hint


def test_full_budget_falls_back_to_a_managed_policy(iam: Any) -> None:
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 1900}
        ],
    }
    iam.put_user_policy(UserName="alice", PolicyName="Theirs", PolicyDocument=json.dumps(big))
    result = revoke("user", "alice", "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["mechanism"] == "managed"
    arns = [
        p["PolicyArn"]
        for p in iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    ]
    assert arns == [target["managed_policy_arn"]]
    # Their policy is untouched, and ours is not inline.
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["Theirs"]
    assert iam.get_user_policy(UserName="alice", PolicyName="Theirs")["PolicyDocument"] == big
    # A second run refreshes the same managed policy rather than adding another.
    again = revoke("user", "alice", "--before", "2026-11-01T06:00:00Z")
    assert json_out(again)["targets"][0]["previous_cutoff"] == CUTOFF
    assert len(iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]) == 1


def test_full_budget_without_a_managed_slot_exits_2_and_changes_nothing(iam: Any) -> None:
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 1900}
        ],
    }
    iam.put_user_policy(UserName="alice", PolicyName="Theirs", PolicyDocument=json.dumps(big))
    for i in range(10):
        arn = iam.create_policy(PolicyName=f"p{i}", PolicyDocument=json.dumps(big))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    result = revoke("user", "alice", "--before", CUTOFF)
    assert result.exit_code == 2
    (target,) = json_out(result)["targets"]
    assert "nothing was changed" in target["error"]
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["Theirs"]


def test_active_keys_warning_goes_to_stderr_and_json(iam: Any) -> None:
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    result = revoke("user", "alice", "--before", CUTOFF)
    assert key["AccessKeyId"] in result.stderr and "--deactivate-keys" in result.stderr
    assert any(key["AccessKeyId"] in w for w in json_out(result)["warnings"])
    assert key["SecretAccessKey"] not in result.stdout + result.stderr


def test_names_from_stdin(iam: Any) -> None:
    iam.create_user(UserName="bob")
    result = revoke("user", "--from-file", "-", "--before", CUTOFF, input="# on call\nalice\nbob\n")
    assert result.exit_code == 0, result.stderr
    assert sorted(t["name"] for t in json_out(result)["targets"]) == ["alice", "bob"]


def test_all_users(iam: Any) -> None:
    iam.create_user(UserName="bob")
    result = revoke("user", "--all", "--before", CUTOFF)
    assert sorted(t["name"] for t in json_out(result)["targets"]) == ["alice", "bob"]


def test_text_output_is_one_line_per_target(iam: Any) -> None:
    result = run_cli("--output", "text", "user", "alice", "--before", CUTOFF)
    assert result.stdout.splitlines()[0].split("\t")[:4] == [
        "user",
        "alice",
        "123456789012",
        "applied",
    ]


def test_prompt_declined_changes_nothing(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("revoke.cli.app.stdin_is_terminal", lambda: True)
    result = run_cli("--output", "json", "user", "alice", "--before", CUTOFF, input="n\n")
    assert "nothing changed" in result.stderr
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []
    # A change was asked for, not a dry run: the plan stays "planned" and a warning says why.
    out = json.loads(result.stdout[result.stdout.index("{") :])  # CliRunner echoes the "n"
    assert out["dry_run"] is False
    assert out["targets"][0]["status"] == "planned"
    assert DECLINED in out["warnings"]
    accepted = run_cli("--output", "json", "user", "alice", "--before", CUTOFF, input="y\n")
    assert accepted.exit_code == 0
    assert existing_cutoff(attached(iam)) == CUTOFF


def test_no_credentials_exits_253(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    result = revoke("user", "alice", "--before", CUTOFF)
    assert_clean_failure(result, 253)
    assert "credentials" in result.stderr


def test_unreachable_endpoint_exits_254() -> None:
    result = revoke("--endpoint-url", "http://127.0.0.1:9", "user", "alice", "--before", CUTOFF)
    assert_clean_failure(result, 254)
    assert "cannot reach" in result.stderr


def test_offline_needs_no_credentials_and_no_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    result = revoke(
        "--endpoint-url", "http://127.0.0.1:9", "user", "alice", "--before", CUTOFF, "--offline"
    )
    assert result.exit_code == 0
    assert existing_cutoff(json_out(result)["targets"][0]["policy_document"]) == CUTOFF


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    result = revoke("--debug", "user", "bad name", "--before", CUTOFF)
    assert result.exit_code != 0
    assert result.exception is not None


def test_offline_and_help_do_not_import_boto3() -> None:
    # Start-up cost (issue 8 budget): the offline preview and --help stay boto3-free.
    for args in (["--help"], ["user", "alice", "--before", "now", "--offline"]):
        code = (
            "import sys\nfrom revoke.cli.app import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in sys.modules\n"
            "               if m.split('.')[0] in ('boto3', 'botocore', 'moto'))\n"
            "print(heavy, file=sys.stderr)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert proc.stderr.strip().splitlines()[-1] == "[]", (args, proc.stderr)


def test_table_offline_preview_shows_the_document_to_paste() -> None:
    result = run_cli("--output", "table", "user", "alice", "--before", CUTOFF, "--offline")
    assert result.exit_code == 0
    table, document = result.stdout.split("policy document to be written:\n")
    assert "alice" in table and "planned" in table
    assert "account" not in table  # empty columns are left out of tables
    assert json.loads(document)["Statement"]["Condition"]["DateLessThan"] == {
        "aws:TokenIssueTime": CUTOFF
    }


def test_invalid_region_is_a_configuration_problem() -> None:
    result = revoke("--region", "bad region", "user", "alice", "--before", CUTOFF)
    assert_clean_failure(result, 253)


def test_same_name_in_two_accounts_is_two_targets(iam: Any) -> None:
    result = revoke(
        "user",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::111111111111:user/alice",
        "--before",
        CUTOFF,
    )
    assert result.exit_code == 4
    rows = {(t["account"], t["status"]) for t in json_out(result)["targets"]}
    assert rows == {("123456789012", "applied"), ("111111111111", "failed")}
