"""`revoke lift user|role` and `revoke gc` against moto: undo from the journal, clean up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.cli.context import Globals
from revoke.core.output import DECLINED
from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.ops.gc import apply_gc, gc_warnings, plan_gc, strip_revocation, token_life
from revoke.ops.lift import ROLE_TOKEN_LIFE, USER_TOKEN_LIFE, episode, plan_lift, policy_chain
from revoke.state.journal import Journal
from tests.helpers import assert_clean_failure, json_out, run_cli

CUTOFF = "2026-11-01T05:00:00Z"
LATER = "2026-11-01T06:00:00Z"
CONSOLE_DENY = {  # what the console's "Revoke active sessions" wrote in an earlier incident
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": ["*"],
            "Resource": ["*"],
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-10-01T00:00:00Z"}},
        }
    ],
}
SOMEONES_STATEMENT = {
    "Sid": "NoBilling",
    "Effect": "Deny",
    "Action": "aws-portal:*",
    "Resource": "*",
}


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        client.create_login_profile(UserName="alice", Password="Correct-Horse-9!")
        yield client


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.jsonl"


def cli(journal_path: Path, *args: str) -> Any:
    return run_cli("--output", "json", "--journal", str(journal_path), *args)


def inline(iam: Any, user: str = "alice") -> dict[str, Any] | None:
    try:
        return iam.get_user_policy(UserName=user, PolicyName=POLICY_NAME)["PolicyDocument"]  # type: ignore[no-any-return]
    except iam.exceptions.NoSuchEntityException:
        return None


def put(iam: Any, document: dict[str, Any], user: str = "alice") -> None:
    iam.put_user_policy(UserName=user, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(document))


def statuses(iam: Any, user: str = "alice") -> list[str]:
    return [k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]


def contain(journal_path: Path, cutoff: str = CUTOFF, *extra: str) -> Any:
    result = cli(
        journal_path, "user", "alice", "--before", cutoff, "--deactivate-keys", "--disable-console",
        *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result


def test_lift_puts_everything_back_except_the_password(iam: Any, journal_path: Path) -> None:
    iam.create_access_key(UserName="alice")
    iam.create_access_key(UserName="alice")
    contain(journal_path)
    assert statuses(iam) == ["Inactive", "Inactive"] and inline(iam) is not None
    result = cli(journal_path, "lift", "user", "alice")
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert (target["status"], target["policy_action"]) == ("applied", "remove")
    assert inline(iam) is None
    assert statuses(iam) == ["Active", "Active"]
    assert [s["result"] for s in target["containment"]] == ["done", "done"]
    assert "cannot be restored" in result.stderr and "create-login-profile" in result.stderr
    records = Journal(journal_path).records()
    lift = records[-1]
    assert lift["action"] == "lift" and lift["after"] is None
    assert lift["before"]["Statement"]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] == CUTOFF
    assert lift["ref"] == [r["hash"] for r in records if r["action"] == "revoke"]
    assert Journal(journal_path).verify() == []


def test_lift_after_a_refresh_removes_the_revocation_altogether(
    iam: Any, journal_path: Path
) -> None:
    iam.create_access_key(UserName="alice")
    contain(journal_path)
    assert cli(journal_path, "user", "alice", "--before", LATER).exit_code == 0
    assert existing_cutoff(inline(iam)) == LATER
    result = cli(journal_path, "lift", "user", "alice")
    assert result.exit_code == 0, result.stderr
    assert inline(iam) is None  # not the first cutoff: that would still deny sessions
    assert statuses(iam) == ["Active"]
    assert len(json_out(result)["targets"][0]["undoes"]) == 2


def test_lift_restores_the_document_that_was_there_before(iam: Any, journal_path: Path) -> None:
    put(iam, CONSOLE_DENY)
    assert cli(journal_path, "user", "alice", "--before", CUTOFF).exit_code == 0
    assert cli(journal_path, "user", "alice", "--before", LATER).exit_code == 0
    result = cli(journal_path, "lift", "user", "alice")
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["targets"][0]["policy_action"] == "restore"
    assert inline(iam) == CONSOLE_DENY


def test_lift_restores_somebody_elses_statements_verbatim(iam: Any, journal_path: Path) -> None:
    original = {
        "Version": "2012-10-17",
        "Statement": [SOMEONES_STATEMENT, CONSOLE_DENY["Statement"][0]],
    }
    put(iam, original)
    assert cli(journal_path, "user", "alice", "--before", CUTOFF).exit_code == 0
    assert SOMEONES_STATEMENT in inline(iam)["Statement"]  # type: ignore[index]
    assert cli(journal_path, "lift", "user", "alice").exit_code == 0
    assert inline(iam) == original


def test_lift_refuses_after_an_outside_edit_and_changes_nothing(
    iam: Any, journal_path: Path
) -> None:
    iam.create_access_key(UserName="alice")
    contain(journal_path)
    someone = {"Version": "2012-10-17", "Statement": [SOMEONES_STATEMENT]}
    put(iam, someone)
    before = journal_path.read_text()
    result = cli(journal_path, "lift", "user", "alice")
    assert_clean_failure(result, 2)
    assert "is not the document the journal says revoke wrote" in result.stderr
    assert "someone changed it since" in result.stderr and "--force" in result.stderr
    assert inline(iam) == someone and statuses(iam) == ["Inactive"]
    assert journal_path.read_text() == before

    forced = cli(journal_path, "lift", "user", "alice", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert inline(iam) is None and statuses(iam) == ["Active"]
    assert any("--force" in n for n in json_out(forced)["targets"][0]["notes"])


def test_lift_warns_when_it_lets_live_sessions_work_again(iam: Any, journal_path: Path) -> None:
    assert cli(journal_path, "user", "alice", "--before", "-1h").exit_code == 0
    result = cli(journal_path, "lift", "user", "alice", "--dry-run")
    (note,) = json_out(result)["targets"][0]["notes"]
    assert "may live until" in note and "lifting lets them work again" in note
    assert "revoke gc" in note and "may live until" in result.stderr


def test_lift_twice_is_a_no_op(iam: Any, journal_path: Path) -> None:
    contain(journal_path)
    assert cli(journal_path, "lift", "user", "alice").exit_code == 0
    lines = journal_path.read_text()
    again = cli(journal_path, "lift", "user", "alice")
    assert again.exit_code == 0
    (target,) = json_out(again)["targets"]
    assert target["status"] == "unchanged" and "already lifted" in target["reason"]
    assert journal_path.read_text() == lines


def test_revoke_after_a_lift_starts_a_new_episode(iam: Any, journal_path: Path) -> None:
    iam.create_access_key(UserName="alice")
    contain(journal_path)
    assert cli(journal_path, "lift", "user", "alice").exit_code == 0
    assert cli(journal_path, "user", "alice", "--before", LATER).exit_code == 0
    result = cli(journal_path, "lift", "user", "alice")
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["containment"] == []  # the key was already given back by the first lift
    assert target["notes"] == [] and inline(iam) is None


def test_lift_dry_run_changes_nothing(iam: Any, journal_path: Path) -> None:
    iam.create_access_key(UserName="alice")
    contain(journal_path)
    before = journal_path.read_text()
    result = cli(journal_path, "lift", "user", "alice", "--dry-run")
    assert result.exit_code == 0
    out = json_out(result)
    assert out["dry_run"] is True and out["targets"][0]["status"] == "planned"
    assert out["targets"][0]["containment"][0]["result"] == "planned"
    assert inline(iam) is not None and statuses(iam) == ["Inactive"]
    assert journal_path.read_text() == before


def test_lift_without_a_journalled_revocation_is_refused(iam: Any, journal_path: Path) -> None:
    put(iam, CONSOLE_DENY)
    result = cli(journal_path, "lift", "user", "alice")
    assert_clean_failure(result, 2)
    assert "has no revocation of user alice" in result.stderr
    assert inline(iam) == CONSOLE_DENY


def test_lift_refuses_a_tampered_journal(iam: Any, journal_path: Path) -> None:
    contain(journal_path)
    lines = journal_path.read_text().splitlines()
    record = json.loads(lines[0])
    allow_all = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    record["before"] = {"Version": "2012-10-17", "Statement": [allow_all]}
    lines[0] = json.dumps(record)
    journal_path.write_text("\n".join(lines) + "\n")
    result = cli(journal_path, "lift", "user", "alice")
    assert_clean_failure(result, 2)
    assert "fails verification" in result.stderr
    assert inline(iam) is not None


def test_lift_role(iam: Any, journal_path: Path) -> None:
    iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument="{}")
    assert cli(journal_path, "role", "Deploy", "--before", CUTOFF).exit_code == 0
    result = cli(journal_path, "lift", "role", "Deploy")
    assert result.exit_code == 0, result.stderr
    assert iam.list_role_policies(RoleName="Deploy")["PolicyNames"] == []


def test_lift_removes_the_managed_fallback(iam: Any, journal_path: Path) -> None:
    # Fact 17: a user whose inline budget is nearly full gets a customer-managed policy.
    reads = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 1850}
    big = {"Version": "2012-10-17", "Statement": [reads]}
    iam.put_user_policy(UserName="alice", PolicyName="big", PolicyDocument=json.dumps(big))
    result = cli(journal_path, "user", "alice", "--before", CUTOFF)
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["targets"][0]["mechanism"] == "managed"
    assert len(iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]) == 1
    lifted = cli(journal_path, "lift", "user", "alice")
    assert lifted.exit_code == 0, lifted.stderr
    assert iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"] == []
    assert iam.list_policies(Scope="Local", PathPrefix="/revoke/")["Policies"] == []
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["big"]


# -- gc ---------------------------------------------------------------------------------------


def gc_targets(result: Any) -> dict[str, dict[str, Any]]:
    return {f"{t['kind']}/{t['name']}": t for t in json_out(result)["targets"]}


def test_gc_removes_only_what_can_no_longer_matter(iam: Any, journal_path: Path) -> None:
    iam.create_user(UserName="bob")
    iam.create_role(RoleName="Old", AssumeRolePolicyDocument="{}")
    iam.create_role(RoleName="Recent", AssumeRolePolicyDocument="{}")
    assert cli(journal_path, "user", "alice", "--before", "-3d").exit_code == 0  # > 36 h + 1 h
    assert cli(journal_path, "user", "bob", "--before", "-14h").exit_code == 0  # < 36 h
    assert cli(journal_path, "role", "Old", "--before", "-14h").exit_code == 0  # > 12 h + 1 h
    assert cli(journal_path, "role", "Recent", "--before", "-12h").exit_code == 0  # < 13 h

    dry = cli(journal_path, "gc", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    planned = {k: t["status"] for k, t in gc_targets(dry).items()}
    assert planned == {
        "user/alice": "planned",
        "user/bob": "kept",
        "role/Old": "planned",
        "role/Recent": "kept",
    }
    assert inline(iam) is not None

    result = cli(journal_path, "gc")
    assert result.exit_code == 0, result.stderr
    targets = gc_targets(result)
    assert targets["user/alice"]["status"] == "removed"
    assert targets["user/bob"]["removable_after"] > json_out(result)["now"]
    assert inline(iam) is None and inline(iam, "bob") is not None
    assert iam.list_role_policies(RoleName="Old")["PolicyNames"] == []
    assert iam.list_role_policies(RoleName="Recent")["PolicyNames"] == [POLICY_NAME]
    gcs = [r for r in Journal(journal_path).records() if r["action"] == "gc"]
    assert sorted(r["target"]["name"] for r in gcs) == ["Old", "alice"]
    assert all(r["after"] is None and r["before"] for r in gcs)


def test_gc_keeps_other_statements_of_the_policy(iam: Any, journal_path: Path) -> None:
    mixed = {
        "Version": "2012-10-17",
        "Statement": [SOMEONES_STATEMENT, CONSOLE_DENY["Statement"][0]],
    }
    put(iam, mixed)
    result = cli(journal_path, "gc")
    assert result.exit_code == 0, result.stderr
    assert gc_targets(result)["user/alice"]["in_journal"] is False  # the console's, found by name
    assert inline(iam) == {"Version": "2012-10-17", "Statement": [SOMEONES_STATEMENT]}


def test_gc_role_life_uses_max_session_duration_only_when_asked(
    iam: Any, journal_path: Path
) -> None:
    iam.create_role(RoleName="Short", AssumeRolePolicyDocument="{}", MaxSessionDuration=3600)
    assert cli(journal_path, "role", "Short", "--before", "-3h").exit_code == 0
    default = gc_targets(cli(journal_path, "gc", "--dry-run"))["role/Short"]
    assert (default["status"], default["token_life_seconds"]) == ("kept", ROLE_TOKEN_LIFE)
    assert "EC2" in default["token_life_source"]
    opted = gc_targets(cli(journal_path, "gc", "--dry-run", "--use-max-session-duration"))
    assert (opted["role/Short"]["status"], opted["role/Short"]["token_life_seconds"]) == (
        "planned",
        3600,
    )


def test_gc_then_lift_gives_the_keys_back(iam: Any, journal_path: Path) -> None:
    iam.create_access_key(UserName="alice")
    contain(journal_path, "-3d")
    assert cli(journal_path, "gc").exit_code == 0
    result = cli(journal_path, "lift", "user", "alice")
    assert result.exit_code == 0, result.stderr
    (target,) = json_out(result)["targets"]
    assert target["policy_action"] == "none" and statuses(iam) == ["Active"]
    assert any("revoke gc" in n for n in target["notes"])


# -- a plan gone stale while the prompt waited --------------------------------------------


def at_the_prompt(monkeypatch: pytest.MonkeyPatch, meanwhile: Any, answer: bool = True) -> None:
    """The confirmation prompt, with `meanwhile()` run while it waits for the responder."""

    def confirm(self: Globals, question: str) -> bool:
        meanwhile()
        return answer

    monkeypatch.setattr(Globals, "confirm", confirm)


def test_gc_leaves_a_deny_refreshed_after_the_plan(iam: Any, journal_path: Path) -> None:
    # The review's repro: plan_gc, a refresh (revoke user alice --before now), apply_gc.
    from revoke.aws.iam import IamGateway
    from revoke.aws.session import AwsSession

    iam.create_user(UserName="bob")
    for user in ("alice", "bob"):
        assert cli(journal_path, "user", user, "--before", "-3d").exit_code == 0
    gateway, journal = IamGateway(AwsSession()), Journal(journal_path)
    items = plan_gc(gateway, journal, account="123456789012")
    assert {i.name: i.status for i in items} == {"alice": "planned", "bob": "planned"}
    assert cli(journal_path, "user", "alice", "--before", "now").exit_code == 0
    fresh = inline(iam)

    apply_gc(gateway, journal, items, actor={"arn": "responder"}, margin=3600)
    alice, bob = sorted(items, key=lambda i: i.name)
    assert alice.status == "skipped"
    assert alice.reason is not None and alice.reason.startswith("changed since plan")
    assert inline(iam) == fresh  # the fresh deny is still in force
    assert (bob.status, inline(iam, "bob")) == ("removed", None)  # the others go on
    gcs = [r for r in journal.records() if r["action"] == "gc"]
    assert [r["target"]["name"] for r in gcs] == ["bob"]
    assert gc_warnings(items) == [f"user alice: {alice.reason}"]


def test_gc_refresh_while_the_prompt_waits_is_reported_and_kept(
    iam: Any, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(journal_path, "user", "alice", "--before", "-3d").exit_code == 0
    at_the_prompt(monkeypatch, lambda: put(iam, deny(LATER)))
    result = cli(journal_path, "gc")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    target = gc_targets(result)["user/alice"]
    assert target["status"] == "skipped"
    assert f"a deny with cutoff {LATER}" in target["reason"]
    assert out["warnings"] == [f"user alice: {target['reason']}"]
    assert "changed since plan" in result.stderr
    assert existing_cutoff(inline(iam)) == LATER
    assert out["dry_run"] is False


def test_lift_refresh_while_the_prompt_waits_changes_nothing(
    iam: Any, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam.create_access_key(UserName="alice")
    contain(journal_path)
    at_the_prompt(monkeypatch, lambda: put(iam, deny(LATER)))
    before = journal_path.read_text()
    result = cli(journal_path, "lift", "user", "alice")
    assert result.exit_code == 2, result.stderr
    out = json_out(result)
    (target,) = out["targets"]
    assert target["status"] == "skipped"
    assert target["reason"].startswith("changed since plan")
    assert any("changed since plan" in w for w in out["warnings"])
    # Neither the fresh deny nor the key it keeps inactive was touched, and nothing journalled.
    assert existing_cutoff(inline(iam)) == LATER
    assert statuses(iam) == ["Inactive"]
    assert journal_path.read_text() == before


def test_lift_declined_at_the_prompt_is_no_dry_run(
    iam: Any, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contain(journal_path)
    at_the_prompt(monkeypatch, lambda: None, answer=False)
    result = cli(journal_path, "lift", "user", "alice")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["dry_run"] is False and out["targets"][0]["status"] == "planned"
    assert DECLINED in out["warnings"]
    assert inline(iam) is not None


def test_gc_with_nothing_to_remove_is_no_dry_run(iam: Any, journal_path: Path) -> None:
    assert cli(journal_path, "user", "alice", "--before", "-1h").exit_code == 0
    result = cli(journal_path, "gc")
    assert result.exit_code == 0, result.stderr
    assert json_out(result)["dry_run"] is False
    assert json_out(cli(journal_path, "gc", "--dry-run"))["dry_run"] is True


# -- the rules, without AWS -----------------------------------------------------------------


def record(action: str, before: Any, after: Any, seq: int, **extra: Any) -> dict[str, Any]:
    return {
        "action": action, "seq": seq, "hash": f"h{seq}", "time": f"t{seq}",
        "policy": {"name": POLICY_NAME, "mechanism": "inline"},
        "before": before, "after": after, "containment": [], **extra,
    }  # fmt: skip


def deny(cutoff: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*",
                      "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}},
    }  # fmt: skip


def test_an_outside_write_between_two_revocations_breaks_the_chain() -> None:
    history = [
        record("revoke", None, deny(CUTOFF), 1),
        record("revoke", deny("2026-11-01T05:30:00Z"), deny(LATER), 2),  # someone wrote 05:30
    ]
    assert [r["seq"] for r in policy_chain(history)] == [2]
    plan = plan_lift("user", "alice", None, history, current=deny(LATER), key_status={})
    assert plan.restored_document == deny("2026-11-01T05:30:00Z")


def test_episode_stops_at_the_last_lift() -> None:
    history = [
        record("revoke", None, deny(CUTOFF), 1),
        record("lift", deny(CUTOFF), None, 2),
        record("revoke", None, deny(LATER), 3),
        record("verify", None, None, 4),
    ]
    assert [r["seq"] for r in episode(history)] == [3]


def test_token_lives() -> None:
    assert token_life("user")[0] == USER_TOKEN_LIFE == 36 * 3600  # fact 23
    assert token_life("role", max_session_duration=3600)[0] == ROLE_TOKEN_LIFE == 12 * 3600
    life, source = token_life(
        "role", max_session_duration=3600, recorded=[7200], use_max_session_duration=True
    )
    assert life == 7200 and "lowered since" in source


def test_strip_revocation_keeps_the_rest() -> None:
    mixed = {"Version": "2012-10-17", "Statement": [SOMEONES_STATEMENT, deny(CUTOFF)["Statement"]]}
    assert strip_revocation(mixed) == {"Version": "2012-10-17", "Statement": [SOMEONES_STATEMENT]}
    assert strip_revocation(deny(CUTOFF)) is None
