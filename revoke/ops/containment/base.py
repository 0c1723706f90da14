"""What every part of the recorder shares: its inputs, its per-target state, its lock.

The recorder (revoke.ops.containment.recorder.RevocationRecorder) is one object whose
parts live in the modules beside this one: planning (read-only), evidence, the journal
records, the step executors. Each part is a class over this base.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from revoke.core.plan import AccessKey, PrincipalState, TargetPlan
from revoke.ops.containment.options import ContainmentOptions
from revoke.state.journal import Journal

if TYPE_CHECKING:
    from revoke.aws.containment_calls import ContainmentCalls
    from revoke.aws.iam import IamGateway


def _now() -> datetime:
    return datetime.now(timezone.utc)


class RecorderBase:
    """The recorder's inputs and per-target state (keyed by `_key`), shared by its parts."""

    def __init__(
        self,
        gateway: IamGateway,
        journal: Journal,
        *,
        actor: dict[str, str],
        cutoff: str,
        options: ContainmentOptions | None = None,
        clock: Callable[[], datetime] = _now,
        calls: ContainmentCalls | None = None,
    ) -> None:
        self.gateway = gateway
        self._calls = calls
        self.journal = journal
        self.actor = actor
        self.cutoff = cutoff
        self.options = options or ContainmentOptions()
        self.clock = clock
        self.written: dict[tuple[str, str], dict[str, Any]] = {}
        self._states: dict[tuple[str, str], PrincipalState] = {}
        self._profiles: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._last_used_read: set[str] = set()
        self._evidence: dict[tuple[str, str], dict[str, Any]] = {}
        self._intents: dict[tuple[str, str], str] = {}
        # Rows whose intent the run announced before its first write (JournalRecords).
        self._announced: dict[tuple[str, str], TargetPlan] = {}
        self._to_announce: list[TargetPlan] = []
        self._announce_at = 0  # the announce list's rows before this are on disk
        self._announce_index: dict[tuple[str, str], int] = {}
        self._announce_lock = threading.Lock()
        self._listed: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def calls(self) -> ContainmentCalls:
        """The issue-15 reads and writes, on the gateway's session (made when first used)."""
        if self._calls is None:
            from revoke.aws.containment_calls import ContainmentCalls

            self._calls = ContainmentCalls(self.gateway.session)
        return self._calls

    @staticmethod
    def _key(kind: str, name: str) -> tuple[str, str]:
        return (kind, name.lower())

    def _read_last_used(self, access_key: AccessKey) -> None:
        self.gateway.key_last_used(access_key)
        with self._lock:
            self._last_used_read.add(access_key.access_key_id)
