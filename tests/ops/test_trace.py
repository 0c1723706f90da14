"""revoke.ops.trace: the walk from a leaked key through every session and foothold.

The event source is a fake that answers like LookupEvents does: the events signed with a
key (or by a user) that the named account's trail holds. The records are those of
tests/core/test_trace.py, shaped after AWS's documentation examples.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from revoke.aws.trail_sources import (
    Limiters,
    LookupEventsSource,
    SourceStatus,
    TokenBucket,
    TrailAnswer,
)
from revoke.core.trace import Lookup
from revoke.errors import BadInput, ExitCode
from revoke.ops.context import RunContext
from revoke.ops.trace import TraceOptions, run_trace
from tests.core.test_trace import (
    ADMIN_KEY,
    BOB_NEW_KEY,
    CROSS_KEY,
    FED_KEY,
    HOME,
    LEAKED,
    OTHER,
    SESSION_TOKEN,
    incident,
    juggling,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


class FakeSource:
    """Answers each lookup from the records the named account's trail holds."""

    name = "lookup"

    def __init__(self, records: list[dict[str, Any]], refuse: Sequence[str] = ()) -> None:
        self.records = records
        self.refuse = set(refuse)
        self.asked: list[Lookup] = []
        self.warnings: list[str] = []

    def query(self, lookups: Sequence[Lookup]) -> TrailAnswer:
        answer = TrailAnswer()
        for lookup in lookups:
            self.asked.append(lookup)
            account = lookup.account or HOME
            status = SourceStatus("lookup", account, "us-east-1", calls=1)
            answer.statuses.append(status)
            if account in self.refuse:
                status.status, status.error_code = "refused", "AccessDeniedException"
                status.error = "AccessDeniedException: not authorized to perform LookupEvents"
                continue
            for record in self.records:
                if record.get("recipientAccountId") != account:
                    continue
                ident = record["userIdentity"]
                hit = (
                    lookup.attribute == "AccessKeyId" and ident.get("accessKeyId") == lookup.value
                ) or (lookup.attribute == "Username" and ident.get("userName") == lookup.value)
                if hit:
                    answer.records.append(record)
                    status.events += 1
        return answer


def context() -> RunContext:
    said: list[str] = []
    return RunContext(clock=lambda: NOW, tell=said.append)


def test_the_leaked_key_is_followed_through_both_accounts() -> None:
    source = FakeSource(incident())
    report = run_trace(context(), TraceOptions(LEAKED, accounts=[OTHER]), source=source)
    assert report.exit_code() == ExitCode.OK
    # The walk asked for the minted and created keys, each in its own account.
    for lookup in (
        Lookup("AccessKeyId", ADMIN_KEY, HOME),
        Lookup("AccessKeyId", CROSS_KEY, OTHER),
        Lookup("AccessKeyId", FED_KEY, HOME),
        Lookup("AccessKeyId", BOB_NEW_KEY, HOME),
    ):
        assert lookup in source.asked
    assert len(source.asked) == len(set(source.asked))  # nothing asked twice
    payload = report.to_json()
    assert payload["action"] == "trace" and payload["credential"] == LEAKED
    assert payload["complete"] is True and payload["warnings"] == [
        "1 attempt(s) AWS refused (errorCode in the record) issued nothing and are not in the tree"
    ]
    cross = next(
        c for c in payload["tree"]["children"] if c.get("role_arn", "").endswith("JohnRole1")
    )
    assert sorted(e["account"] for e in cross["evidence"]) == [HOME, OTHER]
    assert payload["summary"]["sessions"] == 3 and payload["summary"]["footholds"] == 1
    assert SESSION_TOKEN not in str(payload)


