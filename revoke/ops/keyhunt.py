"""From a leaked access key ID to the principal to contain (`revoke key KEY_ID`).

An incident often starts with nothing but a key ID: a secret scanner's alert, a key pasted
in a public repository, a CloudTrail finding. The responder should not have to work out
whose key it is before acting. This module answers, in order:

1. Which account owns it: decoded offline from the ID where the format carries it
   (revoke.core.keyid), confirmed with sts:GetAccessKeyInfo (fact 7) when callable. A
   key of another account is acted on only through a role there (`--accounts ACCOUNT`
   or `--assume-role-name R`, as the fan-out does); otherwise the run stops, nothing
   changed, naming the account and how to run there.
2. Whose it is:
   - AKIA (long-term): iam:GetAccessKeyLastUsed names the user that owns it, with the
     last use (time, service, region) as evidence;
   - ASIA (temporary): the local token ledger (`revoke token issue` records the key, its
     principal and issue time), else CloudTrail event history (LookupEvents by
     AccessKeyId: userIdentity names the principal, sessionContext the issue time).
     When nothing names it, the run stops and says what to pass instead.

What happens next is not here: the command hands the principal to the very flow of
`revoke user|role` (plan, confirm, evidence, containment, apply, verify, journal), with
containment narrowed to the leaked key (revoke.ops.containment.ContainmentOptions.key_ids).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from revoke.core.keyid import KeyId
from revoke.core.keyowner import first_identity, target_from_arn
from revoke.core.names import TargetName, root_refused
from revoke.errors import AwsFailure, BadInput

if TYPE_CHECKING:
    from revoke.aws.session import AwsSession
    from revoke.state.ledger import Ledger

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
LEDGER = "token ledger"
LAST_USED = "iam:GetAccessKeyLastUsed"
KEY_INFO = "sts:GetAccessKeyInfo"
DECODED = "decoded from the key ID"


def _utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class KeyOwner:
    """What is known about a key: its account, its principal, and how each was found."""

    key: KeyId
    caller: dict[str, str]
    account: str
    account_source: str
    target: TargetName | None = None
    found_by: str | None = None
    principal_arn: str | None = None
    issued_at: datetime | None = None
    key_status: str | None = None
    key_created: str | None = None
    last_used: dict[str, Any] | None = None
    minted_with: str | None = None  # the long-term key a ledgered session came from
    role_arn: str | None = None  # the role assumed to reach the owning account
    searched: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "access_key_id": self.key.value,
            "type": self.key.kind,
            "account": self.account,
            "account_source": self.account_source,
            "decoded_account": self.key.account,
            "caller_account": self.caller.get("account"),
            "role_arn": self.role_arn,
            "owner": (
                {
                    "kind": self.target.kind,
                    "name": self.target.name,
                    "arn": self.principal_arn,
                    "found_by": self.found_by,
                }
                if self.target is not None
                else None
            ),
            "status": self.key_status,
            "created": self.key_created,
            "last_used": self.last_used,
            "issued_at": _utc(self.issued_at),
            "minted_with": self.minted_with,
            "searched": list(self.searched),
            "warnings": list(self.warnings),
        }


# -- 1. the owning account ---------------------------------------------------------------------


def owning_account(
    key: KeyId, confirmed: str | None, unconfirmed_reason: str | None, caller_account: str
) -> tuple[str, str, list[str]]:
    """(account, how it is known, warnings). AWS's answer wins over the decoding."""
    warnings: list[str] = []
    if confirmed:
        if key.account and key.account != confirmed:
            warnings.append(
                f"the key ID decodes to account {key.account} but {KEY_INFO} says "
                f"{confirmed}; going by AWS's answer"
            )
        return confirmed, KEY_INFO, warnings
    why = f" ({unconfirmed_reason})" if unconfirmed_reason else ""
    if key.account:
        warnings.append(f"{KEY_INFO} did not answer{why}; the account is the one the ID encodes")
        return key.account, DECODED, warnings
    warnings.append(
        f"an old-generation key ID carries no account and {KEY_INFO} did not answer{why}; "
        f"looking for it in the caller's account {caller_account}"
    )
    return caller_account, "assumed: the caller's account", warnings


def role_to_reach(
    key: KeyId,
    account: str,
    account_source: str,
    caller_account: str,
    *,
    accounts: Sequence[str] = (),
    role_name: str | None = None,
) -> str | None:
    """The role to assume to act in the key's account; None when the caller is there.

    Acting in another account needs the responder's say-so (`--accounts` naming it, or
    `--assume-role-name`): a key ID can be pasted from anywhere. Otherwise BadInput, exit
    2 like an ARN naming another account in `revoke user` does: nothing changed, and the
    fix is in how the command is run.
    """
    if accounts and account not in accounts:
        raise BadInput(
            f"access key {key.value} belongs to account {account} ({account_source}), which "
            f"is not among --accounts {','.join(accounts)}; nothing was changed",
            hint=f"revoke key {key.value} --before now --accounts {account}",
        )
    if account == caller_account:
        return None
    if account in accounts or role_name:
        return role_name or DEFAULT_ROLE_NAME
    raise BadInput(
        f"access key {key.value} belongs to account {account} ({account_source}), not to "
        f"{caller_account} where these credentials are; nothing was changed",
        hint=f"act there through a role: revoke key {key.value} --before now --accounts "
        f"{account} (assumes {DEFAULT_ROLE_NAME}; --assume-role-name R for another), or run "
        "with credentials of that account (--profile)",
    )


# -- 2. the principal --------------------------------------------------------------------------


