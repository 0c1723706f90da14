"""The "probe" (revoke.ops.token_inspect): when the ledger cannot tell, AWS is asked with
the token itself. The action is one the principal's policies allow (the evaluator), and an
explicit deny of this token is compared with a fresh token of the same principal (a
profile given, or a session the admin profile assumes) or with the policies as read now."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from revoke.core.tokenrules import Coverage
from revoke.errors import RevokeError

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession
    from revoke.ops.context import RunContext


def _policy_documents(reader: AwsSession, kind: str, name: str) -> list[dict[str, Any]] | None:
    """The principal's inline and attached managed policies as `reader` can read them now
    (None if it cannot): what the probe's action is chosen from."""
    from revoke.aws.iam import IamGateway

    gateway = IamGateway(reader)
    try:
        state = gateway.read_principal(kind, name, with_keys=False)
        if not state.exists:
            return None
        documents = list(state.inline_policies.values())
        for attached in state.attached_policies:
            documents.append(gateway.managed_document(attached["PolicyArn"]))
    except RevokeError:
        return None
    return documents


def choose_probe_action(
    documents: list[dict[str, Any]] | None, fresh_issue: datetime
) -> tuple[str, str]:
    """(action, how it was chosen): the first probe action the policies allow a token
    issued at `fresh_issue` (after any cutoff, so the revocation does not hide it), by the
    project's evaluator; else the default harmless read."""
    from revoke.aws.probe import DEFAULT_PROBE_ACTION, PROBE_CALLS
    from revoke.core.evaluate import PolicyEvaluationError, evaluate

    if documents:
        stamp = fresh_issue.strftime("%Y-%m-%dT%H:%M:%SZ")
        context = {"aws:TokenIssueTime": stamp, "aws:CurrentTime": stamp}
        labelled = {f"policy{i}": d for i, d in enumerate(documents)}
        for action in PROBE_CALLS:
            try:
                if evaluate(labelled, action, "*", context).allowed:
                    return action, "the evaluator: the principal's policies allow it"
            except PolicyEvaluationError:
                break
    return DEFAULT_PROBE_ACTION, "default (the principal's policies could not be read)"


def _fresh_probe(
    g: RunContext,
    *,
    action: str,
    kind: str,
    name: str,
    account: str | None,
    fresh_profile: str | None,
    admin: AwsSession | None,
) -> tuple[Any, str | None]:
    """(a Probe with a fresh token of the same principal, what it is) or (None, why not)."""
    from revoke.aws.errors import aws_errors
    from revoke.aws.probe import Probe, identity_matches
    from revoke.aws.session import AwsSession

    if fresh_profile:
        session = AwsSession(profile=fresh_profile, region=g.region, endpoint_url=g.endpoint_url)
        probe = Probe(session, action=action)
        try:
            arn = probe.identity()
        except RevokeError as err:
            return None, f"--fresh-profile {fresh_profile} is not usable ({err.message})"
        if arn is None or not identity_matches(arn, kind, name, account):
            return None, f"--fresh-profile {fresh_profile} acts as {arn}, not the same {kind}"
        return probe, f"a token of profile {fresh_profile}"
    if kind == "role" and admin is not None and account:
        role_arn = f"arn:aws:iam::{account}:role/{name}"
        try:
            with aws_errors(f"sts:AssumeRole {role_arn}"):
                found = admin.client("sts").assume_role(
                    RoleArn=role_arn, RoleSessionName="revoke-inspect-fresh", DurationSeconds=900
                )["Credentials"]
        except RevokeError as err:
            return None, f"the admin profile could not assume {role_arn} ({err.message})"
        fresh = admin.assume(
            {
                "aws_access_key_id": found["AccessKeyId"],
                "aws_secret_access_key": found["SecretAccessKey"],
                "aws_session_token": found["SessionToken"],
            }
        )
        return Probe(fresh, action=action), f"a session of {role_arn} the admin profile assumed now"
    return None, (
        f"no fresh token of {kind} {name} to compare with: GetSessionToken issues tokens only "
        "to the caller, so the admin profile cannot issue one for a user; pass "
        "--fresh-profile P (a token of the same principal issued after the cutoff)"
    )


def probe_token(
    g: RunContext,
    session: AwsSession,
    *,
    kind: str,
    name: str,
    account: str | None,
    reader: AwsSession | None,
    fresh_profile: str | None,
    admin: AwsSession | None,
    now: datetime,
    cutoff: datetime | None = None,
) -> tuple[Coverage, dict[str, Any]]:
    """Ask AWS with the token itself (module docstring, "probe"): the verdict and what was
    called and compared. Never GetCallerIdentity (never denied), never IAM or STS (a token
    without MFA cannot call IAM at all): a harmless read policies govern."""
    from revoke.aws.probe import (
        ALLOWED,
        EXPLICIT_DENY,
        IMPLICIT_DENY,
        OTHER_DENY,
        Probe,
        probe_call,
    )

    documents = _policy_documents(reader, kind, name) if reader is not None else None
    from datetime import timedelta

    fresh_issue = max(now, cutoff + timedelta(seconds=1)) if cutoff else now
    action, chosen_by = choose_probe_action(documents, fresh_issue)
    outcome = Probe(session, action=action).attempt()
    report: dict[str, Any] = {
        "action": action,
        "call": probe_call(action),
        "chosen_by": chosen_by,
        "outcome": outcome.kind,
        "error": f"{outcome.code}: {outcome.message}" if outcome.code else None,
        "compared_with": None,
        "fresh_outcome": None,
    }
    called = f"{probe_call(action)} ({action}) with this token"
    if outcome.kind == ALLOWED:
        return Coverage("not revoked", f"{called} was allowed: no deny covers it"), report
    if outcome.kind == IMPLICIT_DENY:
        return (
            Coverage(
                "unknown",
                f"{called} was refused without an explicit deny (no policy allows it), "
                "which says nothing about a revocation",
            ),
            report,
        )
    if outcome.kind not in (EXPLICIT_DENY, OTHER_DENY):
        return Coverage("unknown", f"{called} failed: {report['error']}"), report
    where = (
        "an identity-based policy" if outcome.kind == EXPLICIT_DENY else "a policy of another type"
    )
    fresh, what = _fresh_probe(
        g,
        action=action,
        kind=kind,
        name=name,
        account=account,
        fresh_profile=fresh_profile,
        admin=admin,
    )
    if fresh is not None:
        fresh_outcome = fresh.attempt()
        report["compared_with"], report["fresh_outcome"] = what, fresh_outcome.kind
        if fresh_outcome.kind == ALLOWED:
            return (
                Coverage(
                    "revoked",
                    f"{called} was refused with an explicit deny in {where}, and allowed "
                    f"for {what}: the deny covers older sessions only (a revocation, "
                    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html)",
                ),
                report,
            )
        return (
            Coverage(
                "unknown",
                f"{called} was refused with an explicit deny in {where}, and {what} was "
                f"refused too ({fresh_outcome.kind}): a deny that is not about issue time",
            ),
            report,
        )
    if documents and chosen_by.startswith("the evaluator"):
        report["compared_with"] = (
            "the principal's policies as read now, for a token issued after the cutoff"
        )
        return (
            Coverage(
                "revoked",
                f"{called} was refused with an explicit deny in {where}, though {kind} "
                f"{name}'s policies as read now allow it to a token issued after the cutoff "
                f"({what})",
            ),
            report,
        )
    return (
        Coverage(
            "unknown",
            f"{called} was refused with an explicit deny in {where}, but it could not be "
            f"compared: {what}",
        ),
        report,
    )
