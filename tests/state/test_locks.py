"""Per-principal locks: one run at a time writes one principal's revocation, across
processes of one machine; a dead holder never leaves it locked."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from revoke.errors import BadInput
from revoke.state.locks import PrincipalLocks


def test_a_second_holder_waits_for_the_first(tmp_path: Path) -> None:
    locks = PrincipalLocks(tmp_path)
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def first() -> None:
        with locks.hold("123456789012", "user", "alice"):
            order.append("first in")
            inside.set()
            release.wait()
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait()
    polls: list[float] = []

    def poll(seconds: float) -> None:  # the waiting run's pause: lets the holder go on
        polls.append(seconds)
        release.set()
        thread.join()

    with PrincipalLocks(tmp_path, poll=poll).hold("123456789012", "user", "ALICE"):
        order.append("second in")
    assert order == ["first in", "first out", "second in"]
    assert polls, "the second run did wait"


def test_other_principals_do_not_wait(tmp_path: Path) -> None:
    locks = PrincipalLocks(tmp_path, wait=0)
    with locks.hold("123456789012", "user", "alice"):
        with locks.hold("123456789012", "user", "bob"):
            pass
        with locks.hold("210987654321", "user", "alice"):  # same name, other account
            pass
        with locks.hold("123456789012", "role", "alice"):
            pass


def test_waiting_too_long_is_one_clear_error(tmp_path: Path) -> None:
    locks = PrincipalLocks(tmp_path, wait=0)
    with locks.hold(None, "role", "deploy"):
        with pytest.raises(BadInput, match="another revoke run") as err:
            with locks.hold(None, "role", "deploy"):
                pass
    assert "nothing was written" in err.value.message


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    # Another process takes the lock and says so; SIGKILL it; the lock is free at once.
    code = (
        "import sys; from pathlib import Path; from revoke.state.locks import PrincipalLocks\n"
        f"cm = PrincipalLocks(Path({str(tmp_path)!r})).hold(None, 'user', 'alice')\n"
        "cm.__enter__(); print('held', flush=True); sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(BadInput):
            with PrincipalLocks(tmp_path, wait=0).hold(None, "user", "alice"):
                pass
        holder.kill()
        holder.wait()
        with PrincipalLocks(tmp_path, wait=0).hold(None, "user", "alice"):
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_lock_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        locks = PrincipalLocks(tmp_path / "state")
        with locks.hold(None, "user", "alice"):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(locks.folder.stat().st_mode) == 0o700
    (lock,) = locks.folder.iterdir()
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600


def test_the_generation_says_another_run_wrote_since(tmp_path: Path) -> None:
    locks = PrincipalLocks(tmp_path)
    seen = locks.generation("123456789012", "user", "alice")
    assert seen == 0  # never written on this machine
    with locks.hold("123456789012", "user", "alice") as held:
        assert held.generation == seen  # nobody wrote since: the plan stands
        held.bump()
    other = PrincipalLocks(tmp_path)
    with other.hold("123456789012", "user", "alice") as held:
        assert held.generation != seen  # a run that planned before must plan again
    assert locks.generation("123456789012", "user", "alice") == 1
