"""The journal's and the ledger's files (issue 14, item 6): regular files only, never a
chmod of a file we did not create, private new folders whatever the umask, a relative
XDG_STATE_HOME ignored, a torn last line reported with its offset and repaired."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from revoke.errors import ExitCode
from revoke.state.journal import Journal, JournalError
from revoke.state.ledger import Ledger
from revoke.state.paths import default_journal_path, default_state_dir


def change(name: str) -> dict[str, object]:
    return {"action": "revoke", "target": {"kind": "user", "name": name}}


def test_a_fifo_is_refused_in_one_line_before_anything(tmp_path: Path) -> None:
    fifo = tmp_path / "journal.jsonl"
    os.mkfifo(fifo)
    for check in (Journal(fifo).check_usable, Journal(fifo).check_writable):
        with pytest.raises(JournalError) as caught:
            check()
        assert caught.value.exit_code == ExitCode.BAD_INPUT
        assert "FIFO" in caught.value.message and "\n" not in caught.value.message


def test_a_device_is_refused_and_left_alone() -> None:
    before = stat.S_IMODE(os.stat("/dev/null").st_mode)
    with pytest.raises(JournalError, match="a device"):
        Journal("/dev/null").append(change("alice"))
    assert stat.S_IMODE(os.stat("/dev/null").st_mode) == before  # never chmodded


def test_an_unrelated_file_is_refused_and_not_touched(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("incident notes\n")
    notes.chmod(0o644)
    with pytest.raises(JournalError, match="not a revoke journal"):
        Journal(notes).check_usable()
    with pytest.raises(JournalError, match="not a revoke journal"):
        Journal(notes).append(change("alice"))
    assert notes.read_text() == "incident notes\n"
    assert stat.S_IMODE(notes.stat().st_mode) == 0o644


def test_new_folders_are_0700_and_the_file_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)  # a permissive umask would leave 0775 folders
    try:
        path = tmp_path / "a" / "b" / "journal.jsonl"
        Journal(path).append(change("alice"))
        ledger = Ledger(tmp_path / "c" / "tokens.jsonl")
        from tests.state.test_ledger import record

        ledger.append(record())
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "c"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(ledger.path.stat().st_mode) == 0o600


def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "incident"
    shared.mkdir(mode=0o750)
    shared.chmod(0o750)
    Journal(shared / "journal.jsonl").append(change("alice"))
    assert stat.S_IMODE(shared.stat().st_mode) == 0o750


def test_a_relative_xdg_state_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")
    assert default_state_dir() == tmp_path / "home" / ".local" / "state" / "revoke"
    assert default_journal_path().is_absolute()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_state_dir() == tmp_path / "xdg" / "revoke"


def test_a_torn_last_line_is_reported_with_its_offset_and_repaired(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append(change("alice"))
    journal.append(change("bob"))
    good = journal.path.read_bytes()
    with journal.path.open("ab") as handle:
        handle.write(b'{"v":1,"seq":3,"action":"rev')  # power cut mid-write
    scan = journal.scan()
    assert scan.torn_tail == len(good)
    assert any(f"at byte {len(good)}" in p and "torn" in p for p in scan.problems)

    done = journal.repair()
    assert done.removed == [len(good)]
    assert done.backup is not None and done.backup.parent == journal.path.parent
    assert done.backup.read_bytes().startswith(good) and len(done.backup.read_bytes()) > len(good)
    assert journal.path.read_bytes() == good
    assert journal.verify() == []
    assert journal.append(change("carol"))["seq"] == 3
    assert journal.repair().removed == []  # nothing left to repair


def test_repair_refuses_a_journal_that_was_edited(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    for name in ("alice", "bob", "carol"):
        journal.append(change(name))
    lines = journal.path.read_text().splitlines()
    lines[1] = lines[1][:-5]  # a record in the middle made unreadable: not a torn write
    journal.path.write_text("\n".join(lines) + "\n")
    before = journal.path.read_bytes()
    with pytest.raises(JournalError, match="not a torn write"):
        journal.repair()
    assert journal.path.read_bytes() == before


def test_damaged_ledger_lines_are_skipped_with_a_warning(tmp_path: Path) -> None:
    from tests.state.test_ledger import record

    said: list[str] = []
    ledger = Ledger(tmp_path / "tokens.jsonl", warn=said.append)
    ledger.append(record("ASIAFIRST00000000001"))
    with ledger.path.open("ab") as handle:
        handle.write(b"{torn\n\xff\xfe\n")
    ledger.append(record("ASIASECOND0000000002"))
    assert [r.access_key_id for r in ledger.records()] == [
        "ASIAFIRST00000000001",
        "ASIASECOND0000000002",
    ]
    assert len(said) == 1 and "2 damaged line(s) (line 2, 3)" in said[0]
