"""What a responder reads: tables at 80 columns, the plan before the question, the summary
line after the run. Rendered as a user sees them (rich to a captured stdout), no terminal."""

from __future__ import annotations

from typing import Any

import pytest

from revoke.cli.plan_view import plan_lines, question, summary_line
from revoke.cli.render import print_table
from revoke.core.output import TARGET_COLUMNS, fit_columns, target_rows
from revoke.core.plan import TargetPlan
from revoke.ops.revocation import RunResult

CUTOFF = "2026-11-29T05:00:01Z"
ACCOUNT = "123456789012"
ARN = "arn:aws:iam::123456789012:role/incident-response/BreakGlass"


def row(name: str, status: str, **more: Any) -> TargetPlan:
    return TargetPlan(
        kind="user",
        name=name,
        account=ACCOUNT,
        policy_name="AWSRevokeOlderSessions",
        policy_document={"Version": "2012-10-17", "Statement": []},
        status=status,
        **more,
    )


def result(*rows: TargetPlan, dry_run: bool = False) -> RunResult:
    return RunResult(
        action="revoke",
        dry_run=dry_run,
        cutoff=CUTOFF,
        targets=list(rows),
        actor={"arn": f"arn:aws:iam::{ACCOUNT}:root", "account": ACCOUNT},
    )


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")


def test_no_token_is_split_at_80_columns_and_the_dropped_columns_are_named(
    narrow: None, capsys: pytest.CaptureFixture[str]
) -> None:
    verified = {"status": "verified", "read_back": {"status": "ok"}, "logic": {"status": "ok"}}
    rows = [
        row(
            "alice", "applied", verification=dict(verified), previous_cutoff="2026-11-28T00:00:00Z"
        ),
        row("bob", "unchanged", reason=f"cutoff {CUTOFF} is already in force"),
    ]
    print_table(
        f"revocation: sessions before {CUTOFF}",
        target_rows(result(*rows).to_json(), layers=True),
        TARGET_COLUMNS,
    )
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    assert lines[0] == f"revocation: sessions before {CUTOFF}"  # the title is not folded
    body = "\n".join(lines[1:])
    # Every ID and time is whole on one line, or left out and named under the table.
    assert "in every row: cutoff 2026-11-29T05:00:01Z, account 123456789012" in lines
    assert "not shown, to fit 80 columns: previous cutoff (--output json)" in lines
    assert "2026-11-29T05:00:01Z is" in body  # a sentence wraps at spaces, not in a time
    assert "verified (enforcement" in body and "skipped)" in body
    assert "\x1b[" not in out  # NO_COLOR, and not a terminal


def test_fit_keeps_a_long_arn_whole_and_drops_the_least_needed_first() -> None:
    header = {c: c.replace("_", " ") for c in ("name", "role", "time", "mechanism")}
    cells = {
        "name": ["alice"],
        "role": [ARN],
        "time": ["2026-11-29T05:00:01Z"],
        "mechanism": ["inline"],
    }
    fit = fit_columns(header, cells, 80)
    widths = {c.name: c.width for c in fit.columns}
    assert widths.get("role") == len(ARN)  # never narrower than the ARN: never split
    assert fit.dropped == ["mechanism", "time"]  # the least needed columns go first
    assert sum(widths.values()) + 3 * len(widths) + 1 <= 80


def test_an_empty_table_is_one_line(narrow: None, capsys: pytest.CaptureFixture[str]) -> None:
    print_table("journal /tmp/j.jsonl: intact", [], ["problem"], empty="journal: intact")
    assert capsys.readouterr().out == "journal: intact\n"


def test_the_plan_names_each_principal_and_counts_only_those_that_change() -> None:
    keys = "user alice still has active access keys (AKIAEXAMPLE): add --deactivate-keys"
    plan = result(
        row("alice", "planned", warnings=[keys]),
        row("bob", "unchanged", reason=f"cutoff {CUTOFF} is already in force"),
        TargetPlan(
            "user",
            "carol",
            ACCOUNT,
            "AWSRevokeOlderSessions",
            None,
            "failed",
            error="user carol does not exist",
        ),
        dry_run=True,
    )
    lines = plan_lines(plan, "user", ACCOUNT)
    assert lines == [
        f"plan: deny sessions issued before {CUTOFF} to 3 users in account {ACCOUNT}",
        "  user alice: write the deny (inline policy AWSRevokeOlderSessions)",
        f"  user bob: unchanged: cutoff {CUTOFF} is already in force",
        "  user carol: refused: user carol does not exist",
        f"warning: {keys}",
    ]
    assert question(plan, "user", ACCOUNT) == (
        f"Write the deny to 1 of 3 users in account {ACCOUNT}?"
    )


def test_a_bulk_plan_is_counts_and_the_first_few() -> None:
    rows = [row(f"user{i:04d}", "planned") for i in range(2000)]
    rows[7] = row("user0007", "unchanged", reason="cutoff already in force")
    lines = plan_lines(result(*rows, dry_run=True), "user", ACCOUNT)
    assert len(lines) < 10
    assert lines[1] == "  1999 to write, 1 unchanged"
    assert lines[2] == (
        "  to write: user0000, user0001, user0002, user0003, user0004 and 1994 more"
    )
    assert lines[3] == "  unchanged: user0007 (cutoff already in force)"


def test_the_summary_line_counts_what_happened() -> None:
    verified = {
        "status": "verified",
        "read_back": {"status": "ok"},
        "logic": {"status": "ok"},
        "enforcement": {"status": "skipped"},
    }
    rows = [row(f"u{i}", "applied", verification=dict(verified)) for i in range(1998)]
    rows += [row("x1", "failed", error="AccessDenied"), row("x2", "failed", error="AccessDenied")]
    line = summary_line(result(*rows), "user", 12.34)
    assert line == (
        "revoked 1998 of 2000 users in 12.3 s: 1998 verified (enforcement skipped), "
        "2 failed (see above)"
    )
    declined = summary_line(result(row("a", "planned"), row("b", "unchanged")), "user", 0.2)
    assert declined == "nothing was changed: declined at the prompt (1 of 2 users planned)"
    planned = summary_line(result(row("a", "planned"), dry_run=True), "user", 0.25)
    assert planned == "dry run: planned 1 user in 0.2 s: 1 to write; nothing was changed"
