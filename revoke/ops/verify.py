"""Verification of a revocation, in the three layers of DESIGN.md, each reported per target:

1. read-back: IAM returns the document we wrote (readback.read_back, run by apply_run);
2. logic: the evaluator over every identity policy of the principal (revoke.core.proof),
   plus iam:SimulatePrincipalPolicy where the endpoint has it (fact 20): in
   revoke.ops.verify_logic, whose names are re-exported here;
3. enforcement: with probe credentials (a session issued before the cutoff), a harmless call
   polled until AWS answers with an explicit deny, within a deadline (fact 18). AWS's answer
   does not name the policy that denied (fact 14), so when another policy also denies the
   probe's action to sessions issued after the cutoff (the logic layer finds it), an explicit
   deny cannot be told apart from that other deny: enforcement is then `inconclusive`.

`row.verification["status"]`: `verified` (every layer that ran agrees; enforcement may be
skipped when no probe credentials were given; only verify_rows says it), `unverified` (a
layer could not confirm: read error, simulator disagreement that propagation may explain,
probe not denied in time or its deny inconclusive), `failed` (a layer positively
contradicts the revocation: the document is missing or different, or the evaluator says a
session before the cutoff is not denied), `skipped` (`--no-verify`: apply_run read it back,
nothing more).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.core.plan import STATUS_APPLIED, TargetPlan
from revoke.core.policy import POLICY_NAME, existing_cutoff, revocation_cutoff_of, statements_of
from revoke.core.proof import CASE_AFTER, LOGIC_FAILED
from revoke.errors import AwsFailure, BadInput
from revoke.ops.probing import (
    CONFIRMED,
    DEFAULT_DEADLINE,
    INCONCLUSIVE,
    Timing,
    check_probe_issue_time,
    poll_probe,
)
from revoke.ops.verify_logic import SKIPPED, logic_layer, simulation_layer
from revoke.ops.verify_logic import _ours as _ours
from revoke.ops.verify_logic import our_labels as our_labels
from revoke.ops.verify_logic import session_cases as session_cases

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway
    from revoke.aws.probe import Probe
    from revoke.ops.context import RunContext
    from revoke.ops.revocation import RunResult

# Fact 19: IAM throttles per account and SimulatePrincipalPolicy is a heavy call. Runs over
# more targets than this skip the simulator (the evaluator still runs for every target),
# and the ones that simulate do it one target at a time.
SIMULATION_MAX_TARGETS = 5
LOGIC_WORKERS = 4

VERIFIED, UNVERIFIED, FAILED = "verified", "unverified", "failed"
NO_PROBE = "no probe credentials"


@dataclass
class VerifyOptions:
    probe: Probe | None = None
    deadline: float = DEFAULT_DEADLINE
    timing: Timing = field(default_factory=Timing)
    simulate: bool = True
    say: Callable[[str], None] = lambda _message: None
    # One call per target whose layers are done (progress for people).
    on_done: Callable[[Any], None] | None = None


# -- combining the layers -----------------------------------------------------------------


def overall(verification: dict[str, Any]) -> str:
    read_back = (verification.get("read_back") or {}).get("status")
    logic = verification.get("logic") or {}
    enforcement = (verification.get("enforcement") or {}).get("status", SKIPPED)
    if read_back in ("missing", "mismatch") or logic.get("status") == LOGIC_FAILED:
        return FAILED
    if read_back != "ok" or logic.get("status") != "ok":
        return UNVERIFIED
    if (logic.get("simulation") or {}).get("status") == "mismatch":
        return UNVERIFIED
    if enforcement not in (CONFIRMED, SKIPPED):
        return UNVERIFIED
    return VERIFIED


def summary(row: TargetPlan) -> str:
    v = row.verification
    logic = v.get("logic") or {}
    simulation = (logic.get("simulation") or {}).get("status", "skipped")
    enforcement = v.get("enforcement") or {}
    enf = enforcement.get("status", SKIPPED)
    if enforcement.get("reason") and enf != CONFIRMED:
        enf += f": {enforcement['reason']}"
    elif enf == CONFIRMED:
        attempts = enforcement.get("attempts") or 0
        seconds = float(enforcement.get("seconds") or 0.0)
        enf += f" in {seconds:.1f}s ({attempts} attempt{'' if attempts == 1 else 's'})"
    return (
        f"verify {row.kind} {row.name}: read-back {(v.get('read_back') or {}).get('status')}; "
        f"logic {logic.get('status')} (simulation {simulation}); enforcement {enf} "
        f"=> {v.get('status')}"
    )


def verify_rows(
    gateway: IamGateway, rows: list[TargetPlan], cutoff: str, options: VerifyOptions
) -> None:
    """Layers 2 and 3 for rows whose read-back already sits in `row.verification`."""
    from revoke.aws.policies import PolicyReader
    from revoke.ops.pool import map_bounded

    if not rows:
        return
    reader = PolicyReader(gateway)
    from revoke.ops.bulkread import use_bulk

    if use_bulk(len(rows)):  # many targets: their policies in a few bulk calls (fact 19)
        for kind in sorted({r.kind for r in rows}):
            reader.prefetch(kind, [r.name for r in rows if r.kind == kind])

    def in_force(row: TargetPlan) -> str:
        # A row written for containment alone keeps a later cutoff already in force (fact
        # 12): verify the cutoff its document holds, not the run's.
        from revoke.core.sessiondeny import session_cutoff

        return existing_cutoff(row.policy_document) or session_cutoff(row.policy_document) or cutoff

    def logic_for(row: TargetPlan) -> None:
        row.verification["logic"] = logic_layer(reader, row, in_force(row))

    map_bounded(logic_for, rows, LOGIC_WORKERS, options.on_done)

    unavailable: str | None = None
    for row in rows:  # one at a time (fact 19)
        logic = row.verification["logic"]
        if not options.simulate:
            logic["simulation"] = {"status": SKIPPED, "reason": "not requested"}
        elif len(rows) > SIMULATION_MAX_TARGETS:
            logic["simulation"] = {
                "status": SKIPPED,
                "reason": f"more than {SIMULATION_MAX_TARGETS} targets: spares the account's "
                "IAM request rate",
            }
        elif unavailable is not None:
            logic["simulation"] = {"status": "not available", "reason": unavailable}
        else:
            logic["simulation"] = simulation_layer(reader, row, in_force(row))
            if logic["simulation"]["status"] == "not available":
                unavailable = logic["simulation"]["reason"]

    enforcement_layer(rows, options)
    bulk = len(rows) > SIMULATION_MAX_TARGETS
    for row in rows:
        row.verification["status"] = overall(row.verification)
        # A bulk run names the targets that need a look, not the 2,000 that were verified
        # (the run's summary line counts them).
        if not bulk or row.verification["status"] != VERIFIED:
            options.say(summary(row))


def other_deny_after_cutoff(verification: dict[str, Any]) -> str | None:
    """What else explicitly denies the probe's action to a session issued after the cutoff
    (a statement that is not ours: an IP guardrail, a quarantine policy), as the logic layer
    found it; None when nothing else does."""
    logic = verification.get("logic") or {}
    for case in logic.get("cases") or []:
        if case.get("case") != CASE_AFTER or case.get("decision") != "explicit_deny":
            continue
        if case.get("other_denies"):
            return "; ".join(case["other_denies"])
        if not case.get("denied_by_revocation"):
            return "a policy that is not the revocation"
    for case in (logic.get("simulation") or {}).get("cases") or []:
        # The simulator's explicit deny after the cutoff "holds" only when it named a
        # policy that is not ours (simulation_layer).
        if case.get("case") == CASE_AFTER and case.get("decision") == "explicitDeny":
            if case.get("holds"):
                return "a policy that is not the revocation (policy simulator)"
    return None


def unattributable(found: dict[str, Any], other: str) -> dict[str, Any]:
    """A probe's explicit deny when another policy denies sessions after the cutoff too:
    the deny may be that policy's, so it shows nothing about the revocation."""
    return {
        **found,
        "status": INCONCLUSIVE,
        "reason": "the probe met an explicit deny, but another policy also denies "
        f"{found.get('action')} to sessions issued after the cutoff ({other}): the deny "
        "cannot be attributed to the revocation",
    }


