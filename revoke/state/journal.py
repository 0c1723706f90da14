"""The audit journal: what was changed, by whom, with what evidence, and how to put it back.

One file of JSON lines, append-only. Every change the toolkit makes to a principal (a
revocation written or refreshed, keys deactivated, a console password removed, a lift, a
clean-up) is one record, written right after the change and fsynced before the next target
is reported, so an interrupted run still leaves an accurate trail. `revoke lift` reads it
back to undo a revocation; `revoke journal verify` proves nobody edited it.

Record schema (version 1). Every record has:

    v             1
    seq           1-based position in the chain
    time          UTC, ISO 8601 with milliseconds and Z, when the record was written
    tool_version  revoke's version
    actor         the ARN that made the change (sts:GetCallerIdentity)
    account       the 12-digit account of the target
    action        "revoke" | "lift" | "gc" change records; "verify" records a later
                  verification result of the change whose hash is in `ref`
    target        {"kind": "user"|"role", "name": ..., "arn": ...}
    prev          SHA-256 (hex) of the previous record, 64 zeros for the first
    hash          SHA-256 (hex) of this record: its canonical JSON (sorted keys, no white
                  space, UTF-8) without the `hash` member

Change records ("revoke", "lift", "gc") also have:

    status        "applied" | "failed" | "interrupted" (failed/interrupted records exist
                  only when part of the change happened, e.g. keys were deactivated and the
                  policy write then failed)
    cutoff, previous_cutoff
    policy        {"name": ..., "mechanism": "inline"|"managed", "managed_policy_arn": ...}
    before, after the revocation policy document before and after (null: none)
    containment   steps: {"action": "deactivate_key"|"delete_login_profile"|
                  "reactivate_key", "access_key_id"?, ..., "result": "done"|"failed"|...}
    evidence      the principal as found before any change: inline and attached policies,
                  access keys (ID, status, created, last used), login profile, MFA devices,
                  groups (users); max session duration and trust policy (roles)
    verification  the verification result known when the record was written
    error, warnings, notes, ref (hashes of the records a lift undoes)
    intent        the hash of the "intent" record this outcome closes (write-ahead)

Write-ahead (issue 14): before the first AWS write for a target, an "intent" record says
what is about to be written (`writes`: the policy document and the containment steps,
`before`, `after`, `policy`, `cutoff`) and who is writing it (`pid`, `host`). It is on
disk, fsynced, before the write; the change record that follows names it in `intent`.
An intent that no later record names is dangling: the run died between the two (a crash,
SIGKILL, a full disk). revoke.ops.reconcile reads AWS for it and journals what it finds
as an ordinary "revoke" change record with status "reconciled" (so `lift`, `gc` and
`journal show` read it like any other change). A "close" record (not a change) closes an
intent of which nothing was done: the write failed, or reconcile found nothing in force.

Never a secret: secret access keys, session tokens and passwords are not read by the
toolkit, and `append` redacts any member with such a name, and any value equal to the
secret key or session token of the credentials in the environment, before writing.

Concurrency: appends take an exclusive `flock` on the file around read-last-hash, write
and fsync, so two responders sharing one journal (or the threads of one bulk run) never
interleave a line or fork the chain.

Files (revoke.state.files): a regular file only (a device, FIFO or folder is refused), and
an existing file must already be a journal; a file we create is 0600 and its new parent
folders 0700 whatever the umask; a file that was there keeps its mode. A torn last line
(a write cut short) is reported with its byte offset; `Journal.repair` removes it and keeps
a backup next to the journal.

Where (revoke.state.backends): the file is the default; `--journal s3://BUCKET/PREFIX` or
`dynamodb://TABLE/NAME` keeps the same records, chain and write-ahead order in S3 (one
object a record, written with `If-None-Match: *`) or DynamoDB (one item a record,
`attribute_not_exists`), for the Lambda handler (revoke.respond). The file rules below
(flock, file hygiene, repair) are the file's; the remote stores need none of them.

The chain detects an edited, inserted, reordered or removed record, except the removal of
the newest records: `journal verify` prints the head hash; noting it in the incident
ticket, and checking it later with `--expect-head`, closes that gap.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from revoke import __version__
from revoke.errors import RevokeError
from revoke.state.backends import JournalError, Location, RecordStore, open_store, parse_location
from revoke.state.files import NotARegularFile, open_private, refuse_special

SCHEMA_VERSION = 1
GENESIS = "0" * 64
CHANGE_ACTIONS = ("revoke", "lift", "gc")
INTENT = "intent"
CLOSE = "close"  # closes an intent of which nothing was done (or found in force)
RECONCILED = "reconciled"  # status of a change record written by reconcile
REDACTED = "[redacted]"
# Member names that would hold a secret, compared without case, '_' or '-'.
_SECRET_NAMES = {
    "secretaccesskey",
    "awssecretaccesskey",
    "sessiontoken",
    "awssessiontoken",
    "securitytoken",
    "password",
    "newpassword",
    "oldpassword",
}
_TAIL_BLOCK = 64 * 1024
_HEAD_BLOCK = 64 * 1024


@dataclass
class _Pending:
    """A record waiting for a group commit (see Journal.append)."""

    body: dict[str, Any]
    done: bool = False
    error: BaseException | None = None


@dataclass
class _Commits:
    """One file's group commit: records queued, and whether a writer is at work."""

    queue: list[_Pending] = field(default_factory=list)
    writing: bool = False


