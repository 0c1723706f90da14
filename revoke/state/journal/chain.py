"""The Journal: an append-only, hash-chained store of records, a local JSON-lines file or a
remote store (revoke.state.backends). Appending (chained, redacted, group-committed), the
file's checks before a write, reading and verifying the chain, the queries lift, gc and
reconcile ask, and the repair of a torn tail. The schema is in revoke.state.journal."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from revoke import __version__
from revoke.errors import RevokeError
from revoke.state.backends import JournalError, Location, RecordStore, open_store, parse_location
from revoke.state.files import NotARegularFile, open_private, refuse_special
from revoke.state.journal.commit import group_commit
from revoke.state.journal.fileio import (
    Repair,
    Scan,
    _last_record,
    _lock,
    _parse_record,
    _read_all,
    _scan_bytes,
    _truncate_quietly,
    _unlock,
    _without_lines,
    _write_all,
)
from revoke.state.journal.intents import is_bookkeeping
from revoke.state.journal.records import (
    CHANGE_ACTIONS,
    GENESIS,
    INTENT,
    SCHEMA_VERSION,
    _env_secrets,
    record_hash,
    redact,
    utc_timestamp,
)

_HEAD_BLOCK = 64 * 1024

# A remote journal's writers race for the next sequence number; one that keeps losing
# (more writers than this, all at once) gives up rather than spin.
_REMOTE_RACES = 32


class Journal:
    """An append-only, hash-chained JSON-lines file. See revoke.state.journal for the schema."""

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] | None = None) -> None:
        # A remote journal (s3://, dynamodb://: revoke.state.backends) keeps this API and
        # this chain; only where the records are stored differs.
        self.location: Location | None = parse_location(path)
        self.path = Path(path) if self.location else Path(path).expanduser()
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._store: RecordStore | None = None
        self._commit_key: str | None = None  # resolved once: every append of a run uses it

    @property
    def remote(self) -> bool:
        return self.location is not None

    def _remote(self) -> RecordStore:
        assert self.location is not None
        if self._store is None:
            self._store = open_store(self.location)
        return self._store

    def _remote_call(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except JournalError:
            raise
        except RevokeError as err:
            raise JournalError(
                f"cannot {what} the journal {self.location}: {err.message}",
                hint="check the bucket or table and this role's permissions "
                "(deploy/template.yaml lists them); then `revoke journal reconcile`",
            ) from None

    # -- writing ---------------------------------------------------------------------------

    def check_usable(self) -> None:
        """Before any AWS call: the path can hold this journal. Creates nothing.

        Refuses a device, FIFO or folder, and an existing file that is not a journal
        (exit 2, one line): records must not go into something that is not kept, or
        into a file of somebody else's."""
        if self.location is not None:
            self._remote_call("read", lambda: self._remote().check_usable())
            return
        try:
            refuse_special(self.path)
        except NotARegularFile as err:
            raise self._refused(err.strerror) from None
        if self.path.exists():
            self._check_is_journal_path()
            return
        folder = self.path.parent
        while not folder.exists() and folder.parent != folder:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise self._refused(f"{folder} is not a folder this user can write")

    def check_writable(self) -> None:
        """Fail before any change when the journal cannot take a record (evidence first).

        A remote store is checked without writing (an Object Lock bucket keeps anything
        put in it): it exists and this caller can read it."""
        if self.location is not None:
            self._remote_call("read", lambda: self._remote().check_usable())
            return
        fd = self._open()
        os.close(fd)

    def _refused(self, why: str | None) -> JournalError:
        return JournalError(
            f"cannot write the journal {self.path}: {why}; nothing was changed",
            hint="pass --journal PATH (or set REVOKE_JOURNAL) to a journal file, or to a "
            "new file in a folder you can write",
        )

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Chain, redact, write and fsync one record; return it as written (with its hash).

        Raises JournalError when the record could not be written (nothing of it is left
        in the file)."""
        return self.append_many([record])[0]

    def append_many(self, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Chain, redact, write and fsync records in order, all with one write and one
        fsync; return them as written. All or none: JournalError leaves none of them in
        the file (a remote journal stores them one by one: those before the failure stay).
        """
        secrets = _env_secrets()
        bodies = []
        for record in records:
            body: dict[str, Any] = {"v": SCHEMA_VERSION, "seq": 0, "time": ""}
            body.update({k: v for k, v in record.items() if k not in ("seq", "prev", "hash")})
            body["time"] = utc_timestamp(self._clock())
            body.setdefault("tool_version", __version__)
            bodies.append(redact(body, secrets))
        if not bodies:
            return []
        if self._commit_key is None:
            self._commit_key = str(self.location) if self.location else str(self.path.resolve())
        group_commit(self._commit_key, bodies, self._write_batch)
        return bodies

    def _write_batch(self, bodies: list[dict[str, Any]]) -> None:
        """Chain, write and fsync records, in order, under the file lock."""
        if self.location is not None:
            self._remote_call("write", lambda: self._write_remote(bodies))
            return
        fd = self._open()
        try:
            _lock(fd)
            try:
                last = _last_record(fd)
                chunks = []
                for body in bodies:
                    body["seq"] = int(last.get("seq", 0)) + 1 if last else 1
                    body["prev"] = last["hash"] if last else GENESIS
                    body["hash"] = record_hash(body)
                    line = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)
                    chunks.append((line + "\n").encode("utf-8"))
                    last = body
                data = b"".join(chunks)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data  # a torn last line stays on its own line
                try:
                    _write_all(fd, data)
                    os.fsync(fd)
                except OSError as err:
                    _truncate_quietly(fd, size)  # no torn record of ours left behind
                    raise JournalError(
                        f"cannot write the journal {self.path}: {err.strerror or err}",
                        hint="free space or fix the file, then run `revoke journal reconcile`",
                    ) from None
            finally:
                _unlock(fd)
        finally:
            os.close(fd)

    def _write_remote(self, bodies: list[dict[str, Any]]) -> None:
        """Chain and store records one by one, each at the next free sequence number; a
        record another writer got in first is re-read and this record chained after it."""
        store = self._remote()
        last = _parse_record(store.last() or b"")
        races = 0
        for body in bodies:
            while True:
                body["seq"] = int(last.get("seq", 0)) + 1 if last else 1
                body["prev"] = last["hash"] if last else GENESIS
                body["hash"] = record_hash(body)
                line = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)
                if store.put_new(body["seq"], line.encode("utf-8")):
                    last = body
                    break
                races += 1
                if races > _REMOTE_RACES:
                    raise JournalError(
                        f"cannot write the journal {self.location}: {races} other writers "
                        "took the next record first; nothing of this record was stored",
                        hint="run again; `revoke journal reconcile` journals what was done",
                    )
                last = _parse_record(store.last() or b"")

    def _open(self) -> int:
        try:
            fd, created = open_private(self.path, os.O_RDWR | os.O_APPEND)
        except NotARegularFile as err:
            raise self._refused(err.strerror) from None
        except OSError as err:
            raise JournalError(
                f"cannot write the journal {self.path}: {err.strerror}; nothing was changed",
                hint="pass --journal PATH (or set REVOKE_JOURNAL) to a writable file",
            ) from None
        return fd if created else self._checked(fd)

    def _checked(self, fd: int) -> int:
        """`fd`, once it is a journal's (else closed, and the refusal raised)."""
        try:
            self._check_is_journal(fd)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _check_is_journal_path(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as err:
            raise self._refused(err.strerror) from None
        try:
            self._check_is_journal(fd)
        finally:
            os.close(fd)

    def _check_is_journal(self, fd: int) -> None:
        """An existing, non-empty file must start with a journal record."""
        head = os.pread(fd, _HEAD_BLOCK, 0)
        if not head.strip():
            return
        first = head.split(b"\n", 1)[0]
        record = _parse_record(first)
        if record is not None and record.get("v") is not None and "seq" in record:
            return
        if first.lstrip().startswith(b'{"v":'):
            return  # longer than the block we read, or a first record torn: still ours
        raise self._refused(
            "it exists and is not a revoke journal (its first line is not a record)"
        )

    # -- reading ---------------------------------------------------------------------------

    def exists(self) -> bool:
        if self.location is not None:
            return bool(self.scan().records)
        return self.path.is_file()

    def scan(self) -> Scan:
        """Read every line, check every hash and link. Never raises for bad content."""
        if self.location is not None:
            store = self._remote()
            found = self._remote_call("read", store.read_all)
            return _scan_bytes(b"".join(item.rstrip(b"\n") + b"\n" for item in found))
        try:
            refuse_special(self.path)
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Scan()
        except NotARegularFile as err:
            raise self._refused(err.strerror) from None
        except OSError as err:
            raise JournalError(f"cannot read the journal {self.path}: {err.strerror}") from None
        return _scan_bytes(raw)

    def records(self) -> list[dict[str, Any]]:
        """What happened: every record but the write-ahead bookkeeping ("intent", "close").
        A change reconcile journalled is an ordinary "revoke" record, so it is here.
        `scan().records` has every record (verification and `journal show --all`)."""
        return [r for r in self.scan().records if not is_bookkeeping(r)]

    def verify(self, *, expect_head: str | None = None) -> list[str]:
        """Problems found (empty: the chain is intact). `expect_head`: a hash noted earlier,
        which must still be in the chain (detects removal of the newest records)."""
        scan = self.scan()
        problems = list(scan.problems)
        if expect_head and expect_head not in {r["hash"] for r in scan.records}:
            problems.append(
                f"record {expect_head[:16]}... noted earlier is no longer in the journal "
                "(records were removed or edited)"
            )
        return problems

    def for_target(
        self,
        kind: str,
        name: str,
        *,
        account: str | None = None,
        actions: Iterable[str] | None = None,
        records: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Records about one principal, oldest first. IAM names are case-insensitive."""
        wanted = set(actions) if actions is not None else None
        found = []
        for record in self.records() if records is None else records:
            target = record.get("target") or {}
            if target.get("kind") != kind or str(target.get("name", "")).lower() != name.lower():
                continue
            if account and record.get("account") and record.get("account") != account:
                continue
            if wanted is not None and record.get("action") not in wanted:
                continue
            found.append(record)
        return found

    def last_for(
        self, kind: str, name: str, *, account: str | None = None
    ) -> dict[str, Any] | None:
        """The newest change record ("revoke", "lift", "gc") about one principal."""
        found = self.for_target(kind, name, account=account, actions=CHANGE_ACTIONS)
        return found[-1] if found else None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records())

    def dangling_intents(self, records: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Intent records that no later record closes (names in its `intent`), oldest first."""
        records = self.scan().records if records is None else records
        closed = {r.get("intent") for r in records if r.get("action") != INTENT}
        return [r for r in records if r.get("action") == INTENT and r["hash"] not in closed]

    def repair(self, *, clock: Callable[[], datetime] | None = None) -> Repair:
        """Remove torn lines (not valid JSON), keeping a backup of the file next to it.

        Only when the chain is intact without them: a torn write never joined the chain
        (the next record links past it), whereas a record edited into invalid JSON broke
        it; that is tampering, refused, and the file is left alone. Works in place under
        the file lock, so the inode, mode and owner stay and no writer races it.

        A remote journal has nothing to repair: each record is one object (item), stored
        whole or not at all.
        """
        if self.location is not None:
            return Repair()
        fd = self._open_existing()
        try:
            _lock(fd)
            try:
                raw = _read_all(fd)
                scan = _scan_bytes(raw)
                if not scan.unreadable:
                    return Repair()
                kept = _without_lines(raw, scan.unreadable)
                after = _scan_bytes(kept)
                if after.problems:
                    raise JournalError(
                        f"the journal {self.path} fails verification also without its "
                        f"unreadable line(s) ({after.problems[0]}): that is not a torn write; "
                        "nothing was changed",
                        hint="revoke journal verify lists every problem",
                    )
                stamp = utc_timestamp((clock or self._clock)()).replace(":", "")
                backup = self.path.with_name(f"{self.path.name}.{stamp}.bak")
                bfd, _created = open_private(backup, os.O_WRONLY)
                try:
                    _write_all(bfd, raw)
                    os.fsync(bfd)
                finally:
                    os.close(bfd)
                shutil.copymode(self.path, backup)
                os.ftruncate(fd, 0)
                _write_all(fd, kept)
                os.fsync(fd)
                return Repair(removed=list(scan.unreadable), backup=backup)
            finally:
                _unlock(fd)
        finally:
            os.close(fd)

    def _open_existing(self) -> int:
        try:
            refuse_special(self.path)
            fd = os.open(self.path, os.O_RDWR)
        except NotARegularFile as err:
            raise self._refused(err.strerror) from None
        except OSError as err:
            raise JournalError(f"cannot open the journal {self.path}: {err.strerror}") from None
        return self._checked(fd)
