"""Files named on the command line: unreadable or binary ones are one-line bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assert_clean_failure, run_cli


@pytest.mark.parametrize("option", ["--from-file", "--accounts-file"])
def test_binary_file_is_bad_input_before_any_call(option: str, tmp_path: Path) -> None:
    binary = tmp_path / "list.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    args = ["--output", "json", "user", "alice", option, str(binary), "--before", "now"]
    # The endpoint is a closed port: reaching AWS would be a different error (254).
    result = run_cli("--endpoint-url", "http://127.0.0.1:9", *args)
    assert_clean_failure(result, 2)
    assert "not UTF-8 text" in result.stderr


@pytest.mark.parametrize("option", ["--from-file", "--accounts-file"])
def test_missing_file_is_bad_input(option: str, tmp_path: Path) -> None:
    args = ["--output", "json", "user", "alice", option, str(tmp_path / "nope"), "--before", "now"]
    result = run_cli("--endpoint-url", "http://127.0.0.1:9", *args)
    assert_clean_failure(result, 2)
    assert "cannot read" in result.stderr


def test_gc_absurd_margin_is_bad_input() -> None:
    result = run_cli("--endpoint-url", "http://127.0.0.1:9", "gc", "--margin", "99999999999999d")
    assert_clean_failure(result, 2)
