"""The revocation run: plan (read) -> apply (write) -> read back, for many targets.

Data flows one way (DESIGN.md): names and cutoff -> core planner -> IamGateway writes ->
verification -> journal. One target's failure is that target's `failed` row; the others
go on. Reads and writes run in a bounded thread pool (fact 19: IAM throttles per account,
so the bound stays modest and botocore's standard retries absorb bursts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.names import TargetName
from revoke.core.plan import (
    STATUS_APPLIED,
    STATUS_FAILED,
    STATUS_PLANNED,
    PrincipalState,
    Quotas,
    TargetPlan,
    failed,
    plan_target,
)
from revoke.core.policy import POLICY_NAME, render_revocation
from revoke.errors import BadInput, ExitCode, NoCredentials, RevokeError
from revoke.ops.pool import map_bounded
from revoke.ops.readback import read_back, read_back_many, read_back_status
from revoke.ops.templates import deny_older_sessions

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway
    from revoke.ops.signals import RunStop

# Latency-bound: 16 calls in flight make a bulk run ~16x a sequential loop; when IAM
# throttles, revoke.aws.ratelimit paces the session down instead (fact 19).
DEFAULT_MAX_WORKERS = 16
# Failures that are the responder's input, not AWS's answer (exit 2 when nothing else ran).
INPUT_ERROR_CODES = {"SizeBudget", "BadInput", "UnreadableCutoff"}


@dataclass
class RunResult:
    action: str
    dry_run: bool
    cutoff: str
    targets: list[TargetPlan]
    warnings: list[str] = field(default_factory=list)
    actor: dict[str, str] | None = None
    # More top-level JSON keys from the command that started the run (`revoke key`: "key").
    details: dict[str, Any] = field(default_factory=dict)
    # Why apply_run stopped dispatching targets early (a signal, a journal that failed),
    # and the signal's number when it was one.
    stopped: str | None = None
    stop_signal: int | None = None
    journal_failed: bool = False
    # One line per change in force in AWS whose outcome record is not in the journal.
    unjournalled: list[str] = field(default_factory=list)
    # The residual report of each target contained (revoke.ops.residual.report_for(...)
    # .to_json(), set by revoke.ops.pipeline); None when the run read none (a dry run,
    # --offline, a declined prompt, a stopped or a bulk run: its warnings say which).
    residual: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "dry_run": self.dry_run,
            "cutoff": self.cutoff,
            **self.details,
            "targets": [t.to_json() for t in self.targets],
            **({"residual": self.residual} if self.action == "revoke" else {}),
            "warnings": self.warnings
            + [w for t in self.targets for w in t.warnings]
            + self._stop_warnings(),
        }

    def _stop_warnings(self) -> list[str]:
        lines = list(self.unjournalled)
        if self.stopped:
            left = [t for t in self.targets if t.status == STATUS_PLANNED and not self.dry_run]
            lines.append(
                f"the run stopped ({self.stopped}): {len(left)} target(s) not started; "
                f"re-run with --before {self.cutoff} to finish them"
                if left
                else f"the run stopped ({self.stopped}) after its last target"
            )
        return lines

    @property
    def changes(self) -> list[TargetPlan]:
        return [t for t in self.targets if t.changes]

    def exit_code(self) -> ExitCode:
        if self.unjournalled:
            return ExitCode.PARTIAL  # changes in force that the journal does not hold
        if self.stop_signal is not None:
            return ExitCode(128 + self.stop_signal)
        if self.journal_failed:
            applied = any(t.status == STATUS_APPLIED for t in self.targets)
            return ExitCode.PARTIAL if applied else ExitCode.BAD_INPUT
        failures = [t for t in self.targets if t.status == STATUS_FAILED]
        if failures and len(failures) < len(self.targets):
            return ExitCode.PARTIAL
        if failures:
            if all(t.error_code in INPUT_ERROR_CODES for t in failures):
                return ExitCode.BAD_INPUT
            if any(t.error_code == "NoCredentials" for t in failures):
                return ExitCode.NO_CREDENTIALS
            return ExitCode.AWS_FAILURE
        # Applied, but verification did not confirm it ("failed": a layer contradicts it).
        if any(t.verification.get("status") in ("unverified", "failed") for t in self.targets):
            return ExitCode.UNVERIFIED
        return ExitCode.OK


def render_for(cutoff: str) -> dict[str, Any]:
    return render_revocation(deny_older_sessions(), cutoff)


def offline_plan(
    kind: str, targets: Sequence[TargetName], cutoff: str, action: str = "revoke"
) -> RunResult:
    """`--offline`: the exact document each target would get, with no AWS call at all."""
    document = render_for(cutoff)
    rows = [
        TargetPlan(
            kind=kind,
            name=t.name,
            account=t.account,
            policy_name=POLICY_NAME,
            policy_document=document,
            status=STATUS_PLANNED,
        )
        for t in targets
    ]
    return RunResult(action=action, dry_run=True, cutoff=cutoff, targets=rows)


def _row_error(target: TargetName, kind: str, err: RevokeError) -> TargetPlan:
    code = getattr(err, "code", None)
    if isinstance(err, BadInput):
        code = code or "BadInput"
    elif isinstance(err, NoCredentials):
        code = "NoCredentials"
    return failed(kind, target.name, target.account, err.message, code)


@dataclass
class PlanReads:
    """What a plan needs read first: the account's quotas, and how to read each target."""

    quotas: Quotas
    read_state: Callable[[TargetName], PrincipalState]
    warnings: list[str]


