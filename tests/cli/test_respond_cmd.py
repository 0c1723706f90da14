"""`revoke respond` and `revoke approve` against moto: from a finding to a contained key,
once; bad events are exit 2 with nothing called. The sandbox version (sessions minted with
the key really refused) is tests/ops/test_respond.py."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.state.journal import Journal
from tests.helpers import assert_clean_failure, json_out, run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
ACCOUNT = "123456789012"  # moto's default account, and the fixtures'
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
DOC_KEY = "AKIAIOSFODNN7EXAMPLE"
MOTO_CALLER = f"arn:aws:sts::{ACCOUNT}:user/moto"  # who moto says the caller is
RESPOND_KEYS = {
    "action",
    "mode",
    "id",
    "status",
    "finding",
    "requested_by",
    "approved_by",
    "previous",
    "revocation",
    "next_steps",
    "warnings",
}


def revoke(*args: str, input: str | None = None) -> Any:
    return run_cli("--output", "json", *args, input=input)


def journal() -> list[dict[str, Any]]:
    path = Path(os.environ["XDG_STATE_HOME"]) / "revoke" / "journal.jsonl"
    return Journal(path).records()


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        client.put_user_policy(UserName="alice", PolicyName="grant", PolicyDocument=ALLOW_ALL)
        yield client


@pytest.fixture
def leaked(iam: Any) -> dict[str, Any]:
    return iam.create_access_key(UserName="alice")["AccessKey"]  # type: ignore[no-any-return]


def event_file(tmp_path: Path, name: str, key: str | None = None) -> str:
    text = (FIXTURES / name).read_text()
    if key:
        text = text.replace(DOC_KEY, key)
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def statuses(iam: Any) -> dict[str, str]:
    keys = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in keys}


def deny_cutoff(iam: Any) -> str | None:
    try:
        document = iam.get_user_policy(UserName="alice", PolicyName=POLICY_NAME)
    except iam.exceptions.NoSuchEntityException:
        return None
    return existing_cutoff(document["PolicyDocument"])


def test_plan_prints_the_plan_and_changes_nothing(
    iam: Any, leaked: dict[str, Any], tmp_path: Path
) -> None:
    event = event_file(tmp_path, "guardduty-credential-access.json", leaked["AccessKeyId"])
    result = revoke("respond", event)  # --mode plan is the default
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert set(out) == RESPOND_KEYS
    assert (out["action"], out["mode"], out["status"]) == ("respond", "plan", "planned")
    assert out["finding"]["access_key_id"] == leaked["AccessKeyId"]
    (target,) = out["revocation"]["targets"]
    assert (target["name"], target["status"]) == ("alice", "planned")
    assert out["revocation"]["key"]["owner"]["name"] == "alice"  # found by keyhunt
    assert statuses(iam) == {leaked["AccessKeyId"]: "Active"}
    assert deny_cutoff(iam) is None
    assert journal() == []


def test_offline_plan_calls_nothing_and_renders_the_deny(tmp_path: Path) -> None:
    # No mock_aws here: any call would fail the test (tests/conftest.py guards real AWS).
    event = event_file(tmp_path, "guardduty-credential-access.json")
    result = revoke("respond", event, "--mode", "plan", "--offline")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    (target,) = out["revocation"]["targets"]
    assert target["name"] == "alice"
    assert existing_cutoff(target["policy_document"]) == out["revocation"]["cutoff"]


def test_auto_contains_the_key_and_a_second_delivery_changes_nothing(
    iam: Any, leaked: dict[str, Any], tmp_path: Path
) -> None:
    other = iam.create_access_key(UserName="alice")["AccessKey"]
    event = event_file(tmp_path, "guardduty-credential-access.json", leaked["AccessKeyId"])
    first = revoke("respond", event, "--mode", "auto")
    assert first.exit_code == 0, first.stderr
    out = json_out(first)
    assert out["status"] == "applied"
    assert out["revocation"]["targets"][0]["status"] == "applied"
    assert statuses(iam) == {leaked["AccessKeyId"]: "Inactive", other["AccessKeyId"]: "Active"}
    cutoff = deny_cutoff(iam)
    assert cutoff == out["revocation"]["cutoff"]
    done = [r for r in journal() if r["action"] == "respond-done"]
    assert [(r["finding_id"], r["status"]) for r in done] == [
        ("guardduty:16afba5c5c43e07c9e3e5e2e544e95df", "applied")
    ]
    count = len(journal())

    # The same finding again, this time through Security Hub: nothing called, exit 0.
    again = revoke(
        "respond",
        event_file(tmp_path, "securityhub-guardduty-finding.json", leaked["AccessKeyId"]),
        "--mode",
        "auto",
    )
    assert again.exit_code == 0, again.stderr
    second = json_out(again)
    assert second["status"] == "duplicate"
    assert second["previous"]["seq"] == done[0]["seq"]
    assert "already carried out" in again.stderr
    assert len(journal()) == count
    assert deny_cutoff(iam) == cutoff


def test_approve_journals_a_pending_plan_and_approve_carries_it_out(
    iam: Any, leaked: dict[str, Any], tmp_path: Path
) -> None:
    event = event_file(tmp_path, "health-credentials-exposed.json", leaked["AccessKeyId"])
    pending = revoke("respond", event, "--mode", "approve")
    assert pending.exit_code == 0, pending.stderr
    out = json_out(pending)
    assert out["status"] == "pending"
    assert out["next_steps"][0] == f"revoke approve {out['id']}"
    assert out["requested_by"] == MOTO_CALLER
    assert statuses(iam) == {leaked["AccessKeyId"]: "Active"}  # nothing changed yet
    (record,) = journal()
    assert (record["action"], record["id"], record["status"]) == (
        "respond-pending",
        out["id"],
        "pending",
    )

    # Delivered again while pending: nothing.
    again = revoke("respond", event, "--mode", "approve")
    assert again.exit_code == 0 and json_out(again)["status"] == "duplicate"
    assert len(journal()) == 1

    approved = revoke("approve", out["id"])
    assert approved.exit_code == 0, approved.stderr
    done = json_out(approved)
    assert (done["action"], done["status"]) == ("approve", "applied")
    assert done["approved_by"] == MOTO_CALLER
    assert statuses(iam) == {leaked["AccessKeyId"]: "Inactive"}
    assert deny_cutoff(iam) is not None
    last = [r for r in journal() if r["action"] == "respond-done"]
    assert last[-1]["approved_by"] == done["approved_by"]
    assert last[-1]["ref"] == [record["hash"]]

    # Approving twice changes nothing.
    twice = revoke("approve", out["id"])
    assert twice.exit_code == 0 and json_out(twice)["status"] == "duplicate"


def test_approve_of_an_unknown_id_is_exit_2(iam: Any) -> None:
    assert_clean_failure(revoke("approve", "r-000000000000"), 2)


def test_the_quarantine_event_deactivates_every_key_of_the_user(
    iam: Any, leaked: dict[str, Any], tmp_path: Path
) -> None:
    other = iam.create_access_key(UserName="alice")["AccessKey"]
    result = revoke(
        "respond", event_file(tmp_path, "cloudtrail-quarantine-v2.json"), "--mode", "auto"
    )
    assert result.exit_code == 0, result.stderr
    assert statuses(iam) == {leaked["AccessKeyId"]: "Inactive", other["AccessKeyId"]: "Inactive"}
    assert "AWSCompromisedKeyQuarantineV2" in result.stderr  # never remove it, says so


def test_stdin_takes_a_trufflehog_line(iam: Any, leaked: dict[str, Any], tmp_path: Path) -> None:
    line = (FIXTURES / "trufflehog-aws.json").read_text().replace(DOC_KEY, leaked["AccessKeyId"])
    result = revoke("respond", "-", "--mode", "auto", input=line)
    assert result.exit_code == 0, result.stderr
    assert statuses(iam) == {leaked["AccessKeyId"]: "Inactive"}
    assert "wJalrXUtnFEMI" not in result.stdout + result.stderr
    assert "wJalrXUtnFEMI" not in json.dumps(journal())


def test_a_root_finding_is_refused_before_any_change(iam: Any, tmp_path: Path) -> None:
    root = revoke("respond", event_file(tmp_path, "guardduty-root-usage.json"), "--mode", "auto")
    assert_clean_failure(root, 2)
    assert "root user cannot be restricted" in root.stderr
    assert journal() == []


INSTANCE_ARN = "arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0"


def test_instance_exfiltration_denies_only_that_instances_sessions(
    iam: Any, tmp_path: Path
) -> None:
    """Issue 19 item 3: the session-scoped deny on the instance's role, conditioned on the
    instance (the one template policies/deny-sessions.json.j2), not every instance using
    the role; the evaluator proves another instance of the role is not denied; journalled
    and liftable."""
    from revoke.core.sessiondeny import SESSION_POLICY_NAME, denied_sessions

    iam.create_role(RoleName="web-server", AssumeRolePolicyDocument=ALLOW_ALL)
    iam.put_role_policy(RoleName="web-server", PolicyName="all", PolicyDocument=ALLOW_ALL)
    found = revoke(
        "respond", event_file(tmp_path, "guardduty-exfiltration-outside.json"), "--mode", "auto"
    )
    assert found.exit_code == 0, found.stderr
    (target,) = json_out(found)["revocation"]["targets"]
    assert (target["status"], target["policy_name"]) == ("applied", SESSION_POLICY_NAME)
    assert list(denied_sessions(target["policy_document"])["instance_arns"]) == [INSTANCE_ARN]
    assert iam.list_role_policies(RoleName="web-server")["PolicyNames"] == [
        "all",
        SESSION_POLICY_NAME,
    ]
    cases = {c["case"]: c for c in target["verification"]["logic"]["cases"]}
    assert cases["issued_before_cutoff"]["denied_by_revocation"] is True
    assert cases["other_session_of_the_role"]["denied_by_revocation"] is False
    assert [r["action"] for r in journal() if r["action"] != "verify"][-2:] == [
        "revoke",
        "respond-done",
    ]
    lifted = revoke("--yes", "lift", "role", "web-server")
    assert lifted.exit_code == 0, lifted.stderr
    assert iam.list_role_policies(RoleName="web-server")["PolicyNames"] == ["all"]


def test_an_instance_finding_can_replace_the_profile_association(iam: Any, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    iam.create_role(RoleName="web-server", AssumeRolePolicyDocument=ALLOW_ALL)
    profile = iam.create_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web-server")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Arn": profile["Arn"]}, InstanceId=instance["InstanceId"]
    )
    text = (FIXTURES / "guardduty-exfiltration-outside.json").read_text()
    path = tmp_path / "finding.json"
    path.write_text(text.replace("i-1234567890abcdef0", instance["InstanceId"]))
    found = revoke("respond", str(path), "--mode", "auto", "--replace-instance-profile-association")
    assert found.exit_code == 0, found.stderr
    (record,) = [r for r in journal() if r["action"] == "replace-instance-profile-association"]
    assert record["status"] == "applied"
    assert record["before"]["profile_arn"] == profile["Arn"]
    (now,) = ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
    assert now["AssociationId"] == record["after_association"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not JSON"),
        ('{"detail-type": "Something Else", "source": "x", "detail": {}}', "not an event"),
        ("[]", "array"),
    ],
)
def test_a_bad_event_is_exit_2_and_calls_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, says: str
) -> None:
    import botocore.client

    def no_call(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an AWS request was made for a bad event")

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", no_call)
    path = tmp_path / "event.json"
    path.write_text(content)
    result = revoke("respond", str(path), "--mode", "auto")
    assert_clean_failure(result, 2)
    assert says in result.stderr
    assert journal() == []


def test_mode_and_offline_are_checked(tmp_path: Path) -> None:
    event = event_file(tmp_path, "guardduty-credential-access.json")
    assert_clean_failure(revoke("respond", event, "--mode", "yolo"), 2)
    assert_clean_failure(revoke("respond", event, "--mode", "auto", "--offline"), 2)
