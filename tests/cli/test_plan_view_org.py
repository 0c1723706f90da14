"""`revoke org` and `revoke lift org` at the prompt (issue 18 item 3): the plan before the
question (the caller, the SCP and its cutoff, where it is attached, who is exempt, the
accounts it reaches and those it covers already, the warnings), 'n' changes nothing and
'y' does it. Against moto's Organizations, as tests/cli/test_org_cmd.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core.scp import SCP_POLICY_NAME, scp_cutoff
from revoke.state.journal import Journal
from tests.helpers import json_out, run_cli

MANAGEMENT = "123456789012"
CUTOFF = "2026-11-01T05:00:00Z"
LATER = "2026-11-01T06:00:00Z"
BREAK_GLASS = "arn:aws:iam::*:role/BreakGlass"
ORG_QUESTION = "Deny sessions issued before"
LIFT_QUESTION = "Lift the organization revocation on"


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        organization = client.create_organization(FeatureSet="ALL")["Organization"]
        root = client.list_roots()["Roots"][0]["Id"]
        accounts = [
            client.create_account(AccountName=n, Email=f"{n}@example.com")["CreateAccountStatus"][
                "AccountId"
            ]
            for n in ("prod", "dev")
        ]
        yield {"client": client, "root": root, "accounts": accounts, "id": organization["Id"]}


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A person at a terminal answers the prompt."""
    monkeypatch.setattr("revoke.cli.app.stdin_is_terminal", lambda: True)


def ours(org: dict[str, Any]) -> dict[str, Any] | None:
    client = org["client"]
    for policy in client.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]:
        if policy["Name"] == SCP_POLICY_NAME:
            content = client.describe_policy(PolicyId=policy["Id"])["Policy"]["Content"]
            targets = client.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]
            return {
                "id": policy["Id"],
                "document": json.loads(content),
                "targets": sorted(t["TargetId"] for t in targets),
            }
    return None


def before(stderr: str, question: str) -> str:
    """What the responder read before the question (one line a message, off a terminal)."""
    assert question in stderr, stderr
    return stderr[: stderr.index(question)]


def payload(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout[result.stdout.index("{") :])  # CliRunner echoes the answer


def records(tmp_path: Any) -> list[dict[str, Any]]:
    return Journal(tmp_path / "state" / "revoke" / "journal.jsonl").records()


