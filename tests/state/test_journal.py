"""The audit journal: a hash chain a responder can trust, shared safely, with no secrets."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from revoke.errors import ExitCode
from revoke.state.journal import (
    GENESIS,
    REDACTED,
    Journal,
    JournalError,
    matches_target,
    record_hash,
)


def change(name: str = "alice", action: str = "revoke", **extra: Any) -> dict[str, Any]:
    return {
        "action": action,
        "actor": "arn:aws:iam::123456789012:user/responder",
        "account": "123456789012",
        "target": {"kind": "user", "name": name},
        "before": None,
        "after": {"Version": "2012-10-17", "Statement": []},
        **extra,
    }


def lines(path: Path) -> list[str]:
    return path.read_text("utf-8").splitlines()


def rewrite(path: Path, new_lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in new_lines), "utf-8")


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "state" / "revoke" / "journal.jsonl")


def test_records_are_chained_by_the_hash_of_the_previous_one(journal: Journal) -> None:
    first = journal.append(change("alice"))
    second = journal.append(change("bob"))
    assert (first["seq"], second["seq"]) == (1, 2)
    assert first["prev"] == GENESIS
    assert second["prev"] == first["hash"] == record_hash(first)
    assert first["tool_version"] and first["time"].endswith("Z")
    assert [r["target"]["name"] for r in journal.records()] == ["alice", "bob"]
    assert journal.verify() == []


def test_file_is_private_one_line_per_record(journal: Journal) -> None:
    journal.append(change())
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    (line,) = lines(journal.path)
    assert json.loads(line)["seq"] == 1


def test_a_journal_is_created_private_but_an_existing_ones_mode_is_left_alone(
    journal: Journal,
) -> None:
    journal.append(change())
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    os.chmod(journal.path, 0o640)  # the incident's shared journal, group-readable on purpose
    journal.append(change())
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o640  # never chmod what is not ours


def test_verify_detects_an_edited_line(journal: Journal) -> None:
    for name in ("alice", "bob", "carol"):
        journal.append(change(name))
    content = lines(journal.path)
    content[1] = content[1].replace('"bob"', '"mallory"')
    rewrite(journal.path, content)
    problems = journal.verify()
    assert len(problems) == 1
    assert problems[0].startswith("line 2 (seq 2)") and "edited" in problems[0]


def test_verify_detects_an_edit_that_recomputed_its_own_hash(journal: Journal) -> None:
    for name in ("alice", "bob", "carol"):
        journal.append(change(name))
    content = lines(journal.path)
    record = json.loads(content[0])
    record["after"] = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}
    record["hash"] = record_hash(record)
    content[0] = json.dumps(record)
    rewrite(journal.path, content)
    (problem,) = journal.verify()
    assert problem.startswith("line 2 (seq 2)") and "removed, inserted or reordered" in problem


def test_verify_detects_a_removed_line(journal: Journal) -> None:
    for name in ("alice", "bob", "carol"):
        journal.append(change(name))
    content = lines(journal.path)
    rewrite(journal.path, [content[0], content[2]])
    (problem,) = journal.verify()
    assert "line 2 (seq 3)" in problem and "removed" in problem and "expected 2" in problem


def test_verify_detects_reordered_lines(journal: Journal) -> None:
    for name in ("alice", "bob"):
        journal.append(change(name))
    content = lines(journal.path)
    rewrite(journal.path, [content[1], content[0]])
    assert len(journal.verify()) == 2


def test_removing_the_newest_record_is_caught_by_the_noted_head(journal: Journal) -> None:
    journal.append(change("alice"))
    head = journal.append(change("bob"))["hash"]
    assert journal.verify(expect_head=head) == []
    rewrite(journal.path, lines(journal.path)[:1])
    assert journal.verify() == []  # the chain alone cannot see a truncated tail
    (problem,) = journal.verify(expect_head=head)
    assert "no longer in the journal" in problem


def test_head_noted_earlier_still_verifies_after_more_records(journal: Journal) -> None:
    head = journal.append(change("alice"))["hash"]
    journal.append(change("bob"))
    assert journal.verify(expect_head=head) == []


def test_a_torn_last_line_is_reported_and_the_chain_goes_on(journal: Journal) -> None:
    first = journal.append(change("alice"))
    with open(journal.path, "ab") as handle:
        handle.write(b'{"v":1,"seq":2,"action":"rev')  # power cut mid-write
    second = journal.append(change("bob"))
    assert second["prev"] == first["hash"] and second["seq"] == 2
    content = lines(journal.path)
    assert len(content) == 3 and json.loads(content[2])["target"]["name"] == "bob"
    (problem,) = journal.verify()
    offset = len(lines(journal.path)[0]) + 1
    assert problem.startswith(f"line 2 at byte {offset}: not valid JSON")


def test_the_chain_continues_across_large_records(journal: Journal) -> None:
    big = {"inline_policies": {f"p{i}": {"Sid": "x" * 1000} for i in range(150)}}
    journal.append(change("alice", evidence=big))  # ~150 KB: more than one tail block
    journal.append(change("bob", evidence=big))
    third = journal.append(change("carol"))
    assert third["seq"] == 3
    assert journal.verify() == []


def test_secrets_never_reach_the_file(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLETOKENVALUE")
    journal.append(
        change(
            evidence={
                "credentials": {
                    "AccessKeyId": "ASIAEXAMPLE",
                    "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG",
                    "SessionToken": "abc",
                },
                "login_profile": {"Password": "hunter2hunter2", "password_reset_required": True},
                "note": "token was FwoGZXIvYXdzEXAMPLETOKENVALUE",
            }
        )
    )
    text = journal.path.read_text("utf-8")
    for secret in ("wJalrXUtnFEMI/K7MDENG", "hunter2hunter2", "FwoGZXIvYXdzEXAMPLETOKENVALUE"):
        assert secret not in text
    evidence = journal.records()[0]["evidence"]
    assert evidence["credentials"]["SecretAccessKey"] == REDACTED
    assert evidence["credentials"]["AccessKeyId"] == "ASIAEXAMPLE"  # key IDs are fine
    assert evidence["login_profile"]["password_reset_required"] is True
    assert journal.verify() == []


def test_last_for_finds_the_newest_change_case_insensitively(journal: Journal) -> None:
    journal.append(change("Alice", cutoff="2026-11-01T00:00:00Z"))
    newest = journal.append(change("alice", cutoff="2026-11-02T00:00:00Z"))
    journal.append(change("alice", action="verify"))
    journal.append(change("bob"))
    journal.append({**change("alice"), "account": "210987654321"})
    found = journal.last_for("user", "ALICE", account="123456789012")
    assert found is not None and found["hash"] == newest["hash"]
    assert journal.last_for("role", "alice") is None
    assert journal.last_for("user", "nobody") is None


def test_a_journal_that_cannot_be_written_stops_before_any_change(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    journal = Journal(blocked / "journal.jsonl")
    with pytest.raises(JournalError) as caught:
        journal.check_writable()
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert "nothing was changed" in caught.value.message and "--journal" in str(caught.value.hint)


def test_target_filter_accepts_name_kind_and_arn() -> None:
    record = {"target": {"kind": "role", "name": "Deploy", "arn": None}}
    assert matches_target(record, "deploy")
    assert matches_target(record, "role/Deploy")
    assert not matches_target(record, "user/Deploy")
    assert matches_target(record, "arn:aws:iam::123456789012:role/ci/Deploy")
    assert not matches_target(record, "arn:aws:iam::123456789012:user/Deploy")


def test_threads_of_one_run_never_fork_the_chain(journal: Journal) -> None:
    def write(worker: int) -> None:
        for i in range(40):
            journal.append(change(f"u{worker}-{i}"))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert journal.verify() == []
    assert [r["seq"] for r in journal.records()] == list(range(1, 241))


WRITER = """
import sys
from revoke.state.journal import Journal
journal = Journal(sys.argv[1])
evidence = {"inline_policies": {"p": {"Sid": "x" * 6000}}}  # lines larger than a pipe buffer
for i in range(int(sys.argv[3])):
    journal.append({"action": "revoke", "target": {"kind": "user", "name": f"{sys.argv[2]}-{i}"},
                    "evidence": evidence})
"""


def test_two_responders_appending_at_once_never_interleave_a_line(journal: Journal) -> None:
    count = 150
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(journal.path), who, str(count)])
        for who in ("first", "second")
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    assert journal.verify() == []
    records = journal.records()
    assert len(records) == len(lines(journal.path)) == 2 * count
    names = {r["target"]["name"] for r in records}
    assert names == {f"{who}-{i}" for who in ("first", "second") for i in range(count)}
