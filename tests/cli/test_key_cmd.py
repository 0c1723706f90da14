"""`revoke key KEY_ID` against moto: from a leaked key ID to a contained owner.

The sandbox versions of the issue's cases are in tests/e2e/test_key_sandbox.py; these run
in-process against moto (fast), with CloudTrail answers stubbed where moto has none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.aws.cloudtrail import CloudTrailGateway, TrailLookup
from revoke.cli.context import Globals
from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.core.timeparse import cutoff_datetime
from revoke.sandbox.tokens import key_id_for_account
from revoke.state.journal import Journal
from revoke.state.ledger import Ledger, new_record
from tests.helpers import assert_clean_failure, json_out, member_client, run_cli

ACCOUNT = "123456789012"
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
ROLE = "OrganizationAccountAccessRole"


def revoke(*args: str) -> Any:
    return run_cli("--output", "json", *args)


def state_dir() -> Path:
    return Path(os.environ["XDG_STATE_HOME"]) / "revoke"


def journal() -> list[dict[str, Any]]:
    """The change records (a "verify" record follows each verified change)."""
    records = Journal(state_dir() / "journal.jsonl").records()
    return [r for r in records if r["action"] != "verify"]


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        client.put_user_policy(UserName="alice", PolicyName="grant", PolicyDocument=ALLOW_ALL)
        yield client


@pytest.fixture
def keys(iam: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    leaked = iam.create_access_key(UserName="alice")["AccessKey"]
    other = iam.create_access_key(UserName="alice")["AccessKey"]
    return leaked, other


def statuses(iam: Any, user: str = "alice") -> dict[str, str]:
    found = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in found}


def deny_cutoff(iam: Any, user: str = "alice") -> str | None:
    try:
        document = iam.get_user_policy(UserName=user, PolicyName=POLICY_NAME)["PolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return existing_cutoff(document)


# -- refused before any call -------------------------------------------------------------------


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Globals) -> Any:
        raise AssertionError("an AWS session was opened")

    monkeypatch.setattr(Globals, "aws", refuse)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["AKIA1234"], "8 characters; AKIA IDs have 20"),
        (["AKIAIOSFODNN7EXAMPL0"], "characters no AWS ID uses: 0"),
        (["akiaiosfodnn7example"], "does not start with a known prefix"),
        (["AIDAJQABLZS4A3QDU576Q"], "not an access key ID: it is IAM user"),
        (["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"], "looks like a secret access key"),
        (["AKIAIOSFODNN7EXAMPLE", "--before", "2026-11-29T10:00:00"], "has no time zone"),
        (["AKIAIOSFODNN7EXAMPLE", "--before", "2999-01-01T00:00:00Z"], "in the future"),
        (["AKIAIOSFODNN7EXAMPLE", "--accounts", "12345"], "is not an AWS account ID"),
        (["AKIAIOSFODNN7EXAMPLE", "--assume-role-name", "bad role"], "not a valid IAM role"),
        (["AKIAIOSFODNN7EXAMPLE", "--deadline", "soon"], "soon"),
    ],
)
def test_bad_input_is_exit_2_before_any_call(no_aws: None, args: list[str], says: str) -> None:
    result = revoke("key", *args)
    assert_clean_failure(result, 2)
    assert says in result.stderr
    assert "wJalrXUtnFEMI" not in result.stderr  # a pasted secret is never echoed


# -- AKIA: the owning user ---------------------------------------------------------------------


def test_a_leaked_long_term_key_is_deactivated_and_its_user_revoked(
    iam: Any, keys: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    leaked, other = keys
    result = revoke("key", leaked["AccessKeyId"])
    assert result.exit_code == 0, result.stderr
    out = json_out(result)

    # The key alone is deactivated; the user's other key stays, with a warning (fact 3).
    assert statuses(iam) == {leaked["AccessKeyId"]: "Inactive", other["AccessKeyId"]: "Active"}
    assert f"keeps other active access keys ({other['AccessKeyId']})" in result.stderr
    assert any(other["AccessKeyId"] in w and "--all-keys" in w for w in out["warnings"])
    # The user's sessions before the cutoff (default now) are denied, as revoke user does.
    (target,) = out["targets"]
    assert (target["kind"], target["name"], target["status"]) == ("user", "alice", "applied")
    assert deny_cutoff(iam) == out["cutoff"]
    assert target["verification"]["read_back"]["status"] == "ok"
    assert [s["access_key_id"] for s in target["containment"]] == [leaked["AccessKeyId"]]
    # Whose key it is, and how that was found: the evidence of issue 9.
    key = out["key"]
    assert key["owner"] == {
        "kind": "user",
        "name": "alice",
        "arn": None,
        "found_by": "iam:GetAccessKeyLastUsed",
    }
    assert (key["account"], key["type"], key["status"]) == (ACCOUNT, "long-term", "Active")
    assert "owner: user alice (found by iam:GetAccessKeyLastUsed); key Active" in result.stderr

    (record,) = journal()
    assert (record["action"], record["target"]["name"], record["status"]) == (
        "revoke",
        "alice",
        "applied",
    )
    assert [(s["access_key_id"], s["result"]) for s in record["containment"]] == [
        (leaked["AccessKeyId"], "done")
    ]
    assert {k["access_key_id"] for k in record["evidence"]["access_keys"]} == {
        leaked["AccessKeyId"],
        other["AccessKeyId"],
    }
    text = result.stdout + result.stderr + (state_dir() / "journal.jsonl").read_text()
    for secret in (leaked["SecretAccessKey"], other["SecretAccessKey"]):
        assert secret not in text


def test_lift_undoes_it_and_reactivates_only_that_key(
    iam: Any, keys: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    leaked, other = keys
    iam.update_access_key(UserName="alice", AccessKeyId=other["AccessKeyId"], Status="Inactive")
    assert revoke("key", leaked["AccessKeyId"]).exit_code == 0
    assert statuses(iam)[leaked["AccessKeyId"]] == "Inactive"

    lifted = revoke("--yes", "lift", "user", "alice")
    assert lifted.exit_code == 0, lifted.stderr
    assert deny_cutoff(iam) is None
    # Reactivated: the key this run deactivated; not the one someone else had deactivated.
    assert statuses(iam) == {leaked["AccessKeyId"]: "Active", other["AccessKeyId"]: "Inactive"}
    assert [r["action"] for r in journal()] == ["revoke", "lift"]


def test_all_keys_deactivates_every_key_of_the_user(
    iam: Any, keys: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    leaked, other = keys
    result = revoke("key", leaked["AccessKeyId"], "--all-keys")
    assert result.exit_code == 0, result.stderr
    assert set(statuses(iam).values()) == {"Inactive"}
    assert "keeps other active" not in result.stderr


def test_dry_run_prints_the_plan_and_changes_nothing(
    iam: Any, keys: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    leaked, _ = keys
    result = revoke("key", leaked["AccessKeyId"], "--dry-run")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["dry_run"] is True
    (target,) = out["targets"]
    assert target["status"] == "planned"
    assert [(s["access_key_id"], s["result"]) for s in target["containment"]] == [
        (leaked["AccessKeyId"], "planned")
    ]
    assert set(statuses(iam).values()) == {"Active"}
    assert deny_cutoff(iam) is None
    assert journal() == []


def test_an_inactive_key_still_revokes_the_sessions_it_minted(
    iam: Any, keys: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    leaked, _ = keys
    iam.update_access_key(UserName="alice", AccessKeyId=leaked["AccessKeyId"], Status="Inactive")
    result = revoke("key", leaked["AccessKeyId"])
    assert result.exit_code == 0, result.stderr
    assert "is already Inactive" in result.stderr
    (target,) = json_out(result)["targets"]
    assert target["status"] == "applied" and "containment" not in target
    assert deny_cutoff(iam) is not None


def test_a_key_no_user_owns_is_254_and_changes_nothing(iam: Any) -> None:
    unknown = key_id_for_account("AKIA", ACCOUNT)
    result = revoke("key", unknown)
    assert_clean_failure(result, 254)
    assert f"no IAM user in account {ACCOUNT} owns access key {unknown}" in result.stderr
    assert "root" in result.stderr and "cannot be restricted by any IAM policy" in result.stderr
    assert deny_cutoff(iam) is None
    assert not (state_dir() / "journal.jsonl").exists()


# -- a key of another account ------------------------------------------------------------------


@pytest.fixture
def member(iam: Any) -> dict[str, Any]:
    """A member account whose user bob's key leaked; the responder is in the management."""
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    account = orgs.create_account(AccountName="prod", Email="prod@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    member_iam = member_client(account, "iam")
    member_iam.create_user(UserName="bob")
    key = member_iam.create_access_key(UserName="bob")["AccessKey"]
    return {"account": account, "iam": member_iam, "key": key}


def test_a_key_of_another_account_says_which_and_how_to_run_there(member: dict[str, Any]) -> None:
    key_id = member["key"]["AccessKeyId"]
    result = revoke("key", key_id)
    assert_clean_failure(result, 2)
    assert f"belongs to account {member['account']}" in result.stderr
    assert f"not to {ACCOUNT}" in result.stderr and "nothing was changed" in result.stderr
    assert f"--accounts {member['account']}" in result.stderr
    assert "--assume-role-name" in result.stderr
    assert statuses(member["iam"], "bob") == {key_id: "Active"}


def test_accounts_acts_in_the_owning_account_through_its_role(member: dict[str, Any]) -> None:
    key_id = member["key"]["AccessKeyId"]
    result = revoke("key", key_id, "--accounts", member["account"])
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["key"]["role_arn"] == f"arn:aws:iam::{member['account']}:role/{ROLE}"
    assert out["targets"][0]["account"] == member["account"]
    assert statuses(member["iam"], "bob") == {key_id: "Inactive"}
    assert deny_cutoff(member["iam"], "bob") == out["cutoff"]
    (record,) = journal()
    assert record["account"] == member["account"]


def test_assume_role_name_alone_also_reaches_the_owning_account(member: dict[str, Any]) -> None:
    key_id = member["key"]["AccessKeyId"]
    result = revoke("key", key_id, "--assume-role-name", ROLE, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["targets"][0]["status"] == "planned"


def test_accounts_that_do_not_name_the_owner_are_refused(member: dict[str, Any]) -> None:
    result = revoke("key", member["key"]["AccessKeyId"], "--accounts", "111111111111")
    assert_clean_failure(result, 2)
    assert "not among --accounts 111111111111" in result.stderr


# -- ASIA: a session -----------------------------------------------------------------------------


def ledger_record(key_id: str, principal_arn: str, issued: datetime) -> None:
    Ledger.in_state_dir(state_dir()).append(
        new_record(
            access_key_id=key_id,
            principal_arn=principal_arn,
            account=ACCOUNT,
            expiration=issued + timedelta(hours=12),
            duration_seconds=43_200,
            mfa_serial=None,
            source_access_key_id="AKIAIOSFODNN7EXAMPLE",
            profile_written=None,
            now=issued,
        )
    )


def test_a_session_key_in_the_ledger_moves_an_early_cutoff_after_its_issue_time(iam: Any) -> None:
    key_id = key_id_for_account("ASIA", ACCOUNT)
    issued = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10)
    ledger_record(key_id, f"arn:aws:iam::{ACCOUNT}:user/alice", issued)

    result = revoke("key", key_id, "--before", "-1h")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    expected = (issued + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Fact 22: the requested -1h would have spared the session; fact 10: strictly after.
    assert out["cutoff"] == expected == deny_cutoff(iam)
    assert out["key"]["owner"]["found_by"] == "token ledger"
    assert out["key"]["minted_with"] == "AKIAIOSFODNN7EXAMPLE"
    assert "moved to" in out["key"]["cutoff_reason"]
    assert cutoff_datetime(out["key"]["cutoff_requested"]) < issued
    assert f"cutoff {expected}: the key was issued at" in result.stderr


def test_a_later_cutoff_is_kept_and_explained(iam: Any) -> None:
    key_id = key_id_for_account("ASIA", ACCOUNT)
    issued = datetime.now(timezone.utc) - timedelta(minutes=10)
    ledger_record(key_id, f"arn:aws:iam::{ACCOUNT}:user/alice", issued)
    result = revoke("key", key_id)  # --before now
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["cutoff"] == out["key"]["cutoff_requested"]
    assert "so the deny covers that session" in out["key"]["cutoff_reason"]
    # A session key is not a long-term key: nothing is deactivated unless asked.
    assert "containment" not in out["targets"][0]


def test_an_issue_time_ahead_of_this_clock_is_still_covered(iam: Any) -> None:
    # AWS's clock (the ledger's issue time) may run ahead of this machine's.
    key_id = key_id_for_account("ASIA", ACCOUNT)
    issued = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=40)
    ledger_record(key_id, f"arn:aws:iam::{ACCOUNT}:user/alice", issued)
    result = revoke("key", key_id)
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["cutoff"] == (issued + timedelta(seconds=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_a_root_session_is_refused_with_fact_15(iam: Any) -> None:
    key_id = key_id_for_account("ASIA", ACCOUNT)
    ledger_record(key_id, f"arn:aws:iam::{ACCOUNT}:root", datetime.now(timezone.utc))
    result = revoke("key", key_id)
    assert_clean_failure(result, 2)
    assert "root user cannot be restricted" in result.stderr


def _trail(monkeypatch: pytest.MonkeyPatch, events: list[dict[str, Any]]) -> None:
    def lookup(self: CloudTrailGateway, access_key_id: str) -> TrailLookup:
        return TrailLookup(region="us-east-1", events=events)

    monkeypatch.setattr(CloudTrailGateway, "events_for_key", lookup)


def test_a_session_key_named_by_cloudtrail_revokes_the_role(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam.create_role(RoleName="Deploy", Path="/ci/", AssumeRolePolicyDocument="{}")
    key_id = key_id_for_account("ASIA", ACCOUNT)
    _trail(
        monkeypatch,
        [
            {
                "eventName": "GetObject",
                "userIdentity": {
                    "type": "AssumedRole",
                    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Deploy/build",
                    "accountId": ACCOUNT,
                    "accessKeyId": key_id,
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "arn": f"arn:aws:iam::{ACCOUNT}:role/ci/Deploy",
                            "userName": "Deploy",
                        },
                        "attributes": {"creationDate": "2026-11-01T05:00:00Z"},
                    },
                },
            }
        ],
    )
    result = revoke("key", key_id, "--before", "2026-11-01T04:00:00Z", "--all-keys")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["cutoff"] == "2026-11-01T05:00:01Z"
    assert out["key"]["owner"]["kind"] == "role"
    assert out["key"]["owner"]["found_by"] == "cloudtrail:LookupEvents (us-east-1)"
    assert "role Deploy has no access keys; ignored" in result.stderr
    found = iam.get_role_policy(RoleName="Deploy", PolicyName=POLICY_NAME)["PolicyDocument"]
    assert existing_cutoff(found) == "2026-11-01T05:00:01Z"


def test_a_session_key_nobody_can_name_says_what_was_searched_and_what_to_run(iam: Any) -> None:
    key_id = key_id_for_account("ASIA", ACCOUNT)
    result = revoke("key", key_id)  # not in the ledger; moto has no LookupEvents
    assert_clean_failure(result, 2)
    assert f"nothing names the principal of session key {key_id}" in result.stderr
    assert "token ledger: not in" in result.stderr
    assert "cloudtrail:LookupEvents (us-east-1): not available: NotImplemented" in result.stderr
    assert "revoke user NAME --before now" in result.stderr
    assert "revoke role NAME --before now" in result.stderr
    assert not (state_dir() / "journal.jsonl").exists()


def test_a_service_identity_in_cloudtrail_names_nobody(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id = key_id_for_account("ASIA", ACCOUNT)
    _trail(monkeypatch, [{"userIdentity": {"type": "AWSService", "invokedBy": "x"}}])
    result = revoke("key", key_id)
    assert_clean_failure(result, 2)
    assert "signed by a AWSService identity" in result.stderr


def test_no_event_in_cloudtrail_names_nobody(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _trail(monkeypatch, [])
    result = revoke("key", key_id_for_account("ASIA", ACCOUNT))
    assert_clean_failure(result, 2)
    assert "no event signed with the key" in result.stderr


def test_help_and_a_malformed_id_do_not_import_boto3() -> None:
    # Start-up budget: a typo is answered before the AWS SDK is even loaded.
    for args in (["key", "--help"], ["key", "AKIA1234"]):
        code = (
            "import sys\nfrom revoke.cli.app import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in sys.modules\n"
            "               if m.split('.')[0] in ('boto3', 'botocore', 'moto'))\n"
            "print(heavy, file=sys.stderr)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert proc.stderr.strip().splitlines()[-1] == "[]", (args, proc.stderr)


def test_no_verify_is_skipped_and_a_run_with_nothing_to_change_is_no_dry_run(
    iam: Any, keys: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    leaked, _ = keys
    first = revoke("key", leaked["AccessKeyId"], "--no-verify")
    assert first.exit_code == 0, first.stderr
    out = json_out(first)
    assert out["dry_run"] is False
    (target,) = out["targets"]
    assert (target["status"], target["verification"]["status"]) == ("applied", "skipped")
    # The key is Inactive and a later cutoff is in force: nothing to change, still no dry run.
    again = revoke("key", leaked["AccessKeyId"], "--before", "-1h")
    assert again.exit_code == 0, again.stderr
    out = json_out(again)
    assert (out["dry_run"], out["targets"][0]["status"]) == (False, "unchanged")
