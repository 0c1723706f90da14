"""Containing a compromised user: keys and console, evidence first, every change journalled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core.plan import AccessKey, PrincipalState, TargetPlan
from revoke.core.policy import POLICY_NAME
from revoke.ops.containment import (
    DEACTIVATE_KEY,
    ContainmentOptions,
    RevocationRecorder,
    plan_containment,
    step_summary,
)
from revoke.state.journal import Journal
from tests.helpers import assert_clean_failure, json_out, run_cli

CUTOFF = "2026-11-01T05:00:00Z"
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
}


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        client.put_user_policy(
            UserName="alice", PolicyName="reads", PolicyDocument=json.dumps(READ_ONLY)
        )
        arn = client.create_policy(PolicyName="Team", PolicyDocument=json.dumps(READ_ONLY))[
            "Policy"
        ]["Arn"]
        client.attach_user_policy(UserName="alice", PolicyArn=arn)
        client.create_login_profile(UserName="alice", Password="Correct-Horse-9!")
        yield client


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.jsonl"


def new_key(iam: Any, user: str = "alice") -> dict[str, str]:
    return iam.create_access_key(UserName=user)["AccessKey"]  # type: ignore[no-any-return]


def key_statuses(iam: Any, user: str = "alice") -> dict[str, str]:
    return {
        k["AccessKeyId"]: k["Status"]
        for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    }


def has_login_profile(iam: Any, user: str = "alice") -> bool:
    try:
        iam.get_login_profile(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def revoke(journal_path: Path, *args: str) -> Any:
    return run_cli("--output", "json", "--journal", str(journal_path), *args)


def records(journal_path: Path) -> list[dict[str, Any]]:
    return Journal(journal_path).records()


def test_contain_deactivates_keys_removes_console_and_journals_evidence(
    iam: Any, journal_path: Path
) -> None:
    first, second = new_key(iam), new_key(iam)
    result = revoke(
        journal_path, "user", "alice", "--before", CUTOFF, "--deactivate-keys", "--disable-console"
    )
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["status"] == "applied"
    steps = {s.get("access_key_id", s["action"]): s for s in target["containment"]}
    for key in (first, second):
        step = steps[key["AccessKeyId"]]
        assert (step["action"], step["status_before"], step["result"]) == (
            DEACTIVATE_KEY,
            "Active",
            "done",
        )
        assert "last_used" in step  # listed with its last use before the change
    assert steps["delete_login_profile"]["result"] == "done"
    # Never deleted: both keys still exist, inactive.
    assert key_statuses(iam) == {
        first["AccessKeyId"]: "Inactive",
        second["AccessKeyId"]: "Inactive",
    }
    assert not has_login_profile(iam)
    assert iam.get_user_policy(UserName="alice", PolicyName=POLICY_NAME)["PolicyDocument"]
    assert "--deactivate-keys" not in result.stderr  # the "still active keys" advice is moot

    (record,) = [r for r in records(journal_path) if r["action"] == "revoke"]
    assert record["actor"].startswith("arn:aws:") and record["account"] == "123456789012"
    assert record["target"]["name"] == "alice" and record["cutoff"] == CUTOFF
    assert record["before"] is None and record["after"] == target["policy_document"]
    evidence = record["evidence"]
    assert evidence["inline_policies"] == {"reads": READ_ONLY}
    assert [p["PolicyName"] for p in evidence["attached_policies"]] == ["Team"]
    assert {k["access_key_id"]: k["status"] for k in evidence["access_keys"]} == {
        first["AccessKeyId"]: "Active",  # as found, before the change
        second["AccessKeyId"]: "Active",
    }
    assert evidence["login_profile"]["created"]
    assert evidence["mfa_devices"] == [] and evidence["groups"] == []
    assert [s["result"] for s in record["containment"]] == ["done", "done", "done"]
    text = journal_path.read_text()
    assert first["SecretAccessKey"] not in text and second["SecretAccessKey"] not in text
    assert first["SecretAccessKey"] not in result.stdout + result.stderr


def test_dry_run_lists_the_containment_and_changes_nothing(iam: Any, journal_path: Path) -> None:
    key = new_key(iam)
    result = revoke(
        journal_path,
        "user",
        "alice",
        "--before",
        CUTOFF,
        "--deactivate-keys",
        "--disable-console",
        "--dry-run",
    )
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["status"] == "planned"
    assert [(s["action"], s["result"]) for s in target["containment"]] == [
        ("deactivate_key", "planned"),
        ("delete_login_profile", "planned"),
    ]
    assert target["containment"][0]["access_key_id"] == key["AccessKeyId"]
    assert key_statuses(iam) == {key["AccessKeyId"]: "Active"}
    assert has_login_profile(iam)
    assert not journal_path.exists()


def test_dry_run_table_names_each_step(iam: Any, journal_path: Path) -> None:
    key = new_key(iam)
    result = run_cli(
        "--output", "table", "--journal", str(journal_path),
        "user", "alice", "--before", CUTOFF, "--deactivate-keys", "--disable-console", "--dry-run",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert f"user alice: deactivate access key {key['AccessKeyId']}; never used: planned" in (
        result.stdout
    )
    assert "user alice: remove the console password (created " in result.stdout


def test_the_prompt_names_the_keys_and_passwords_and_no_means_nothing_changes(
    iam: Any, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key(iam)
    from revoke.cli.context import Globals

    asked: list[str] = []

    def decline(self: Globals, question: str) -> bool:
        asked.append(question)
        return False

    monkeypatch.setattr(Globals, "confirm", decline)
    result = revoke(
        journal_path, "user", "alice", "--before", CUTOFF, "--deactivate-keys", "--disable-console"
    )
    assert result.exit_code == 0 and "nothing changed" in result.stderr
    (question,) = asked
    assert question.endswith(
        "to 1 user in account 123456789012, and deactivate 1 access key(s) and remove 1 "
        "console password(s)?"
    )
    assert key_statuses(iam) == {key["AccessKeyId"]: "Active"} and has_login_profile(iam)
    assert not journal_path.exists()


def test_without_the_flags_keys_and_console_stay_but_evidence_is_taken(
    iam: Any, journal_path: Path
) -> None:
    key = new_key(iam)
    result = revoke(journal_path, "user", "alice", "--before", CUTOFF)
    assert result.exit_code == 0
    assert "add --deactivate-keys" in result.stderr  # fact 3: the key still mints tokens
    assert key_statuses(iam) == {key["AccessKeyId"]: "Active"} and has_login_profile(iam)
    (record,) = [r for r in records(journal_path) if r["action"] == "revoke"]
    assert record["containment"] == []
    assert record["evidence"]["login_profile"] is not None
    assert record["evidence"]["access_keys"][0]["access_key_id"] == key["AccessKeyId"]


def test_rerun_after_containment_is_unchanged_and_journals_nothing(
    iam: Any, journal_path: Path
) -> None:
    new_key(iam)
    args = ("user", "alice", "--before", CUTOFF, "--deactivate-keys", "--disable-console")
    assert revoke(journal_path, *args).exit_code == 0
    before = journal_path.read_text()
    again = revoke(journal_path, *args)
    assert again.exit_code == 0
    (target,) = json_out(again)["targets"]
    assert (target["status"], target.get("containment")) == ("unchanged", None)
    assert journal_path.read_text() == before


def test_containment_added_later_keeps_the_policy_and_journals_the_steps(
    iam: Any, journal_path: Path
) -> None:
    key = new_key(iam)
    assert revoke(journal_path, "user", "alice", "--before", CUTOFF).exit_code == 0
    result = revoke(journal_path, "user", "alice", "--before", CUTOFF, "--deactivate-keys")
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["status"] == "applied" and "containment only" in target["reason"]
    assert key_statuses(iam) == {key["AccessKeyId"]: "Inactive"}
    revokes = [r for r in records(journal_path) if r["action"] == "revoke"]
    assert len(revokes) == 2
    assert revokes[1]["before"] == revokes[1]["after"] == revokes[0]["after"]
    assert [s["access_key_id"] for s in revokes[1]["containment"]] == [key["AccessKeyId"]]


def test_containment_with_a_later_cutoff_in_force_keeps_that_cutoff(
    iam: Any, journal_path: Path
) -> None:
    key = new_key(iam)
    assert revoke(journal_path, "user", "alice", "--before", "2026-11-02T00:00:00Z").exit_code == 0
    result = revoke(journal_path, "user", "alice", "--before", CUTOFF, "--deactivate-keys")
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["previous_cutoff"] == "2026-11-02T00:00:00Z"
    assert target["policy_document"]["Statement"]["Condition"]["DateLessThan"] == {
        "aws:TokenIssueTime": "2026-11-02T00:00:00Z"  # fact 12: never moved earlier
    }
    assert key_statuses(iam) == {key["AccessKeyId"]: "Inactive"}


def test_role_refuses_user_only_containment(iam: Any, journal_path: Path) -> None:
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument="{}")
    result = revoke(journal_path, "role", "Deploy", "--before", CUTOFF, "--deactivate-keys")
    assert_clean_failure(result, 2)
    assert "users only" in result.stderr
    assert iam.list_role_policies(RoleName="Deploy")["PolicyNames"] == []


def test_role_revocation_journals_its_evidence(iam: Any, journal_path: Path) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::210987654321:root"},  # a way back in
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(
        RoleName="Deploy", AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=7200
    )
    assert revoke(journal_path, "role", "Deploy", "--before", CUTOFF).exit_code == 0
    (record,) = [r for r in records(journal_path) if r["action"] == "revoke"]
    assert record["target"]["kind"] == "role"
    assert record["evidence"]["max_session_duration"] == 7200
    assert record["evidence"]["trust_policy"] == trust
    assert "access_keys" not in record["evidence"]


def test_a_key_that_cannot_be_deactivated_fails_the_target_but_is_journalled(
    iam: Any, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key(iam)
    from revoke.aws.iam import IamGateway
    from revoke.errors import AwsFailure

    def refuse(self: Any, user: str, key_id: str, status: str) -> None:
        raise AwsFailure("iam:UpdateAccessKey: AccessDenied: not allowed", code="AccessDenied")

    monkeypatch.setattr(IamGateway, "set_access_key_status", refuse)
    result = revoke(
        journal_path, "user", "alice", "--before", CUTOFF, "--deactivate-keys", "--disable-console"
    )
    assert result.exit_code == 254
    (target,) = json_out(result)["targets"]
    assert target["status"] == "failed" and "AccessDenied" in target["error"]
    assert key_statuses(iam) == {key["AccessKeyId"]: "Active"}
    assert not has_login_profile(iam)  # the other steps and the deny still went in
    (record,) = [r for r in records(journal_path) if r["action"] == "revoke"]
    assert record["status"] == "failed" and record["after"] == target["policy_document"]
    results = {s["action"]: s["result"] for s in record["containment"]}
    assert results == {"deactivate_key": "failed", "delete_login_profile": "done"}


def test_an_unwritable_journal_stops_before_any_change(iam: Any, tmp_path: Path) -> None:
    key = new_key(iam)
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    result = revoke(
        blocked / "journal.jsonl", "user", "alice", "--before", CUTOFF, "--deactivate-keys"
    )
    assert_clean_failure(result, 2)
    assert "cannot write the journal" in result.stderr
    assert key_statuses(iam) == {key["AccessKeyId"]: "Active"}
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["reads"]


# -- the pieces, without AWS -------------------------------------------------------------


def test_only_active_keys_and_an_existing_password_are_steps() -> None:
    state = PrincipalState(
        kind="user",
        name="alice",
        access_keys=[
            AccessKey("AKIAACTIVE0000000001", "Active", last_used="2026-11-28T23:59:00Z"),
            AccessKey("AKIAINACTIVE00000002", "Inactive"),
        ],
    )
    both = ContainmentOptions(deactivate_keys=True, disable_console=True)
    steps = plan_containment(state, both, {"created": "2026-01-01T00:00:00Z"})
    assert [s.get("access_key_id", s["action"]) for s in steps] == [
        "AKIAACTIVE0000000001",
        "delete_login_profile",
    ]
    assert plan_containment(state, both, None)[-1]["action"] == "deactivate_key"
    assert plan_containment(state, ContainmentOptions(), {"created": "x"}) == []
    role = PrincipalState(kind="role", name="Deploy")
    assert plan_containment(role, both, {"created": "x"}) == []


def test_step_summary_shows_the_last_use() -> None:
    key = AccessKey(
        "AKIAACTIVE0000000001",
        "Active",
        last_used="2026-11-28T23:59:00Z",
        last_used_service="s3",
        last_used_region="eu-west-1",
    )
    step = plan_containment(
        PrincipalState(kind="user", name="alice", access_keys=[key]),
        ContainmentOptions(deactivate_keys=True),
        None,
    )[0]
    assert step_summary(step) == (
        "deactivate access key AKIAACTIVE0000000001; last used 2026-11-28T23:59:00Z "
        "(s3, eu-west-1): planned"
    )


class FakeGateway:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def key_last_used(self, key: AccessKey) -> AccessKey:
        key.last_used = "2026-11-28T23:00:00Z"
        return key

    def login_profile(self, user: str) -> None:
        return None

    def mfa_devices(self, user: str) -> list[dict[str, Any]]:
        return [{"serial_number": "arn:aws:iam::123456789012:mfa/attacker", "enabled": None}]

    def groups_for_user(self, user: str) -> list[str]:
        return ["admins"]

    def set_access_key_status(self, user: str, key_id: str, status: str) -> None:
        self.calls.append(("UpdateAccessKey", key_id, status))


def test_tokens_minted_between_cutoff_and_deactivation_are_called_out(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    clock = iter(
        datetime(2026, 11, 29, 10, 0, s, tzinfo=timezone.utc) for s in range(3, 60)
    ).__next__
    gateway = FakeGateway()
    state = PrincipalState(
        kind="user", name="alice", account="123456789012",
        access_keys=[AccessKey("AKIAACTIVE0000000001", "Active")],
    )  # fmt: skip
    recorder = RevocationRecorder(
        gateway,  # type: ignore[arg-type]
        Journal(tmp_path / "j.jsonl"),
        actor={"arn": "arn:aws:iam::123456789012:user/responder", "account": "123456789012"},
        cutoff="2026-11-29T10:00:01Z",
        options=ContainmentOptions(deactivate_keys=True),
        clock=clock,
    )
    row = TargetPlan(
        kind="user", name="alice", account="123456789012", policy_name=POLICY_NAME,
        policy_document={"Version": "2012-10-17", "Statement": []}, status="planned",
    )  # fmt: skip
    row = recorder.extend(state, row)
    recorder.before_apply(row)
    row.status = "applied"
    recorder.after_apply(row)
    assert gateway.calls == [("UpdateAccessKey", "AKIAACTIVE0000000001", "Inactive")]
    (warning,) = row.warnings
    assert "between the cutoff 2026-11-29T10:00:01Z and their deactivation" in warning
    assert "revoke user alice --before now" in warning
    (record,) = Journal(tmp_path / "j.jsonl").records()
    assert record["evidence"]["mfa_devices"][0]["serial_number"].endswith("mfa/attacker")
    assert record["evidence"]["access_keys"][0]["last_used"] == "2026-11-28T23:00:00Z"
    assert record["warnings"] == [warning]


# -- done when: the whole incident in the sandbox ----------------------------------------


@pytest.mark.slow
def test_contain_then_lift_in_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from revoke.sandbox import Sandbox

    allow_all = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    with Sandbox() as sandbox:
        for var, value in sandbox.env().items():  # the responder acts as the account root
            monkeypatch.setenv(var, value)
        iam = sandbox.client("iam")
        iam.create_user(UserName="alice")
        iam.put_user_policy(
            UserName="alice", PolicyName="grant", PolicyDocument=json.dumps(allow_all)
        )
        iam.create_login_profile(UserName="alice", Password="Correct-Horse-9!")
        created = iam.create_access_key(UserName="alice")["AccessKey"]
        key = {
            "aws_access_key_id": created["AccessKeyId"],
            "aws_secret_access_key": created["SecretAccessKey"],
        }
        minted = sandbox.client("sts", **key).get_session_token()["Credentials"]
        session = {
            "aws_access_key_id": minted["AccessKeyId"],
            "aws_secret_access_key": minted["SecretAccessKey"],
            "aws_session_token": minted["SessionToken"],
        }
        sandbox.client("s3", **session).list_buckets()  # the attacker's session works

        journal_path = tmp_path / "journal.jsonl"
        result = revoke(
            journal_path, "user", "alice", "--before", "now",
            "--deactivate-keys", "--disable-console",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr

        # Contained: the old session is denied, the key mints nothing and calls nothing,
        # the console password is gone.
        with pytest.raises(Exception, match="explicit deny in an identity-based policy"):
            sandbox.client("s3", **session).list_buckets()
        with pytest.raises(Exception, match="InvalidClientTokenId"):
            sandbox.client("sts", **key).get_session_token()
        with pytest.raises(Exception, match="InvalidAccessKeyId"):  # S3's word for it
            sandbox.client("s3", **key).list_buckets()
        assert not has_login_profile(iam)

        shown = run_cli("--output", "json", "--journal", str(journal_path), "journal", "show")
        (record,) = [r for r in json_out(shown)["records"] if r["action"] == "revoke"]
        assert record["evidence"]["access_keys"][0]["status"] == "Active"
        assert record["evidence"]["login_profile"] is not None
        assert record["evidence"]["inline_policies"] == {"grant": allow_all}
        assert {s["action"] for s in record["containment"]} == {
            "deactivate_key",
            "delete_login_profile",
        }

        lifted = revoke(journal_path, "lift", "user", "alice")
        assert lifted.exit_code == 0, lifted.stderr
        # Everything back except the console password, which lift says it cannot restore.
        sandbox.client("s3", **key).list_buckets()
        sandbox.client("sts", **key).get_session_token()
        sandbox.client("s3", **session).list_buckets()
        assert not has_login_profile(iam)
        assert "cannot be restored" in lifted.stderr
        assert Journal(journal_path).verify() == []
