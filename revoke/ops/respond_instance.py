"""Instance-credential containment for respond (issue 19 item 3): that instance only.

Split out of revoke.ops.respond (which re-exports these names): a deny on the role
conditioned on the instance's ARN, so every other instance using the role keeps working,
and --replace-instance-profile-association, which associates the same profile anew so the
instance gets fresh credentials while the stolen ones stay denied; journalled with the
association before and after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from revoke.core.names import TargetName
from revoke.errors import BadInput, RevokeError

if TYPE_CHECKING:
    from revoke.ops.context import RunContext
    from revoke.ops.pipeline import Pipeline
    from revoke.ops.respond_records import RespondResult
    from revoke.state.journal import Journal

PROFILE_ASSOCIATION_URL = (
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
    "iam-roles-for-amazon-ec2.html#attach-iam-role"
)


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
