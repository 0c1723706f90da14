"""Whether a revocation covers the credential, from what is known without asking AWS with
the token: the latest cutoff read from the principal's policies in IAM (and why it could
not be read), and which evidence decided the verdict ("ledger", "credentials", "key
type"). The "probe" is in revoke.ops.token_inspect.probe."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from revoke.core.tokenrules import Coverage
from revoke.errors import RevokeError
from revoke.ops.token_inspect.credential import _TEMP_CREDENTIALS_DOC

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession


def read_cutoff(
    reader: AwsSession, kind: str, name: str, *, reader_is_token: bool
) -> tuple[datetime | None, str | None, bool]:
    """(latest cutoff, reason it could not be read, read ok) for a user or role."""
    from revoke.aws.iam import IamGateway
    from revoke.core.policy import existing_cutoff
    from revoke.core.timeparse import cutoff_datetime

    try:
        state = IamGateway(reader).read_principal(kind, name, with_keys=False)
    except RevokeError as err:
        text = err.message
        if reader_is_token and "InvalidClientTokenId" in text:
            return (
                None,
                "this token cannot read IAM: session tokens issued without MFA cannot call "
                f"IAM ({_TEMP_CREDENTIALS_DOC}); pass --admin-profile P to read the cutoff",
                False,
            )
        if "explicit deny" in text:
            return (
                None,
                "reading IAM met an explicit deny in an identity-based policy (https://docs."
                "aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html), which a "
                "revocation would cause; pass --admin-profile P to confirm",
                False,
            )
        return None, f"cannot read the {kind}'s policies ({text}); pass --admin-profile P", False
    if not state.exists:
        return None, f"there is no {kind} {name} (deleted?)", False
    documents = list(state.inline_policies.values())
    if state.managed_fallback_document:
        documents.append(state.managed_fallback_document)
    cutoffs = [c for d in documents if (c := existing_cutoff(d))]
    if not cutoffs:
        return None, None, True
    return max(cutoff_datetime(c) for c in cutoffs), None, True


def _decided_by(verdict: Coverage, status: str, issued_at: datetime | None) -> str | None:
    if verdict.status == "unknown":
        return None
    if status != "valid":
        return "credentials"
    if issued_at is not None and verdict.status in ("revoked", "not revoked"):
        return "ledger"
    return "key type"
