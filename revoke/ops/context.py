"""The run context: what every workflow receives from whoever started it.

The command line builds one from its global options (revoke.cli.context); a test, the
demo or a Lambda handler builds one directly. Workflows never look at the command line:
profile, region, endpoint, journal path, output mode, `--yes`, the clock and the way to
talk to the responder all arrive here. Nothing here imports boto3, so `revoke --help` and
offline rendering start fast (STYLE.md, practice 6).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from revoke.state.paths import default_journal_path

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession

OUTPUT_FORMATS = ("json", "table", "text")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _stderr(message: str) -> None:
    stream = sys.stderr
    stream.write(message + "\n")
    stream.flush()


def _never(question: str) -> bool:
    return False


@dataclass
class RunContext:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    output: str = "json"
    # --query: a JMESPath expression over the JSON result (None: the whole result).
    query: str | None = None
    journal_path: Path = field(default_factory=default_journal_path)
    yes: bool = False
    debug: bool = False
    stdin_isatty: bool = False
    # --timeout: the run's deadline for every AWS call and credential_process (None: none).
    timeout: float | None = None
    # The clock every cutoff ("now", "-2h") is read against: a test fixes it.
    clock: Callable[[], datetime] = field(default=utc_now, repr=False)
    # Narration for people (stderr, never stdout) and the yes/no question of a person at a
    # terminal; the CLI gives its own (typer's prompt).
    tell: Callable[[str], None] = field(default=_stderr, repr=False)
    ask: Callable[[str], bool] = field(default=_never, repr=False)
    _aws: AwsSession | None = field(default=None, repr=False)

    def aws(self) -> AwsSession:
        """The one AWS session of this run, created on first use (boto3 imported here)."""
        if self._aws is None:
            from revoke.aws.session import AwsSession

            self._aws = AwsSession(
                profile=self.profile,
                region=self.region,
                endpoint_url=self.endpoint_url,
                timeout=self.timeout,
            )
        return self._aws

    def now(self) -> datetime:
        return self.clock()

    @property
    def state_dir(self) -> Path:
        """Where the token ledger and the per-principal locks live: beside a local journal;
        with a journal in S3 or DynamoDB, the local state folder (never a folder named
        after the bucket in the current directory)."""
        from revoke.state.backends import parse_location
        from revoke.state.paths import default_state_dir

        if parse_location(self.journal_path) is not None:
            return default_state_dir()
        return self.journal_path.parent

    def say(self, message: str) -> None:
        """Progress and narration for people: stderr, never stdout."""
        self.tell(message)

    def warn(self, message: str) -> None:
        self.tell(f"warning: {message}")

    def confirm(self, question: str) -> bool:
        """Ask before changing anything, but only a person at a terminal.

        `--yes`, or a stdin that is not a terminal (a script, a pipe), skips the prompt.
        """
        if self.yes or not self.stdin_isatty:
            return True
        return self.ask(question)
