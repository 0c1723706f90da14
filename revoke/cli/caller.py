"""The first line of every plan and prompt: who revoke is acting as.

With a key exported, AWS_PROFILE set and a `--profile` on the line, a responder at 3 a.m.
cannot tell which identity will write; `aws sts get-caller-identity` would say, so revoke
says it first, from the GetCallerIdentity answer the run already has (stderr, so stdout
stays the result alone).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

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


@contextmanager
def acting_as_first(g: Globals) -> Iterator[None]:
    """Inside: the acting-as line comes before the first line the workflow says.

    For a workflow that asks STS who the caller is itself, after checking its input (the
    fan-out: bad account IDs are exit 2 before any call): the line is said when it first
    speaks, which is after its own GetCallerIdentity succeeded, with one more of those.
    """
    tell = g.tell

    def first(message: str) -> None:
        g.tell = tell
        say_acting_as(g)
        tell(message)

    g.tell = first
    try:
        yield
    finally:
        g.tell = tell