def test_org_shows_the_plan_before_the_question_and_n_changes_nothing(
    org: dict[str, Any], terminal: None, tmp_path: Any
) -> None:
    prod, dev = org["accounts"]
    args = ("--output", "json", "org", "--before", CUTOFF, "--exempt-principal", BREAK_GLASS)
    result = run_cli(*args, input="n\n")
    assert result.exit_code == 0, result.stderr
    plan = before(result.stderr, ORG_QUESTION).splitlines()
    assert plan[0].startswith("acting as arn:aws:") and plan[0].endswith(f"(account {MANAGEMENT})")
    root = org["root"]
    assert (
        f"plan: deny sessions issued before {CUTOFF} under root {root} of organization "
        f"{org['id']}, with the service control policy {SCP_POLICY_NAME}"
    ) in plan
    assert f"  first enable service control policies on root {root}" in plan
    assert any(line.startswith("  create the policy (") for line in plan), plan
    assert f"  attach it to root {root}" in plan
    assert f"  exempt (break-glass): {BREAK_GLASS}" in plan
    assert f"  reaches 2 member accounts: {prod} (prod), {dev} (dev)" in plan
    assert "  already covered by it: none of them" in plan
    management = f"warning: no SCP affects the management account {MANAGEMENT}"
    assert any(line.startswith(management) for line in plan), plan
    # The question counts the member accounts; the warning is not said twice.
    assert f"Deny sessions issued before {CUTOFF} in 2 member accounts under {root}?" in (
        result.stderr
    )
    assert result.stderr.count(management) == 1
    assert payload(result)["targets"][0]["status"] == "planned"
    assert ours(org) is None and records(tmp_path) == []

    accepted = run_cli(*args, input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    found = ours(org)
    assert found is not None and found["targets"] == [root]
    assert scp_cutoff(found["document"]) == CUTOFF
    assert [r["status"] for r in records(tmp_path)] == ["applied"]


def test_an_update_says_where_the_scp_is_attached_already_and_what_it_covers(
    org: dict[str, Any], terminal: None
) -> None:
    prod, dev = org["accounts"]
    assert run_cli("--yes", "--output", "json", "org", "--before", CUTOFF).exit_code == 0
    result = run_cli("--output", "json", "org", "--before", LATER, "--target", prod, input="n\n")
    assert result.exit_code == 0, result.stderr
    plan = before(result.stderr, ORG_QUESTION).splitlines()
    policy = ours(org)
    assert policy is not None
    assert f"  update policy {policy['id']} (replacing cutoff {CUTOFF};" in "\n".join(plan)
    assert f"  attach it to account {prod}" in plan
    # The one SCP is attached to the root: moving its cutoff moves it there too.
    assert f"  also attached to root {org['root']}: the new document applies there too" in plan
    assert "  exempt (break-glass): nobody" in plan
    assert f"  reaches 1 member account: {prod} (prod)" in plan
    assert f"  already covered by it (cutoff {CUTOFF}): 1 of them: {prod} (prod)" in plan
    assert any(line.startswith("warning: no principal is exempt") for line in plan), plan
    found = ours(org)
    assert found is not None and found["targets"] == [org["root"]]
    assert scp_cutoff(found["document"]) == CUTOFF  # nothing changed


def test_yes_and_a_script_print_nothing_of_the_prompt(
    org: dict[str, Any], monkeypatch: Any
) -> None:
    # Not a terminal (CliRunner's stdin): no question, no plan before it; JSON alone on stdout.
    result = run_cli("--output", "json", "org", "--dry-run", "--before", CUTOFF)
    assert "plan: deny" not in result.stderr
    scripted = run_cli("--output", "json", "org", "--before", CUTOFF)
    assert scripted.exit_code == 0, scripted.stderr
    assert "plan: deny" not in scripted.stderr and ORG_QUESTION not in scripted.stderr
    assert json_out(scripted)["targets"][0]["status"] == "applied"
    monkeypatch.setattr("revoke.cli.app.stdin_is_terminal", lambda: True)
    yes = run_cli("--yes", "--output", "json", "org", "--before", LATER)
    assert yes.exit_code == 0, yes.stderr
    assert "plan: deny" not in yes.stderr and ORG_QUESTION not in yes.stderr
    assert json_out(yes)["targets"][0]["previous_cutoff"] == CUTOFF


def test_lift_org_shows_what_goes_and_the_accounts_whose_sessions_work_again(
    org: dict[str, Any], terminal: None
) -> None:
    prod, dev = org["accounts"]
    root = org["root"]
    assert run_cli("--yes", "--output", "json", "org", "--before", CUTOFF).exit_code == 0
    policy = ours(org)
    assert policy is not None
    result = run_cli("--output", "json", "lift", "org", input="n\n")
    assert result.exit_code == 0, result.stderr
    plan = before(result.stderr, LIFT_QUESTION).splitlines()
    assert plan[0].startswith("acting as arn:aws:") and plan[0].endswith(f"(account {MANAGEMENT})")
    assert (
        f"plan: lift the organization revocation on root {root} of organization {org['id']}: "
        f"policy {SCP_POLICY_NAME} ({policy['id']}) holds cutoff {CUTOFF}"
    ) in plan
    assert plan.index(f"  detach it from root {root}") < plan.index(
        "  delete it (revoke created it)"
    )
    assert (
        f"  sessions issued before {CUTOFF} work again in 2 member accounts under {root}: "
        f"{prod}, {dev}"
    ) in plan
    # SCPs stay enabled: that bears on the decision, so it comes before the question.
    assert any(line.startswith("warning: SCPs stay enabled on the root") for line in plan), plan
    assert result.stderr.count("SCPs stay enabled on the root") == 1
    assert ours(org) == policy  # 'n': still there, still attached

    accepted = run_cli("--output", "json", "lift", "org", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert ours(org) is None


def test_lift_org_of_one_target_says_what_stays_covered(
    org: dict[str, Any], terminal: None
) -> None:
    prod, _ = org["accounts"]
    root = org["root"]
    yes = ("--yes", "--output", "json")
    assert run_cli(*yes, "org", "--before", CUTOFF, "--target", prod).exit_code == 0
    assert run_cli(*yes, "org", "--before", CUTOFF).exit_code == 0
    result = run_cli("--output", "json", "lift", "org", "--target", prod, input="n\n")
    assert result.exit_code == 0, result.stderr
    plan = before(result.stderr, LIFT_QUESTION).splitlines()
    assert f"  detach it from account {prod}" in plan
    assert "  delete it (revoke created it)" not in plan
    # The root keeps the SCP, so prod stays covered: no session of it works again.
    assert f"  sessions issued before {CUTOFF} work again in 0 member accounts under {prod}" in plan
    assert f"  stays attached to root {root} with its document as it is (cutoff {CUTOFF})" in plan
    assert f"  still denied there, through those attachments: {prod}" in plan
    found = ours(org)
    assert found is not None and found["targets"] == sorted([root, prod])
