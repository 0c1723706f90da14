"""The journal's write-ahead bookkeeping (issue 14): which records are an intent or its
close rather than a change, who wrote an intent (and whether that process still runs), and
the error raised when a change is in force but its outcome could not be journalled."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

from revoke.state.backends import JournalError
from revoke.state.journal.records import CLOSE, INTENT


class OutcomeNotJournalled(JournalError):
    """A change is in force in AWS but its outcome record could not be written; its
    intent record is on disk, so `revoke journal reconcile` can journal it later."""


def is_bookkeeping(record: Mapping[str, Any]) -> bool:
    """An "intent" or "close" record: write-ahead bookkeeping, not a change."""
    return record.get("action") in (INTENT, CLOSE)


def intent_owner_alive(record: Mapping[str, Any]) -> bool:
    """Whether the process that wrote an intent is still running on this machine (its
    write may still be in flight: not ours to reconcile)."""
    if record.get("host") != socket.gethostname():
        return False
    pid = record.get("pid")
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_identity() -> dict[str, Any]:
    """`pid` and `host` for an intent record: which process's write it announces."""
    return {"pid": os.getpid(), "host": socket.gethostname()}
