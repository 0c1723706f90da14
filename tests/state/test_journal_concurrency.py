"""The journal under a bulk run's threads: one chain, every record on disk when `append`
returns, and far fewer fsyncs than records (group commit, issue 8)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from revoke.state.journal import Journal, JournalError
from revoke.state.journal import chain as journal_module


def test_concurrent_appends_share_fsyncs_and_keep_one_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.jsonl"
    fsyncs: list[int] = []
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        fsyncs.append(fd)
        time.sleep(0.01)  # a disk, so that appends pile up behind it as in a bulk run
        real_fsync(fd)

    monkeypatch.setattr(journal_module.os, "fsync", slow_fsync)
    returned: list[dict[str, Any]] = []
    on_disk_when_returned: list[bool] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for n in range(10):
            body = Journal(path).append({"action": "revoke", "target": {"name": f"u{index}-{n}"}})
            text = path.read_text()
            with lock:
                returned.append(body)
                on_disk_when_returned.append(body["hash"] in text)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    journal = Journal(path)
    assert journal.verify() == []
    records = journal.records()
    assert [r["seq"] for r in records] == list(range(1, 161))
    assert {r["hash"] for r in records} == {b["hash"] for b in returned}
    assert all(on_disk_when_returned)
    file_fsyncs = len(fsyncs) - 1  # one more for the directory, when the file is created
    assert file_fsyncs < 160 / 2


def test_a_failed_write_fails_every_append_it_carried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.jsonl"
    Journal(path).check_writable()

    def full_disk(_fd: int, _data: bytes) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(journal_module, "_write_all", full_disk)
        with pytest.raises(JournalError, match="No space left on device"):
            Journal(path).append({"action": "revoke"})
    Journal(path).append({"action": "revoke"})  # nothing left queued from the failure
    assert [r["seq"] for r in Journal(path).records()] == [1]
