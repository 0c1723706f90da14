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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.events import INSTANCE, KEY, QUARANTINED, ROOT, ContainmentRequest, finding_key
from revoke.core.keyowner import cutoff_for_session, parse_access_key
from revoke.core.names import TargetName, root_refused
from revoke.core.timeparse import parse_cutoff
from revoke.errors import AwsFailure, BadInput, ExitCode, RevokeError

if TYPE_CHECKING:
    from revoke.ops.context import RunContext
    from revoke.ops.pipeline import Pipeline
    from revoke.ops.revocation import RunResult
    from revoke.state.journal import Journal

MODES = ("plan", "approve", "auto")
PENDING = "respond-pending"
DONE = "respond-done"
# Deliveries of one finding whose containment failed before respond stops trying.
MAX_ATTEMPTS = 3
PROFILE_ASSOCIATION_URL = (
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
    "iam-roles-for-amazon-ec2.html#attach-iam-role"
)


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


# -- respond --------------------------------------------------------------------------------


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
        result.status = "duplicate"
        result.previous = _summary(past.done)
        result.warnings.append(
            f"finding {request.finding_id} was already carried out (journal seq "
            f"{past.done.get('seq')}, {past.done.get('time')}): nothing changed"
        )
        return result
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
        result.status = "duplicate"
        result.previous = _summary(past.done)
        result.warnings.append(
            f"{wanted} was already carried out (journal seq {past.done.get('seq')}, "
            f"{past.done.get('time')}): nothing changed"
        )
        return result
    _refuse_uncontainable(request, mode="auto", whole_role=bool(pending.get("whole_role")))
    _check_attempts(request, past)
    result.requested_by = pending.get("actor")
    result.next_steps.extend(next_steps(request))
    # a fresh cutoff: now, at approval
    pipeline, planned = plan(ctx, request, whole_role=bool(pending.get("whole_role")))
    result.revocation = planned
    result.approved_by = pipeline.actor.get("arn")
    return _carry_out(ctx, journal, pipeline, result, pending=pending)


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


def _check_attempts(request: ContainmentRequest, past: History) -> None:
    if past.failures >= MAX_ATTEMPTS:
        key = request.access_key_id
        raise AwsFailure(
            f"finding {request.finding_id}: containment failed {past.failures} times; "
            "respond does not try again",
            hint=(f"revoke key {key}" if key else "revoke user|role NAME --before now")
            + " by hand, after reading `revoke journal show --action respond-done`",
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


def instance_pipeline(
    ctx: RunContext, session: Any, run: Any, target: TargetName, instance_arn: str
) -> Pipeline:
    """The instance's sessions only: a deny on the role conditioned on the instance
    (ec2:SourceInstanceARN, "the ARN of the instance from which a request was made",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
    and the issue time, so every other instance using the role keeps working. The
    finding carries no role ID, so aws:userid `ROLE-ID:INSTANCE-ID` is not named here."""
    from revoke.core.sessiondeny import SessionScope
    from revoke.ops.follow import SessionPipeline

    if target.kind != "role":
        raise BadInput(f"instance credentials are a role's sessions, not {target.kind}'s")
    scope = SessionScope(instance_arns=[instance_arn])
    return SessionPipeline(ctx, session, run, {target.name: scope})


REPLACE_ASSOCIATION = "replace-instance-profile-association"


def replace_instance_association(
    ctx: RunContext, journal: Journal, pipeline: Pipeline, result: RespondResult
) -> None:
    """--replace-instance-profile-association: associate the same profile anew, so the
    instance metadata service hands out fresh credentials (issued after the cutoff, not
    denied) while the stolen ones stay denied (EC2 User Guide, iam-roles-for-amazon-ec2,
    attach-iam-role). Journalled with
    the association before and after."""
    from revoke.aws.ec2 import current_association, replace_association

    request = result.request
    instance = (request.instance_arn or "").rsplit("/", 1)[-1]
    record: dict[str, Any] = {
        "action": REPLACE_ASSOCIATION,
        "actor": pipeline.actor.get("arn"),
        "account": pipeline.account,
        "target": {"kind": "instance", "name": instance, "arn": request.instance_arn},
        "finding_id": request.finding_id,
        "cutoff": result.revocation.cutoff if result.revocation else None,
    }
    try:
        found = current_association(pipeline.gateway.session, instance, request.region)
        if found is None:
            result.warnings.append(f"instance {instance} has no instance profile associated")
            return
        new_id = replace_association(
            pipeline.gateway.session, found["association_id"], found["profile_arn"], request.region
        )
    except RevokeError as err:
        journal.append({**record, "status": "failed", "error": err.message})
        result.warnings.append(f"the instance profile association was not replaced: {err.message}")
        return
    journal.append({**record, "status": "applied", "before": found, "after_association": new_id})
    result.next_steps = [s for s in result.next_steps if "replace-iam-instance-profile" not in s]
    result.warnings.append(
        f"instance {instance}: profile {found['profile_arn']} associated anew ({new_id}): "
        "the instance gets fresh credentials"
    )


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
