"""Tamper evidence the journal file alone cannot forge: the origin's digest, kept in AWS.

`revoke lift` restores the document that existed before revoke first touched a principal's
`AWSRevokeOlderSessions` (the journal's `before` of the episode's first change). The journal
is a local file: whoever can edit it can also recompute its hash chain, so the chain alone
cannot tell a genuine `before` from a forged one (an `Allow *` installed under our name).

So when there was more before than a session-revocation deny (statements of somebody else's
kept in the same policy), the statement revoke writes carries that document's digest in its
`Sid`
(`AWSRevokeOlderSessions` + 24 hex characters of SHA-256 over the compact text; a Sid takes
ASCII letters and digits, IAM User Guide, reference_policies_elements_sid,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html).
It lives in IAM, out of reach of an editor of the file. A refresh carries the anchor over, so
it always names the episode's origin. When there was nothing before, or only a revocation
deny (the console's "Revoke active sessions" writes the same document as revoke), nothing is
added: the document stays exactly the console's, and the journal's origin must then be
nothing or such a deny, which restores no permission to anybody (any other origin is
refused).

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from revoke.core.policy import compact, revocation_cutoff_of, statements_of

SID_PREFIX = "AWSRevokeOlderSessions"
DIGEST_CHARS = 24
_SID = re.compile(rf"^{SID_PREFIX}([0-9a-f]{{{DIGEST_CHARS}}})$")


def digest(document: Mapping[str, Any] | None) -> str | None:
    """The origin's digest, or None when there was no document."""
    if document is None:
        return None
    return hashlib.sha256(compact(document).encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def anchor_in(document: Mapping[str, Any] | None) -> str | None:
    """The digest a live (or journalled) document carries in our statement's Sid."""
    for statement in statements_of(document or {}):
        if isinstance(statement, dict) and revocation_cutoff_of(statement) is not None:
            found = _SID.match(str(statement.get("Sid", "")))
            if found:
                return found.group(1)
    return None


def only_revocations(document: Mapping[str, Any] | None) -> bool:
    """Nothing, or nothing but session-revocation denies (ours or the console's)."""
    return all(revocation_cutoff_of(s) is not None for s in statements_of(document or {}))


def origin_anchor(current: Mapping[str, Any] | None) -> str | None:
    """The anchor the next write carries: the one in force (a refresh keeps naming the
    episode's origin), else the digest of what is there now when it holds more than a
    revocation deny, else none."""
    carried = anchor_in(current)
    if carried is not None or only_revocations(current):
        return carried
    return digest(current)


def with_anchor(rendered: Mapping[str, Any], anchor: str | None) -> dict[str, Any]:
    """The rendered revocation with the anchor in each of its statements' Sid (no anchor:
    unchanged). Only our rendered statements are given one; nobody else's is touched."""
    if anchor is None:
        return dict(rendered)
    statements = [
        {"Sid": f"{SID_PREFIX}{anchor}", **{k: v for k, v in s.items() if k != "Sid"}}
        for s in statements_of(rendered)
    ]
    result = dict(rendered)
    result["Statement"] = (
        statements
        if isinstance(rendered.get("Statement"), list)
        else (statements[0] if len(statements) == 1 else statements)
    )
    return result


def check_origin(live: Mapping[str, Any] | None, origin: Mapping[str, Any] | None) -> str | None:
    """Why the journal's origin is not the one IAM's document names, or None when it is.

    `live` is the document in force (the episode's last write), `origin` the journal's
    `before` of the episode's first change."""
    carried = anchor_in(live)
    if carried is None:
        if only_revocations(origin):
            return None
        return (
            "the journal says a document with other statements existed before revoke's "
            "first change, but the policy in force carries no digest of one"
        )
    claimed = digest(origin)
    if carried == claimed:
        return None
    if claimed is None:
        return (
            "the policy in force names a document that existed before revoke's first "
            "change, but the journal says there was none"
        )
    return (
        f"the document the journal says existed before (digest {claimed}) is not the one "
        f"the policy in force names (digest {carried})"
    )


def allows_anything(document: Mapping[str, Any] | None) -> bool:
    """Whether a document holds any statement that is not a Deny: never installed under
    our policy name by `lift` (a revocation policy denies, nothing else)."""
    return any(
        not isinstance(s, dict) or s.get("Effect") != "Deny" for s in statements_of(document or {})
    )
