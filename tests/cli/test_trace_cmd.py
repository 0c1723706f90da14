"""`revoke trace`: JSON keys, the drawn tree, text rows and exit codes, through the real
error boundary. The event source is tests/ops/test_trace.py's fake (no LookupEvents in moto)."""

from __future__ import annotations

from typing import Any

import pytest

from revoke.ops import trace as ops_trace
from tests.core.test_trace import BOB_NEW_KEY, LEAKED, OTHER, SESSION_TOKEN, incident, juggling
from tests.helpers import assert_clean_failure, json_out, run_cli
from tests.ops.test_trace import FakeSource


def use(monkeypatch: pytest.MonkeyPatch, source: FakeSource) -> list[Any]:
    made: list[Any] = []

    def make_source(ctx: Any, options: Any, since: str) -> tuple[FakeSource, str]:
        made.append((options, since))
        return source, "lookup"

    monkeypatch.setattr(ops_trace, "make_source", make_source)
    return made


def test_json_is_the_tree_with_its_documented_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeSource(incident()))
    result = run_cli("--output", "json", "trace", LEAKED, "--accounts", OTHER, "--since", "-30d")
    assert result.exit_code == 0, result.stderr
    payload = json_out(result)
    assert set(payload) == {
        "action",
        "credential",
        "credential_kind",
        "since",
        "events_source",
        "complete",
        "lookups",
        "tree",
        "summary",
        "sources",
        "warnings",
    }
    tree = payload["tree"]
    assert set(tree) >= {"kind", "id", "action", "account", "principal", "evidence", "children"}
    session = tree["children"][0]
    assert set(session) >= {"role_arn", "session_name", "userid", "access_key_id"}
    assert set(session["evidence"][0]) == {
        "event_id",
        "event_name",
        "time",
        "region",
        "account",
        "shared_event_id",
    }
    assert payload["summary"]["access_keys_created"] == [BOB_NEW_KEY]
    assert SESSION_TOKEN not in result.stdout + result.stderr


def test_table_draws_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeSource(juggling()))
    result = run_cli("--output", "table", "trace", LEAKED)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(LEAKED)
    assert any(line.startswith("└── LOOP") for line in lines)
    assert any("CreateUser user" in line and "userName=backdoor" in line for line in lines)


def test_text_is_one_row_a_node(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeSource(incident()))
    result = run_cli("--output", "text", "trace", LEAKED)
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert rows[0][:2] == ["0", "credential"]
    assert ["2", "foothold", "CreateAccessKey", BOB_NEW_KEY] == rows[2][:4]


def test_a_refusing_source_is_exit_4_and_named_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeSource(incident(), refuse=[OTHER]))
    result = run_cli("--output", "json", "trace", LEAKED, "--accounts", OTHER)
    assert result.exit_code == 4
    assert json_out(result)["complete"] is False
    assert f"lookup {OTHER} us-east-1: refused" in result.stderr
    assert "Traceback" not in result.stderr


def test_nothing_answering_is_exit_254(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeSource(incident(), refuse=["111122223333"]))
    result = run_cli("--output", "json", "trace", LEAKED)
    assert result.exit_code == 254


@pytest.mark.parametrize(
    "args",
    [
        ["trace", "alice"],
        ["trace", LEAKED, "--events", "splunk:index"],
        ["trace", LEAKED, "--regions", "moon-1"],
        ["trace", LEAKED, "--since", "yesterday"],
    ],
)
def test_bad_input_is_exit_2(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    made = use(monkeypatch, FakeSource(incident()))
    assert_clean_failure(run_cli("--output", "json", *args), 2)
    assert made == []


def test_help_names_the_json_keys_and_cites_aws() -> None:
    result = run_cli("trace", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for word in ("evidence", "shared_event_id", "userid", "loop", "refused", "Exit 0"):
        assert word in text
    assert "docs.aws.amazon.com" in text and "AWS-FACTS" not in text
