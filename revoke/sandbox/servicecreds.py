"""IAM service-specific credentials, which moto 5.2.5 does not have at all (no model, no
responses: every call failed), and the check a service would make when one is used.

Service-specific credentials are long-term: they carry no aws:TokenIssueTime, so the
issue-time deny never stops them; only `UpdateServiceSpecificCredential Status=Inactive`
(or reset, or delete) does (fact 24). Sources:
- IAM User Guide, "API keys for AWS services"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_api_keys_for_aws_services.html)
  and "Service-specific credentials for IAM users"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_service-specific-creds.html):
  CodeCommit Git and Amazon Keyspaces get a user name and password
  (ServiceUserName `alice-at-123456789012`, ServicePassword); Bedrock and CloudWatch Logs
  long-term API keys get a ServiceCredentialAlias and ServiceCredentialSecret, and may
  expire (CredentialAgeDays, ExpirationDate); "a maximum of two sets of service-specific
  credentials for each supported service per user" (LimitExceeded);
- Amazon Bedrock User Guide, "Handle compromised ... API keys"
  (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-revoke.html): set the key
  Inactive (it can be reactivated), reset it, or delete it;
- IAM API Reference and botocore's iam model: Create/List/Update/Reset/Delete
  ServiceSpecificCredential, List with `AllUsers` ("cannot be specified together with
  UserName"), Marker/MaxItems/IsTruncated, NoSuchEntity (404), NotSupportedService (404),
  and a UserName that defaults to the signing user.

Enforcement: the sandbox models none of the services these credentials sign in to (Git over
HTTPS, Cassandra, Bedrock's bearer-token endpoint, CloudWatch Logs' HLC endpoint), so an
inactive credential cannot be refused "on the wire". `Sandbox.use_service_credential` is
the check those services make (an unknown, inactive, expired or wrong secret is refused),
and `Sandbox.use_ssh_key` the one CodeCommit makes for an SSH key (moto keeps SSH keys and
their status). Tests call them where a client would have connected.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from revoke.sandbox.responses import AwsError, Reply, query_reply
from revoke.sandbox.tokens import key_id_for_account, new_secret_access_key

OPERATIONS = frozenset(
    {
        "CreateServiceSpecificCredential",
        "ListServiceSpecificCredentials",
        "UpdateServiceSpecificCredential",
        "ResetServiceSpecificCredential",
        "DeleteServiceSpecificCredential",
    }
)
PASSWORD_SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com")
API_KEY_SERVICES = ("bedrock.amazonaws.com", "logs.amazonaws.com")
PER_USER_PER_SERVICE = 2
DEFAULT_MAX_ITEMS = 100


class CredentialRefused(Exception):
    """A service refused a credential (what its client would see as an auth failure)."""


@dataclass(frozen=True)
class ServiceCredential:
    id: str
    account_id: str
    user: str
    service: str
    created: datetime
    status: str  # Active | Inactive (Expired is computed)
    secret: str
    service_user_name: str | None = None  # CodeCommit, Keyspaces
    alias: str | None = None  # Bedrock, CloudWatch Logs
    expires: datetime | None = None

    def status_at(self, now: datetime) -> str:
        if self.expires is not None and now >= self.expires:
            return "Expired"
        return self.status

    def xml(self, now: datetime, *, with_secret: bool) -> str:
        from xml.sax.saxutils import escape

        from revoke.sandbox.authorize import iso_time

        fields: list[tuple[str, str | None]] = [
            ("CreateDate", iso_time(self.created)),
            ("ExpirationDate", iso_time(self.expires) if self.expires else None),
            ("ServiceName", self.service),
            ("ServiceUserName", self.service_user_name),
            ("ServicePassword", self.secret if with_secret and self.service_user_name else None),
            ("ServiceCredentialAlias", self.alias),
            ("ServiceCredentialSecret", self.secret if with_secret and self.alias else None),
            ("ServiceSpecificCredentialId", self.id),
            ("UserName", self.user),
            ("Status", self.status_at(now)),
        ]
        return "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields if v is not None)


class ServiceCredentials:
    """Every service-specific credential of every account; shared by server threads."""

    def __init__(self) -> None:
        self._creds: dict[str, ServiceCredential] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._creds.clear()

    def all(self) -> list[ServiceCredential]:
        with self._lock:
            return list(self._creds.values())

    # --- the IAM API -------------------------------------------------------------------------

    def answer(self, operation: str, params: dict[str, str], caller: Any, now: datetime) -> Reply:
        account = caller.account_id
        handler = getattr(self, "_" + operation)
        result: str = handler(params, account, _user_of(params, caller), now)
        return query_reply("iam", operation, result)

    def _CreateServiceSpecificCredential(  # noqa: N802 - the API's name
        self, params: dict[str, str], account: str, user: str | None, now: datetime
    ) -> str:
        user = _existing_user(account, user)
        service = params.get("ServiceName", "")
        if service not in PASSWORD_SERVICES + API_KEY_SERVICES:
            raise AwsError(
                "NotSupportedService", f"The specified service {service} is not supported.", 404
            )
        expires = None
        if params.get("CredentialAgeDays"):
            if service not in API_KEY_SERVICES:
                raise AwsError(
                    "InvalidInput", "CredentialAgeDays is only valid for long-term API keys."
                )
            days = int(params["CredentialAgeDays"])
            if not 1 <= days <= 36_600:
                raise AwsError("InvalidInput", "CredentialAgeDays must be 1-36600.")
            expires = now + timedelta(days=days)
        with self._lock:
            held = [
                c
                for c in self._creds.values()
                if (c.account_id, c.user, c.service) == (account, user, service)
            ]
            if len(held) >= PER_USER_PER_SERVICE:
                raise AwsError(
                    "LimitExceeded",
                    "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2",
                    409,
                )
            cred = ServiceCredential(
                id=key_id_for_account("ACCA", account, 21),
                account_id=account,
                user=user,
                service=service,
                created=now,
                status="Active",
                secret=_new_secret(service),
                service_user_name=f"{user}-at-{account}" if service in PASSWORD_SERVICES else None,
                alias=f"{user}+{secrets.token_hex(4)}" if service in API_KEY_SERVICES else None,
                expires=expires,
            )
            self._creds[cred.id] = cred
        return _wrapped(cred, now)

    def _ListServiceSpecificCredentials(  # noqa: N802
        self, params: dict[str, str], account: str, user: str | None, now: datetime
    ) -> str:
        all_users = params.get("AllUsers", "").lower() == "true"
        if all_users and "UserName" in params:
            raise AwsError("InvalidInput", "AllUsers cannot be specified together with UserName.")
        if not all_users:
            user = _existing_user(account, user) if user is not None else None
        from revoke.sandbox.principals import find_user

        service = params.get("ServiceName")
        found = sorted(
            (
                c
                for c in self.all()
                if c.account_id == account
                and (all_users or c.user == user)
                and service in (None, c.service)
                and find_user(account, c.user) is not None  # a deleted user's are gone
            ),
            key=lambda c: (c.user, c.created, c.id),
        )
        try:
            start = int(params.get("Marker") or 0)
            size = int(params.get("MaxItems") or DEFAULT_MAX_ITEMS)
        except ValueError:
            raise AwsError("InvalidInput", "Marker or MaxItems is not valid.") from None
        page = found[start : start + size]
        members = "".join(f"<member>{c.xml(now, with_secret=False)}</member>" for c in page)
        more = start + size < len(found)
        tail = f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>"
        if more:
            tail += f"<Marker>{start + size}</Marker>"
        return f"<ServiceSpecificCredentials>{members}</ServiceSpecificCredentials>{tail}"

    def _UpdateServiceSpecificCredential(  # noqa: N802
        self, params: dict[str, str], account: str, user: str | None, now: datetime
    ) -> str:
        status = params.get("Status")
        if status not in ("Active", "Inactive"):
            raise AwsError("ValidationError", f"Status must be Active or Inactive, not {status}.")
        with self._lock:
            cred = self._find(params, account, user)
            self._creds[cred.id] = replace(cred, status=status)
        return ""

    def _ResetServiceSpecificCredential(  # noqa: N802
        self, params: dict[str, str], account: str, user: str | None, now: datetime
    ) -> str:
        with self._lock:
            cred = replace(self._find(params, account, user), secret="")
            cred = replace(cred, secret=_new_secret(cred.service))
            self._creds[cred.id] = cred
        return _wrapped(cred, now)

    def _DeleteServiceSpecificCredential(  # noqa: N802
        self, params: dict[str, str], account: str, user: str | None, now: datetime
    ) -> str:
        with self._lock:
            del self._creds[self._find(params, account, user).id]
        return ""

    def _find(self, params: dict[str, str], account: str, user: str | None) -> ServiceCredential:
        cred_id = params.get("ServiceSpecificCredentialId", "")
        cred = self._creds.get(cred_id)
        if cred is None or cred.account_id != account or (user is not None and cred.user != user):
            raise AwsError(
                "NoSuchEntity",
                f"No such entity exists: service-specific credential {cred_id}"
                + (f" of user {user}" if user else ""),
                404,
            )
        return cred

    # --- what the service checks --------------------------------------------------------------

    def use(self, service: str, name: str, secret: str, now: datetime) -> ServiceCredential:
        """The credential a service accepts for (user name or alias, password or secret)."""
        for cred in self.all():
            if cred.service == service and name in (cred.service_user_name, cred.alias):
                if not secrets.compare_digest(cred.secret, secret):
                    raise CredentialRefused(f"{service}: authentication failed for {name}")
                status = cred.status_at(now)
                if status != "Active":
                    raise CredentialRefused(f"{service}: credential {cred.id} is {status}")
                return cred
        raise CredentialRefused(f"{service}: no credential named {name}")


def _wrapped(cred: ServiceCredential, now: datetime) -> str:
    """Create and Reset: the only answers with the password or secret in them."""
    return (
        f"<ServiceSpecificCredential>{cred.xml(now, with_secret=True)}</ServiceSpecificCredential>"
    )


def _new_secret(service: str) -> str:
    if service in API_KEY_SERVICES:
        return "ABSK" + secrets.token_urlsafe(60)  # Bedrock API keys start ABSK
    return new_secret_access_key()


def _user_of(params: dict[str, str], caller: Any) -> str | None:
    """UserName, or the signing IAM user ("If you do not specify this value, then the
    operation assumes the user whose credentials are used to call the operation")."""
    if params.get("UserName"):
        return params["UserName"]
    return caller.name if caller.kind == "user" else None


def _existing_user(account: str, user: str | None) -> str:
    from revoke.sandbox.principals import find_user

    if not user or find_user(account, user) is None:
        raise AwsError("NoSuchEntity", f"The user with name {user} cannot be found.", 404)
    return user


def use_ssh_key(account_id: str, user: str, key_id: str) -> None:
    """What CodeCommit checks for `git clone ssh://KEY_ID@...`: the user's SSH public key
    exists and is Active (UpdateSSHPublicKey Inactive closes it; IAM User Guide,
    id_credentials_ssh-keys). moto keeps the keys; the sandbox serves no Git."""
    from revoke.sandbox.principals import find_user

    found = find_user(account_id, user)
    key = next(
        (k for k in (found.ssh_public_keys if found else []) if k.ssh_public_key_id == key_id),
        None,
    )
    if key is None:
        raise CredentialRefused(f"codecommit: no SSH public key {key_id} for {user}")
    if key.status != "Active":
        raise CredentialRefused(f"codecommit: SSH public key {key_id} is {key.status}")
