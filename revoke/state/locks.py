"""Per-principal locks on the responder's machine: two runs never interleave their writes
to one principal's revocation.

The never-earlier rule (DESIGN.md, "Safety rules") is decided by reading the principal's
document and comparing cutoffs. Checked at planning only, two concurrent runs with cutoffs
`now` and `-1h` can both plan against "no policy" and the one that writes last wins, which
may be the earlier cutoff: sessions between the two cutoffs then work again. IAM has no
conditional write, so on one machine the read-decide-write of one principal happens under an
exclusive lock (fcntl.flock on a file per principal in the state folder), and the writer
reads the document again under it. Across machines the lock cannot reach: there the writer
reads back after writing and restores the later cutoff if another writer lowered it
(revoke.ops.revocation).

Each lock file holds a generation: a number the holder increments after it wrote the
principal's revocation. A run notes the generation when it plans; under the lock, a different
one says another run of this machine wrote since, and the plan is made again from a fresh
read (revoke.ops.pipeline). Only then is IAM read again: an uncontended run pays nothing.

flock is released by the kernel when the process dies (SIGKILL included), so a crashed run
never leaves a principal locked. Lock files are empty, 0600, in a 0700 folder, and kept:
removing one while another process waits on it would let a third take a different inode.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from revoke.errors import BadInput

LOCKS_DIR = "locks"
# How long a run waits for another run's write to the same principal: one write, its
# read-back and a restore take seconds, even throttled.
DEFAULT_WAIT = 120.0
_UMASK = threading.Lock()


class Held:
    """A principal's lock, held: its generation, and the way to say "I wrote"."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.generation = _read_generation(fd)

    def bump(self) -> None:
        self.generation += 1
        # Fixed width: one pwrite replaces any earlier number whole (no truncate first).
        os.pwrite(self._fd, b"%020d" % self.generation, 0)


def _read_generation(fd: int) -> int:
    raw = os.pread(fd, 32, 0).strip()
    return int(raw) if raw.isdigit() else 0


class PrincipalLocks:
    def __init__(
        self,
        state_dir: Path,
        *,
        wait: float = DEFAULT_WAIT,
        poll: Callable[[float], None] | None = None,
    ) -> None:
        self.folder = state_dir / LOCKS_DIR
        self.wait = wait
        self._poll = poll
        # A bulk run asks for each principal's path twice (the plan's generation, the
        # write's lock) and opens hundreds: the paths are kept, the folder made once.
        self._paths: dict[tuple[str | None, str, str], str] = {}
        self._folder_made = False

    def path_for(self, account: str | None, kind: str, name: str) -> Path:
        return Path(self._path(account, kind, name))

    def _path(self, account: str | None, kind: str, name: str) -> str:
        found = self._paths.get((account, kind, name))
        if found is None:
            # IAM names are case-insensitive; hashing keeps any name a valid file name.
            key = f"{account or '-'}:{kind}:{name.lower()}".encode()
            found = os.path.join(self.folder, f"{kind}-{hashlib.sha256(key).hexdigest()[:32]}.lock")
            self._paths[(account, kind, name)] = found
        return found

    def _open(self, path: str) -> int:
        try:
            if not self._folder_made:
                self._make_folder()
            # 0600 less the umask: never more than private. (The umask is not touched here:
            # it is the process's, not the thread's, and a bulk run opens hundreds of these
            # from its threads; each syscall is a GIL hand-over under contention.)
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError as err:
            raise BadInput(
                f"cannot open the lock file {path}: {err.strerror}",
                hint="the journal's folder must be writable (--journal PATH)",
            ) from None

    def _make_folder(self) -> None:
        """The 0700 folder (and any missing parent) once per run, under the umask 077: one
        lock, because os.umask is the process's and threads must not see it half set."""
        with _UMASK:
            old = os.umask(0o077)
            try:
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            finally:
                os.umask(old)
            self._folder_made = True

    def generation(self, account: str | None, kind: str, name: str) -> int:
        """The principal's generation now, read without the lock (0: never written here)."""
        try:
            fd = os.open(self._path(account, kind, name), os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return 0
        try:
            return _read_generation(fd)
        finally:
            os.close(fd)

    @contextmanager
    def hold(self, account: str | None, kind: str, name: str) -> Iterator[Held]:
        """Exclusive, across processes of this machine, for one principal."""
        import fcntl
        import time

        fd = self._open(self._path(account, kind, name))
        try:
            waited = 0.0
            step = 0.05
            sleep = self._poll or time.sleep
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if waited >= self.wait:
                        raise BadInput(
                            f"{kind} {name}: another revoke run has been writing its "
                            f"revocation for {int(waited)} s; nothing was written for it",
                            hint="let the other run finish, then run this one again",
                        ) from None
                    sleep(step)
                    waited += step
                    step = min(step * 2, 1.0)
            yield Held(fd)
        finally:
            os.close(fd)  # closing the descriptor releases the lock
