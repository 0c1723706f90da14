"""`revoke journal show|verify`: what a responder reads after the incident."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.helpers import assert_clean_failure, json_out, run_cli

CUTOFF = "2026-11-01T05:00:00Z"


@pytest.fixture
def journal_path(tmp_path: Path) -> Iterator[Path]:
    """A journal with alice contained and a role revoked, written by the real commands."""
    path = tmp_path / "journal.jsonl"
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="alice")
        iam.create_access_key(UserName="alice")
        iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument="{}")
        for args in (
            ("user", "alice", "--before", CUTOFF, "--deactivate-keys"),
            ("role", "Deploy", "--before", CUTOFF, "--no-verify"),
        ):
            result = run_cli("--journal", str(path), *args)
            assert result.exit_code == 0, result.stderr
    yield path


def journal(path: Path, *args: str, output: str = "json") -> Any:
    return run_cli("--output", output, "--journal", str(path), "journal", *args)


def test_show_prints_every_record_with_its_evidence(journal_path: Path) -> None:
    result = journal(journal_path, "show")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["journal"] == str(journal_path)
    actions = [(r["action"], r["target"]["name"]) for r in out["records"]]
    assert ("revoke", "alice") in actions and ("revoke", "Deploy") in actions
    alice = next(r for r in out["records"] if r["target"]["name"] == "alice")
    assert alice["evidence"]["access_keys"][0]["status"] == "Active"
    assert alice["containment"][0]["result"] == "done"


def test_show_filters_by_target_and_action(journal_path: Path) -> None:
    for wanted in ("role/Deploy", "deploy", "arn:aws:iam::123456789012:role/Deploy"):
        records = json_out(journal(journal_path, "show", "--target", wanted))["records"]
        assert {r["target"]["name"] for r in records} == {"Deploy"}, wanted
    assert json_out(journal(journal_path, "show", "--target", "user/Deploy"))["records"] == []
    revokes = json_out(journal(journal_path, "show", "--action", "revoke"))["records"]
    assert {r["action"] for r in revokes} == {"revoke"} and len(revokes) == 2
    last = json_out(journal(journal_path, "show", "--last", "1"))["records"]
    everything = json_out(journal(journal_path, "show"))["records"]
    assert len(last) == 1 and last[0]["seq"] == everything[-1]["seq"]


def test_show_text_is_one_line_per_record_for_shells(journal_path: Path) -> None:
    result = journal(journal_path, "show", "--action", "revoke", output="text")
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(r[2], r[3], r[5]) for r in rows] == [
        ("revoke", "user/alice", CUTOFF),
        ("revoke", "role/Deploy", CUTOFF),
    ]
    assert rows[0][7] == "policy written, 1 key(s) deactivated"


def test_verify_reports_an_intact_chain_and_its_head(journal_path: Path) -> None:
    result = journal(journal_path, "verify")
    assert result.exit_code == 0, result.stderr
    out = json_out(result)
    assert out["ok"] is True and out["problems"] == []
    assert out["head"] == json.loads(journal_path.read_text().splitlines()[-1])["hash"]
    assert f"head {out['head']}: intact" in result.stderr


def test_verify_detects_an_edited_line_and_exits_3(journal_path: Path) -> None:
    lines = journal_path.read_text().splitlines()
    lines[0] = lines[0].replace('"Active"', '"Inactive"')  # hide that the key was active
    journal_path.write_text("\n".join(lines) + "\n")
    result = journal(journal_path, "verify")
    assert result.exit_code == 3
    out = json_out(result)
    assert out["ok"] is False and out["problems"][0].startswith("line 1 (seq 1)")
    shown = journal(journal_path, "show")
    assert shown.exit_code == 0 and "fails verification" in shown.stderr


def test_verify_detects_a_removed_line(journal_path: Path) -> None:
    lines = journal_path.read_text().splitlines()
    del lines[1]
    journal_path.write_text("\n".join(lines) + "\n")
    result = journal(journal_path, "verify")
    assert result.exit_code == 3
    assert "removed" in json_out(result)["problems"][0]


def test_verify_with_a_noted_head_catches_a_truncated_tail(journal_path: Path) -> None:
    head = json_out(journal(journal_path, "verify"))["head"]
    lines = journal_path.read_text().splitlines()
    journal_path.write_text("\n".join(lines[:-1]) + "\n")
    assert journal(journal_path, "verify").exit_code == 0
    result = journal(journal_path, "verify", "--expect-head", head)
    assert result.exit_code == 3
    assert "no longer in the journal" in json_out(result)["problems"][0]


def test_a_missing_journal_is_one_clear_line(tmp_path: Path) -> None:
    for command in ("show", "verify"):
        result = journal(tmp_path / "nope.jsonl", command)
        assert_clean_failure(result, 2)
        assert "no journal at" in result.stderr and "--journal" in result.stderr
