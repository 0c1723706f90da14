"""The one error the evaluator raises: on anything it cannot evaluate exactly, never a silent
allow or deny."""

from __future__ import annotations


class PolicyEvaluationError(ValueError):
    """A policy (or a request context) this evaluator cannot evaluate exactly."""
