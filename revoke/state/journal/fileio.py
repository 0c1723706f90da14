"""The journal file's primitives: the flock around a write, whole writes and reads of a
descriptor, and the scan that checks every line's hash, link and sequence and finds a torn
tail (with the lines `Journal.repair` removes). Local files only; the remote stores of
revoke.state.backends need none of it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revoke.state.journal.records import GENESIS, record_hash

_TAIL_BLOCK = 64 * 1024


@dataclass
class Scan:
    """What a full read of the journal found."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lines: int = 0
    # Byte offsets of lines that are not valid JSON (a torn write, or an edit).
    unreadable: list[int] = field(default_factory=list)
    torn_tail: int | None = None  # offset of a last line with no newline that is not JSON

    @property
    def head(self) -> str | None:
        return self.records[-1]["hash"] if self.records else None


@dataclass
class Repair:
    """What `Journal.repair` did: the lines it removed (byte offsets) and the backup."""

    removed: list[int] = field(default_factory=list)
    backup: Path | None = None


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the thread lock is all we have
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _truncate_quietly(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
    except OSError:  # pragma: no cover - the disk is failing: the scan reports a torn tail
        pass


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks, at = [], 0
    while at < size:
        chunk = os.pread(fd, min(1 << 20, size - at), at)
        if not chunk:
            break
        chunks.append(chunk)
        at += len(chunk)
    return b"".join(chunks)


def _without_lines(raw: bytes, offsets: list[int]) -> bytes:
    """`raw` without the lines starting at `offsets`; the result ends with a newline."""
    drop = set(offsets)
    kept, at = [], 0
    for line in raw.split(b"\n"):
        if at not in drop and line:
            kept.append(line + b"\n")
        at += len(line) + 1
    return b"".join(kept)


def _parse_record(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if isinstance(record, dict) and isinstance(record.get("hash"), str):
        return record
    return None


def _last_record(fd: int) -> dict[str, Any] | None:
    """The newest parseable record, reading backwards from the end (journals grow large)."""
    end = os.fstat(fd).st_size
    carry = b""
    while end > 0:
        start = max(0, end - _TAIL_BLOCK)
        data = os.pread(fd, end - start, start) + carry
        parts = data.split(b"\n")
        if start > 0:
            carry, parts = parts[0], parts[1:]
        else:
            carry = b""
        for line in reversed(parts):
            if line.strip() and (record := _parse_record(line)) is not None:
                return record
        end = start
    return None


def _scan_bytes(raw: bytes) -> Scan:
    """Every line checked: hashes, links, sequence; unreadable lines with their offsets."""
    scan = Scan()
    prev = GENESIS
    expected_seq = 1
    offset = 0
    segments = raw.split(b"\n")
    for number, line in enumerate(segments, 1):
        at, offset = offset, offset + len(line) + 1
        if not line.strip():
            if line:  # white space only; an empty final segment is just the last newline
                scan.problems.append(f"line {number}: blank line inserted")
            continue
        scan.lines += 1
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            scan.unreadable.append(at)
            if number == len(segments):  # no newline after it: a write cut short
                scan.torn_tail = at
                scan.problems.append(
                    f"line {number} at byte {at}: torn last line (a write cut short); "
                    "`revoke journal repair` removes it and keeps a backup"
                )
            else:
                scan.problems.append(
                    f"line {number} at byte {at}: not valid JSON (edited, or a torn "
                    "write); `revoke journal repair` removes a torn line"
                )
            continue
        if not isinstance(record, dict) or not isinstance(record.get("hash"), str):
            scan.problems.append(f"line {number}: not a journal record (no hash)")
            continue
        issues = []
        if record_hash(record) != record["hash"]:
            issues.append("its content does not match its hash (edited)")
        if record.get("prev") != prev:
            issues.append(
                "its prev hash is not the hash of the record before it "
                "(a record was removed, inserted or reordered)"
            )
        if record.get("seq") != expected_seq:
            issues.append(f"seq {record.get('seq')}, expected {expected_seq}")
        if issues:
            scan.problems.append(f"line {number} (seq {record.get('seq')}): " + "; ".join(issues))
        scan.records.append(record)
        prev = record["hash"]
        seq = record.get("seq")
        expected_seq = seq + 1 if isinstance(seq, int) else expected_seq + 1
    return scan
