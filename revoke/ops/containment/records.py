"""The recorder's journal records: the write-ahead intent, the outcome, its close, the
verification.

The intent is on disk (fsynced) before the first AWS write for a target; the outcome
record names the intent it closes ("close" when nothing changed); when it cannot be
written, OutcomeNotJournalled says what is in force in AWS but not in the journal.
"""

from __future__ import annotations

from typing import Any, Protocol

from revoke.core.plan import STATUS_APPLIED, STATUS_FAILED, TargetPlan
from revoke.core.policy import compact
from revoke.core.timeparse import cutoff_datetime
from revoke.ops.containment.base import RecorderBase
from revoke.ops.containment.options import (
    DEACTIVATE_KEY,
    DELETE_LOGIN_PROFILE,
    DONE,
    FAILED,
    PLANNED,
    PUT_POLICY,
)
from revoke.ops.containment.summary import done_phrases, step_summary
from revoke.state.journal import (
    CLOSE,
    INTENT,
    JournalError,
    OutcomeNotJournalled,
    writer_identity,
)

# Intents per journal write when a run announces its targets: small enough that the
# first write costs the run's start a few milliseconds, large enough that one fsync
# covers the next targets of every worker.
ANNOUNCE_CHUNK = 64


class VerifiedRun(Protocol):
    """What record_verification reads of a run (revoke.ops.revocation.RunResult)."""

    targets: list[TargetPlan]
    warnings: list[str]


