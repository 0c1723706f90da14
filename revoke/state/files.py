"""File handling shared by the journal and the token ledger: private folders, regular
files only, and no chmod of a file somebody else made.

- Parent folders we create are 0700 whatever the umask (mkdir's mode is masked by it),
  and folders that already exist are left as they are: they are not ours to change.
- A path that is a device, a FIFO, a socket or a folder is refused before it is opened
  for writing: `--journal /dev/stdout` or a FIFO would otherwise take records nobody
  keeps, or block the run.
- A file we create is 0600; a file that was already there keeps its mode (the responder,
  or their organisation, chose it).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


class NotARegularFile(OSError):
    """The path exists but is not a regular file."""


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def refuse_special(path: Path) -> None:
    """Raise NotARegularFile when `path` exists and is anything but a regular file."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # absent (or under a file): opening it says why
    if not stat.S_ISREG(mode):
        raise NotARegularFile(errno.EINVAL, f"it is {kind_of(mode)}, not a regular file")


def make_private_dirs(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents with mode 0700, whatever the umask.

    Returns the folders created (the caller fsyncs their parents)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    created = []
    for path in reversed(missing):
        try:
            os.mkdir(path, PRIVATE_DIR)
        except FileExistsError:
            continue  # another writer made it first: theirs, leave its mode
        os.chmod(path, PRIVATE_DIR)  # the umask may have taken bits; put exactly 0700
        created.append(path)
    return created


def open_private(path: Path, flags: int) -> tuple[int, bool]:
    """Open a regular file for writing, creating it 0600 when absent: (fd, created).

    Never changes the mode of a file that was already there. O_NONBLOCK keeps a FIFO
    that appears between the check and the open from blocking; it is refused by fstat.
    """
    refuse_special(path)
    make_private_dirs(path.parent)
    base = flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    created = True
    try:
        fd = os.open(path, base | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        created = False
        fd = os.open(path, base)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(errno.EINVAL, f"it is {kind_of(mode)}, not a regular file")
        if created:
            os.fchmod(fd, PRIVATE_FILE)  # ours: exactly 0600, whatever the umask allowed
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    if created:
        fsync_dir(path.parent)
    return fd, created


def fsync_dir(path: Path) -> None:
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
