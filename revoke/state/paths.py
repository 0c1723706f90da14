"""Where revoke keeps what lives on the responder's disk: the journal and the token ledger.

`$XDG_STATE_HOME/revoke/`, else `~/.local/state/revoke/`. The XDG Base Directory
specification says a relative path in an XDG variable is invalid and to be ignored
(https://specifications.freedesktop.org/basedir-spec/latest/), so a relative
`XDG_STATE_HOME` never sends the journal into whatever folder the responder stands in.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or ""
    if not os.path.isabs(base):
        base = str(Path.home() / ".local" / "state")
    return Path(base) / "revoke"


def default_journal_path() -> Path:
    return default_state_dir() / "journal.jsonl"
