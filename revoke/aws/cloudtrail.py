"""CloudTrail event history: the events signed with one access key (`revoke key ASIA...`).

`cloudtrail:LookupEvents` with the lookup attribute `AccessKeyId` returns management
events made with that key, in the session's region, over the last 90 days; every event
carries the full record as the JSON text `CloudTrailEvent` (CloudTrail API reference,
LookupEvents and LookupAttribute: "AccessKeyId" is one of the valid AttributeKey values).

The lookup is best effort: it is a way to name a principal, not a step of the
revocation. Whatever stops it (no permission, throttling at two lookups per second per
account and region, an endpoint without CloudTrail such as moto or the sandbox) is
returned as the reason it did not answer, never raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from revoke.aws.errors import error_code, error_message
from revoke.aws.session import AwsSession

# One page is plenty: any event signed with the key names its principal and issue time.
MAX_EVENTS = 50
# A lookup that fails is an answer ("not available here"), not worth ten retries.
LOOKUP_ATTEMPTS = 2


@dataclass
class TrailLookup:
    region: str
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # why the lookup did not answer; None when it did

    @property
    def answered(self) -> bool:
        return self.error is None


class CloudTrailGateway:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def events_for_key(self, access_key_id: str) -> TrailLookup:
        import botocore.exceptions

        lookup = TrailLookup(region=self.session.region)
        try:
            client = self.session.client("cloudtrail", attempts=LOOKUP_ATTEMPTS)
            found = client.lookup_events(
                LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": access_key_id}],
                MaxResults=MAX_EVENTS,
            )
        except botocore.exceptions.ClientError as err:
            lookup.error = f"{error_code(err) or 'Unknown'}: {error_message(err)}"
            return lookup
        except botocore.exceptions.BotoCoreError as err:
            lookup.error = f"{type(err).__name__}: {err}"
            return lookup
        except NotImplementedError:  # moto in-process: "lookup_events has not been implemented"
            lookup.error = "NotImplemented: this endpoint has no CloudTrail LookupEvents"
            return lookup
        for entry in found.get("Events") or []:
            text = entry.get("CloudTrailEvent")
            try:
                record = json.loads(text) if isinstance(text, str) else None
            except ValueError:
                record = None
            if isinstance(record, dict):
                lookup.events.append(record)
        return lookup
