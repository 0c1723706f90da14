"""`revoke token inspect`: what a credential is, whose, until when, and whether a
revocation cutoff covers it.

What a credential is (key ID, offline), whose (GetCallerIdentity), until when (ledger,
environment, profile, provider), and whether a revocation cutoff covers it. Nothing here
prints a secret: only the access key ID ever leaves a credential object.

Whether it is revoked is decided (`revocation.decided_by`) by
- "ledger": the token ledger knows its issue time, compared with the cutoff read from IAM;
- "probe": the ledger cannot tell, so AWS is asked with the token itself (`probe_token`):
  an action the principal's policies allow (the evaluator over the policies, when they can
  be read), refused with an explicit deny while a fresh token of the same principal is
  allowed, is revoked; the same call allowed is not revoked;
- "credentials": AWS refuses the credentials themselves (expired, invalid);
- "key type": what the key is decides (a long-term key carries no issue time, a root's
  token cannot be restricted);
- null: nothing could decide it, and the reason says why.
"""

from __future__ import annotations

# The package's modules: credential (expiry, principal), decide (the cutoff, what decided),
# probe (asking AWS with the token), inspection (the workflow) and rows (the table).
from revoke.ops.token_inspect.decide import read_cutoff
from revoke.ops.token_inspect.inspection import Inspection, inspect_credentials
from revoke.ops.token_inspect.probe import choose_probe_action, probe_token
from revoke.ops.token_inspect.rows import INSPECT_ROWS, inspect_rows

__all__ = [
    "INSPECT_ROWS",
    "Inspection",
    "choose_probe_action",
    "inspect_credentials",
    "inspect_rows",
    "probe_token",
    "read_cutoff",
]