def read_for_plan(
    gateway: IamGateway, kind: str, targets: Sequence[TargetName], quotas: Quotas | None = None
) -> PlanReads:
    """The quotas, read while the targets' states are: one round trip less before writing.
    Many targets: one bulk read for all of them (revoke.ops.bulkread), not calls per target."""
    from revoke.ops.bulkread import state_reader
    from revoke.ops.pool import Background

    warnings: list[str] = []
    asked = Background(lambda: quotas or gateway.account_quotas())
    read_state = state_reader(gateway, kind, targets, warnings)
    return PlanReads(asked.result(), read_state, warnings)


def plan_run(
    gateway: IamGateway,
    kind: str,
    targets: Sequence[TargetName],
    cutoff: str,
    *,
    force: bool = False,
    max_workers: int = DEFAULT_MAX_WORKERS,
    quotas: Quotas | None = None,
    action: str = "revoke",
    extend: Callable[[PrincipalState, TargetPlan], TargetPlan] | None = None,
    on_done: Callable[[Any], None] | None = None,
) -> RunResult:
    """Read every target's state (read-only calls) and decide what to write.

    `extend(state, row)` adds to a row from the state read for it (containment steps).
    """
    rendered = render_for(cutoff)
    reads = read_for_plan(gateway, kind, targets, quotas)
    limits, read_state, warnings = reads.quotas, reads.read_state, list(reads.warnings)

    def plan_one(target: TargetName) -> TargetPlan:
        try:
            state = read_state(target)
            if target.account and state.account and target.account != state.account:
                return failed(
                    kind,
                    target.name,
                    target.account,
                    f"{kind} ARN names account {target.account}, but the credentials in use "
                    f"are for account {state.account}",
                    "BadInput",
                )
            row = plan_target(state, cutoff, rendered, quotas=limits, force=force)
            return extend(state, row) if extend is not None else row
        except RevokeError as err:
            return _row_error(target, kind, err)

    rows = map_bounded(plan_one, list(targets), max_workers, on_done)
    return RunResult(action=action, dry_run=True, cutoff=cutoff, targets=rows, warnings=warnings)


