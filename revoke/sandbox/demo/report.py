"""What a demo run found, step by step: the statuses, each step's result, the whole report
(its JSON is the stdout of `revoke --output json demo`), and the marks a person sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK, FAILED, NOT_RUN = "ok", "failed", "not run"


@dataclass
class StepResult:
    number: int
    title: str
    status: str = NOT_RUN
    detail: str | None = None
    expected: str | None = None
    found: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "step": self.number,
            "title": self.title,
            "status": self.status,
            "seconds": round(self.seconds, 3),
        }
        if self.detail is not None:
            data["detail"] = self.detail
        if self.status == FAILED:
            data["expected"] = self.expected
            data["found"] = self.found
        return data


@dataclass
class DemoReport:
    steps: list[StepResult]
    seconds: float
    cutoff: str | None
    journal: str | None  # None: a temporary journal, gone with the demo
    journal_entry: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        return all(s.status == OK for s in self.steps)

    @property
    def failed(self) -> StepResult | None:
        return next((s for s in self.steps if s.status == FAILED), None)

    def to_json(self) -> dict[str, Any]:
        entry = self.journal_entry
        return {
            "action": "demo",
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "cutoff": self.cutoff,
            "journal": self.journal,
            "journal_entry": None
            if entry is None
            else {
                k: entry.get(k)
                for k in ("seq", "time", "action", "target", "status", "cutoff", "hash")
            },
            "steps": [s.to_json() for s in self.steps],
        }


def marks(encoding: str | None) -> tuple[str, str]:
    """✓ and ✗ where the stream can print them, else ASCII."""
    try:
        "✓✗".encode(encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        return "ok", "FAIL"
    return "✓", "✗"
