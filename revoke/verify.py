"""Verification of an applied revocation (layers 2 and 3 arrive with the evaluator)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway
    from revoke.cli.context import Globals
    from revoke.revocation import RunResult


def verify_run(g: Globals, gateway: IamGateway, result: RunResult) -> None:
    """Placeholder seam: read-back (layer 1) already ran in apply_run."""
    _: Any = (g, gateway, result)