def apply_run(
    gateway: IamGateway,
    result: RunResult,
    *,
    max_workers: int = DEFAULT_MAX_WORKERS,
    before_apply: Callable[[TargetPlan], None] | None = None,
    after_apply: Callable[[TargetPlan], None] | None = None,
    on_done: Callable[[Any], None] | None = None,
    verify: bool = True,
    guard: Callable[[TargetPlan], AbstractContextManager[TargetPlan]] | None = None,
    stop: RunStop | None = None,
    on_phase: Callable[[str, int | None], None] | None = None,
    before_all: Callable[[list[TargetPlan]], None] | None = None,
    after_all: Callable[[], None] | None = None,
) -> RunResult:
    """Write every planned row, then read it back (verification layer 1).

    Stopping (issue 14): while it writes, SIGINT/SIGTERM/SIGHUP only set `stop`
    (revoke.ops.signals): no target is started after it, the ones in flight finish and
    are journalled, and the result says why (`stopped`, `stop_signal`: exit 130/143/129).
    A journal that cannot take a target's intent fails that target before any write and
    stops the run the same way (exit 2 when nothing was changed, else 4); one that
    cannot take an outcome leaves a line in `unjournalled` (exit 4).

    `before_all(rows)` runs once, before the first write, with every row to be written
    (the recorder journals their intents ahead, in chunks); a JournalError from it stops
    the run before any write as a refused intent does (the first row fails, exit 2).
    `before_apply(row)` runs first for each row (evidence capture, containment steps); a
    RevokeError from it fails the row.
    `after_apply(row)` runs once for every row attempted, applied, failed or interrupted
    (the journal records whatever changed). `after_all()` runs once when no write is left
    in flight (the recorder closes the intents of rows never started).

    The read-back alone never makes a row `verified`: only revoke.ops.verify.verify_run, with
    the other two layers, may say so. Until it runs a row is `unverified`; with
    `verify=False` (`--no-verify`: verify_run will not run) it is `skipped`. Either way a
    read-back that contradicts the write (missing, different) makes it `failed`.
    """
    from revoke.ops.bulkread import use_bulk
    from revoke.ops.signals import RunStop, stop_on_signals
    from revoke.state.journal import JournalError, OutcomeNotJournalled

    stop = stop or RunStop()
    lock = threading.Lock()
    result.dry_run = False
    # Many writes: read them back all at once afterwards (revoke.ops.bulkread), not one by one.
    bulk = use_bulk(sum(1 for row in result.targets if row.status == STATUS_PLANNED))

    def apply_one(row: TargetPlan) -> TargetPlan:
        if row.status != STATUS_PLANNED or row.policy_document is None:
            return row
        if stop.is_set():
            row.reason = f"not started: the run stopped ({stop.reason})"
            return row
        if guard is None:
            return write_one(row)
        # One writer at a time for this principal; the row may come back planned again
        # from a fresh read when another run wrote it since (revoke.ops.pipeline).
        with guard(row) as current:
            if current.status != STATUS_PLANNED or current.policy_document is None:
                return current
            return write_one(current)

    def write_one(row: TargetPlan) -> TargetPlan:
        assert row.policy_document is not None  # apply_one writes planned documents only
        try:
            if before_apply is not None:
                try:
                    before_apply(row)
                except JournalError as err:
                    # The intent is not on disk: this target is not written, nor any after.
                    with lock:
                        result.journal_failed = True
                    stop.set(f"the journal failed: {err.message}")
                    row.error_code = "JournalFailed"
                    raise
            if not row.document_in_force:  # containment only, the document is there
                put_planned(gateway, row)
            row.status = STATUS_APPLIED
        except RevokeError as err:
            row.status = STATUS_FAILED
            row.error = err.message
            row.error_code = row.error_code or getattr(err, "code", None) or type(err).__name__
        else:
            found = {"status": "pending"} if bulk else read_back(gateway, row)
            row.verification = {"status": read_back_status(found, verify), "read_back": found}
        finally:
            if after_apply is not None:
                try:
                    after_apply(row)
                except OutcomeNotJournalled as err:
                    with lock:
                        result.journal_failed = True
                        result.unjournalled.append(err.message)
                    stop.set("the journal failed")
        return row

    with stop_on_signals(stop):
        if before_all is not None:
            _announce(before_all, result, stop)
        try:
            result.targets = map_bounded(apply_one, result.targets, max_workers, on_done)
        finally:
            if after_all is not None:
                after_all()
        result.stopped, result.stop_signal = stop.reason, stop.signum
        if bulk:
            pending = [
                row
                for row in result.targets
                if (row.verification.get("read_back") or {}).get("status") == "pending"
            ]
            if on_phase is not None:  # one bulk read: no count to show, only the clock
                on_phase("reading back", None)
            read_back_many(gateway, pending, max_workers)
            for row in pending:
                row.verification["status"] = read_back_status(row.verification["read_back"], verify)
    return result


def _announce(
    before_all: Callable[[list[TargetPlan]], None], result: RunResult, stop: RunStop
) -> None:
    """The rows to be written, to `before_all` (which journals their intents ahead) before
    any write; when the journal refuses, nothing is written: the first row fails, the run
    stops and the others are not started."""
    from revoke.state.journal import JournalError

    rows = [
        row
        for row in result.targets
        if row.status == STATUS_PLANNED and row.policy_document is not None
    ]
    if not rows:
        return
    try:
        before_all(rows)
    except JournalError as err:
        # As when one target's own intent is refused: that target fails, the run stops,
        # and every other is "not started" (apply_one says so); nothing was written.
        result.journal_failed = True
        stop.set(f"the journal failed: {err.message}")
        rows[0].status = STATUS_FAILED
        rows[0].error = err.message
        rows[0].error_code = "JournalFailed"


def put_planned(gateway: IamGateway, row: TargetPlan) -> None:
    """Write the row's document where the plan put it: inline, or the managed fallback."""
    assert row.policy_document is not None
    if row.mechanism == "managed":
        row.managed_policy_arn = gateway.put_managed(
            row.kind, row.name, row.policy_name, row.policy_document, row.managed_policy_arn
        )
    else:
        gateway.put_inline(row.kind, row.name, row.policy_name, row.policy_document)