# One condition for every file of the process; flock serialises between processes.
_commit = threading.Condition(threading.Lock())
_files: dict[str, _Commits] = {}


def utc_timestamp(moment: datetime | None = None) -> str:
    moment = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the record's canonical form, without its own `hash` member."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def target_key(kind: str, name: str) -> str:
    return f"{kind}/{name}"


def _normalised(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _env_secrets() -> set[str]:
    found = set()
    for var in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        value = os.environ.get(var)
        if value and len(value) >= 8:
            found.add(value)
    return found


def redact(value: Any, secrets: frozenset[str] | set[str] = frozenset()) -> Any:
    """A copy of `value` with every secret-named member and every known secret replaced."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and _normalised(key) in _SECRET_NAMES and item is not None:
                out[key] = REDACTED
            else:
                out[key] = redact(item, secrets)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(item, secrets) for item in value]
    if isinstance(value, str) and secrets:
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    return value


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


# A remote journal's writers race for the next sequence number; one that keeps losing
# (more writers than this, all at once) gives up rather than spin.
_REMOTE_RACES = 32


class OutcomeNotJournalled(JournalError):
    """A change is in force in AWS but its outcome record could not be written; its
    intent record is on disk, so `revoke journal reconcile` can journal it later."""


class Journal:
    """An append-only, hash-chained JSON-lines file. See the module docstring for the schema."""

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] | None = None) -> None:
        # A remote journal (s3://, dynamodb://: revoke.state.backends) keeps this API and
        # this chain; only where the records are stored differs.
        self.location: Location | None = parse_location(path)
        self.path = Path(path) if self.location else Path(path).expanduser()
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._store: RecordStore | None = None

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
        body: dict[str, Any] = {"v": SCHEMA_VERSION, "seq": 0, "time": ""}
        body.update({k: v for k, v in record.items() if k not in ("seq", "prev", "hash")})
        body["time"] = utc_timestamp(self._clock())
        body.setdefault("tool_version", __version__)
        body = redact(body, _env_secrets())
        # Group commit: the threads of a bulk run queue their records; one of them writes
        # every queued record of this file with one fsync while the others wait, and all
        # of them are woken when it is done. Each call still returns only once its own
        # record is on disk (issue 8: one fsync per target serialised a 500-target run).
        #
        # The waiters wait on a condition, not on the writer's lock: with a lock, threads
        # whose records were already on disk queued for it behind the next writer's
        # fsync just to learn so, and the next writer found only one or two records
        # queued; batches fell to two records and the fsyncs to half the records
        # (tests/state/test_journal_concurrency.py failed 4 runs in 10).
        pending = _Pending(body)
        key = str(self.location) if self.location else str(self.path.resolve())
        with _commit:
            state = _files.setdefault(key, _Commits())
            state.queue.append(pending)
            while not pending.done:
                if state.writing:
                    _commit.wait()
                    continue
                batch, state.queue = state.queue, []
                state.writing = True
                _commit.release()
                try:
                    self._write_batch([p.body for p in batch])
                except BaseException as err:  # noqa: BLE001 - given to every record it carried
                    for queued in batch:
                        queued.error = err
                finally:
                    _commit.acquire()
                    for queued in batch:
                        queued.done = True
                    state.writing = False
                    _commit.notify_all()
        if pending.error is not None:
            raise pending.error
        return body

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
        if not created:
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
        try:
            self._check_is_journal(fd)
        except BaseException:
            os.close(fd)
            raise
        return fd


def is_bookkeeping(record: Mapping[str, Any]) -> bool:
    """An "intent" or "close" record: write-ahead bookkeeping, not a change."""
    return record.get("action") in (INTENT, CLOSE)


def intent_owner_alive(record: Mapping[str, Any]) -> bool:
    """Whether the process that wrote an intent is still running on this machine (its
    write may still be in flight: not ours to reconcile)."""
    if record.get("host") != socket.gethostname():
        return False
    pid = record.get("pid")
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_identity() -> dict[str, Any]:
    """`pid` and `host` for an intent record: which process's write it announces."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def matches_target(record: Mapping[str, Any], wanted: str) -> bool:
    """`--target` filter: a name, kind/name, or an ARN (case-insensitive names)."""
    target = record.get("target") or {}
    name = str(target.get("name", ""))
    kind = str(target.get("kind", ""))
    text = wanted.strip()
    if text.startswith("arn:"):
        arn = str(target.get("arn") or "")
        if arn:
            return arn.lower() == text.lower()
        text = text.rsplit(":", 1)[-1]
        text = f"{text.split('/', 1)[0]}/{text.rsplit('/', 1)[-1]}"
    if "/" in text:
        want_kind, want_name = text.split("/", 1)
        return kind == want_kind.lower() and name.lower() == want_name.lower()
    return name.lower() == text.lower()


# -- file primitives -----------------------------------------------------------------------


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
