"""The interactive prompt and the progress of a bulk run, on a real terminal (a pty, 80
columns), against a sandbox served by `revoke sandbox serve` in its own process: what a
responder sees. Each step reads the terminal until the text expected appears (one generous
deadline for the whole read), never sleeps.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shlex
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from revoke.core.policy import POLICY_NAME

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
CUTOFF = "2026-11-01T05:00:00Z"
ACCOUNT = "123456789012"
WIDTH = 80
DEADLINE = 120.0  # seconds for everything one terminal is expected to show
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
BULK = 200


@dataclass
class Terminal:
    """`revoke ARGS` on a pty of WIDTH columns: its screen output, read as it comes."""

    pid: int
    fd: int
    seen: str = ""
    status: int | None = field(default=None)

    def read_until(self, pattern: str, deadline: float) -> re.Match[str]:
        wanted = re.compile(pattern)
        while True:
            found = wanted.search(plain(self.seen))
            if found:
                return found
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {pattern!r}; the terminal showed:\n{plain(self.seen)}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready and not self._read():
                found = wanted.search(plain(self.seen))
                assert found, f"exited before {pattern!r}; it showed:\n{plain(self.seen)}"
                return found

    def _read(self) -> bool:
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.seen += chunk.decode("utf-8", "replace")
        return True

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def wait(self, deadline: float) -> int:
        """Read to the end of the output, then the exit code."""
        while self._read_some(deadline):
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)

    def _read_some(self, deadline: float) -> bool:
        left = deadline - time.monotonic()
        assert left > 0, f"still running; it showed:\n{plain(self.seen)}"
        ready, _, _ = select.select([self.fd], [], [], left)
        return bool(ready) and self._read()


def plain(text: str) -> str:
    """What the screen shows as text: escape sequences out, CR LF as LF."""
    return ANSI.sub("", text).replace("\r\n", "\n")


def spawn(env: dict[str, str], *args: str) -> Terminal:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal (Ctrl-C is SIGINT)
        try:
            # As a login shell would start it: a test run started in the background (`&`
            # in a script) inherits SIGINT ignored, and Python keeps an ignored SIGINT, so
            # Ctrl-C would reach nobody (a terminal session never starts that way).
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execve(str(BIN / "revoke"), [str(BIN / "revoke"), *args], env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, WIDTH, 0, 0))
    return Terminal(pid, fd)


@dataclass
class Served:
    process: subprocess.Popen[str]
    banner: dict[str, str]
    home: Path

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "XDG_STATE_HOME": str(self.home / "state"),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "AWS_CONFIG_FILE": str(self.home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "no-credentials"),
            "NO_PROXY": "127.0.0.1,localhost",
            **{k: v for k, v in self.banner.items() if k.startswith("AWS_")},
        }

    def iam(self) -> Any:
        return boto3.client(
            "iam",
            endpoint_url=self.banner["AWS_ENDPOINT_URL"],
            region_name=self.banner["AWS_DEFAULT_REGION"],
            aws_access_key_id=self.banner["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.banner["AWS_SECRET_ACCESS_KEY"],
        )


def serve(home: Path, *extra: str) -> Iterator[Served]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    process = subprocess.Popen(
        [str(BIN / "revoke"), "sandbox", "serve", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    banner: dict[str, str] = {}
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("export "):
                name, value = line.removeprefix("export ").rstrip("\n").split("=", 1)
                banner[name] = shlex.split(value)[0]
            if line.startswith("unset "):
                break
        assert banner.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:"), banner
        yield Served(process, banner, home)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("tty"))


def has_deny(iam: Any, name: str) -> bool:
    return POLICY_NAME in iam.list_user_policies(UserName=name)["PolicyNames"]


@pytest.fixture(scope="module")
def two_users(served: Served) -> Any:
    """alice: an active access key, no revocation; bob: the cutoff already in force."""
    iam = served.iam()
    for name in ("alice", "bob"):
        iam.create_user(UserName=name)
    iam.create_access_key(UserName="alice")
    term = spawn(served.env(), "--yes", "user", "bob", "--before", CUTOFF, "--no-verify")
    assert term.wait(time.monotonic() + DEADLINE) == 0, plain(term.seen)
    assert has_deny(iam, "bob")
    return iam


def prompt(served: Served) -> tuple[Terminal, float]:
    deadline = time.monotonic() + DEADLINE
    term = spawn(served.env(), "user", "alice", "bob", "--before", CUTOFF)
    term.read_until(r"\[y/N\]: ?$", deadline)
    return term, deadline


def test_the_prompt_shows_the_plan_and_n_changes_nothing(served: Served, two_users: Any) -> None:
    term, deadline = prompt(served)
    screen = plain(term.seen)
    # At 80 columns a long line wraps between words, never inside an ID, ARN or time.
    for line in screen[: screen.index("Write the deny")].splitlines():
        assert len(line) <= WIDTH or len(line.split()) == 1, line
    before_question = " ".join(screen[: screen.index("Write the deny")].split())
    assert f"plan: deny sessions issued before {CUTOFF} to 2 users in account {ACCOUNT}" in (
        before_question
    )
    assert "user alice: write the deny (inline policy AWSRevokeOlderSessions)" in before_question
    assert f"user bob: unchanged: cutoff {CUTOFF} is already in force" in before_question
    # The active-keys warning bears on the decision: it comes before the question.
    assert re.search(r"warning: user alice still has active access keys \(AKIA", before_question)
    # The count is of the principals that change, out of those named.
    assert f"Write the deny to 1 of 2 users in account {ACCOUNT}?" in screen
    term.send("n\r")
    code = term.wait(deadline)
    assert code == 0, plain(term.seen)
    assert "nothing was changed: declined at the prompt (1 of 2 users planned)" in plain(term.seen)
    assert not has_deny(two_users, "alice")


def test_ctrl_c_at_the_prompt_changes_nothing_and_exits_130(served: Served, two_users: Any) -> None:
    term, deadline = prompt(served)
    term.send("\x03")  # Ctrl-C: the terminal sends SIGINT to the run
    term.read_until(r"nothing was changed", deadline)
    assert term.wait(deadline) == 130
    assert not has_deny(two_users, "alice")


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A sandbox answering every request a little late, so each phase of a bulk run is long
    enough for its progress line to be drawn (what the test reads, not how long it took)."""
    yield from serve(tmp_path_factory.mktemp("bulk"), "--latency-ms", "40")


