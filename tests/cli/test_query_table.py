"""Issue 18 item 2: `--query ... --output table` draws the result as `aws --output table`
does (awscli/formatter.py TableFormatter, awscli/table.py): a nested object is a
sub-table titled by its key and framed one `|` deeper, a list of scalars a one-column
table; held to the terminal's width (80 columns when it is not one)."""

from __future__ import annotations

import argparse
import io
import json
from typing import Any

import pytest

from revoke.cli.query import format_table
from tests.helpers import run_cli

OFFLINE = ["user", "alice", "--before", "2026-11-29T05:00:00Z", "--offline"]


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def _title_line(lines: list[str], title: str) -> str:
    found = [line for line in lines if line.strip("| ") == title]
    assert found, (title, lines)
    return found[0]


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip("|"))


def test_a_nested_result_is_sub_tables_titled_by_their_keys() -> None:
    result = run_cli(*OFFLINE, "--query", "targets[0]", "-o", "table")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), result.stdout
    assert lines[0] == "-" * len(lines[0])
    assert _depth(_title_line(lines, "targets[0]")) == 1
    # each nested object one level deeper than the one that holds it
    depths = {
        key: _depth(_title_line(lines, key))
        for key in ("policy_document", "Statement", "Condition", "DateLessThan", "verification")
    }
    assert depths == {
        "policy_document": 2,
        "Statement": 3,
        "Condition": 4,
        "DateLessThan": 5,
        "verification": 2,
    }
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    # too wide for one row of eight columns: one row per key, as awscli turns it
    assert ["name", "alice"] in rows and ["status", "planned"] in rows
    assert ["Effect", "Deny"] in rows
    assert ["aws:TokenIssueTime", "2026-11-29T05:00:00Z"] in rows
    assert ["status", "skipped"] in rows  # verification's, under its own title
    assert ["account", "None"] in rows  # null as awscli prints it
    assert lines.index(_title_line(lines, "verification")) > lines.index(
        _title_line(lines, "DateLessThan")
    )


def test_a_list_of_scalars_is_a_one_column_table() -> None:
    result = run_cli(*OFFLINE, "--query", "targets[].name", "-o", "table")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (  # the result alone: no policy document under it
        "----------------\n"
        "|targets[].name|\n"  # awscli's title fills its width: |DescribeInstances|
        "+--------------+\n"
        "|  alice       |\n"
        "+--------------+\n"
    )


def test_a_list_of_objects_is_a_row_each_under_their_keys() -> None:
    query = "[targets[0], targets[0]][].{name: name, status: status}"
    result = run_cli(*OFFLINE, "--query", query, "-o", "table")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    header = [cell.strip() for cell in lines[3].strip("|").split("|")]
    assert header == ["name", "status"]
    assert [line.split() for line in lines[5:7]] == [["|", "alice", "|", "planned", "|"]] * 2


def test_a_scalar_is_one_cell_and_null_prints_nothing() -> None:
    result = run_cli(*OFFLINE, "--query", "cutoff", "-o", "table")
    assert result.exit_code == 0, result.stderr
    assert "|  2026-11-29T05:00:00Z  |" in result.stdout  # awscli prints only its title
    nothing = run_cli(*OFFLINE, "--query", "residual", "-o", "table")
    assert nothing.exit_code == 0, nothing.stderr
    assert nothing.stdout == ""


def test_a_table_wider_than_the_terminal_is_folded_into_it() -> None:
    arn = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/" + "x" * 60
    error = f"AccessDenied: User {arn} is not authorized to perform iam:PutRolePolicy"
    value = {"name": "alice", "error": error, "nested": {"arn": arn, "kind": "role"}}
    out = io.StringIO()
    format_table(value, out, "targets[0]", 80)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) == 80
    # every character is still there, in order, across the folded lines
    error_rows = [line for line in lines if line.startswith("|  error") or line.startswith("|   ")]
    said = "".join(line.split("|")[2].strip() for line in error_rows)
    assert said.replace(" ", "") == error.replace(" ", "")
    assert "nested" in out.getvalue()


def test_a_list_mixing_objects_and_values_keeps_both() -> None:
    out = io.StringIO()
    format_table(["kept", {"a": 1, "b": 2}], out, "q", 80)  # awscli prints the keys as a row
    lines = out.getvalue().splitlines()
    assert any(line.split() == ["|", "kept", "|"] for line in lines)
    assert any(line.split() == ["|", "1", "|", "2", "|"] for line in lines)


PAYLOAD: dict[str, Any] = {
    "action": "revoke",
    "dry_run": True,
    "cutoff": "2026-11-29T05:00:00Z",
    "targets": [
        {
            "kind": "user",
            "name": "alice",
            "account": None,
            "policy_document": {
                "Version": "2012-10-17",
                "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"},
            },
            "status": "planned",
            "verification": {"status": "skipped"},
        },
        {"kind": "role", "name": "ops", "status": "applied", "verification": {"status": "ok"}},
    ],
    "warnings": [],
}

SAME_AS_AWSCLI = [
    PAYLOAD,
    PAYLOAD["targets"],
    PAYLOAD["targets"][0],
    ["alice", "bob"],
    [["alice", "planned"], ["bob", "applied"]],
    {"name": "alice", "groups": ["ops", "admins"]},
    {"only": {"deep": {"deeper": 1}}},
    [{"name": "alice", "n": 1}, {"name": "bob", "n": 2}],
    {"user": "日本語", "x": "y"},
]


@pytest.mark.parametrize("value", SAME_AS_AWSCLI, ids=lambda v: json.dumps(v)[:40])
def test_the_table_matches_the_aws_cli_byte_for_byte(value: Any) -> None:
    formatter = pytest.importorskip("awscli.formatter")
    theirs = io.StringIO()
    # awscli measures the terminal with an ioctl on sys.stdout: 80 when it is not one
    formatter.TableFormatter(argparse.Namespace(color="off", query=None))("Q", value, theirs)
    ours = io.StringIO()
    format_table(value, ours, "Q", 80)
    assert ours.getvalue() == theirs.getvalue()
