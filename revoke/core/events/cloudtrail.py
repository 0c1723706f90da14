"""The CloudTrail event in which AWS attached an AWSCompromisedKeyQuarantine policy to a
user (AWS-FACTS fact 30): the user is quarantined, the event does not name the key."""

from __future__ import annotations

from typing import Any

from revoke.core.events.checks import _account, _optional, _shown, _text
from revoke.core.events.request import (
    CLOUDTRAIL,
    EXPOSED,
    QUARANTINE_POLICIES,
    QUARANTINED,
    ContainmentRequest,
    Principal,
)
from revoke.errors import BadInput

# -- CloudTrail (AWS quarantined a user) ----------------------------------------------------


def _cloudtrail(detail: dict[str, Any]) -> ContainmentRequest:
    name = detail.get("eventName")
    params = detail.get("requestParameters")
    policy_arn = str((params or {}).get("policyArn", "")) if isinstance(params, dict) else ""
    policy = policy_arn.rsplit("/", 1)[-1]
    if (
        detail.get("eventSource") != "iam.amazonaws.com"
        or name != "AttachUserPolicy"
        or policy not in QUARANTINE_POLICIES
        or ":iam::aws:policy/" not in policy_arn
    ):
        raise BadInput(
            f"CloudTrail event {_shown(name)} did not attach an AWS quarantine policy "
            "(AWSCompromisedKeyQuarantine*): nothing to contain",
        )
    if detail.get("errorCode"):
        raise BadInput(
            f"the AttachUserPolicy call failed ({_shown(detail.get('errorCode'))}): "
            "nothing was quarantined, nothing was called"
        )
    assert isinstance(params, dict)
    event_id = _text(detail.get("eventID"), "the CloudTrail event's eventID")
    account = _account(detail.get("recipientAccountId")) or _account(
        (detail.get("userIdentity") or {}).get("accountId")
        if isinstance(detail.get("userIdentity"), dict)
        else None
    )
    from revoke.core.names import parse_target

    user = parse_target("user", _text(params.get("userName"), "requestParameters.userName"))
    partition = policy_arn.split(":", 2)[1] if policy_arn.count(":") >= 2 else "aws"
    arn = f"arn:{partition}:iam::{account}:user/{user.name}" if account else None
    return ContainmentRequest(
        source=CLOUDTRAIL,
        finding_type=f"AttachUserPolicy:{policy}",
        kind=QUARANTINED,
        finding_id=f"cloudtrail:{event_id}",
        reason=f"AWS attached {policy} to user {user.name}: one of its access keys is "
        "exposed (the event does not say which)",
        principal=Principal("user", user.name, account, arn),
        account=account,
        region=_optional(detail.get("awsRegion")),
        warnings=(
            f"AWS asks never to remove {policy}: revoke leaves it in place",
            "the event does not name the key: every active key of the user is deactivated; "
            f"the {EXPOSED} Health event names it",
        ),
    )