class JournalRecords(RecorderBase):
    """Every journal record of the run: intent before the writes, outcome after them."""

    def _target(self, row: TargetPlan) -> dict[str, Any]:
        state = self._states.get(self._key(row.kind, row.name))
        return {"kind": row.kind, "name": row.name, "arn": state.arn if state else None}

    def _policy(self, row: TargetPlan) -> dict[str, Any]:
        return {
            "name": row.policy_name,
            "mechanism": row.mechanism,
            "managed_policy_arn": row.managed_policy_arn,
        }

    def _intent(self, row: TargetPlan) -> dict[str, Any]:
        """What is about to be written for this target."""
        writes: list[dict[str, Any]] = []
        if not _same(row.previous_document, row.policy_document):
            writes.append({"action": PUT_POLICY, **self._policy(row)})
        writes += [dict(s) for s in row.containment if s.get("result") == PLANNED]
        return {
            "action": INTENT,
            "actor": self.actor.get("arn"),
            "account": row.account or self.actor.get("account"),
            "target": self._target(row),
            "cutoff": self.cutoff,
            "previous_cutoff": row.previous_cutoff,
            "policy": self._policy(row),
            "before": row.previous_document,
            "after": row.policy_document,
            "writes": writes,
            **writer_identity(),
        }

    def announce(self, rows: list[TargetPlan]) -> None:
        """The run's planned targets, whose intents go to disk ahead of their writes in
        chunks of ANNOUNCE_CHUNK, one write and one fsync each: the first now (before the
        run's first AWS write), the next when a worker reaches a target not yet announced
        (while the other workers wait on the network, not on the journal). JournalError:
        the first chunk is not on disk, and nothing may be written."""
        with self._announce_lock:
            self._to_announce = list(rows)
            self._announce_at = 0
            self._announce_index = {
                self._key(row.kind, row.name): i for i, row in enumerate(self._to_announce)
            }
            self._announce_up_to(min(ANNOUNCE_CHUNK, len(self._to_announce)))

    def _announce_up_to(self, end: int) -> None:
        """Write the intents of the announce list up to `end` (under _announce_lock)."""
        while self._announce_at < end:
            chunk = self._to_announce[self._announce_at : self._announce_at + ANNOUNCE_CHUNK]
            written = self.journal.append_many([self._intent(row) for row in chunk])
            with self._lock:
                for row, body in zip(chunk, written, strict=True):
                    key = self._key(row.kind, row.name)
                    self._intents[key] = body["hash"]
                    self._announced[key] = row
            self._announce_at += len(chunk)

    def _write_intent(self, row: TargetPlan) -> None:
        """The target's intent on disk before its first write: announced (now, with its
        chunk, if not yet), or (the row planned again under its lock, or never announced)
        written now; an announced intent the row no longer matches is closed once the
        new one is on disk."""
        key = self._key(row.kind, row.name)
        index = self._announce_index.get(key)
        if index is not None and index >= self._announce_at:
            with self._announce_lock:  # JournalError: this chunk is not on disk
                self._announce_up_to(index + 1)
        with self._lock:
            announced = self._announced.pop(key, None)
        if announced is row:
            return
        written = self.journal.append(self._intent(row))
        with self._lock:
            replaced = self._intents.get(key) if announced is not None else None
            self._intents[key] = written["hash"]
        if announced is not None and replaced is not None:
            self._close(announced, replaced)

    def close_unstarted(self) -> None:
        """Close the announced intents of targets never started (the run stopped, or a fresh
        plan under the lock left nothing to write): nothing was done for them."""
        with self._lock:
            left = [
                (row, self._intents.pop(key))
                for key, row in self._announced.items()
                if key in self._intents
            ]
            self._announced.clear()
        if not left:
            return
        try:
            self.journal.append_many([self._close_record(row, intent) for row, intent in left])
        except JournalError:
            pass  # nothing is in force for them: a dangling intent is reconciled to the same

    def after_apply(self, row: TargetPlan) -> None:
        """One record if this target changed at all; nothing for a target left as it was."""
        policy_written = self._policy_written(row)
        steps_done = [s for s in row.containment if s.get("result") == DONE]
        steps_failed = [s for s in row.containment if s.get("result") == FAILED]
        if steps_failed and row.status == STATUS_APPLIED:
            row.status = STATUS_FAILED
            row.error_code = "ContainmentFailed"
            row.error = "; ".join(step_summary(s) for s in steps_failed)
        self._warn_token_gap(row, steps_done)
        after: dict[str, Any] | None
        if policy_written is None:  # interrupted mid-write: ask IAM what is there now
            after = self._read_current(row)
            policy_written = _text(after) != _text(row.previous_document)
        else:
            after = row.policy_document if policy_written else row.previous_document
        with self._lock:
            intent = self._intents.pop(self._key(row.kind, row.name), None)
        if not policy_written and not steps_done:
            if intent is not None:
                self._close(row, intent)
            return
        if row.status == STATUS_APPLIED:
            status = "applied"
        elif row.status == STATUS_FAILED:
            status = "failed"
        else:
            status = "interrupted"
        # Popped, like the evidence below: a bulk run keeps no per-target state it no
        # longer needs (its memory stays flat in the number of targets, issue 8).
        state = self._states.pop(self._key(row.kind, row.name), None)
        record = {
            "action": "revoke",
            "actor": self.actor.get("arn"),
            "account": row.account or self.actor.get("account"),
            "target": {"kind": row.kind, "name": row.name, "arn": state.arn if state else None},
            "status": status,
            "cutoff": self.cutoff,
            "previous_cutoff": row.previous_cutoff,
            "policy": {
                "name": row.policy_name,
                "mechanism": row.mechanism,
                "managed_policy_arn": row.managed_policy_arn,
            },
            "before": row.previous_document,
            "after": after,
            "containment": [dict(s) for s in row.containment],
            "evidence": self._evidence.pop(self._key(row.kind, row.name), {}),
            "verification": row.verification,
            "error": row.error,
            "warnings": list(row.warnings),
            "intent": intent,
        }
        try:
            written = self.journal.append(record)
        except JournalError as err:
            raise OutcomeNotJournalled(
                _not_journalled(row, policy_written, steps_done, err.message),
                hint="once the journal can be written: revoke journal reconcile",
            ) from None
        kept = {k: written.get(k) for k in ("account", "target", "hash", "verification")}
        with self._lock:
            self.written[self._key(row.kind, row.name)] = kept  # what record_verification needs

    def _close_record(self, row: TargetPlan, intent: str) -> dict[str, Any]:
        return {
            "action": CLOSE,
            "actor": self.actor.get("arn"),
            "account": row.account or self.actor.get("account"),
            "target": self._target(row),
            "cutoff": self.cutoff,
            "intent": intent,
            "status": "not_applied",
            "error": row.error or row.reason,
        }

    def _close(self, row: TargetPlan, intent: str) -> None:
        """Nothing was done for the target: its intent is closed, not left dangling."""
        try:
            self.journal.append(self._close_record(row, intent))
        except JournalError:
            pass  # nothing is in force: a dangling intent is reconciled to the same

    def _policy_written(self, row: TargetPlan) -> bool | None:
        """True: our document went in; False: it did not; None: unknown (interrupted)."""
        in_force = row.document_in_force
        if row.status == STATUS_APPLIED:
            return not in_force
        if row.status == STATUS_FAILED:
            return False
        return None if not in_force else False

    def _read_current(self, row: TargetPlan) -> dict[str, Any] | None:
        try:
            if row.mechanism == "managed" and row.managed_policy_arn:
                return self.gateway.managed_document(row.managed_policy_arn)
            return self.gateway.get_inline(row.kind, row.name, row.policy_name)
        except Exception:  # noqa: BLE001 - best effort while an interruption propagates
            return None

    def _warn_token_gap(self, row: TargetPlan, steps_done: list[dict[str, Any]]) -> None:
        # Deactivating a key does not revoke tokens already minted with it (fact 3), and
        # DateLessThan spares tokens issued after the cutoff (fact 22): a token minted
        # between the cutoff and the deactivation survives until a later cutoff covers it.
        times = [s["at"] for s in steps_done if s["action"] == DEACTIVATE_KEY and s.get("at")]
        if not times:
            return
        latest = max(times)
        if cutoff_datetime(latest[:19] + "Z") >= cutoff_datetime(self.cutoff):
            row.warnings.append(
                f"user {row.name}: a session minted with its keys between the cutoff "
                f"{self.cutoff} and their deactivation at {latest} is not denied; now that "
                f"the keys are inactive, close that gap: revoke user {row.name} --before now"
            )

    def record_verification(self, result: VerifiedRun) -> None:
        """A "verify" record for each journalled change whose verification ran since.

        A journal that fails here loses no change (those are journalled): a warning says
        which verification results are only in the output."""
        for row in result.targets:
            written = self.written.get(self._key(row.kind, row.name))
            if written is None or row.verification == written.get("verification"):
                continue
            try:
                self._append_verification(row, written)
            except JournalError as err:
                result.warnings.append(
                    f"verification results are not in the journal ({err.message}); the "
                    "changes themselves are"
                )
                return

    def _append_verification(self, row: TargetPlan, written: dict[str, Any]) -> None:
        self.journal.append(
            {
                "action": "verify",
                "actor": self.actor.get("arn"),
                "account": written.get("account"),
                "target": written.get("target"),
                "cutoff": self.cutoff,
                "ref": written["hash"],
                "verification": row.verification,
            }
        )


def _text(document: dict[str, Any] | None) -> str | None:
    return compact(document) if document is not None else None


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    return _text(a) == _text(b)


def _not_journalled(
    row: TargetPlan, policy_written: bool, steps_done: list[dict[str, Any]], why: str
) -> str:
    """One line: what of this target is in force in AWS but not fully journalled."""
    parts = []
    if policy_written:
        parts.append(f"the deny {row.policy_name} ({row.mechanism})")
    keys = [s["access_key_id"] for s in steps_done if s["action"] == DEACTIVATE_KEY]
    if keys:
        parts.append(f"access key(s) {', '.join(keys)} deactivated")
    if any(s["action"] == DELETE_LOGIN_PROFILE for s in steps_done):
        parts.append("console password removed")
    parts += done_phrases(steps_done)
    return (
        f"{row.kind} {row.name}: {' and '.join(parts)} in force in AWS but not fully "
        f"journalled (only its intent record is): {why}"
    )