def enforcement_layer(rows: list[TargetPlan], options: VerifyOptions) -> None:
    from revoke.aws.probe import identity_matches

    probe = options.probe
    if probe is None:
        for row in rows:
            row.verification["enforcement"] = {"status": SKIPPED, "reason": NO_PROBE}
        return
    arn = probe.arn
    if arn:
        matched = [r for r in rows if identity_matches(arn, r.kind, r.name, r.account)]
    else:  # identity unknown: only a single target can be what the probe stands for
        matched = rows[:1] if len(rows) == 1 else []
    for row in rows:
        if row not in matched:
            row.verification["enforcement"] = {
                "status": SKIPPED if matched else "error",
                "reason": f"the probe credentials act as {arn or 'an unknown principal'}, "
                f"not {row.kind} {row.name}",
            }
            continue
        if overall(row.verification) == FAILED:
            row.verification["enforcement"] = {
                "status": SKIPPED,
                "reason": "an earlier layer already shows the revocation is not in place",
            }
            continue
        found = poll_probe(
            probe,
            deadline=options.deadline,
            timing=options.timing,
            say=options.say,
            who=f" as {row.kind} {row.name}",
        )
        other = other_deny_after_cutoff(row.verification)
        if found["status"] == CONFIRMED and other is not None:
            found = unattributable(found, other)
        row.verification["enforcement"] = found


