"""From an alert to containment: `revoke respond EVENT --mode plan|approve|auto` and
`revoke approve ID`.

The event is parsed in revoke.core.events (pure, before any call); this module decides
what to contain and runs it through the one revocation pipeline (revoke.ops.pipeline), the
same path as `revoke key KEY_ID`: the key's owner is found by revoke.ops.keyhunt (an AKIA
key is confirmed by iam:GetAccessKeyLastUsed even when the finding names its user), the
key is deactivated and the owner's sessions issued before the cutoff are denied, verified
and journalled, so `revoke lift` undoes it like any other revocation.

Modes (AWS Security Incident Response offers the same three):
- plan: read-only (or, with `offline`, no call at all); prints what would change;
- approve: the plan, journalled as a `respond-pending` record; `revoke approve ID` carries
  it out later, with a cutoff taken at approval (sessions minted while the plan waited
  are covered: fact 22), and journals who approved;
- auto: carries it out now.

Idempotent on the finding: every outcome is a `respond-done` record naming the finding;
a second delivery of a finding already carried out (or pending, in approve/auto mode)
changes nothing, calls nothing, and says so (exit 0). A finding whose containment failed
is retried on its next delivery, at most MAX_ATTEMPTS times in all.

The pieces: the result, the journal records and the idempotency on the finding in
revoke.ops.respond_records; the instance-only containment in revoke.ops.respond_instance
(their names stay importable from here). This module keeps the modes and what to contain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revoke.core.events import INSTANCE, KEY, QUARANTINED, ROOT, ContainmentRequest
from revoke.core.keyowner import cutoff_for_session, parse_access_key
from revoke.core.names import TargetName, root_refused
from revoke.core.timeparse import parse_cutoff
from revoke.errors import BadInput
from revoke.ops.respond_instance import (
    PROFILE_ASSOCIATION_URL,
    REPLACE_ASSOCIATION,
    instance_pipeline,
    replace_instance_association,
)
from revoke.ops.respond_records import (
    DONE,
    MAX_ATTEMPTS,
    PENDING,
    History,
    RespondResult,
    _carry_out,
    _check_attempts,
    _pending_record,
    _summary,
    _target,
    history,
    open_journal,
)

if TYPE_CHECKING:
    from revoke.ops.context import RunContext
    from revoke.ops.pipeline import Pipeline
    from revoke.ops.revocation import RunResult

__all__ = [
    "DONE",
    "MAX_ATTEMPTS",
    "MODES",
    "PENDING",
    "PROFILE_ASSOCIATION_URL",
    "REPLACE_ASSOCIATION",
    "History",
    "RespondResult",
    "_carry_out",
    "_check_attempts",
    "_pending_record",
    "_summary",
    "_target",
    "approve",
    "history",
    "instance_pipeline",
    "next_steps",
    "open_journal",
    "plan",
    "replace_instance_association",
    "respond",
]

MODES = ("plan", "approve", "auto")


# -- respond --------------------------------------------------------------------------------


def _already_done(result: RespondResult, done: dict[str, Any], what: str) -> RespondResult:
    """A second delivery of what the journal says was carried out: nothing changes."""
    result.status = "duplicate"
    result.previous = _summary(done)
    result.warnings.append(
        f"{what} was already carried out (journal seq {done.get('seq')}, "
        f"{done.get('time')}): nothing changed"
    )
    return result


def respond(
    ctx: RunContext,
    request: ContainmentRequest,
    *,
    mode: str,
    offline: bool = False,
    whole_role: bool = False,
    replace_association: bool = False,
) -> RespondResult:
    """Plan, journal as pending, or carry out what `request` calls for (see module doc)."""
    if mode not in MODES:
        raise BadInput(f"--mode {mode!r} is not one of {', '.join(MODES)}")
    if offline and mode != "plan":
        raise BadInput("--offline makes no call: it only goes with --mode plan")
    journal = open_journal(ctx)
    journal.check_usable()
    past = history(journal.records(), request.finding_id)
    result = RespondResult("respond", mode, request, "planned")
    if past.done is not None:
        return _already_done(result, past.done, f"finding {request.finding_id}")
    if past.pending is not None and mode != "plan":
        result.status = "duplicate"
        result.previous = _summary(past.pending)
        result.next_steps.append(f"revoke approve {result.id}")
        result.warnings.append(
            f"finding {request.finding_id} is already pending approval as {result.id} "
            f"(journal seq {past.pending.get('seq')}): nothing changed"
        )
        return result
    _refuse_uncontainable(request, mode=mode, whole_role=whole_role)
    if mode != "plan":
        _check_attempts(request, past)
    result.next_steps.extend(next_steps(request))
    if offline:
        result.revocation = _offline_plan(ctx, request, result)
        return result
    pipeline, planned = plan(ctx, request, whole_role=whole_role)
    result.revocation = planned
    result.requested_by = pipeline.actor.get("arn")
    if mode == "plan":
        return result
    if mode == "approve":
        journal.append(_pending_record(result, pipeline, planned, whole_role=whole_role))
        result.status = "pending"
        result.next_steps.insert(0, f"revoke approve {result.id}")
        return result
    _carry_out(ctx, journal, pipeline, result)
    if replace_association and request.kind == INSTANCE:
        replace_instance_association(ctx, journal, pipeline, result)
    return result


def approve(ctx: RunContext, pending_id: str) -> RespondResult:
    """Carry out the pending response `pending_id`, journalling who approved it."""
    wanted = (pending_id or "").strip()
    journal = open_journal(ctx)
    journal.check_usable()
    records = journal.records()
    pending = next(
        (r for r in reversed(records) if r.get("action") == PENDING and r.get("id") == wanted),
        None,
    )
    if pending is None:
        raise BadInput(
            f"no pending response {wanted!r} in {ctx.journal_path}; nothing was changed",
            hint="revoke journal show --action respond-pending lists them",
        )
    request = ContainmentRequest.from_json(pending.get("finding") or {})
    past = history(records, request.finding_id)
    result = RespondResult("approve", "approve", request, "planned")
    if past.done is not None:
        return _already_done(result, past.done, wanted)
    _refuse_uncontainable(request, mode="auto", whole_role=bool(pending.get("whole_role")))
    _check_attempts(request, past)
    result.requested_by = pending.get("actor")
    result.next_steps.extend(next_steps(request))
    # a fresh cutoff: now, at approval
    pipeline, planned = plan(ctx, request, whole_role=bool(pending.get("whole_role")))
    result.revocation = planned
    result.approved_by = pipeline.actor.get("arn")
    return _carry_out(ctx, journal, pipeline, result, pending=pending)


# -- what to contain ------------------------------------------------------------------------


def _refuse_uncontainable(request: ContainmentRequest, *, mode: str, whole_role: bool) -> None:
    if request.kind == ROOT:
        arn = request.principal.arn if request.principal and request.principal.arn else "root"
        raise root_refused(arn)
    if request.kind == INSTANCE and mode != "plan" and not whole_role and not request.instance_arn:
        role = request.principal.name if request.principal else "the role"
        raise BadInput(
            f"{request.finding_type}: a deny on role {role} stops every instance using it "
            "until their credentials renew; nothing was changed",
            hint=f"--whole-role to deny every session of {role} anyway; or replace the "
            f"instance's profile association to force fresh credentials "
            f"({PROFILE_ASSOCIATION_URL})",
        )


def next_steps(request: ContainmentRequest) -> list[str]:
    """What else the responder should do, which the deny alone does not."""
    steps = []
    key = request.access_key_id
    if request.kind == INSTANCE:
        instance = (request.instance_arn or "").rsplit("/", 1)[-1] or "the instance"
        steps.append(
            f"associate a new instance profile with {instance} (aws ec2 "
            "replace-iam-instance-profile-association): it forces fresh credentials, "
            f"then the stolen ones can be denied ({PROFILE_ASSOCIATION_URL})"
        )
    if request.kind == QUARANTINED:
        steps.append(
            "leave AWS's AWSCompromisedKeyQuarantine policy attached; find the exposed key "
            "in the AWS Health event AWS_RISK_CREDENTIALS_EXPOSED"
        )
    if key and parse_access_key(key).temporary:
        steps.append(
            f"{key} is a session key: find and deactivate the long-term key that minted "
            f"it (revoke trace {key})"
        )
    if request.kind in (KEY, QUARANTINED):
        steps.append(
            "check for users, keys and roles the holder created (revoke residual user|role NAME)"
        )
    return steps


def plan(
    ctx: RunContext, request: ContainmentRequest, *, whole_role: bool = False
) -> tuple[Pipeline, RunResult]:
    """The pipeline for what `request` calls for and its read-only plan (cutoff: now).
    Instance-credential exfiltration (issue 19 item 3): only that instance's sessions,
    through the session-scoped deny (revoke.ops.follow.SessionPipeline, the template
    policies/deny-sessions.json.j2), unless `whole_role`."""
    from revoke.ops.containment import ContainmentOptions
    from revoke.ops.pipeline import Pipeline, Request

    cutoff = parse_cutoff("now", now=ctx.now())
    session = ctx.aws()
    details: dict[str, Any] = {}
    key = parse_access_key(request.access_key_id) if request.access_key_id else None
    principal = request.principal
    if key is not None and (key.long_term or principal is None):
        from revoke.ops.keyhunt import hunt
        from revoke.state.ledger import Ledger

        owner, session = hunt(
            session,
            key,
            Ledger.in_state_dir(ctx.state_dir),
            accounts=[request.account] if request.account else (),
        )
        assert owner.target is not None  # hunt raises when nothing names it
        target = owner.target
        details["key"] = owner.to_json()
        for warning in owner.warnings:
            ctx.warn(warning)
        if principal is not None and (principal.kind, principal.name.lower()) != (
            target.kind,
            target.name.lower(),
        ):
            ctx.warn(
                f"the finding names {principal.kind} {principal.name}, but {key.value} "
                f"belongs to {target.kind} {target.name} ({owner.found_by}): containing "
                f"{target.kind} {target.name}"
            )
        if key.temporary:
            choice = cutoff_for_session(cutoff, owner.issued_at, str(owner.found_by))
            cutoff = choice.cutoff
    elif principal is not None and principal.kind in ("user", "role"):
        target = TargetName(principal.kind, principal.name, principal.account)
    else:
        raise BadInput(f"{request.finding_type} names neither a key nor a principal")
    if request.kind == QUARANTINED:
        # The event does not say which key AWS found: every active key of the user.
        options = ContainmentOptions(deactivate_keys=True)
    elif key is not None and key.long_term and target.kind == "user":
        options = ContainmentOptions(deactivate_keys=True, key_ids=frozenset({key.value}))
    else:
        options = ContainmentOptions()
    run = Request(
        target.kind, [target], cutoff, max_workers=1, containment=options, details=details
    )
    if request.kind == INSTANCE and not whole_role and request.instance_arn:
        pipeline: Pipeline = instance_pipeline(ctx, session, run, target, request.instance_arn)
    else:
        pipeline = Pipeline(ctx, session, run, prepare_iam=True)
    if request.account and pipeline.account and pipeline.account != request.account:
        raise BadInput(
            f"the finding is about account {request.account}, but these credentials are "
            f"account {pipeline.account}'s; nothing was changed",
            hint=f"run with --profile for account {request.account}",
        )
    return pipeline, pipeline.plan()


def _offline_plan(
    ctx: RunContext, request: ContainmentRequest, result: RespondResult
) -> RunResult | None:
    from revoke.ops.revocation import offline_plan

    cutoff = parse_cutoff("now", now=ctx.now())
    principal = request.principal
    if principal is None or principal.kind not in ("user", "role"):
        result.warnings.append(
            "--offline reads nothing: the key's owner is found by a plan without --offline"
        )
        return None
    planned = offline_plan(
        principal.kind, [TargetName(principal.kind, principal.name, principal.account)], cutoff
    )
    if request.access_key_id or request.kind == QUARANTINED:
        planned.warnings.append(
            "--offline reads nothing: the keys to deactivate are planned without --offline"
        )
    return planned
