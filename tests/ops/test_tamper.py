"""Tamper evidence anchored in AWS: a journal rewritten with recomputed hashes passes the
hash chain, but lift still refuses it, because IAM's own document names what was there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core.anchor import (
    SID_PREFIX,
    allows_anything,
    anchor_in,
    check_origin,
    digest,
    origin_anchor,
    with_anchor,
)
from revoke.core.policy import POLICY_NAME
from revoke.ops.revocation import render_for
from revoke.state.journal import GENESIS, record_hash
from tests.helpers import json_out, run_cli

CUTOFF = "2026-11-01T05:00:00Z"
SOMEONES = {"Sid": "NoBilling", "Effect": "Deny", "Action": "aws-portal:*", "Resource": "*"}
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
ORIGIN = {"Version": "2012-10-17", "Statement": [SOMEONES]}


# -- the pure rules ----------------------------------------------------------------------


def test_nothing_before_or_only_a_revocation_before_adds_no_anchor() -> None:
    rendered = render_for(CUTOFF)
    assert origin_anchor(None) is None
    assert origin_anchor(render_for("2026-10-01T00:00:00Z")) is None  # the console's deny
    assert with_anchor(rendered, None) == rendered  # the console's document, to the letter


def test_other_statements_before_are_named_in_our_sid_and_carried_over() -> None:
    anchor = origin_anchor(ORIGIN)
    assert anchor == digest(ORIGIN) and len(anchor) == 24
    first = with_anchor(render_for(CUTOFF), anchor)
    assert first["Statement"]["Sid"] == SID_PREFIX + anchor
    assert first["Statement"]["Sid"].isalnum()  # IAM: a Sid takes letters and digits only
    merged = {"Version": "2012-10-17", "Statement": [SOMEONES, first["Statement"]]}
    # A refresh keeps naming the origin, not the document it replaces.
    assert origin_anchor(merged) == anchor
    assert check_origin(merged, ORIGIN) is None


def test_a_forged_origin_is_told_apart() -> None:
    live = {
        "Version": "2012-10-17",
        "Statement": [SOMEONES, with_anchor(render_for(CUTOFF), digest(ORIGIN))["Statement"]],
    }
    assert "is not the one" in (check_origin(live, ALLOW_ALL) or "")
    assert "there was none" in (check_origin(live, None) or "")
    plain = render_for(CUTOFF)
    assert check_origin(plain, None) is None
    assert check_origin(plain, render_for("2026-10-01T00:00:00Z")) is None
    assert "carries no digest" in (check_origin(plain, ALLOW_ALL) or "")


def test_allowing_anything_is_recognised() -> None:
    assert allows_anything(ALLOW_ALL)
    assert not allows_anything(ORIGIN)
    assert not allows_anything(None)


# -- lift from a forged journal (moto) -----------------------------------------------------


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName="alice")
        yield client


def cli(journal: Path, *args: str) -> Any:
    return run_cli("--output", "json", "--journal", str(journal), *args)


def forge(journal: Path, before: dict[str, Any] | None) -> None:
    """What an attacker on the responder's machine can do: rewrite `before` of every
    change record and recompute the whole hash chain, so `journal verify` passes."""
    lines = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    prev = GENESIS
    for record in lines:
        if record.get("action") == "revoke":
            record["before"] = before
        record["prev"] = prev
        record["hash"] = record_hash(record)
        prev = record["hash"]
    journal.write_text("".join(json.dumps(r) + "\n" for r in lines))


def current(iam: Any) -> dict[str, Any]:
    return iam.get_user_policy(UserName="alice", PolicyName=POLICY_NAME)["PolicyDocument"]


@pytest.mark.parametrize("existing", [None, ORIGIN], ids=["nothing-before", "statements-before"])
def test_lift_refuses_a_rewritten_journal_and_changes_nothing(
    iam: Any, tmp_path: Path, existing: dict[str, Any] | None
) -> None:
    journal = tmp_path / "journal.jsonl"
    if existing is not None:
        iam.put_user_policy(
            UserName="alice", PolicyName=POLICY_NAME, PolicyDocument=json.dumps(existing)
        )
    assert cli(journal, "--yes", "user", "alice", "--before", CUTOFF, "--no-verify").exit_code == 0
    written = current(iam)
    forge(journal, ALLOW_ALL)
    assert cli(journal, "journal", "verify").exit_code == 0  # the chain alone is fooled

    result = cli(journal, "--yes", "lift", "user", "alice", "--force")
    assert result.exit_code == 2
    assert "the journal does not match AWS" in result.stderr
    assert "Nothing was changed" in result.stderr
    assert current(iam) == written


def test_lift_from_a_genuine_journal_restores_the_statements_before(
    iam: Any, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    iam.put_user_policy(UserName="alice", PolicyName=POLICY_NAME, PolicyDocument=json.dumps(ORIGIN))
    revoked = cli(journal, "--yes", "user", "alice", "--before", CUTOFF, "--no-verify")
    (target,) = json_out(revoked)["targets"]
    ours = [s for s in target["policy_document"]["Statement"] if s.get("Sid") != "NoBilling"]
    assert anchor_in(target["policy_document"]) == digest(ORIGIN)
    assert ours[0]["Sid"].startswith(SID_PREFIX)
    assert cli(journal, "--yes", "lift", "user", "alice").exit_code == 0
    assert current(iam) == ORIGIN


def test_lift_never_installs_an_allow_under_our_name(iam: Any, tmp_path: Path) -> None:
    # Even a genuine origin that allows something is not put back by lift: a policy named
    # AWSRevokeOlderSessions only ever denies.
    journal = tmp_path / "journal.jsonl"
    iam.put_user_policy(
        UserName="alice", PolicyName=POLICY_NAME, PolicyDocument=json.dumps(ALLOW_ALL)
    )
    assert cli(journal, "--yes", "user", "alice", "--before", CUTOFF, "--no-verify").exit_code == 0
    written = current(iam)
    result = cli(journal, "--yes", "lift", "user", "alice")
    assert result.exit_code == 2
    assert "never installs a document that allows anything" in result.stderr
    assert current(iam) == written


def test_journal_verify_live_catches_what_the_chain_cannot(iam: Any, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    iam.put_user_policy(UserName="alice", PolicyName=POLICY_NAME, PolicyDocument=json.dumps(ORIGIN))
    assert cli(journal, "--yes", "user", "alice", "--before", CUTOFF, "--no-verify").exit_code == 0
    genuine = cli(journal, "journal", "verify", "--live")
    assert genuine.exit_code == 0, genuine.stderr
    assert json_out(genuine)["live"]["checked"][0]["status"] == "ok"

    forge(journal, ALLOW_ALL)
    assert cli(journal, "journal", "verify").exit_code == 0
    forged = cli(journal, "journal", "verify", "--live")
    assert forged.exit_code == 3
    problems = json_out(forged)["problems"]
    assert len(problems) == 1 and "user alice: the journal does not match AWS" in problems[0]
