"""Choosing the accounts of a fan-out and reaching them, and what happened in each.

`--accounts` / `--accounts-file` are parsed before any call; `--all-accounts` lists the
organization. The caller's own account is served by the caller's credentials; every other
account through a role assumed there (`--assume-role-name`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revoke.errors import BadInput, NoCredentials, RevokeError

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession
    from revoke.ops.revocation import RunResult

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
DEFAULT_ACCOUNT_WORKERS = 4
ACCOUNT_DONE, ACCOUNT_FAILED, ACCOUNT_SKIPPED = "done", "failed", "skipped"

_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)


def parse_accounts(values: Sequence[str], file_text: str | None = None) -> list[str]:
    """Account IDs from `--accounts 1111,2222` (repeatable) and a file (one or more a line,
    `#` comments); in order, without duplicates. Refuses anything but 12 digits."""
    raw: list[str] = []
    for value in values:
        raw.extend(value.split(","))
    for line in (file_text or "").splitlines():
        raw.extend(line.split("#", 1)[0].replace(",", " ").split())
    accounts: list[str] = []
    for entry in (e.strip() for e in raw):
        if not entry:
            continue
        if not _ACCOUNT.match(entry):
            raise BadInput(
                f"{entry!r} is not an AWS account ID",
                hint="12 digits, comma-separated: --accounts 111111111111,222222222222",
            )
        if entry not in accounts:
            accounts.append(entry)
    return accounts


def check_role_name(name: str) -> str:
    text = name.strip()
    if not _ROLE_NAME.match(text):
        raise BadInput(
            f"{name!r} is not a valid IAM role name",
            hint="--assume-role-name NAME, e.g. OrganizationAccountAccessRole",
        )
    return text


@dataclass
class AccountOutcome:
    account: str
    status: str = ACCOUNT_DONE
    name: str | None = None
    role_arn: str | None = None
    error: str | None = None
    error_code: str | None = None
    result: RunResult | None = None
    # Targets that do not exist in this account: expected when fanning out (an identity
    # exists where it exists), so not failed rows; the account entry lists them.
    absent: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for target in self.result.targets if self.result else []:
            counts[target.status] = counts.get(target.status, 0) + 1
        return {
            "account": self.account,
            "name": self.name,
            "status": self.status,
            "role_arn": self.role_arn,
            "error": self.error,
            "error_code": self.error_code,
            "targets": counts,
            "absent": list(self.absent),
        }


def failed_outcome(outcome: AccountOutcome, err: RevokeError) -> AccountOutcome:
    outcome.status = ACCOUNT_FAILED
    outcome.error = err.message
    outcome.error_code = (
        "NoCredentials"
        if isinstance(err, NoCredentials)
        else (getattr(err, "code", None) or type(err).__name__)
    )
    return outcome


def skipped(account: dict[str, str]) -> AccountOutcome:
    """An account ListAccounts reports but that cannot be reached (suspended, closing)."""
    return AccountOutcome(
        account=account["id"],
        name=account.get("name"),
        status=ACCOUNT_SKIPPED,
        error=f"account state {account.get('state')}: skipped",
    )


def read_accounts_file(path: str) -> str:
    from revoke.ops.inputs import read_text_argument

    return read_text_argument(path, "one account ID a line")


def choose_accounts(
    session: AwsSession,
    *,
    listed: Sequence[str] = (),
    all_accounts: bool = False,
) -> tuple[list[str], list[AccountOutcome], dict[str, str]]:
    """The accounts to reach (`listed`, parsed before any call, then the organization's),
    the ones skipped (suspended or closing), and their names.

    `--all-accounts` lists the organization (organizations:ListAccounts, from the
    management account or a delegated administrator) and skips every account whose state
    is not ACTIVE: a suspended account cannot be signed into.
    """
    listed = list(listed)
    names: dict[str, str] = {}
    skipped_accounts: list[AccountOutcome] = []
    if all_accounts:
        from revoke.aws.orgs import OrgsGateway

        for entry in OrgsGateway(session).list_accounts():
            names[entry["id"]] = entry["name"]
            if entry["state"] != "ACTIVE":
                skipped_accounts.append(skipped(entry))
            elif entry["id"] not in listed:
                listed.append(entry["id"])
    if not listed and not skipped_accounts:
        raise BadInput(
            "no account to reach",
            hint="--accounts 111111111111,222222222222, --accounts-file FILE or --all-accounts",
        )
    return listed, skipped_accounts, names


def partition_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[1] else "aws"


def account_opener(
    session: AwsSession, caller: dict[str, str], role_name: str
) -> tuple[Callable[[str], AwsSession], Callable[[str], str | None]]:
    """`open(account)`: the caller's own session for its own account, else a session
    through `role_name` in that account; and `role_arn(account)` for the report."""
    from revoke.aws.orgs import assume_account_role

    partition = partition_of(caller.get("arn", ""))

    def open_account(account: str) -> AwsSession:
        if account == caller.get("account"):
            return session
        return assume_account_role(session, account, role_name, partition=partition)

    def role_arn(account: str) -> str | None:
        if account == caller.get("account"):
            return None
        return f"arn:{partition}:iam::{account}:role/{role_name}"

    return open_account, role_arn
