"""The one revocation pipeline: plan -> (confirm) -> apply -> verify -> journal.

`revoke user|role` in one account, every account of a fan-out, and `revoke key` (which
finds the owner, then revokes it) all go through `Pipeline`. The callers only choose what
to revoke and where: the fan-out chooses accounts and builds one pipeline per account's
session; the command line asks the responder between `plan` and `apply`.

One pipeline is one account: one IAM gateway on that account's session, one caller
identity (who the journal says acted), one recorder (evidence first, containment steps,
one journal record per change).

Every run that wrote ends with the residual report of each target it contained
(`report_residual`): the deny closes sessions, not access keys, passwords or the other
long-term credentials, and the responder must hear that from the run, not the attacker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.names import TargetName
from revoke.core.plan import STATUS_APPLIED, STATUS_PLANNED, Quotas, TargetPlan
from revoke.ops.containment import ContainmentOptions, RevocationRecorder
from revoke.ops.revocation import (
    DEFAULT_MAX_WORKERS,
    RunResult,
    apply_run,
    plan_run,
    put_planned,
)

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway
    from revoke.aws.probe import Probe
    from revoke.aws.session import AwsSession
    from revoke.ops.context import RunContext

# Per-target residual reads are about ten IAM calls each (revoke.ops.residual.report_for):
# for a handful of targets a second or two. Beyond it the run skips them and says which
# command reports. Not the account-wide read of `residual --all`: its credential report is
# IAM's copy of up to four hours ago ("If the report was generated in the last four hours,
# the API call uses the most recent report", https://repost.aws/knowledge-center/config-credential-report),
# so right after this run deactivated keys or removed passwords it would call them open;
# and it covers users only, without SSH keys or MFA devices (revoke.ops.residual).
RESIDUAL_TARGET_LIMIT = 5
RESIDUAL_WORKERS = 4


@dataclass
class Request:
    """What to revoke in one account, as the responder asked for it."""

    kind: str
    targets: Sequence[TargetName]
    cutoff: str
    force: bool = False
    verify: bool = True
    max_workers: int = DEFAULT_MAX_WORKERS
    # Every principal of the kind in the account, besides the ones named (`--all`).
    all_principals: bool = False
    containment: ContainmentOptions = field(default_factory=ContainmentOptions)
    deadline: float = 300.0
    probe: Probe | None = None
    # More to say in the JSON output (`revoke key`: the key and how its owner was found).
    details: dict[str, Any] = field(default_factory=dict)


class Pipeline:
    """One account's revocation. Creating it reads who the caller is (253 when the
    credentials are bad, before anything else) and, with `all_principals`, lists them."""

    def __init__(
        self,
        ctx: RunContext,
        session: AwsSession,
        request: Request,
        *,
        prepare_iam: bool = False,
    ) -> None:
        from revoke.aws.iam import IamGateway
        from revoke.state.journal import Journal

        self.ctx = ctx
        self.request = request
        self.gateway: IamGateway = IamGateway(session)
        # prepare_iam: the IAM clients are made while STS checks the credentials.
        self.actor: dict[str, str] = self.gateway.caller_identity(prepare_iam=prepare_iam)
        self.targets = self._expand(list(request.targets))
        self.recorder = RevocationRecorder(
            self.gateway,
            Journal(ctx.journal_path),
            actor=self.actor,
            cutoff=request.cutoff,
            options=request.containment,
        )
        from revoke.state.locks import PrincipalLocks

        self.locks = PrincipalLocks(ctx.state_dir)
        # Each planned principal's lock generation when it was read (never earlier).
        self._seen: dict[tuple[str | None, str, str], int] = {}
        self._quotas: Quotas | None = None

    def _expand(self, targets: list[TargetName]) -> list[TargetName]:
        if not self.request.all_principals:
            return targets
        kind = self.request.kind
        known = {t.name.lower() for t in targets}
        return targets + [
            TargetName(kind, n) for n in self.gateway.list_names(kind) if n.lower() not in known
        ]

    @property
    def account(self) -> str:
        return self.actor.get("account", "")

    def plan(self, *, on_done: Callable[[Any], None] | None = None) -> RunResult:
        """Read-only: every target's state, the document to write, the containment steps."""
        r = self.request
        result = plan_run(
            self.gateway,
            r.kind,
            self.targets,
            r.cutoff,
            force=r.force,
            max_workers=r.max_workers,
            extend=self.recorder.extend,
            on_done=on_done,
        )
        result.actor = self.actor
        result.details.update(r.details)
        for row in result.targets:
            if row.status == STATUS_PLANNED:
                key = self._lock_key(row)
                self._seen[key] = self.locks.generation(*key)
        return result

    # -- never earlier, across processes --------------------------------------------------

    def _lock_key(self, row: TargetPlan) -> tuple[str | None, str, str]:
        return (row.account or self.account or None, row.kind, row.name)

    @contextmanager
    def _guard(self, row: TargetPlan) -> Iterator[TargetPlan]:
        """Hold the principal's lock while its revocation is written. When another run of
        this machine wrote it since this one planned (the lock's generation moved), plan the
        row again from a fresh read: a later cutoff in force is kept (never earlier)."""
        key = self._lock_key(row)
        with self.locks.hold(*key) as held:
            current = row
            if held.generation != self._seen.get(key, held.generation):
                current = self._replan(row)
            yield current
            if current.status == STATUS_APPLIED:
                held.bump()

    def _replan(self, row: TargetPlan) -> TargetPlan:
        from revoke.core.plan import plan_target
        from revoke.ops.revocation import render_for

        r = self.request
        state = self.gateway.read_principal(row.kind, row.name)
        if self._quotas is None:
            self._quotas = self.gateway.account_quotas()
        fresh = plan_target(
            state, r.cutoff, render_for(r.cutoff), quotas=self._quotas, force=r.force
        )
        fresh.warnings.append(
            f"another revoke run wrote {row.kind} {row.name}'s revocation while this one "
            "waited: planned again from what is in force now"
        )
        return self.recorder.extend(state, fresh)

    def _restore_lowered(self, result: RunResult) -> None:
        """Across machines no lock reaches: after the write, a read-back that finds an earlier
        cutoff means another writer lowered it; write ours again (never earlier) and
        journal what was found."""
        from revoke.core.policy import existing_cutoff
        from revoke.core.timeparse import cutoff_datetime
        from revoke.ops.readback import read_back, read_back_status

        ours = None  # read only when a read-back found another document (imports the evaluator)
        for row in result.targets:
            found = (row.verification or {}).get("read_back") or {}
            if row.status != STATUS_APPLIED or found.get("status") != "mismatch":
                continue
            ours = ours or cutoff_datetime(result.cutoff)
            theirs = existing_cutoff(found.get("found"))
            if theirs is None or cutoff_datetime(theirs) >= ours:
                if theirs is not None:  # a later cutoff: somebody refreshed it; keep theirs
                    found["status"] = "superseded"
                    row.verification["status"] = read_back_status(found, self.request.verify)
                continue
            put_planned(self.gateway, row)
            again = read_back(self.gateway, row)
            row.verification = {
                "status": read_back_status(again, self.request.verify),
                "read_back": again,
            }
            line = (
                f"{row.kind} {row.name}: another writer lowered the cutoff to {theirs} after "
                f"this run wrote {result.cutoff}; wrote {result.cutoff} again (never earlier)"
            )
            row.warnings.append(line)
            self.recorder.journal.append(
                {
                    "action": "restore-cutoff",
                    "actor": self.actor.get("arn"),
                    "account": row.account or self.account,
                    "target": {"kind": row.kind, "name": row.name},
                    "status": "applied",
                    "cutoff": result.cutoff,
                    "found": found.get("found"),
                    "after": row.policy_document,
                    "notes": [line],
                }
            )

    def apply(
        self,
        result: RunResult,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_phase: Callable[[str, int | None], None] | None = None,
    ) -> RunResult:
        """Write, read back, verify, journal. No journal, no change: it is checked first.
        `on_phase(label, total)`: a new phase starts ("reading back", "verifying"), whose
        targets are counted by `on_done` too (progress for people)."""
        r = self.request
        self.recorder.journal.check_writable()
        for line in self.reconcile_dangling():  # issue 14: dangling intents first
            self.ctx.say(f"reconciling the journal: {line}")
        apply_run(
            self.gateway,
            result,
            max_workers=r.max_workers,
            before_apply=self.recorder.before_apply,
            after_apply=self.recorder.after_apply,
            on_done=on_done,
            verify=r.verify,
            guard=self._guard,
            on_phase=on_phase,
            before_all=self.recorder.announce,
            after_all=self.recorder.close_unstarted,
        )
        self._restore_lowered(result)
        if r.verify and result.stopped is None:  # stopped by a signal: report, don't poll
            from revoke.ops.verify import verify_run

            if on_phase is not None:
                on_phase("verifying", sum(t.status == STATUS_APPLIED for t in result.targets))
            verify_run(
                self.ctx,
                self.gateway,
                result,
                probe=r.probe,
                deadline=r.deadline,
                on_done=on_done,
            )
            self.recorder.record_verification(result)
        if result.stopped is None:
            self.report_residual(result)
        return result

    def report_residual(self, result: RunResult) -> RunResult:
        """What each target contained still holds open (`result.residual`, one report per
        applied or unchanged target; failed ones have none), with one warning per target
        that has an open or unchecked path. Read-only, and never the run's exit code: the
        deny did what it says; the open paths are other credentials, each named with the
        command that closes it (`revoke residual` exits 3 for them)."""
        from revoke.core.plan import STATUS_APPLIED, STATUS_UNCHANGED
        from revoke.errors import RevokeError

        contained = [t for t in result.targets if t.status in (STATUS_APPLIED, STATUS_UNCHANGED)]
        if len(contained) > RESIDUAL_TARGET_LIMIT:
            kinds = sorted({t.kind for t in contained})
            result.warnings.append(
                f"residual report skipped for {len(contained)} targets (more than "
                f"{RESIDUAL_TARGET_LIMIT}, to keep a bulk run fast): "
                + ("`revoke residual --all` for every user, " if "user" in kinds else "")
                + f"`revoke residual {'|'.join(kinds)} NAME` for one"
            )
            return result
        from revoke.ops.pool import map_bounded
        from revoke.ops.residual import report_for

        def read(target: Any) -> tuple[Any, Any]:
            try:
                report = report_for(self.ctx, self.gateway, target.kind, target.name, result.cutoff)
            except RevokeError as err:
                return target, err
            except Exception as err:  # noqa: BLE001 - the containment is done; say, go on
                return target, RevokeError(f"the read failed: {type(err).__name__}")
            return target, report

        reports = []
        for target, report in map_bounded(read, contained, RESIDUAL_WORKERS):
            command = f"revoke residual {target.kind} {target.name}"
            if isinstance(report, RevokeError):
                result.warnings.append(
                    f"{target.kind} {target.name}: the residual report could not be read "
                    f"({report.message}): {command}"
                )
                continue
            reports.append(report.to_json())
            if line := residual_warning(report, command):
                result.warnings.append(line)
        result.residual = reports
        return result

    def reconcile_dangling(self) -> list[str]:
        """Before this run writes: journal what AWS shows for dangling intents (a run that
        died between a write and its record). One line per intent, for the responder."""
        from revoke.ops.reconcile import reconcile

        return reconcile(self.gateway, self.recorder.journal, self.actor).lines

    @property
    def journalled(self) -> int:
        """How many changes this pipeline journalled."""
        return len(self.recorder.written)


def residual_warning(report: Any, command: str) -> str | None:
    """One line naming what is still open (and what could not be checked), and the
    command that says how to close each; None when nothing is."""
    opened, unchecked = report.open, report.unchecked
    if not opened and not unchecked:
        return None
    said = []
    if opened:
        said.append(
            f"{len(opened)} credential path(s) still open ({', '.join(p.path for p in opened)})"
        )
    if unchecked:
        said.append(f"{len(unchecked)} not checked ({', '.join(p.path for p in unchecked)})")
    return (
        f"{report.kind} {report.name}: {' and '.join(said)}: the deny does not close them; "
        f"`{command}` names the command that closes each"
    )