def long_term_owner(found: KeyOwner, session: AwsSession) -> KeyOwner:
    """AKIA: the IAM user that owns the key, its status and last use (evidence)."""
    from revoke.aws.iam import IamGateway

    key_id = found.key.value
    gateway = IamGateway(session)
    owner = gateway.access_key_owner(key_id)
    found.searched.append(
        {"source": LAST_USED, "result": "no IAM user owns it" if owner is None else "found"}
    )
    if owner is None:
        raise AwsFailure(
            f"no IAM user in account {found.account} owns access key {key_id} (NoSuchEntity): "
            "it was deleted, the ID is mistyped, or it is a key of the account root user; "
            "nothing was changed",
            code="NoSuchEntity",
            hint="a root key cannot be restricted by any IAM policy: sign "
            "in as the root user and delete it; a deleted key can do nothing more",
        )
    user, used = owner
    if user is None:
        raise root_refused(f"access key {key_id} (IAM names no user for it: the account root's)")
    found.target = TargetName("user", user, found.account)
    found.found_by = LAST_USED
    found.last_used = {
        "date": used.last_used,
        "service": used.last_used_service,
        "region": used.last_used_region,
    }
    for listed in gateway.access_keys(user):
        if listed.access_key_id == key_id:
            found.key_status, found.key_created = listed.status, listed.created
    if found.key_status == "Inactive":
        found.warnings.append(
            f"access key {key_id} is already Inactive: it mints nothing more, but sessions it "
            "minted before live on until the deny covers them"
        )
    return found


def session_owner(found: KeyOwner, session: AwsSession, ledger: Ledger) -> KeyOwner:
    """ASIA: the principal from the token ledger, else from CloudTrail; BadInput if none."""
    key_id = found.key.value
    record = ledger.find(key_id)
    if record is not None:
        found.searched.append({"source": LEDGER, "result": f"found in {ledger.path}"})
        if record.account and record.account != found.account:
            found.warnings.append(
                f"the token ledger records account {record.account} for {key_id}, AWS says "
                f"{found.account}"
            )
        found.target = target_from_arn(record.principal_arn)  # the root: refused (fact 15)
        found.principal_arn = record.principal_arn
        found.found_by = LEDGER
        found.issued_at = record.issued()
        found.minted_with = record.source_access_key_id
        return found
    found.searched.append({"source": LEDGER, "result": f"not in {ledger.path}"})

    from revoke.aws.cloudtrail import CloudTrailGateway

    lookup = CloudTrailGateway(session).events_for_key(key_id)
    source = f"cloudtrail:LookupEvents ({lookup.region})"
    if not lookup.answered:
        found.searched.append({"source": source, "result": f"not available: {lookup.error}"})
        return _unnamed(found)
    identity = first_identity(lookup.events)
    if identity is None:
        found.searched.append(
            {
                "source": source,
                "result": "no event signed with the key (events take minutes to appear; "
                "only this region's last 90 days are searched)",
            }
        )
        return _unnamed(found)
    if identity.kind == "root":
        raise root_refused(f"session key {key_id} (CloudTrail: a session of the root user)")
    if identity.kind not in ("user", "role") or not identity.arn:
        found.searched.append(
            {
                "source": source,
                "result": f"signed by a {identity.identity_type or 'unknown'} identity, which "
                "no IAM user or role policy governs",
            }
        )
        return _unnamed(found)
    found.searched.append(
        {"source": source, "result": f"{identity.event_name or 'an event'} by {identity.arn}"}
    )
    found.target = target_from_arn(identity.arn)
    found.principal_arn = identity.arn
    found.found_by = source
    found.issued_at = identity.issued_at
    return found


def _unnamed(found: KeyOwner) -> KeyOwner:
    tried = "; ".join(f"{s['source']}: {s['result']}" for s in found.searched)
    raise BadInput(
        f"nothing names the principal of session key {found.key.value} in account "
        f"{found.account} ({tried}); nothing was changed",
        hint="name it: revoke user NAME --before now, or revoke role NAME --before now (the "
        "CloudTrail events whose accessKeyId is this key name it in userIdentity)",
    )


def hunt(
    session: AwsSession,
    key: KeyId,
    ledger: Ledger,
    *,
    accounts: Sequence[str] = (),
    role_name: str | None = None,
) -> tuple[KeyOwner, AwsSession]:
    """Resolve `key` to its account and principal; the session to act with there.

    Read-only. Raises BadInput (exit 2) when the key is in an account the responder did
    not allow, names the root, or nothing names its principal; AwsFailure (254) when no
    user owns a long-term key; NoCredentials (253) when the credentials do not work.
    """
    from revoke.aws.iam import IamGateway
    from revoke.aws.sts import StsGateway

    caller = IamGateway(session).caller_identity()  # 253 here, before anything else
    confirmed, reason = StsGateway(session).key_account(key.value)
    account, source, warnings = owning_account(key, confirmed, reason, caller["account"])
    role = role_to_reach(
        key, account, source, caller["account"], accounts=accounts, role_name=role_name
    )
    found = KeyOwner(key=key, caller=caller, account=account, account_source=source)
    found.warnings.extend(warnings)
    there = session
    if role is not None:
        from revoke.aws.orgs import assume_account_role
        from revoke.ops.accounts import partition_of

        partition = partition_of(caller.get("arn", ""))
        there = assume_account_role(
            session, account, role, partition=partition, session_name="revoke-key"
        )
        found.role_arn = f"arn:{partition}:iam::{account}:role/{role}"
    if key.long_term:
        return long_term_owner(found, there), there
    return session_owner(found, there, ledger), there
