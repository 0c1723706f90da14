"""Find and load the policy templates in `policies/`.

Installed, they ship inside the wheel as `revoke/policies/` (pyproject force-include);
in a source checkout (editable install, tests) they are the top-level `policies/`.
Either way an installed `revoke` finds them from any working directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from revoke.core.policy import PolicyTemplate

_PACKAGED = Path(__file__).resolve().parents[1] / "policies"
_CHECKOUT = Path(__file__).resolve().parents[2] / "policies"


def templates_dir() -> Path:
    for candidate in (_PACKAGED, _CHECKOUT):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"policy templates not found in {_PACKAGED} or {_CHECKOUT}; reinstall revoke"
    )


@cache
def load_template(name: str) -> PolicyTemplate:
    path = templates_dir() / name
    return PolicyTemplate(name=name, source=path.read_text(encoding="utf-8"))


def deny_older_sessions() -> PolicyTemplate:
    return load_template("deny-older-sessions.json.j2")


def deny_older_sessions_scp() -> PolicyTemplate:
    """The organization-wide variant: the same deny as an SCP, with break-glass exemptions."""
    return load_template("deny-older-sessions-scp.json.j2")


def deny_sessions() -> PolicyTemplate:
    """Issue 16 item 2: deny a role's sessions seen (aws:userid `ROLE-ID:SESSION-NAME`)
    issued before the cutoff, and only those (revoke.core.sessiondeny), optionally also
    by instance (ec2:SourceInstanceARN). One template for both `revoke ... --follow` and
    `revoke respond`'s instance containment."""
    return load_template("deny-sessions.json.j2")


def deny_instance_sessions() -> PolicyTemplate:
    """Issue 19 item 3: deny one instance's role sessions issued before the cutoff, not
    every instance's. A session of a role assigned to an EC2 instance has aws:userid
    `ROLE-ID:INSTANCE-ID` (IAM User Guide, reference_policies_variables.html, the
    principal table; AWS-FACTS facts 26 and 29), and its requests carry
    ec2:SourceInstanceARN (IAM User Guide, reference_policies_condition-keys.html); either
    statement denies it, neither touches another instance's sessions or the sessions
    issued after the cutoff (the fresh ones a new profile association hands out)."""
    return deny_sessions()
