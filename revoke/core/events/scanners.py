"""A secret scanner's JSON line in TruffleHog's format: the key ID from `Redacted`, `Raw`
or `RawV2`, never the secret, and where it was found."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from revoke.core.events.checks import _KEY_IN_TEXT, _account, _dict, _shown
from revoke.core.events.request import KEY, SCANNER, ContainmentRequest, Principal
from revoke.core.keyowner import parse_access_key
from revoke.errors import BadInput

# -- a secret scanner (TruffleHog) ----------------------------------------------------------


def _trufflehog(line: dict[str, Any]) -> ContainmentRequest:
    detector = line.get("DetectorName")
    if detector is None and line.get("DetectorType") == 2:  # detectorspb.DetectorType_AWS
        detector = "AWS"
    if str(detector or "").upper() != "AWS":
        raise BadInput(
            f"the scanner found a {_shown(detector)} secret, not an AWS access key: "
            "nothing to contain"
        )
    key = None
    # Raw is the key ID for TruffleHog's AWS detector; RawV2 is the ID and the secret.
    # Only the ID is looked for, and nothing of either is quoted back.
    for candidate in (line.get("Redacted"), line.get("Raw"), line.get("RawV2")):
        found = _KEY_IN_TEXT.search(str(candidate or ""))
        if found:
            key = found.group(1)
            break
    if key is None:
        raise BadInput(
            "the scanner's AWS result holds no access key ID (AKIA.../ASIA...); "
            "nothing was called (its secret was not echoed)"
        )
    key = parse_access_key(key).value
    extra = _dict(line.get("ExtraData"))
    account = _account(extra.get("account"))
    principal = None
    arn = extra.get("arn")
    if isinstance(arn, str):
        match = re.match(r"^arn:([\w-]+):iam::(\d{12}):user/(?:.*/)?([\w+=,.@-]{1,64})$", arn)
        if match:
            account = account or match.group(2)
            principal = Principal("user", match.group(3), match.group(2), arn)
    where = _scan_location(line.get("SourceMetadata"))
    fingerprint = hashlib.sha256(
        json.dumps(line.get("SourceMetadata"), sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()[:16]
    verified = line.get("Verified") is True
    return ContainmentRequest(
        source=SCANNER,
        finding_type="TruffleHog:AWS" + (" (verified)" if verified else " (unverified)"),
        kind=KEY,
        finding_id=f"trufflehog:{key}:{fingerprint}",
        reason=f"a secret scanner found access key {key} with its secret"
        + (f" in {where}" if where else "")
        + ("" if verified else " (not verified live)"),
        access_key_id=key,
        principal=principal,
        account=account,
    )


def _scan_location(metadata: Any) -> str | None:
    data = metadata.get("Data") if isinstance(metadata, dict) else None
    if not isinstance(data, dict) or not data:
        return None
    place = next(iter(data.values()))
    if not isinstance(place, dict):
        return None
    parts = [place.get("repository"), place.get("file"), place.get("commit")]
    shown = [_shown(p, quote=False) for p in parts if isinstance(p, str) and p]
    return " ".join(shown) or None
