"""Verification layer 2, the logic: do the principal's policies deny what they must, and
only that? Pure: policy documents and a cutoff in, three cases out.

The three cases (DESIGN.md, "Verification"):
- a session issued one second before the cutoff gets an explicit deny, from our statement;
- a session issued one second after the cutoff gets no deny from our statement
  (`DateLessThan` is strict, fact 10; sessions after the cutoff must survive, fact 22);
- a request without `aws:TokenIssueTime` (a long-term key, fact 9) gets no deny from our
  statement: the deny must never have become `DateLessThanIfExists`.

The evaluator (revoke.core.evaluate) decides each case over *all* identity policies, so the
report also says what else applies (another deny, or no allow at all, which tells the
responder in advance that a probe will see an implicit deny). "Our statement" means a
session-revocation statement inside one of the policies labelled as ours.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from revoke.core.policy import (
    POLICY_VERSION,
    TOKEN_ISSUE_TIME,
    revocation_cutoff_of,
    statements_of,
)
from revoke.core.timeparse import CUTOFF_FORMAT, cutoff_datetime

# A harmless call that identity policies govern (never sts:GetCallerIdentity, fact 13, nor
# IAM/STS, fact 4): the logic layer asks about the same action the probe makes.
DEFAULT_ACTION = "s3:ListAllMyBuckets"

CASE_BEFORE = "issued_before_cutoff"
CASE_AFTER = "issued_after_cutoff"
CASE_NO_ISSUE_TIME = "no_token_issue_time"

EXPECT_DENY = "explicit deny from the revocation"
EXPECT_NO_DENY = "no deny from the revocation"

LOGIC_OK = "ok"
LOGIC_FAILED = "failed"
LOGIC_ERROR = "error"


@dataclass(frozen=True)
class Case:
    """One request the logic layer asks about."""

    name: str
    token_issue_time: str | None
    expect_deny: bool
    userid: str | None = None  # the session asked about (a session-scoped deny)
    instance_arn: str | None = None  # the instance a session's requests come from

    def context(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.token_issue_time:
            found[TOKEN_ISSUE_TIME] = self.token_issue_time
        if self.userid:
            found[USERID] = self.userid
        if self.instance_arn:
            found[SOURCE_INSTANCE] = self.instance_arn
        return found


def cases_for(cutoff: str) -> list[Case]:
    """The three requests of DESIGN.md for a cutoff, one second either side."""
    moment = cutoff_datetime(cutoff)
    second = timedelta(seconds=1)
    return [
        Case(CASE_BEFORE, (moment - second).strftime(CUTOFF_FORMAT), True),
        Case(CASE_AFTER, (moment + second).strftime(CUTOFF_FORMAT), False),
        Case(CASE_NO_ISSUE_TIME, None, False),
    ]


CASE_OTHER_SESSION = "other_session_of_the_role"
USERID = "aws:userid"
SOURCE_INSTANCE = "ec2:SourceInstanceARN"


def other_session(userid: str) -> str:
    """A session of the same role that nobody saw: same role ID, another session name."""
    role_id = userid.split(":", 1)[0]
    return f"{role_id}:revoke-proof-other-session"


def session_cases_for(cutoff: str, userid: str) -> list[Case]:
    """A session-scoped deny (revoke.core.sessiondeny): the session seen is denied one
    second before the cutoff and not one second after; another session of the role is not
    denied, nor is a request without aws:TokenIssueTime (a long-term key)."""
    moment = cutoff_datetime(cutoff)
    second = timedelta(seconds=1)
    before = (moment - second).strftime(CUTOFF_FORMAT)
    return [
        Case(CASE_BEFORE, before, True, userid),
        Case(CASE_AFTER, (moment + second).strftime(CUTOFF_FORMAT), False, userid),
        Case(CASE_OTHER_SESSION, before, False, other_session(userid)),
        Case(CASE_NO_ISSUE_TIME, None, False, userid),
    ]


def instance_cases_for(cutoff: str, instance_arn: str) -> list[Case]:
    """An instance's sessions (ec2:SourceInstanceARN): denied before the cutoff, not after;
    a session of the role on another instance is not denied."""
    moment = cutoff_datetime(cutoff)
    second = timedelta(seconds=1)
    before = (moment - second).strftime(CUTOFF_FORMAT)
    other = instance_arn.rsplit("/", 1)[0] + "/i-0revokeproofother"
    return [
        Case(CASE_BEFORE, before, True, instance_arn=instance_arn),
        Case(
            CASE_AFTER, (moment + second).strftime(CUTOFF_FORMAT), False, instance_arn=instance_arn
        ),
        Case(CASE_OTHER_SESSION, before, False, instance_arn=other),
        Case(CASE_NO_ISSUE_TIME, None, False, instance_arn=instance_arn),
    ]


@dataclass
class CaseResult:
    case: Case
    decision: str | None  # over all identity policies; None if they could not be evaluated
    revocation_denies: bool  # one of our revocation statements matched
    other_denies: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return self.revocation_denies == self.case.expect_deny

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "case": self.case.name,
            "token_issue_time": self.case.token_issue_time,
            **({"userid": self.case.userid} if self.case.userid else {}),
            "expected": EXPECT_DENY if self.case.expect_deny else EXPECT_NO_DENY,
            "decision": self.decision,
            "denied_by_revocation": self.revocation_denies,
            "holds": self.holds,
        }
        if self.other_denies:
            data["other_denies"] = list(self.other_denies)
        return data


@dataclass
class LogicProof:
    status: str  # ok | failed | error
    action: str
    cases: list[CaseResult]
    policies: int
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "action": self.action,
            "policies_evaluated": self.policies,
            "cases": [c.to_json() for c in self.cases],
        }
        if self.notes:
            data["notes"] = list(self.notes)
        if self.error:
            data["error"] = self.error
        return data


def _ref_label(ref: Any) -> str:
    sid = getattr(ref, "sid", None)
    where = f"{ref.policy} statement {ref.index}"
    return f"{where} ({sid})" if sid else where


def is_revocation_statement(statement: Any) -> bool:
    """A deny conditioned on aws:TokenIssueTime: ours, the console's, or a broken variant of
    them (an `IfExists` operator, fact 9) that the cases must catch rather than ignore."""
    if revocation_cutoff_of(statement) is not None:
        return True
    if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    return any(
        isinstance(block, Mapping) and any(k.lower() == TOKEN_ISSUE_TIME.lower() for k in block)
        for block in condition.values()
    )


def _revocation_statements(
    policies: Sequence[tuple[str, Mapping[str, Any]]], ours: Collection[str]
) -> set[tuple[str, int]]:
    """(label, index) of every session-revocation statement inside our policies."""
    found = set()
    for label, document in policies:
        if label not in ours:
            continue
        for index, statement in enumerate(statements_of(document)):
            if is_revocation_statement(statement):
                found.add((label, index))
    return found


def prove(
    policies: Sequence[tuple[str, Mapping[str, Any]]],
    ours: Collection[str],
    cutoff: str,
    *,
    action: str = DEFAULT_ACTION,
    cases: Sequence[Case] | None = None,
) -> LogicProof:
    """Evaluate the three cases over `policies` ((label, document) pairs, every identity
    policy of the principal); `ours` names the labels of the revocation policies."""
    from revoke.core.evaluate import PolicyEvaluationError, evaluate

    cases = list(cases) if cases is not None else cases_for(cutoff)
    revocations = _revocation_statements(policies, ours)
    proof = LogicProof(status=LOGIC_OK, action=action, cases=[], policies=len(policies))
    if not revocations:
        proof.status = LOGIC_FAILED
        proof.error = "none of the principal's policies holds a session-revocation statement"
        return proof

    # Our statements on their own: what the verdict rests on if another policy cannot be
    # evaluated (an explicit deny is final, so ours alone decides whether ours denies).
    only_ours = [
        (
            label,
            {
                "Version": POLICY_VERSION,
                "Statement": [
                    s for i, s in enumerate(statements_of(doc)) if (label, i) in revocations
                ],
            },
        )
        for label, doc in policies
        if label in ours and any(lab == label for lab, _ in revocations)
    ]
    for case in cases:
        decision: str | None
        try:
            full = evaluate(policies, action, "*", case.context())
            decision = full.decision
            denies = full.matched_denies
        except PolicyEvaluationError as err:
            note = f"not every policy could be evaluated ({err}); judged on ours alone"
            if note not in proof.notes:
                proof.notes.append(note)
            decision = None
            try:
                denies = evaluate(only_ours, action, "*", case.context()).matched_denies
            except PolicyEvaluationError as ours_err:
                proof.status = LOGIC_ERROR
                proof.error = f"the revocation policy cannot be evaluated: {ours_err}"
                return proof
        mine = [d for d in denies if (d.policy, d.index) in revocations]
        result = CaseResult(
            case=case,
            decision=decision,
            revocation_denies=bool(mine),
            other_denies=[_ref_label(d) for d in denies if (d.policy, d.index) not in revocations],
        )
        proof.cases.append(result)

    if not all(c.holds for c in proof.cases):
        proof.status = LOGIC_FAILED
        broken = ", ".join(c.case.name for c in proof.cases if not c.holds)
        proof.error = f"the revocation does not behave as written for: {broken}"
    after = next(c for c in proof.cases if c.case.name == CASE_AFTER)
    if after.decision == "implicit_deny":
        proof.notes.append(
            f"no policy allows {action} for this principal: a probe will see an implicit "
            "deny until the revocation is in force"
        )
    elif after.decision == "explicit_deny" and not after.revocation_denies:
        proof.notes.append(
            f"another policy also denies {action} after the cutoff: "
            + "; ".join(after.other_denies)
        )
    return proof
