"""Never earlier, across runs: two runs that planned against the same state, the later
cutoff's writing first, never leave the earlier cutoff in force (issue 14, item 4)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revoke.aws.session import AwsSession
from revoke.core.names import TargetName
from revoke.core.policy import POLICY_NAME, existing_cutoff
from revoke.ops.context import RunContext
from revoke.ops.pipeline import Pipeline, Request
from revoke.state.journal import Journal

EARLY, LATE = "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        for n in range(10):
            client.create_user(UserName=f"u{n}")
        yield client


def pipeline(journal: Path, names: list[str], cutoff: str) -> Pipeline:
    ctx = RunContext(journal_path=journal)
    targets = [TargetName("user", n) for n in names]
    return Pipeline(ctx, AwsSession(), Request("user", targets, cutoff, verify=False))


def in_force(iam: Any, name: str) -> str | None:
    found = iam.get_user_policy(UserName=name, PolicyName=POLICY_NAME)["PolicyDocument"]
    return existing_cutoff(found)


def test_the_earlier_run_plans_again_and_keeps_the_later_cutoff(iam: Any, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    early = pipeline(journal, ["u0"], EARLY)
    late = pipeline(journal, ["u0"], LATE)
    early_plan, late_plan = early.plan(), late.plan()  # both saw "no policy"
    assert [t.status for t in early_plan.targets] == ["planned"]
    late.apply(late_plan)
    early.apply(early_plan)  # planned before LATE was written

    assert in_force(iam, "u0") == LATE
    (row,) = early_plan.targets
    assert row.status == "unchanged"
    assert "later than" in (row.reason or "")
    assert any("another revoke run wrote" in w for w in row.warnings)
    changes = [r for r in Journal(journal).records() if r["action"] == "revoke"]
    assert [r["cutoff"] for r in changes] == [LATE]  # the earlier run changed nothing
    # Its announced intent is closed, not left for `journal reconcile` to find.
    assert Journal(journal).dangling_intents() == [] and Journal(journal).verify() == []


def test_a_row_planned_again_under_its_lock_writes_a_fresh_intent(iam: Any, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    late = pipeline(journal, ["u0"], LATE)
    early = pipeline(journal, ["u0"], EARLY)
    late_plan, early_plan = late.plan(), early.plan()  # both saw "no policy"
    early.apply(early_plan)
    late.apply(late_plan)  # planned against "no policy"; EARLY is in force now

    assert in_force(iam, "u0") == LATE
    records = Journal(journal).scan().records  # with the write-ahead bookkeeping
    (outcome,) = [r for r in records if r["action"] == "revoke" and r["cutoff"] == LATE]
    (intent,) = [r for r in records if r["hash"] == outcome["intent"]]
    # The intent the write went out under says what was replaced: EARLY, not "no policy".
    assert existing_cutoff(intent["before"]) == EARLY == existing_cutoff(outcome["before"])
    closed = [r for r in records if r["action"] == "close" and r["cutoff"] == LATE]
    assert len(closed) == 1  # the one announced before the fresh plan
    assert Journal(journal).dangling_intents() == [] and Journal(journal).verify() == []


def test_ten_racing_pairs_never_end_earlier(iam: Any, tmp_path: Path) -> None:
    # Both runs of a pair plan, then write at the same moment, in either order.
    journal = tmp_path / "journal.jsonl"
    for n in range(10):
        name = f"u{n}"
        first, second = (EARLY, LATE) if n % 2 else (LATE, EARLY)
        runs = [pipeline(journal, [name], cutoff) for cutoff in (first, second)]
        plans = [run.plan() for run in runs]
        go = threading.Barrier(2)
        errors: list[BaseException] = []

        def apply(run: Pipeline, plan: Any) -> None:
            go.wait()
            try:
                run.apply(plan)
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)

        threads = [threading.Thread(target=apply, args=pair) for pair in zip(runs, plans)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert in_force(iam, name) == LATE, name


def test_a_writer_elsewhere_that_lowered_the_cutoff_is_undone(
    iam: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No lock reaches another machine: that writer lowers the cutoff right after ours
    # lands. The read-back sees it, writes ours again and journals what it found.
    journal = tmp_path / "journal.jsonl"
    late = pipeline(journal, ["u1"], LATE)
    plan = late.plan()
    gateway = late.gateway
    real_put = gateway.put_inline
    calls: list[str] = []

    def put_then_lowered(kind: str, name: str, policy_name: str, document: Any) -> None:
        real_put(kind, name, policy_name, document)
        calls.append(existing_cutoff(document) or "")
        if len(calls) == 1:
            from revoke.ops.revocation import render_for

            iam.put_user_policy(
                UserName=name, PolicyName=POLICY_NAME, PolicyDocument=_text(render_for(EARLY))
            )

    monkeypatch.setattr(gateway, "put_inline", put_then_lowered)
    late.apply(plan)
    assert in_force(iam, "u1") == LATE
    assert calls == [LATE, LATE]
    (row,) = plan.targets
    assert row.verification["read_back"]["status"] == "ok"
    assert any("lowered the cutoff to " + EARLY in w for w in row.warnings)
    restored = [r for r in Journal(journal).records() if r["action"] == "restore-cutoff"]
    assert len(restored) == 1 and existing_cutoff(restored[0]["found"]) == EARLY


def _text(document: Any) -> str:
    import json

    return json.dumps(document)
