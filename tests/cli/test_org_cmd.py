"""`revoke org` and `revoke lift org` against moto's Organizations: what a responder sees,
what ends up in the organization, and what the journal keeps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core.scp import SCP_POLICY_NAME, scp_cutoff, scp_exemptions
from revoke.state.journal import Journal
from tests.helpers import assert_clean_failure, json_out, run_cli

MANAGEMENT = "123456789012"
CUTOFF = "2026-11-01T05:00:00Z"
LATER = "2026-11-01T06:00:00Z"
BREAK_GLASS = "arn:aws:iam::*:role/BreakGlass"


@pytest.fixture
def org() -> Iterator[dict[str, Any]]:
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        accounts = [
            client.create_account(AccountName=n, Email=f"{n}@example.com")["CreateAccountStatus"][
                "AccountId"
            ]
            for n in ("prod", "dev")
        ]
        yield {"client": client, "root": root, "accounts": accounts}


def revoke(*args: str) -> Any:
    return run_cli("--output", "json", *args)


def ours(org: dict[str, Any]) -> dict[str, Any] | None:
    client = org["client"]
    for policy in client.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]:
        if policy["Name"] == SCP_POLICY_NAME:
            content = client.describe_policy(PolicyId=policy["Id"])["Policy"]["Content"]
            targets = client.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]
            return {
                "id": policy["Id"],
                "document": json.loads(content),
                "targets": [t["TargetId"] for t in targets],
            }
    return None


def journal_records(tmp_path: Any) -> list[dict[str, Any]]:
    return Journal(tmp_path / "state" / "revoke" / "journal.jsonl").records()


def test_org_creates_attaches_and_verifies(org: dict[str, Any], tmp_path: Any) -> None:
    result = revoke("org", "--before", CUTOFF, "--exempt-principal", BREAK_GLASS)
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    (target,) = out["targets"]
    assert (target["kind"], target["name"], target["status"]) == ("root", org["root"], "applied")
    assert out["organization"]["management_account"] == MANAGEMENT

    found = ours(org)
    assert found is not None and found["targets"] == [org["root"]]
    assert found["document"] == target["policy_document"]
    assert scp_cutoff(found["document"]) == CUTOFF
    assert scp_exemptions(found["document"]) == [BREAK_GLASS]

    verification = target["verification"]
    assert verification["status"] == "verified"
    assert verification["read_back"]["status"] == "ok"
    decisions = [(c["expected"], c["decision"]) for c in verification["logic"]["checks"]]
    assert decisions == [(c, c) for c in ("explicit_deny", "allow", "allow", "allow")]

    # The policy type was enabled on the root first (moto starts with none enabled).
    root = org["client"].list_roots()["Roots"][0]
    assert {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"} in root["PolicyTypes"]
    # Fact 15, and the accounts covered, on stderr and in the JSON.
    assert f"no SCP affects the management account {MANAGEMENT}" in result.stderr
    assert sorted(a["id"] for a in target["covered_accounts"]) == sorted(org["accounts"])

    (record,) = journal_records(tmp_path)
    assert record["target"] == {"kind": "org", "name": org["root"], "org_target": "root"}
    assert (record["action"], record["status"], record["cutoff"]) == ("revoke", "applied", CUTOFF)
    assert record["scp"]["created_policy"] and record["scp"]["attached"]


def test_dry_run_shows_the_document_and_the_targets_and_changes_nothing(
    org: dict[str, Any], tmp_path: Any
) -> None:
    result = revoke("org", "--before", CUTOFF, "--exempt-principal", BREAK_GLASS, "--dry-run")
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["status"] == "planned"
    assert scp_exemptions(target["policy_document"]) == [BREAK_GLASS]
    assert [s["action"] for s in target["steps"]] == [
        "organizations:EnablePolicyType",
        "organizations:CreatePolicy",
        "organizations:AttachPolicy",
    ]
    assert "would call: organizations:CreatePolicy" in result.stderr
    assert ours(org) is None
    assert org["client"].list_roots()["Roots"][0]["PolicyTypes"] == []
    assert journal_records(tmp_path) == []


def test_table_dry_run_prints_the_policy(org: dict[str, Any]) -> None:
    result = run_cli("--output", "table", "org", "--before", CUTOFF, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "service control policy to be written" in result.stdout
    assert '"aws:TokenIssueTime": "2026-11-01T05:00:00Z"' in result.stdout


def test_offline_makes_no_call() -> None:
    # No mock_aws: any AWS call would hit the test guard and fail.
    result = revoke("org", "--before", CUTOFF, "--exempt-principal", BREAK_GLASS, "--offline")
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert scp_cutoff(target["policy_document"]) == CUTOFF


def test_dry_run_is_what_was_asked_also_when_nothing_changes_or_the_prompt_is_declined(
    org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from revoke.cli.context import Globals
    from revoke.core.output import DECLINED

    monkeypatch.setattr(Globals, "confirm", lambda self, question: False)
    declined = revoke("org", "--before", CUTOFF)
    assert declined.exit_code == 0, declined.stderr
    out = json_out(declined)
    assert (out["dry_run"], out["targets"][0]["status"]) == (False, "planned")
    assert DECLINED in out["warnings"]
    assert ours(org) is None

    monkeypatch.setattr(Globals, "confirm", lambda self, question: True)
    assert revoke("org", "--before", CUTOFF).exit_code == 0
    again = revoke("org", "--before", CUTOFF)  # the same cutoff is in force
    assert again.exit_code == 0, again.stderr
    out = json_out(again)
    assert (out["dry_run"], out["targets"][0]["status"]) == (False, "unchanged")


def test_rerun_with_a_later_cutoff_updates_the_same_policy(org: dict[str, Any]) -> None:
    assert revoke("org", "--before", CUTOFF, "--exempt-principal", BREAK_GLASS).exit_code == 0
    first = ours(org)
    result = revoke("org", "--before", LATER)
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert [s["action"] for s in target["steps"]] == ["organizations:UpdatePolicy"]
    assert target["previous_cutoff"] == CUTOFF
    found = ours(org)
    assert found is not None and first is not None and found["id"] == first["id"]
    assert scp_cutoff(found["document"]) == LATER
    assert scp_exemptions(found["document"]) == [BREAK_GLASS]  # kept, not dropped


def test_earlier_cutoff_is_kept_later_unless_forced(org: dict[str, Any]) -> None:
    assert revoke("org", "--before", LATER).exit_code == 0
    result = revoke("org", "--before", CUTOFF)
    assert result.exit_code == 0
    (target,) = json_out(result)["targets"]
    assert target["status"] == "unchanged" and "un-revoke" in target["reason"]
    assert target["cutoff"] == LATER
    assert scp_cutoff(ours(org)["document"]) == LATER  # type: ignore[index]
    assert revoke("org", "--before", CUTOFF, "--force").exit_code == 0
    assert scp_cutoff(ours(org)["document"]) == CUTOFF  # type: ignore[index]


def test_target_an_account(org: dict[str, Any]) -> None:
    prod = org["accounts"][0]
    result = revoke("org", "--before", CUTOFF, "--target", prod)
    assert result.exit_code == 0, result.stderr
    assert ours(org)["targets"] == [prod]  # type: ignore[index]
    (target,) = json_out(result)["targets"]
    assert [a["id"] for a in target["covered_accounts"]] == [prod]


def test_the_management_account_is_refused(org: dict[str, Any]) -> None:
    result = revoke("org", "--before", CUTOFF, "--target", MANAGEMENT)
    assert result.exit_code == 2
    assert "management account" in json_out(result)["targets"][0]["error"]
    assert ours(org) is None


def test_five_scps_on_the_target_exit_2_and_nothing_changes(
    org: dict[str, Any], tmp_path: Any
) -> None:
    client = org["client"]
    client.enable_policy_type(RootId=org["root"], PolicyType="SERVICE_CONTROL_POLICY")
    for index in range(4):  # FullAWSAccess + 4 = the limit of 5
        policy = client.create_policy(
            Name=f"Guardrail{index}",
            Description="",
            Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Policy"]["PolicySummary"]["Id"]
        client.attach_policy(PolicyId=policy, TargetId=org["root"])
    result = revoke("org", "--before", CUTOFF)
    assert result.exit_code == 2
    (target,) = json_out(result)["targets"]
    assert target["error_code"] == "ScpLimit"
    assert ours(org) is None
    assert journal_records(tmp_path) == []


def test_oversized_exemption_list_exit_2_and_nothing_changes(org: dict[str, Any]) -> None:
    many = [f"--exempt-principal=arn:aws:iam::*:role/BreakGlass{i:03d}" for i in range(160)]
    result = revoke("org", "--before", CUTOFF, *many)
    assert result.exit_code == 2
    assert json_out(result)["targets"][0]["error_code"] == "SizeBudget"
    assert ours(org) is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--target", "ou-nope"], "not an organization root, OU or account"),
        (["--exempt-principal", "BreakGlass"], "not an IAM principal ARN"),
        (["--exempt-principal", "arn:aws:sts::123456789012:assumed-role/R/s"], "role session"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], needle: str) -> None:
    result = revoke("org", "--before", CUTOFF, *args)
    assert_clean_failure(result, 2)
    assert needle in result.stderr


def test_not_an_organization_is_exit_254() -> None:
    with mock_aws():
        result = revoke("org", "--before", CUTOFF)
    assert_clean_failure(result, 254)
    assert "AWSOrganizationsNotInUseException" in result.stderr


# -- lift org --------------------------------------------------------------------------------


def test_lift_org_detaches_and_deletes_what_revoke_org_created(
    org: dict[str, Any], tmp_path: Any
) -> None:
    assert revoke("org", "--before", CUTOFF, "--exempt-principal", BREAK_GLASS).exit_code == 0
    assert revoke("org", "--before", LATER).exit_code == 0
    result = revoke("lift", "org")
    assert result.exit_code == 0, result.stderr
    (lift,) = json_out(result)["targets"]
    assert lift["status"] == "lifted"
    assert [s["action"] for s in lift["steps"]] == [
        "organizations:DetachPolicy",
        "organizations:DeletePolicy",
    ]
    assert ours(org) is None
    records = journal_records(tmp_path)
    assert [r["action"] for r in records] == ["revoke", "revoke", "lift"]
    assert set(records[-1]["ref"]) == {records[0]["hash"], records[1]["hash"]}
    assert "SCPs stay enabled on the root" in result.stderr
    # A second lift finds nothing to undo.
    again = revoke("lift", "org")
    assert again.exit_code == 0
    assert json_out(again)["targets"][0]["status"] == "unchanged"


def test_lift_org_restores_a_policy_that_existed_before(org: dict[str, Any]) -> None:
    client = org["client"]
    client.enable_policy_type(RootId=org["root"], PolicyType="SERVICE_CONTROL_POLICY")
    before = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}},
        },
    }
    client.create_policy(
        Name=SCP_POLICY_NAME,
        Description="",
        Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps(before),
    )
    assert revoke("org", "--before", CUTOFF).exit_code == 0
    assert ours(org)["targets"] == [org["root"]]  # type: ignore[index]
    result = revoke("lift", "org")
    assert result.exit_code == 0, result.stderr
    found = ours(org)
    assert found is not None
    assert found["document"] == before
    assert found["targets"] == []  # we attached it, so we detached it


def test_lift_org_dry_run_changes_nothing(org: dict[str, Any]) -> None:
    assert revoke("org", "--before", CUTOFF).exit_code == 0
    result = revoke("lift", "org", "--dry-run")
    assert result.exit_code == 0
    assert json_out(result)["dry_run"] is True
    assert ours(org) is not None


def test_a_read_back_that_differs_fails_verification_exit_3(
    org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Verification must be able to fail: something else rewrites the SCP under us.
    from revoke.aws.orgs import OrgsGateway

    real_create = OrgsGateway.create_policy

    def create_other(self: OrgsGateway, document: dict[str, Any]) -> str:
        tampered = json.loads(json.dumps(document))
        tampered["Statement"]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] = LATER
        return real_create(self, tampered)

    monkeypatch.setattr(OrgsGateway, "create_policy", create_other)
    result = revoke("org", "--before", CUTOFF)
    assert result.exit_code == 3
    (target,) = json_out(result)["targets"]
    assert target["verification"]["status"] == "failed"
    assert target["verification"]["read_back"]["status"] == "mismatch"


# -- lift org with the one SCP shared by several targets ------------------------------------

LATEST = "2026-11-01T07:00:00Z"


def steps_of(result: Any) -> list[str]:
    return [s["action"].split(":")[1] for s in json_out(result)["targets"][0]["steps"]]


def shared_by_root_and_prod(org: dict[str, Any]) -> str:
    """The review's repro: the root at CUTOFF (with the break-glass exemption), an account at
    LATER, then the root again at LATEST. One SCP, attached to both."""
    prod = org["accounts"][0]
    assert revoke("org", "--before", CUTOFF, "--exempt-principal", BREAK_GLASS).exit_code == 0
    assert revoke("org", "--before", LATER, "--target", prod).exit_code == 0
    assert revoke("org", "--before", LATEST).exit_code == 0
    found = ours(org)
    assert found is not None and sorted(found["targets"]) == sorted([org["root"], prod])
    assert scp_cutoff(found["document"]) == LATEST
    return prod


def test_lift_org_of_one_target_only_detaches_it_while_another_still_uses_the_scp(
    org: dict[str, Any], tmp_path: Any
) -> None:
    prod = shared_by_root_and_prod(org)
    in_force = ours(org)
    result = revoke("lift", "org", "--target", prod)
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["targets"][0]["status"] == "lifted"
    assert steps_of(result) == ["DetachPolicy"]
    # The root keeps the document in force, cutoff and exemption included: no earlier cutoff
    # for the whole organization.
    found = ours(org)
    assert found is not None and in_force is not None
    assert found["targets"] == [org["root"]]
    assert found["document"] == in_force["document"]
    assert scp_cutoff(found["document"]) == LATEST
    assert f"stays attached to {org['root']}" in result.stderr
    lift = journal_records(tmp_path)[-1]
    assert lift["action"] == "lift" and lift["before"] == lift["after"] == in_force["document"]

    # The last target lifted takes the SCP away: revoke created it.
    last = revoke("lift", "org")
    assert last.exit_code == 0, last.stderr
    assert steps_of(last) == ["DetachPolicy", "DeletePolicy"]
    assert ours(org) is None


def test_lift_org_of_the_root_first_leaves_the_account_its_cutoff(org: dict[str, Any]) -> None:
    prod = shared_by_root_and_prod(org)
    result = revoke("lift", "org")
    assert result.exit_code == 0, result.stderr
    assert steps_of(result) == ["DetachPolicy"]
    found = ours(org)
    assert found is not None and found["targets"] == [prod]
    assert scp_cutoff(found["document"]) == LATEST
    assert scp_exemptions(found["document"]) == [BREAK_GLASS]
    # Lifting the account now is lifting the last attachment: the SCP goes, not back to the
    # root's first document.
    last = revoke("lift", "org", "--target", prod)
    assert last.exit_code == 0, last.stderr
    assert steps_of(last) == ["DetachPolicy", "DeletePolicy"]
    assert ours(org) is None


def test_lift_org_refuses_when_the_scp_changed_since_unless_forced(
    org: dict[str, Any], tmp_path: Any
) -> None:
    assert revoke("org", "--before", CUTOFF).exit_code == 0
    found = ours(org)
    assert found is not None
    edited = json.loads(json.dumps(found["document"]))
    edited["Statement"]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] = LATER
    org["client"].update_policy(PolicyId=found["id"], Content=json.dumps(edited))

    for args in ([], ["--dry-run"]):
        refused = revoke("lift", "org", *args)
        assert_clean_failure(refused, 2)
        assert "someone changed it since" in refused.stderr
        assert "--force" in refused.stderr
    after = ours(org)
    assert after is not None
    assert after["document"] == edited and after["targets"] == [org["root"]]  # nothing changed
    assert [r["action"] for r in journal_records(tmp_path)] == ["revoke"]

    forced = revoke("lift", "org", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "--force" in forced.stderr
    assert ours(org) is None


def test_lift_org_refuses_a_target_lift_too_when_the_shared_scp_changed(
    org: dict[str, Any],
) -> None:
    prod = shared_by_root_and_prod(org)
    found = ours(org)
    assert found is not None
    edited = json.loads(json.dumps(found["document"]))
    edited["Statement"]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] = CUTOFF
    org["client"].update_policy(PolicyId=found["id"], Content=json.dumps(edited))
    refused = revoke("lift", "org", "--target", prod)
    assert_clean_failure(refused, 2)
    assert sorted(ours(org)["targets"]) == sorted([org["root"], prod])  # type: ignore[index]


def test_lift_org_restores_a_policy_that_existed_before_once_the_last_target_goes(
    org: dict[str, Any],
) -> None:
    # The console's own older deny existed and was attached to dev before any revoke org:
    # that attachment is not ours, so the root's lift restores the old content (dev keeps
    # it) instead of leaving our cutoff on dev.
    client = org["client"]
    prod, dev = org["accounts"]
    client.enable_policy_type(RootId=org["root"], PolicyType="SERVICE_CONTROL_POLICY")
    before = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}},
        },
    }
    policy_id = client.create_policy(
        Name=SCP_POLICY_NAME,
        Description="",
        Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps(before),
    )["Policy"]["PolicySummary"]["Id"]
    client.attach_policy(PolicyId=policy_id, TargetId=dev)
    assert revoke("org", "--before", CUTOFF).exit_code == 0
    assert revoke("org", "--before", LATER, "--target", prod).exit_code == 0

    first = revoke("lift", "org", "--target", prod)  # the root still uses it
    assert first.exit_code == 0, first.stderr
    assert steps_of(first) == ["DetachPolicy"]
    assert scp_cutoff(ours(org)["document"]) == LATER  # type: ignore[index]

    last = revoke("lift", "org")
    assert last.exit_code == 0, last.stderr
    assert steps_of(last) == ["UpdatePolicy", "DetachPolicy"]
    found = ours(org)
    assert found is not None
    assert found["document"] == before
    assert found["targets"] == [dev]


def test_the_document_a_journalled_run_left_follows_the_steps_that_went_through() -> None:
    from revoke.ops.organization import written_document

    old, new = {"old": 1}, {"new": 1}

    def record(action: str, *done: str, status: str = "applied") -> dict[str, Any]:
        steps = [{"action": f"organizations:{a}", "target": "x", "done": "yes"} for a in done]
        return {
            "action": action,
            "status": status,
            "before": old,
            "after": new,
            "scp": {"steps": steps},
        }

    assert written_document(record("revoke", "UpdatePolicy", "AttachPolicy")) == new
    assert written_document(record("revoke", "CreatePolicy", status="failed")) == new
    # Stopped before its write (EnablePolicyType done, UpdatePolicy refused): nothing written.
    assert written_document(record("revoke", "EnablePolicyType", status="failed")) == old
    assert written_document(record("lift", "DetachPolicy")) == old  # document untouched
    assert written_document(record("lift", "UpdatePolicy", "DetachPolicy")) == new
    assert written_document(record("lift", "DetachPolicy", "DeletePolicy")) is None
