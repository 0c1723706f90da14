"""Where a revocation lives, shared by `revoke lift` (lift.py) and `revoke gc` (gc.py).

A principal's revocation policy is inline by name, or our customer-managed fallback:
reading it, reading it again just before a write (`changed_since_plan`), writing or
removing it, and the journal record of a change. Also the longest token lives
(`USER_TOKEN_LIFE`, `ROLE_TOKEN_LIFE`): how long sessions a lifted deny stopped may still
work, and after how long a deny can no longer matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from revoke.core.policy import POLICY_NAME, compact, existing_cutoff

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway

USER_TOKEN_LIFE = 129_600  # fact 1 / fact 23: 36 h
ROLE_TOKEN_LIFE = 43_200  # fact 23: 12 h, the ceiling of MaxSessionDuration


def document_text(document: dict[str, Any] | None) -> str | None:
    return compact(document) if document is not None else None


def describe_document(document: dict[str, Any] | None) -> str:
    if document is None:
        return "no policy"
    cutoff = existing_cutoff(document)
    return f"a deny with cutoff {cutoff}" if cutoff else "a document without a revocation"


def read_document(
    gateway: IamGateway, kind: str, name: str, policy_name: str, mechanism: str, arn: str | None
) -> dict[str, Any] | None:
    if mechanism == "managed":
        if not arn:
            return None
        from revoke.aws.errors import aws_errors
        from revoke.errors import AwsFailure

        try:
            with aws_errors(f"iam:GetPolicy {arn}"):
                return gateway.managed_document(arn)
        except AwsFailure as err:
            if err.code == "NoSuchEntity":  # deleted since: reads as "no policy"
                return None
            raise
    return gateway.get_inline(kind, name, policy_name)


def read_recorded(
    gateway: IamGateway, kind: str, name: str, record: dict[str, Any]
) -> dict[str, Any] | None:
    """The live document where a journal change record says revoke's policy lives."""
    policy = record.get("policy") or {}
    return read_document(
        gateway,
        kind,
        name,
        policy.get("name") or POLICY_NAME,
        policy.get("mechanism") or "inline",
        policy.get("managed_policy_arn"),
    )


CHANGED_SINCE_PLAN = "changed since plan"


@dataclass
class RevocationPolicy:
    """A principal's revocation policy: inline by name, or our customer-managed fallback.
    What a lift plan and a gc item have in common: where they read and write."""

    kind: str
    name: str
    account: str | None
    policy_name: str = POLICY_NAME
    mechanism: str = "inline"
    managed_policy_arn: str | None = None

    def where_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "account": self.account,
            "policy_name": self.policy_name,
            "mechanism": self.mechanism,
        }

    def arn_json(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.managed_policy_arn:
            data["managed_policy_arn"] = self.managed_policy_arn
        return data

    def read(self, gateway: IamGateway) -> dict[str, Any] | None:
        return read_document(
            gateway, self.kind, self.name, self.policy_name, self.mechanism, self.managed_policy_arn
        )

    def changed_since_plan(
        self, gateway: IamGateway, expected: dict[str, Any] | None
    ) -> str | None:
        """Why the live document is no longer the one planned from, or None when it still is.

        A confirmation prompt sits between plan and apply, so a responder may refresh the
        deny (`revoke user NAME --before now`) meanwhile; writing the stale plan would then
        delete or roll back the fresh deny. Read the document again just before the write.
        IAM has no conditional write, so this narrows the race to the two calls; it cannot
        close it."""
        live = self.read(gateway)
        if document_text(live) == document_text(expected):
            return None
        return (
            f"{CHANGED_SINCE_PLAN}: {self.policy_name} now holds {describe_document(live)}, "
            f"the plan was made for {describe_document(expected)}; left as it is"
        )

    def write(self, gateway: IamGateway, document: dict[str, Any] | None) -> None:
        """Put `document` in the policy's place; None removes the policy."""
        if document is not None:
            if self.mechanism == "managed":
                gateway.put_managed(
                    self.kind, self.name, self.policy_name, document, self.managed_policy_arn
                )
            else:
                gateway.put_inline(self.kind, self.name, self.policy_name, document)
        elif self.mechanism == "managed" and self.managed_policy_arn:
            gateway.delete_managed(self.kind, self.name, self.managed_policy_arn)
        else:
            gateway.delete_inline(self.kind, self.name, self.policy_name)

    def journal_record(
        self,
        action: str,
        *,
        actor: dict[str, str],
        status: str,
        cutoff: str | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        containment: list[dict[str, Any]],
        notes: list[str],
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "action": action,
            "actor": actor.get("arn"),
            "account": self.account,
            "target": {"kind": self.kind, "name": self.name},
            "status": status,
            "cutoff": cutoff,
            "previous_cutoff": None,
            "policy": {
                "name": self.policy_name,
                "mechanism": self.mechanism,
                "managed_policy_arn": self.managed_policy_arn,
            },
            "before": before,
            "after": after,
            "containment": containment,
            "notes": notes,
            **extra,
        }
