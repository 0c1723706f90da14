"""The first line of every plan and prompt: who revoke is acting as.

With a key exported, AWS_PROFILE set and a `--profile` on the line, a responder at 3 a.m.
cannot tell which identity will write; `aws sts get-caller-identity` would say, so revoke
says it first, from the GetCallerIdentity answer the run already has (stderr, so stdout
stays the result alone).
"""

from __future__ import annotations

from collections.abc import Mapping

from revoke.cli.context import Globals


def acting_as(caller: Mapping[str, str]) -> str:
    arn = caller.get("arn") or "an unknown principal"
    account = caller.get("account") or "unknown"
    return f"acting as {arn} (account {account})"


def say_acting_as(g: Globals, caller: Mapping[str, str] | None = None) -> dict[str, str]:
    """Say who the run acts as; `caller` None: ask STS (exit 253 for bad credentials)."""
    if caller is None:
        from revoke.aws.iam import IamGateway

        caller = IamGateway(g.aws()).caller_identity()
    g.say(acting_as(caller))
    return dict(caller)