def test_a_refusing_account_is_reported_and_the_rest_is_traced() -> None:
    source = FakeSource(incident(), refuse=[OTHER])
    report = run_trace(context(), TraceOptions(LEAKED, accounts=[OTHER]), source=source)
    assert report.exit_code() == ExitCode.PARTIAL
    payload = report.to_json()
    assert payload["complete"] is False
    refused = [s for s in payload["sources"] if s["status"] == "refused"]
    assert refused and all(s["account"] == OTHER for s in refused)
    assert any(OTHER in w and "refused" in w for w in payload["warnings"])
    assert payload["summary"]["access_keys_created"] == [BOB_NEW_KEY]


def test_nothing_answering_is_exit_254() -> None:
    source = FakeSource(incident(), refuse=[HOME])
    report = run_trace(context(), TraceOptions(LEAKED), source=source)
    assert report.exit_code() == ExitCode.AWS_FAILURE
    assert report.to_json()["tree"]["children"] == []


def test_a_juggling_loop_ends_and_is_one_node() -> None:
    source = FakeSource(juggling())
    report = run_trace(context(), TraceOptions(LEAKED), source=source)
    tree = report.to_json()["tree"]
    assert [c["kind"] for c in tree["children"]] == ["loop"]
    # The created user was looked up by name.
    assert Lookup("Username", "backdoor", HOME) in source.asked


def test_since_bounds_the_lookup_and_defaults_to_90_days() -> None:
    report = run_trace(context(), TraceOptions(LEAKED), source=FakeSource([]))
    assert report.since == "2026-09-01T12:00:00Z"
    report = run_trace(context(), TraceOptions(LEAKED, since="-2h"), source=FakeSource([]))
    assert report.since == "2026-11-30T10:00:00Z"
    report = run_trace(context(), TraceOptions(LEAKED, since="-120d"), source=FakeSource([]))
    assert any("90 days" in w for w in report.warnings)


@pytest.mark.parametrize(
    "options",
    [
        TraceOptions("not-a-key"),
        TraceOptions(LEAKED, since="2026-11-30T10:00:00"),  # no zone
        TraceOptions(LEAKED, regions="us-east-1,Mars"),
        TraceOptions(LEAKED, events="splunk:x"),
        TraceOptions(LEAKED, events="athena:db"),
        TraceOptions(LEAKED, workgroup="primary"),
        TraceOptions(LEAKED, accounts=["12345"]),
    ],
)
def test_bad_input_before_any_lookup(options: TraceOptions) -> None:
    source = FakeSource(incident())
    with pytest.raises(BadInput):
        run_trace(context(), options, source=source)
    assert source.asked == []


class OperationLog:
    """A session whose clients note every operation called, answering like an empty
    LookupEvents."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def client(self, service: str, **_: Any) -> Any:
        log = self

        class Client:
            def __getattr__(self, operation: str) -> Any:
                def call(**kwargs: Any) -> dict[str, Any]:
                    log.operations.append(f"{service}:{operation}")
                    return {"Events": []}

                return call

        return Client()


def test_trace_is_read_only() -> None:
    clock_now = [0.0]
    session = OperationLog()
    source = LookupEventsSource(
        lambda account: session,
        home_account=HOME,
        regions=["us-east-1", "eu-west-1"],
        limiters=Limiters(lambda: TokenBucket(clock=lambda: clock_now[0], sleep=lambda s: None)),
    )
    run_trace(context(), TraceOptions(LEAKED, accounts=[OTHER]), source=source)
    assert session.operations and set(session.operations) == {"cloudtrail:lookup_events"}
    # And no module of the trace names a call that changes anything.
    root = Path(__file__).resolve().parents[2] / "revoke"
    mutating = re.compile(
        r"\.(create|put|attach|detach|delete|update|upload|enable|disable|deactivate|tag|"
        r"untag|set|remove|add|stop|cancel)_\w+\("
    )
    packages = ("core/trace", "aws/trail_sources")
    trace_modules = sorted(
        str(p.relative_to(root)) for d in packages for p in (root / d).glob("*.py")
    )
    for path in (*trace_modules, "ops/trace.py", "cli/trace_cmd.py"):
        assert not mutating.search((root / path).read_text()), path
