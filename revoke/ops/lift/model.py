"""What a lift reads of the journal (the episode to undo, its policy chain) and `LiftPlan`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from revoke.ops.revocation_policy import RevocationPolicy, document_text
from revoke.state.journal import CHANGE_ACTIONS

# -- lift: pure planning -----------------------------------------------------------------


def episode(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Change records since the last lift (the changes a lift would undo), oldest first."""
    found: list[dict[str, Any]] = []
    for record in reversed(records):
        if record.get("action") == "lift":
            break
        if record.get("action") in CHANGE_ACTIONS:
            found.append(record)
    return list(reversed(found))


def _policy_of(record: dict[str, Any]) -> tuple[Any, Any]:
    policy = record.get("policy") or {}
    return policy.get("name"), policy.get("mechanism")


def policy_chain(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest run of records that each started from the previous one's document.

    A break means somebody else wrote the policy between two of our changes: what they
    wrote is then the document to restore, not anything older.
    """
    if not records:
        return []
    chain = [records[-1]]
    for record in reversed(records[:-1]):
        newer = chain[0]
        if _policy_of(record) != _policy_of(newer):
            break
        if document_text(record.get("after")) != document_text(newer.get("before")):
            break
        chain.insert(0, record)
    return chain


@dataclass
class LiftPlan(RevocationPolicy):
    policy_action: str = "none"  # "restore" | "remove" | "none"
    current_document: dict[str, Any] | None = None
    expected_document: dict[str, Any] | None = None
    restored_document: dict[str, Any] | None = None
    containment: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    undoes: list[str] = field(default_factory=list)
    status: str = "planned"  # planned | applied | unchanged | skipped | failed
    error: str | None = None
    reason: str | None = None
    conflict: str | None = None
    # Tamper evidence failed (revoke.core.anchor): --force does not override it.
    refused: str | None = None

    @property
    def changes(self) -> bool:
        return self.policy_action != "none" or any(
            s.get("result") == "planned" for s in self.containment
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **self.where_json(),
            "status": self.status,
            "policy_action": self.policy_action,
            "current_document": self.current_document,
            "restored_document": self.restored_document,
            "containment": self.containment,
            "notes": self.notes,
            "undoes": self.undoes,
            "error": self.error,
        }
        self.arn_json(data)
        if self.reason:
            data["reason"] = self.reason
        return data
