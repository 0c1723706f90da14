"""The AWS Health event AWS_RISK_CREDENTIALS_EXPOSED: the exposed key in
`affectedEntities[].entityValue`."""

from __future__ import annotations

from typing import Any

from revoke.core.events.checks import _KEY_IN_TEXT, _account, _optional, _shown, _text
from revoke.core.events.request import EXPOSED, HEALTH, KEY, ContainmentRequest
from revoke.core.keyowner import parse_access_key
from revoke.errors import BadInput

# -- AWS Health -----------------------------------------------------------------------------


def _health(detail: dict[str, Any], *, envelope: dict[str, Any] | None) -> ContainmentRequest:
    code = detail.get("eventTypeCode")
    if code != EXPOSED:
        raise BadInput(
            f"AWS Health event {_shown(code)} is not {EXPOSED}: nothing to contain",
        )
    event_arn = _text(detail.get("eventArn"), "the Health event's eventArn")
    keys: list[str] = []
    for entity in detail.get("affectedEntities") or []:
        if isinstance(entity, dict):
            found = _KEY_IN_TEXT.search(str(entity.get("entityValue", "")))
            if found and found.group(1) not in keys:
                keys.append(found.group(1))
    if not keys:
        raise BadInput(f"the {EXPOSED} event names no access key ID; nothing was called")
    key = parse_access_key(keys[0]).value
    account = _account(detail.get("affectedAccount")) or _account((envelope or {}).get("account"))
    warnings = tuple(
        f"the event also names key {other}: run revoke key {other}" for other in keys[1:]
    )
    return ContainmentRequest(
        source=HEALTH,
        finding_type=EXPOSED,
        kind=KEY,
        finding_id=f"health:{event_arn}:{key}",
        reason=f"{EXPOSED}: AWS found access key {key} exposed publicly",
        access_key_id=key,
        account=account,
        region=_optional((envelope or {}).get("region")),
        warnings=warnings,
    )
