"""Write-ahead journal and signals (issue 14, items 2 and 3), against moto.

After any interruption or journal fault, every change in force in AWS is in the journal
(after at most one reconcile), and a re-run finishes the rest. Faults are injected at
fixed points of the run (the Nth IAM write), never by timing."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.state.journal import Journal, JournalError
from tests.helpers import json_out, run_cli

CUTOFF = "2026-11-01T05:00:00Z"


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1")


def users(iam: Any, count: int, *, keys: bool = False) -> list[str]:
    names = [f"user{i:02d}" for i in range(count)]
    for name in names:
        iam.create_user(UserName=name)
        if keys:
            iam.create_access_key(UserName=name)
    return names


def in_force(iam: Any, names: list[str]) -> set[str]:
    found = set()
    for name in names:
        try:
            doc = iam.get_user_policy(UserName=name, PolicyName=POLICY_NAME)["PolicyDocument"]
        except iam.exceptions.NoSuchEntityException:
            continue
        if existing_cutoff(doc) == CUTOFF:
            found.add(name)
    return found


def journalled(path: Any) -> set[str]:
    return {
        r["target"]["name"]
        for r in Journal(path).records()
        if r["action"] == "revoke" and r["after"] != r["before"]
    }


def revoke(path: Any, *args: str) -> Any:
    return run_cli("--output", "json", "--journal", str(path), "user", *args)


def test_every_write_has_its_intent_on_disk_first(
    iam: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = users(iam, 3, keys=True)
    path = tmp_path / "journal.jsonl"
    from revoke.aws.iam import IamGateway

    seen: list[tuple[str, str]] = []

    def dangling_for(name: str) -> bool:
        journal = Journal(path)
        return any(r["target"]["name"] == name for r in journal.dangling_intents())

    real_put, real_status = IamGateway.put_inline, IamGateway.set_access_key_status

    def put_inline(self: Any, kind: str, name: str, *args: Any) -> None:
        assert dangling_for(name), f"PutUserPolicy {name} before its intent"
        seen.append(("put", name))
        real_put(self, kind, name, *args)

    def set_status(self: Any, user: str, key_id: str, status: str) -> None:
        assert dangling_for(user), f"UpdateAccessKey {user} before its intent"
        seen.append(("key", user))
        real_status(self, user, key_id, status)

    monkeypatch.setattr(IamGateway, "put_inline", put_inline)
    monkeypatch.setattr(IamGateway, "set_access_key_status", set_status)
    result = revoke(path, *names, "--before", CUTOFF, "--no-verify", "--deactivate-keys")
    assert result.exit_code == 0, result.stderr
    assert len(seen) == 6
    journal = Journal(path)
    assert journal.dangling_intents() == [] and journal.verify() == []
    assert journalled(path) == set(names)


@pytest.mark.parametrize(("count", "chunk"), [(8, None), (10, 4)])
def test_intents_go_to_disk_in_chunks_each_before_any_write_of_its_targets(
    iam: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, count: int, chunk: int | None
) -> None:
    names = users(iam, count)
    path = tmp_path / "journal.jsonl"
    from revoke.aws.iam import IamGateway
    from revoke.ops.containment import records

    if chunk is not None:
        monkeypatch.setattr(records, "ANNOUNCE_CHUNK", chunk)
    real_put, real_many = IamGateway.put_inline, Journal.append_many
    on_disk_at_put: dict[str, set[str]] = {}  # in the order of the writes
    intent_writes: list[list[str]] = []

    def put_inline(self: Any, kind: str, name: str, *args: Any) -> None:
        on_disk_at_put[name] = {r["target"]["name"] for r in Journal(path).dangling_intents()}
        real_put(self, kind, name, *args)

    def append_many(self: Journal, batch: Any) -> Any:
        if all(r.get("action") == "intent" for r in batch):
            intent_writes.append([r["target"]["name"] for r in batch])
        return real_many(self, batch)

    monkeypatch.setattr(IamGateway, "put_inline", put_inline)
    monkeypatch.setattr(Journal, "append_many", append_many)
    result = revoke(path, *names, "--before", CUTOFF, "--no-verify", "--max-workers", "4")
    assert result.exit_code == 0, result.stderr
    assert all(name in on_disk_at_put[name] for name in names)  # each write after its intent
    size = chunk or count
    # One journal write per chunk of targets, in plan order, not one per target.
    assert intent_writes == [names[i : i + size] for i in range(0, count, size)]
    if chunk is None:
        first = next(iter(on_disk_at_put.values()))
        assert first == set(names)  # all of them before the first write
    assert Journal(path).dangling_intents() == [] and journalled(path) == set(names)


def test_a_journal_that_refuses_the_intent_stops_before_the_write(
    iam: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = users(iam, 4)
    path = tmp_path / "journal.jsonl"
    real_append_many = Journal.append_many

    def append_many(self: Journal, records: Any) -> Any:
        if any(record.get("action") == "intent" for record in records):
            raise JournalError(f"cannot write the journal {self.path}: No space left on device")
        return real_append_many(self, records)

    monkeypatch.setattr(Journal, "append_many", append_many)  # Journal.append calls it
    result = revoke(path, *names, "--before", CUTOFF, "--no-verify", "--max-workers", "1")
    assert result.exit_code == 2, result.stderr  # nothing was changed
    assert in_force(iam, names) == set()
    out = json_out(result)  # the JSON is still printed
    assert [t["status"] for t in out["targets"]] == ["failed", "planned", "planned", "planned"]
    assert out["targets"][0]["error_code"] == "JournalFailed"
    assert "Traceback" not in result.stderr


def test_a_journal_that_refuses_a_later_chunk_of_intents_stops_there_exit_4(
    iam: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = users(iam, 10)
    path = tmp_path / "journal.jsonl"
    from revoke.ops.containment import records

    monkeypatch.setattr(records, "ANNOUNCE_CHUNK", 4)
    real_append_many = Journal.append_many
    chunks: list[int] = []

    def append_many(self: Journal, batch: Any) -> Any:
        if all(r.get("action") == "intent" for r in batch):
            chunks.append(len(batch))
            if len(chunks) == 2:  # the disk fills up after the first four targets
                raise JournalError(f"cannot write the journal {self.path}: No space left")
        return real_append_many(self, batch)

    monkeypatch.setattr(Journal, "append_many", append_many)
    result = revoke(path, *names, "--before", CUTOFF, "--no-verify", "--max-workers", "1")
    assert result.exit_code == 4, result.stderr  # some changed, the rest could not be
    statuses = [t["status"] for t in json_out(result)["targets"]]
    assert statuses == ["applied"] * 4 + ["failed"] + ["planned"] * 5
    assert in_force(iam, names) == journalled(path) == set(names[:4])  # none unjournalled
    assert Journal(path).dangling_intents() == [] and Journal(path).verify() == []


def test_an_outcome_the_journal_cannot_take_is_named_exit_4_and_reconciled_later(
    iam: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = users(iam, 6)
    path = tmp_path / "journal.jsonl"
    real_append = Journal.append
    outcomes: list[str] = []

    def append(self: Journal, record: Any) -> Any:
        if record.get("action") == "revoke":
            outcomes.append(record["target"]["name"])
            if len(outcomes) == 3:  # the disk fills up after the write of the third target
                raise JournalError(f"cannot write the journal {self.path}: No space left")
        return real_append(self, record)

    monkeypatch.setattr(Journal, "append", append)
    result = revoke(path, *names, "--before", CUTOFF, "--no-verify", "--max-workers", "1")
    assert result.exit_code == 4, result.stderr
    lost = outcomes[2]
    warnings = json_out(result)["warnings"]
    lines = [w for w in warnings if "not fully journalled" in w]
    assert len(lines) == 1 and lines[0].startswith(f"user {lost}: the deny")
    assert any("not started" in w for w in warnings)  # no new writes after the failure
    assert in_force(iam, names) == set(outcomes)
    assert journalled(path) == set(outcomes) - {lost}

    monkeypatch.setattr(Journal, "append", real_append)
    fixed = run_cli("--output", "json", "--journal", str(path), "journal", "reconcile")
    assert fixed.exit_code == 0, fixed.stderr
    assert journalled(path) == in_force(iam, names)  # every change in force is journalled
    (record,) = [r for r in Journal(path).records() if r.get("status") == "reconciled"]
    assert record["target"]["name"] == lost and record["before"] is None
    assert Journal(path).verify() == []
    again = revoke(path, *names, "--before", CUTOFF, "--no-verify")
    assert again.exit_code == 0, again.stderr
    assert in_force(iam, names) == set(names) == journalled(path)


def test_a_run_killed_after_a_write_is_reconciled_by_the_next_run_and_lift_undoes_it(
    iam: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = users(iam, 2, keys=True)
    path = tmp_path / "journal.jsonl"
    from revoke.ops.containment import RevocationRecorder

    real_after = RevocationRecorder.after_apply

    def killed(self: RevocationRecorder, row: Any) -> None:
        if row.name == "user01":
            return  # SIGKILL here: the writes happened, their outcome never reached disk
        real_after(self, row)

    monkeypatch.setattr(RevocationRecorder, "after_apply", killed)
    args = ("--before", CUTOFF, "--no-verify", "--deactivate-keys", "--max-workers", "1")
    assert revoke(path, *names, *args).exit_code == 0
    assert journalled(path) == {"user00"} and len(Journal(path).dangling_intents()) == 1

    monkeypatch.setattr(RevocationRecorder, "after_apply", real_after)
    again = revoke(path, *names, *args)
    assert again.exit_code == 0, again.stderr
    assert "reconciling the journal: user user01" in again.stderr
    assert journalled(path) == set(names) and Journal(path).dangling_intents() == []
    (record,) = [r for r in Journal(path).records() if r.get("status") == "reconciled"]
    assert [s["result"] for s in record["containment"]] == ["done"]  # the key, found inactive

    lifted = run_cli("--output", "json", "--journal", str(path), "--yes", "lift", "user", "user01")
    assert lifted.exit_code == 0, lifted.stderr
    assert in_force(iam, ["user01"]) == set()
    keys = iam.list_access_keys(UserName="user01")["AccessKeyMetadata"]
    assert {k["Status"] for k in keys} == {"Active"}


@pytest.mark.parametrize("workers", ["1", "16"])
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]
)
def test_a_signal_at_the_fifth_write_journals_every_change_in_force_and_a_rerun_finishes(
    iam: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, workers: str, signum: int, code: int
) -> None:
    names = users(iam, 24)
    path = tmp_path / "journal.jsonl"
    from revoke.aws.iam import IamGateway

    real_put = IamGateway.put_inline
    writes: list[str] = []

    def put_inline(self: Any, kind: str, name: str, *args: Any) -> None:
        real_put(self, kind, name, *args)
        writes.append(name)
        if len(writes) == 5:
            os.kill(os.getpid(), signum)  # the responder's signal, while a write is in flight

    monkeypatch.setattr(IamGateway, "put_inline", put_inline)
    args = ("--all", "--before", CUTOFF, "--no-verify")
    result = revoke(path, *args, "--max-workers", workers)
    assert result.exit_code == code, result.stderr
    assert "revoke: interrupted by" in result.stderr and "Traceback" not in result.stderr
    out = json_out(result)  # the summary and the JSON are printed
    statuses = [t["status"] for t in out["targets"]]
    assert "planned" in statuses  # it stopped dispatching
    assert in_force(iam, names) == journalled(path) == set(writes)
    assert Journal(path).verify() == [] and Journal(path).dangling_intents() == []

    monkeypatch.setattr(IamGateway, "put_inline", real_put)
    again = revoke(path, *args)
    assert again.exit_code == 0, again.stderr
    assert in_force(iam, names) == journalled(path) == set(names)
