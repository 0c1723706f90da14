"""What every command receives: the global options, and lazy access to AWS.

Like httpie's Environment, streams and terminal checks live here so commands can be
tested without a terminal. Nothing here imports boto3: `revoke --help` and offline
rendering must start fast (STYLE.md, practice 6).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession

OUTPUT_FORMATS = ("json", "table", "text")


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "revoke"


def default_journal_path() -> Path:
    return default_state_dir() / "journal.jsonl"


@dataclass
class Globals:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    output: str = "json"
    journal_path: Path = field(default_factory=default_journal_path)
    yes: bool = False
    debug: bool = False
    stdin_isatty: bool = False
    _aws: AwsSession | None = field(default=None, repr=False)

    def aws(self) -> AwsSession:
        """The one AWS session of this run, created on first use (boto3 imported here)."""
        if self._aws is None:
            from revoke.aws.session import AwsSession

            self._aws = AwsSession(
                profile=self.profile, region=self.region, endpoint_url=self.endpoint_url
            )
        return self._aws

    @property
    def state_dir(self) -> Path:
        return self.journal_path.parent

    def say(self, message: str) -> None:
        """Progress and narration for people: stderr, never stdout."""
        typer.echo(message, err=True)

    def warn(self, message: str) -> None:
        typer.echo(f"warning: {message}", err=True)

    def confirm(self, question: str) -> bool:
        """Ask before changing anything, but only a person at a terminal.

        `--yes`, or a stdin that is not a terminal (a script, a pipe), skips the prompt.
        """
        if self.yes or not self.stdin_isatty:
            return True
        return typer.confirm(question, default=False, err=True)


def get_globals(ctx: typer.Context) -> Globals:
    obj: Any = ctx.find_root().obj
    if isinstance(obj, Globals):
        return obj
    g = Globals(stdin_isatty=sys.stdin.isatty())
    ctx.find_root().obj = g
    return g
