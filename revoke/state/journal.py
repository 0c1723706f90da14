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

Never a secret: secret access keys, session tokens and passwords are not read by the
toolkit, and `append` redacts any member with such a name, and any value equal to the
secret key or session token of the credentials in the environment, before writing.

Concurrency: appends take an exclusive `flock` on the file around read-last-hash, write
and fsync, so two responders sharing one journal (or the threads of one bulk run) never
interleave a line or fork the chain. The file is created with mode 0600.

The chain detects an edited, inserted, reordered or removed record, except the removal of
the newest records: `journal verify` prints the head hash; noting it in the incident
ticket, and checking it later with `--expect-head`, closes that gap.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from revoke import __version__
from revoke.errors import BadInput

SCHEMA_VERSION = 1
GENESIS = "0" * 64
CHANGE_ACTIONS = ("revoke", "lift", "gc")
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
_thread_lock = threading.Lock()  # flock already serialises; this keeps one process polite
_queue_lock = threading.Lock()


@dataclass
class _Pending:
    """A record waiting for a group commit (see Journal.append)."""

    body: dict[str, Any]
    done: bool = False
    error: BaseException | None = None


_queued: dict[str, list[_Pending]] = {}


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

    @property
    def head(self) -> str | None:
        return self.records[-1]["hash"] if self.records else None


class JournalError(BadInput):
    """The journal cannot be read or written (exit 2: nothing was changed)."""


class Journal:
    """An append-only, hash-chained JSON-lines file. See the module docstring for the schema."""

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path).expanduser()
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    # -- writing ---------------------------------------------------------------------------

    def check_writable(self) -> None:
        """Fail before any change when the journal cannot take a record (evidence first)."""
        fd = self._open()
        os.close(fd)

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Chain, redact, write and fsync one record; return it as written (with its hash)."""
        body: dict[str, Any] = {"v": SCHEMA_VERSION, "seq": 0, "time": ""}
        body.update({k: v for k, v in record.items() if k not in ("seq", "prev", "hash")})
        body["time"] = utc_timestamp(self._clock())
        body.setdefault("tool_version", __version__)
        body = redact(body, _env_secrets())
        # Group commit: the threads of a bulk run queue their records; whoever holds the
        # lock writes every queued record of this file with one fsync. Each call still
        # returns only once its own record is on disk (issue 8: one fsync per target
        # serialised a 500-target run behind the disk).
        pending = _Pending(body)
        key = str(self.path.resolve())
        with _queue_lock:
            _queued.setdefault(key, []).append(pending)
        with _thread_lock:
            if not pending.done:
                with _queue_lock:
                    batch = _queued.pop(key, [])
                try:
                    self._write_batch([p.body for p in batch])
                except BaseException as err:
                    for queued in batch:
                        queued.error = err
                    raise
                finally:
                    for queued in batch:
                        queued.done = True
        if pending.error is not None:
            raise pending.error
        return body

    def _write_batch(self, bodies: list[dict[str, Any]]) -> None:
        """Chain, write and fsync records, in order, under the file lock."""
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
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                _unlock(fd)
        finally:
            os.close(fd)

    def _open(self) -> int:
        try:
            created = not self.path.exists()
            if created:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as err:
            raise JournalError(
                f"cannot write the journal {self.path}: {err.strerror}; nothing was changed",
                hint="pass --journal PATH (or set REVOKE_JOURNAL) to a writable file",
            ) from None
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)  # records name principals and keys: owner only
        if created:
            _fsync_dir(self.path.parent)
        return fd

    # -- reading ---------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file()

    def scan(self) -> Scan:
        """Read every line, check every hash and link. Never raises for bad content."""
        scan = Scan()
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return scan
        except OSError as err:
            raise JournalError(f"cannot read the journal {self.path}: {err.strerror}") from None
        prev = GENESIS
        expected_seq = 1
        for number, line in enumerate(raw.split(b"\n"), 1):
            if not line.strip():
                if line:  # white space only; an empty final segment is just the last newline
                    scan.problems.append(f"line {number}: blank line inserted")
                continue
            scan.lines += 1
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                scan.problems.append(f"line {number}: not valid JSON (edited, or a torn write)")
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
                scan.problems.append(
                    f"line {number} (seq {record.get('seq')}): " + "; ".join(issues)
                )
            scan.records.append(record)
            prev = record["hash"]
            seq = record.get("seq")
            expected_seq = seq + 1 if isinstance(seq, int) else expected_seq + 1
        return scan

    def records(self) -> list[dict[str, Any]]:
        return self.scan().records

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


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - some platforms cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


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
