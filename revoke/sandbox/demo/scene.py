"""What the demo's steps share: the `Scene`, one `revoke ...` run (`Invocation`), a step's
shape (`Step`) and the failure a step raises (`Unexpected`).

Split out of revoke.sandbox.demo.scenario (the basic incident's steps, which re-exports
these names) and used by the pivot scenario too. The responder's steps are the real
commands, run in this process through the command line's entry point (`Scene.cli`, given
by the caller), so the sandbox never imports the command line or the workflows behind it.
"""

from __future__ import annotations

import io
import json
import shlex
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The command line's entry point, `main(argv)`: it ends as a console script does, by
# returning or with SystemExit(code).
Cli = Callable[[list[str]], object]

REGION = "us-east-1"


class Unexpected(Exception):
    """A step did not behave: what was expected, and what happened instead."""

    def __init__(self, expected: str, found: str) -> None:
        super().__init__(f"expected {expected}; found {found}")
        self.expected = expected
        self.found = found


def expect(holds: bool, expected: str, found: str) -> None:
    if not holds:
        raise Unexpected(expected, found)


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Scene], str]  # does the step, checks it, returns what happened


@dataclass
class Invocation:
    """One `revoke ...` run inside the demo: its exit code and its two streams."""

    argv: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def command(self) -> str:
        return "revoke " + shlex.join(self.argv)

    def json(self) -> dict[str, Any]:
        try:
            found = json.loads(self.stdout)
        except ValueError:
            raise Unexpected(
                f"one JSON object on the stdout of {self.command}",
                f"exit {self.code}, stdout {self.stdout[:200]!r}, stderr {self.stderr[-300:]!r}",
            ) from None
        return found if isinstance(found, dict) else {}


@dataclass
class Scene:
    """What the steps share: the sandbox, the files, and what earlier steps found."""

    home: Path
    journal_path: Path
    cli: Cli = field(repr=False)
    journal_kept: bool = False  # the caller's --journal, not a temporary one
    sandbox: Any = None
    key: dict[str, str] = field(default_factory=dict, repr=False)
    old_token: dict[str, str] = field(default_factory=dict, repr=False)
    old_key_id: str = ""
    revoked: dict[str, Any] = field(default_factory=dict)
    revoke_run: Invocation | None = None
    cutoff: str = ""
    journal_entry: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    # The pivot scenario's credentials (revoke.sandbox.demo.pivot); never noted.
    pivot: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def credentials_file(self) -> Path:
        return self.home / "aws" / "credentials"

    @property
    def config_file(self) -> Path:
        return self.home / "aws" / "config"

    def note(self, line: str) -> None:
        self.notes.append(line)

    def revoke(self, *argv: str) -> Invocation:
        """Run `revoke ARGV...` as a person would, in this process; note what it said."""
        out, err = io.StringIO(), io.StringIO()
        code: Any = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                self.cli(list(argv))
            except SystemExit as exit_:
                code = exit_.code
        code = code if isinstance(code, int) else (0 if code is None else 1)
        run = Invocation(list(argv), code, out.getvalue(), err.getvalue())
        self.note(f"$ {run.command}")
        self.notes.extend(f"| {line}" for line in run.stderr.splitlines() if line.strip())
        return run

    def client(self, service: str, credentials: dict[str, str]) -> Any:
        return self.sandbox.client(service, region_name=REGION, **credentials)

    def try_call(self, service: str, credentials: dict[str, str]) -> Any:
        """The probe call (s3:ListAllMyBuckets) with these credentials, classified as the
        product's verification classifies it (allowed, explicit deny, ...)."""
        from revoke.aws.probe import Probe

        return Probe(client=self.client(service, credentials)).attempt()
