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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from revoke.errors import BadInput

LOCKS_DIR = "locks"
# How long a run waits for another run's write to the same principal: one write, its
# read-back and a restore take seconds, even throttled.
DEFAULT_WAIT = 120.0


class Held:
    """A principal's lock, held: its generation, and the way to say "I wrote"."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.generation = _read_generation(fd)

    def bump(self) -> None:
        self.generation += 1
        data = str(self.generation).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)


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

    def path_for(self, account: str | None, kind: str, name: str) -> Path:
        # IAM names are case-insensitive; hashing keeps any name a valid file name.
        key = f"{account or '-'}:{kind}:{name.lower()}".encode()
        return self.folder / f"{kind}-{hashlib.sha256(key).hexdigest()[:32]}.lock"

    def _open(self, path: Path) -> int:
        old = os.umask(0o077)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError as err:
            raise BadInput(
                f"cannot open the lock file {path}: {err.strerror}",
                hint="the journal's folder must be writable (--journal PATH)",
            ) from None
        finally:
            os.umask(old)

    def generation(self, account: str | None, kind: str, name: str) -> int:
        """The principal's generation now, read without the lock (0: never written here)."""
        try:
            fd = os.open(self.path_for(account, kind, name), os.O_RDONLY | os.O_CLOEXEC)
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

        path = self.path_for(account, kind, name)
        fd = self._open(path)
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