def test_a_bulk_run_on_80_columns_shows_progress_and_nothing_wraps(slow: Served) -> None:
    iam = slow.iam()
    for i in range(BULK):
        iam.create_user(UserName=f"user{i:03d}")
    deadline = time.monotonic() + DEADLINE
    term = spawn(slow.env(), "--yes", "user", "--all", "--before", CUTOFF)
    term.read_until(rf"writing +\S* *\d+/{BULK}", deadline)
    code = term.wait(deadline)
    assert code == 0, plain(term.seen)
    screen = plain(term.seen)
    print(screen)  # what the terminal showed, for a failure's report
    # Every progress redraw (CR) and every table line fits: nothing wraps, so no account
    # ID, timestamp or user name is split across two lines.
    drawn = [piece for line in screen.split("\n") for piece in line.split("\r")]
    progress = [piece for piece in drawn if " eta " in piece]
    table = [piece for piece in drawn if piece[:1] in "┏┃┡│└"]
    assert progress and table
    too_wide = [piece for piece in progress + table if len(piece) > WIDTH]
    assert not too_wide, too_wide
    assert re.search(rf"planning .*\d+/{BULK}", screen)
    # Elapsed time, rate and ETA beside the count.
    assert re.search(rf"writing .*\d+/{BULK} +\d+:\d\d:\d\d .*/s eta ", screen)
    # One line at the end, not 200 `verify user ...` lines.
    assert not re.search(r"^verify user user\d+", screen, re.M)
    assert re.search(
        rf"^revoked {BULK} of {BULK} users in \d+\.\d s: {BULK} verified \(enforcement skipped\)$",
        screen,
        re.M,
    )
    # 200 rows are not read: the first 50, and a line for the rest.
    assert f"{BULK - 50} more like these: --output text or json lists every target" in screen
    assert has_deny(iam, "user000") and has_deny(iam, f"user{BULK - 1:03d}")
