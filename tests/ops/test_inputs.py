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


@pytest.mark.parametrize("option", ["--from-file", "--accounts-file"])
def test_an_endless_file_is_bad_input_after_a_bounded_read(option: str) -> None:
    # /dev/zero was read without bound (2.1 GB in 4 s); now one line naming the limit.
    args = ["--output", "json", "user", "alice", option, "/dev/zero", "--before", "now"]
    result = run_cli("--endpoint-url", "http://127.0.0.1:9", *args)
    assert_clean_failure(result, 2)
    assert "larger than 4 MiB" in result.stderr and "20,000 lines" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # the error and its hint


@pytest.mark.parametrize("option", ["--from-file", "--accounts-file"])
def test_too_many_lines_is_bad_input_naming_the_limit(option: str, tmp_path: Path) -> None:
    many = tmp_path / "many.txt"
    many.write_text("".join(f"user{n}\n" for n in range(20_001)))
    args = ["--output", "json", "user", "alice", option, str(many), "--before", "now"]
    result = run_cli("--endpoint-url", "http://127.0.0.1:9", *args)
    assert_clean_failure(result, 2)
    assert "20,001 lines" in result.stderr and "20,000" in result.stderr
    assert "reference_iam-quotas.html" in result.stderr


def test_stdin_is_bounded_too() -> None:
    args = ["--output", "json", "user", "--from-file", "-", "--before", "now"]
    result = run_cli(
        "--endpoint-url", "http://127.0.0.1:9", *args, input="x" * (4 * 1024 * 1024 + 1)
    )
    assert_clean_failure(result, 2)
    assert "standard input is larger than 4 MiB" in result.stderr


def test_a_full_size_list_is_read(tmp_path: Path) -> None:
    from revoke.ops.inputs import MAX_LINES, read_text_argument

    names = tmp_path / "names.txt"
    names.write_text("".join(f"user{n}\r\n" for n in range(MAX_LINES)))
    text = read_text_argument(str(names), "one name a line")
    assert text.count("\n") == MAX_LINES and "\r" not in text
