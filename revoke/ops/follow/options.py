"""What a `--follow` run is asked: the scope of the role denies, the trace's reading, the rest."""

from __future__ import annotations

from dataclasses import dataclass

from revoke.errors import BadInput
from revoke.ops.trace import TrailReading

SCOPE_SESSION, SCOPE_ROLE = "session", "role"
SCOPES = (SCOPE_SESSION, SCOPE_ROLE)


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise BadInput(f"--scope {scope!r} is not session or role", hint="--scope session|role")
    return scope


@dataclass
class FollowOptions(TrailReading):
    """The run's options; where and how far back its trace reads events (since, regions,
    events, workgroup, accounts, role_name) are TrailReading's, as `revoke trace` has them."""

    cutoff: str
    scope: str = SCOPE_SESSION
    restore_changes: bool = False
    org_scp: bool = False
    verify: bool = True
    force: bool = False
    deadline: float = 300.0