# -- entry points -------------------------------------------------------------------------


def verify_run(
    g: RunContext,
    gateway: IamGateway,
    result: RunResult,
    *,
    probe: Probe | None = None,
    deadline: float = DEFAULT_DEADLINE,
    timing: Timing | None = None,
    on_done: Callable[[Any], None] | None = None,
) -> RunResult:
    """After apply: layers 2 and 3 for every applied row (read-back ran in apply_run)."""
    rows = [r for r in result.targets if r.status == STATUS_APPLIED]
    options = VerifyOptions(
        probe=probe, deadline=deadline, timing=timing or Timing(), say=g.say, on_done=on_done
    )
    verify_rows(gateway, rows, result.cutoff, options)
    return result


def read_in_force(document: dict[str, Any] | None) -> dict[str, Any]:
    """Read-back for `revoke verify`: the policy is there and holds a well-formed
    session-revocation statement (ours or the console's)."""
    if document is None:
        return {"status": "missing"}
    cutoffs = [c for s in statements_of(document) if (c := revocation_cutoff_of(s))]
    if not cutoffs:
        return {"status": "mismatch", "found": document}
    return {"status": "ok", "cutoff": existing_cutoff(document)}


def verify_in_force(
    g: RunContext,
    gateway: IamGateway,
    kind: str,
    name: str,
    *,
    account: str | None = None,
    probe: Probe | None = None,
    deadline: float = DEFAULT_DEADLINE,
    timing: Timing | None = None,
) -> RunResult:
    """`revoke verify`: the three layers for the revocation now in force on a principal.

    Raises AwsFailure (254) when the principal does not exist or holds no revocation."""
    from revoke.core.policy import managed_policy_name
    from revoke.core.timeparse import cutoff_datetime
    from revoke.ops.revocation import RunResult

    state = gateway.read_principal(kind, name, with_keys=False)
    if not state.exists:
        raise AwsFailure(f"{kind} {name} does not exist", code="NoSuchEntity")
    if account and state.account and account != state.account:
        raise BadInput(
            f"{kind} ARN names account {account}, but the credentials in use are for "
            f"account {state.account}"
        )
    candidates: list[tuple[str, str, dict[str, Any] | None, str | None]] = []
    inline = state.inline_policies.get(POLICY_NAME)
    if existing_cutoff(inline):
        candidates.append(("inline", POLICY_NAME, inline, None))
    if existing_cutoff(state.managed_fallback_document):
        candidates.append(
            (
                "managed",
                managed_policy_name(kind, name),
                state.managed_fallback_document,
                state.managed_fallback_arn,
            )
        )
    if not candidates:
        raise AwsFailure(
            f"{kind} {name} has no revocation policy ({POLICY_NAME}): nothing to verify",
            code="NoRevocation",
            hint=f"revoke {kind} {name} --before now",
        )
    # The later cutoff is the one in force: a deny is a deny, whichever policy holds it.
    mechanism, policy_name, document, arn = max(
        candidates, key=lambda c: cutoff_datetime(existing_cutoff(c[2]) or "")
    )
    cutoff = existing_cutoff(document)
    assert cutoff is not None
    if probe is not None:
        check_probe_issue_time(probe, cutoff)
    row = TargetPlan(
        kind=kind,
        name=state.name,
        account=state.account,
        policy_name=policy_name,
        policy_document=document,
        status="unchanged",
        mechanism=mechanism,
        managed_policy_arn=arn,
        reason="the revocation in force",
    )
    row.verification = {"status": UNVERIFIED, "read_back": read_in_force(document)}
    options = VerifyOptions(probe=probe, deadline=deadline, timing=timing or Timing(), say=g.say)
    verify_rows(gateway, [row], cutoff, options)
    return RunResult(action="verify", dry_run=False, cutoff=cutoff, targets=[row])
