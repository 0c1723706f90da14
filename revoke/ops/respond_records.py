"""What respond did about a finding: its result, the journal records, idempotency.

Split out of revoke.ops.respond (which re-exports these names): every outcome is a
`respond-done` record naming the finding, a plan waiting for `revoke approve` a
`respond-pending` record; `history` reads them back so a second delivery of a finding
changes nothing, and a finding whose containment failed is retried at most MAX_ATTEMPTS
times in all. `open_journal` is the run's journal (the local file or S3/DynamoDB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.events import ContainmentRequest, finding_key
from revoke.errors import AwsFailure, ExitCode, RevokeError

if TYPE_CHECKING:
    from revoke.ops.context import RunContext
    from revoke.ops.pipeline import Pipeline
    from revoke.ops.revocation import RunResult
    from revoke.state.journal import Journal

PENDING = "respond-pending"
DONE = "respond-done"
# Deliveries of one finding whose containment failed before respond stops trying.
MAX_ATTEMPTS = 3


@dataclass
class RespondResult:
    action: str  # "respond" | "approve"
    mode: str
    request: ContainmentRequest
    status: str  # planned | pending | applied | unchanged | duplicate | failed
    revocation: RunResult | None = None
    approved_by: str | None = None
    requested_by: str | None = None
    previous: dict[str, Any] | None = None  # the record that made this a duplicate
    next_steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return finding_key(self.request.finding_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "mode": self.mode,
            "id": self.id,
            "status": self.status,
            "finding": self.request.to_json(),
            "requested_by": self.requested_by,
            "approved_by": self.approved_by,
            "previous": self.previous,
            "revocation": self.revocation.to_json() if self.revocation is not None else None,
            "next_steps": list(self.next_steps),
            "warnings": list(self.request.warnings) + self.warnings,
        }

    def exit_code(self) -> ExitCode:
        if self.revocation is None:
            return ExitCode.OK
        return self.revocation.exit_code()


# -- the journal: what was done about a finding ---------------------------------------------


@dataclass
class History:
    done: dict[str, Any] | None = None  # the respond-done record that carried it out
    pending: dict[str, Any] | None = None  # the newest respond-pending record
    failures: int = 0


def history(records: Sequence[dict[str, Any]], finding_id: str) -> History:
    found = History()
    for record in records:
        if record.get("finding_id") != finding_id:
            continue
        if record.get("action") == PENDING:
            found.pending = record
        elif record.get("action") == DONE:
            if record.get("status") in ("applied", "unchanged"):
                found.done = record
            else:
                found.failures += 1
    return found


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    return {
        key: record.get(key)
        for key in ("seq", "time", "action", "status", "actor", "approved_by", "hash")
    }


def open_journal(ctx: RunContext) -> Journal:
    """The run's journal: the local file, or S3/DynamoDB (revoke.state.backends) reached
    with the run's own AWS session, so the pipeline's records land there too."""
    from revoke.state.backends import SCHEMES, parse_location, register_opener
    from revoke.state.journal import Journal

    if parse_location(ctx.journal_path) is not None:

        def open_store(location: Any) -> Any:
            from revoke.aws.journal_store import opener

            return opener(ctx.aws())(location)  # the session is made on first use

        for scheme in SCHEMES:
            register_opener(scheme, open_store)
    return Journal(ctx.journal_path)


def _check_attempts(request: ContainmentRequest, past: History) -> None:
    if past.failures >= MAX_ATTEMPTS:
        key = request.access_key_id
        raise AwsFailure(
            f"finding {request.finding_id}: containment failed {past.failures} times; "
            "respond does not try again",
            hint=(f"revoke key {key}" if key else "revoke user|role NAME --before now")
            + " by hand, after reading `revoke journal show --action respond-done`",
        )


# -- carrying it out ------------------------------------------------------------------------


def _pending_record(
    result: RespondResult, pipeline: Pipeline, planned: RunResult, *, whole_role: bool
) -> dict[str, Any]:
    return {
        "action": PENDING,
        "status": "pending",
        "id": result.id,
        "finding_id": result.request.finding_id,
        "finding": result.request.to_json(),
        "actor": pipeline.actor.get("arn"),
        "account": pipeline.account,
        "target": _target(planned),
        "cutoff": planned.cutoff,
        "whole_role": whole_role,
        # What the plan was when it was journalled; approval plans again, with its own cutoff.
        "plan": [
            {
                "kind": t.kind,
                "name": t.name,
                "status": t.status,
                "changes": bool(t.changes),
                "containment": [s.get("action") for s in t.containment],
            }
            for t in planned.targets
        ],
    }


def _target(result: RunResult) -> dict[str, Any] | None:
    if not result.targets:
        return None
    first = result.targets[0]
    return {"kind": first.kind, "name": first.name}


def _carry_out(
    ctx: RunContext,
    journal: Journal,
    pipeline: Pipeline,
    result: RespondResult,
    *,
    pending: dict[str, Any] | None = None,
) -> RespondResult:
    planned = result.revocation
    assert planned is not None
    record: dict[str, Any] = {
        "action": DONE,
        "id": result.id,
        "finding_id": result.request.finding_id,
        "finding": result.request.to_json(),
        "mode": result.mode,
        "actor": pipeline.actor.get("arn"),
        "account": pipeline.account,
        "target": _target(planned),
        "cutoff": planned.cutoff,
        "approved_by": result.approved_by,
        "ref": [pending["hash"]] if pending else [],
    }
    try:
        if planned.changes:
            pipeline.apply(planned)
    except RevokeError as err:
        journal.append({**record, "status": "failed", "error": err.message})
        raise
    code = planned.exit_code()
    if code in (ExitCode.OK, ExitCode.UNVERIFIED):
        result.status = "applied" if planned.changes else "unchanged"
    else:
        result.status = "failed"
    journal.append(
        {
            **record,
            "status": result.status,
            "exit_code": int(code),
            "targets": [
                {"kind": t.kind, "name": t.name, "status": t.status} for t in planned.targets
            ],
        }
    )
    if result.status == "unchanged":
        result.warnings.append("already contained: nothing needed changing")
    return result
