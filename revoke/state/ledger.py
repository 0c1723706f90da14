"""The local ledger of tokens `revoke token issue` has issued: what, whose, when, never secrets.

AWS does not tell a token's holder when it was issued, and `revoke token inspect` needs
that to say whether a cutoff covers it. So every issued token gets a line here: JSON lines
at `<state dir>/tokens.jsonl` (next to the journal), appended with O_APPEND so concurrent
writers do not interleave inside a line. File handling is the journal's
(revoke.state.files): a regular file only, created 0600 in folders created 0700, and a
file that was already there keeps its mode. A damaged line is skipped with a warning.

A record is built field by field from names below, never from the STS answer as a whole,
so a secret access key or session token cannot slip in.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from revoke.errors import BadInput
from revoke.state.files import NotARegularFile, open_private, refuse_special

LEDGER_NAME = "tokens.jsonl"
_TIME = "%Y-%m-%dT%H:%M:%SZ"


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(_TIME)


@dataclass(frozen=True)
class TokenRecord:
    access_key_id: str
    principal_arn: str
    account: str
    issued_at: str  # UTC, `...Z`
    expires_at: str  # UTC, `...Z`
    duration_seconds: int
    mfa: bool
    mfa_serial: str | None = None
    source_access_key_id: str | None = None  # the long-term key that minted it
    profile_written: str | None = None
    recorded_at: str | None = None  # this machine's clock when the line was written

    @classmethod
    def from_json(cls, data: dict[str, object]) -> TokenRecord:
        known = {name: data.get(name) for name in cls.__dataclass_fields__}
        return cls(**known)  # type: ignore[arg-type]

    def issued(self) -> datetime:
        return datetime.strptime(self.issued_at, _TIME).replace(tzinfo=timezone.utc)

    def expires(self) -> datetime:
        return datetime.strptime(self.expires_at, _TIME).replace(tzinfo=timezone.utc)


def new_record(
    *,
    access_key_id: str,
    principal_arn: str,
    account: str,
    expiration: datetime,
    duration_seconds: int,
    mfa_serial: str | None,
    source_access_key_id: str | None,
    profile_written: str | None,
    now: datetime,
) -> TokenRecord:
    """The issue time is the expiry minus the duration: AWS's clock, not this machine's.

    AWS sets Expiration = issue time + DurationSeconds, so this reads the issue time off
    the endpoint's own clock (a sandbox's virtual clock included) to the second; a laptop
    whose clock is off by minutes would otherwise misjudge a cutoff.

    Expiration comes in whole seconds, so this is the issue time truncated to the second.
    Against a cutoff in whole seconds (the only kind written, fact 11) that is exact:
    floor(t) < c exactly when t < c, so DateLessThan's verdict (fact 10) is unchanged.
    """
    from datetime import timedelta

    issued = expiration - timedelta(seconds=duration_seconds)
    return TokenRecord(
        access_key_id=access_key_id,
        principal_arn=principal_arn,
        account=account,
        issued_at=_utc(issued),
        expires_at=_utc(expiration),
        duration_seconds=duration_seconds,
        mfa=mfa_serial is not None,
        mfa_serial=mfa_serial,
        source_access_key_id=source_access_key_id,
        profile_written=profile_written,
        recorded_at=_utc(now),
    )


def _warn_stderr(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


class Ledger:
    def __init__(self, path: Path, *, warn: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.warn = warn or _warn_stderr

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> Ledger:
        return cls(state_dir / LEDGER_NAME)

    def append(self, record: TokenRecord) -> None:
        line = json.dumps(asdict(record), separators=(",", ":"), sort_keys=True) + "\n"
        try:
            fd, _created = open_private(self.path, os.O_RDWR | os.O_APPEND)
            try:
                if os.fstat(fd).st_size and os.pread(fd, 1, os.fstat(fd).st_size - 1) != b"\n":
                    line = "\n" + line  # after a torn line: ours stays on its own line
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except NotARegularFile as err:
            raise BadInput(
                f"cannot use {self.path} as the token ledger: {err.strerror}",
                hint="set XDG_STATE_HOME or --journal to a folder of regular files",
            ) from None
        except OSError as err:
            raise BadInput(
                f"cannot write the token ledger {self.path}: {err.strerror or err}",
                hint="set XDG_STATE_HOME or --journal to a writable folder",
            ) from None

    def records(self) -> Iterator[TokenRecord]:
        """Every readable record, oldest first; a damaged line is skipped with a warning."""
        try:
            refuse_special(self.path)
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        except OSError as err:
            self.warn(f"cannot read the token ledger {self.path}: {err.strerror or err}")
            return
        damaged: list[int] = []
        with handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    data = json.loads(raw)
                    if not isinstance(data, dict) or not data.get("access_key_id"):
                        raise ValueError("not a token record")
                    record = TokenRecord.from_json(data)
                except (ValueError, TypeError):  # UnicodeDecodeError is a ValueError
                    damaged.append(number)
                    continue
                yield record
        if damaged:
            shown = ", ".join(str(n) for n in damaged[:5]) + (", ..." if len(damaged) > 5 else "")
            self.warn(
                f"the token ledger {self.path} has {len(damaged)} damaged line(s) (line "
                f"{shown}), skipped: the tokens they recorded are not known to revoke"
            )

    def find(self, access_key_id: str) -> TokenRecord | None:
        """The latest record of this key ID (a sandbox reset can reuse one)."""
        found = None
        for record in self.records():
            if record.access_key_id == access_key_id:
                found = record
        return found
