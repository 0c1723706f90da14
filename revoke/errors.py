"""Exit codes and the error hierarchy.

Every failure a responder can meet is one of these: a one-line message they can act on,
an optional hint (the next command to try), and the exit code scripts rely on
(DESIGN.md, "Exit codes"). The CLI has one boundary that turns them into output.
Pure: no boto3 here, so `revoke/core` may raise these too.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    BAD_INPUT = 2
    UNVERIFIED = 3
    PARTIAL = 4
    # 128 + the signal's number, as shells report it: the run stopped on the signal after
    # journalling what was in flight (DESIGN.md, "Exit codes").
    HANGUP = 129
    INTERRUPTED = 130
    TERMINATED = 143
    NO_CREDENTIALS = 253
    AWS_FAILURE = 254


class RevokeError(Exception):
    """Base of every error the CLI reports as one line (plus an optional hint)."""

    exit_code: ExitCode = ExitCode.AWS_FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class BadInput(RevokeError):
    """Usage, names, times, size budget: refused before anything was changed."""

    exit_code = ExitCode.BAD_INPUT


class NotVerified(RevokeError):
    """Applied, but verification did not confirm it before the deadline."""

    exit_code = ExitCode.UNVERIFIED


class PartialFailure(RevokeError):
    """Some targets failed, the others were applied."""

    exit_code = ExitCode.PARTIAL


class NoCredentials(RevokeError):
    """No usable credentials or configuration."""

    exit_code = ExitCode.NO_CREDENTIALS


class AwsFailure(RevokeError):
    """AWS refused or failed: AccessDenied, NoSuchEntity, endpoint unreachable."""

    exit_code = ExitCode.AWS_FAILURE

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
