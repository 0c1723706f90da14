"""Who signed a request, and which identity policies apply to them right now.

This is the one module that reads moto's IAM state (`moto.iam.models.iam_backends`),
always at request time: AWS evaluates a session against the user's or role's policies
as they are when the request arrives, not as they were when the token was issued
(fact 6). Callers hold the server's moto lock, so the state does not change under them.

Principals:
- "user": an IAM user, signing with its access key or with a session it got from
  GetSessionToken;
- "role": a role session from AssumeRole;
- "user" also for a GetFederationToken session (its `session.kind` is "federated"): the
  calling user's policies govern it, narrowed by the session policy;
- "root": a key no IAM user owns. The sandbox treats it as the account root: not
  restricted by IAM policies (fact 15).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from revoke.sandbox.tokens import SessionRecord

DEFAULT_ACCOUNT_ID = "123456789012"  # moto.core.DEFAULT_ACCOUNT_ID


@dataclass(frozen=True)
class Principal:
    kind: str  # "root" | "user" | "role"
    account_id: str
    arn: str  # the caller ARN AccessDenied names: user, root, or assumed-role session
    principal_arn: str  # aws:PrincipalArn: the user, role or root ARN
    user_id: str  # aws:userid / GetCallerIdentity UserId
    name: str  # user name, role name, or "root"
    access_key_id: str | None = None
    session: SessionRecord | None = None

    @property
    def temporary(self) -> bool:
        return self.session is not None


@dataclass(frozen=True)
class PolicySource:
    """One identity policy as the evaluator and SimulatePrincipalPolicy see it."""

    key: str  # unique within one evaluation
    name: str  # SourcePolicyId
    source_type: str  # user | group | role | user-managed | aws-managed | none
    document: dict[str, Any]


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def root_principal(account_id: str, access_key_id: str | None) -> Principal:
    return Principal(
        kind="root",
        account_id=account_id,
        arn=root_arn(account_id),
        principal_arn=root_arn(account_id),
        user_id=account_id,
        name="root",
        access_key_id=access_key_id,
    )


def session_principal(record: SessionRecord) -> Principal:
    principal_arn = record.role_arn or record.arn
    return Principal(
        # A GetFederationToken session acts under the IAM user who asked for it (its
        # policies govern it, fact 26); `session.kind` tells the two apart.
        kind="user" if record.kind == "federated" else record.kind,
        account_id=record.account_id,
        arn=record.arn,
        principal_arn=principal_arn,
        user_id=record.user_id,
        name=record.name,
        access_key_id=record.access_key_id,
        session=record,
    )


def _backends() -> Any:
    from moto.iam.models import iam_backends

    return iam_backends


def iam_backend(account_id: str) -> Any:
    """moto's IAM state of one account ("global" is moto's alias of partition "aws")."""
    return _backends()[account_id]["global"]


@dataclass(frozen=True)
class UserKey:
    account_id: str
    user: Any  # moto.iam.models.User
    key: Any  # moto.iam.models.AccessKey

    @property
    def active(self) -> bool:
        return bool(self.key.status == "Active")

    def principal(self) -> Principal:
        return Principal(
            kind="user",
            account_id=self.account_id,
            arn=self.user.arn,
            principal_arn=self.user.arn,
            user_id=self.user.id,
            name=self.user.name,
            access_key_id=self.key.access_key_id,
        )


def find_user_key(access_key_id: str) -> UserKey | None:
    """The IAM user owning a long-term access key, in whichever account holds it."""
    for account_id, account in list(_backends().items()):
        backend = account["global"]
        key = backend.access_keys.get(access_key_id)
        if key is None or not key.user_name:
            continue
        user = backend.users.get(key.user_name)
        if user is not None:
            return UserKey(account_id, user, key)
    return None


def find_user(account_id: str, name: str) -> Any | None:
    return iam_backend(account_id).users.get(name)


def find_role(role_arn: str) -> Any | None:
    """A role by ARN (path included), or by name when the ARN's path differs.

    Names match case-sensitively: "Role names are case sensitive when you assume a role"
    (IAM User Guide, troubleshoot_roles). Looking a role up creates no account in moto
    (its BackendDict makes one on first access): an account nothing has touched has no
    roles.
    """
    account_id = _account_of(role_arn)
    if account_id is None:
        return None
    account = dict.get(_backends(), account_id)
    backend = dict.get(account, "aws") if account is not None else None
    if backend is None:
        return None
    name = role_arn.rsplit("/", 1)[-1]
    fallback = None
    for role in list(backend.roles.values()):
        if role.arn == role_arn:
            return role
        if role.name == name:
            fallback = role
    return fallback


def find_group(account_id: str, name: str) -> Any | None:
    return iam_backend(account_id).groups.get(name)


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) >= 6 and parts[4].isdigit() else None


def _document(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = json.loads(unquote(text))
    if not isinstance(parsed, dict):
        raise ValueError("policy document is not a JSON object")
    return parsed


def _managed(owner: str, policies: dict[str, Any]) -> list[PolicySource]:
    sources = []
    for arn, policy in list(policies.items()):
        version = next((v for v in policy.versions if v.is_default), policy.versions[-1])
        kind = "aws-managed" if ":iam::aws:policy/" in arn else "user-managed"
        sources.append(
            PolicySource(f"{owner}#{arn}", policy.name, kind, _document(version.document))
        )
    return sources


def _inline(owner: str, source_type: str, policies: dict[str, str]) -> list[PolicySource]:
    return [
        PolicySource(f"{owner}#inline/{name}", name, source_type, _document(text))
        for name, text in list(policies.items())
    ]


def user_policies(account_id: str, user_name: str) -> list[PolicySource] | None:
    """User inline + attached managed + every group's inline and managed; None if gone."""
    backend = iam_backend(account_id)
    user = backend.users.get(user_name)
    if user is None:
        return None
    sources = _inline(user.arn, "user", user.policies) + _managed(user.arn, user.managed_policies)
    for group in list(backend.groups.values()):
        if user in group.users:
            sources += group_policies_of(group)
    return sources


def group_policies_of(group: Any) -> list[PolicySource]:
    return _inline(group.arn, "group", group.policies) + _managed(group.arn, group.managed_policies)


def role_policies(role: Any) -> list[PolicySource]:
    return _inline(role.arn, "role", role.policies) + _managed(role.arn, role.managed_policies)


def policies_for(principal: Principal) -> list[PolicySource] | None:
    """The identity policies governing `principal` now; None for the root alone (fact 15).

    A user or role deleted since its session was issued has no policies, so everything
    it asks is implicitly denied: permissions "are evaluated each time an AWS request is
    made using the credentials ... If you remove all permissions from the temporary
    security credentials, subsequent AWS requests that use those credentials will fail"
    (IAM User Guide, id_credentials_temp_control-access_disable-perms), and deleting a
    role "will break any applications" still using it (IAM API Reference, DeleteRole).
    A role deleted and created again under the same name is another role with a new
    unique ID (IAM User Guide, reference_identifiers, "Unique identifiers"). A session
    carries the ID of the role it was issued for (its aws:userid is
    "ROLE-ID:session-name"), so the sandbox gives the old sessions none of the new
    role's permissions. AWS documents the new ID, not this consequence: that part is
    the sandbox's reading. Users are still matched by name.
    """
    if principal.kind == "root":
        return None
    if principal.kind == "user":
        return user_policies(principal.account_id, principal.name) or []
    role = find_role(principal.principal_arn)
    if role is None:
        return []
    issued_for = principal.session.role_id if principal.session is not None else None
    if issued_for is not None and issued_for != role.id:
        return []
    return role_policies(role)


def inline_policy_documents(kind: str, account_id: str, name: str) -> dict[str, str] | None:
    """An entity's inline policies (name -> text) for the size quota; None if no entity."""
    backend = iam_backend(account_id)
    entity: Any
    if kind == "user":
        entity = backend.users.get(name)
    elif kind == "group":
        entity = backend.groups.get(name)
    else:
        entity = next((r for r in list(backend.roles.values()) if r.name == name), None)
    return None if entity is None else dict(entity.policies)


def install_admin_policy(account_id: str, role_name: str) -> None:
    """Attach AWS's AdministratorAccess to a role, as Organizations does for the role it
    creates in a new member account ("OrganizationAccountAccessRole", AWS Organizations
    User Guide, orgs_manage_accounts_access). moto creates the role with no policy and
    does not load AWS managed policies by default, so the sandbox adds just this one.
    """
    backend = iam_backend(account_id)
    role = next((r for r in list(backend.roles.values()) if r.name == role_name), None)
    if role is None:
        return
    _attach_administrator_access(backend, account_id, role)


def seed_admin_user(account_id: str, user_name: str) -> tuple[str, str]:
    """An IAM user with AWS's AdministratorAccess and a new access key: (key ID, secret).

    For what the account root may not do: "You cannot use AWS account root user
    credentials to call AssumeRole. You must use credentials for an IAM user or an IAM
    role" (STS API Reference,
    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). Made in
    moto's state directly, as an account's existing administrator would be: no request,
    so no CloudTrail event. A user of that name already there is reused.
    """
    backend = iam_backend(account_id)
    user = backend.users.get(user_name)
    if user is None:
        user = backend.create_user(region_name="us-east-1", user_name=user_name)
    _attach_administrator_access(backend, account_id, user)
    key = backend.create_access_key(user_name)
    return str(key.access_key_id), str(key.secret_access_key)


def _attach_administrator_access(backend: Any, account_id: str, entity: Any) -> None:
    policy = ensure_aws_managed_policy(account_id, f"{AWS_MANAGED_PREFIX}AdministratorAccess")
    if policy is not None and policy.arn not in entity.managed_policies:
        policy.attach_to(entity)


AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


def ensure_aws_managed_policy(account_id: str, arn: str) -> Any:
    """The AWS managed policy `arn` in the account's moto state, loaded on first use (None
    if AWS has no policy of that name, as far as moto's copy of the list knows).

    AWS managed policies exist in every account ("AWS managed policies are ... created
    and administered by AWS", available to attach in any account: IAM User Guide,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).
    moto loads all of them only when MOTO_IAM_LOAD_MANAGED_POLICIES is set, about
    1,600 documents per account; the sandbox loads the one a request names.
    """
    if not arn.startswith(AWS_MANAGED_PREFIX):
        return None
    backend = iam_backend(account_id)
    policy = backend.managed_policies.get(arn)
    if policy is not None:
        return policy
    name = arn.rsplit("/", 1)[-1]
    data = _aws_managed_policies().get(name)
    if data is None or f"{AWS_MANAGED_PREFIX}{data.get('Path', '/').lstrip('/')}{name}" != arn:
        return None
    from moto.iam.models import AWSManagedPolicy

    policy = AWSManagedPolicy.from_data(name, account_id, "us-east-1", data)
    return backend.managed_policies.setdefault(policy.arn, policy)


_MANAGED: dict[str, Any] = {}


def _aws_managed_policies() -> dict[str, Any]:
    if not _MANAGED:
        from moto.iam.aws_managed_policies import aws_managed_policies_data

        _MANAGED.update(json.loads(aws_managed_policies_data))
    return _MANAGED


# --- permissions boundaries and session policies (authorize.py) ---------------------------


def managed_policy_document(account_id: str, arn: str) -> dict[str, Any] | None:
    """The default version of a managed policy (customer managed in `account_id`, or AWS
    managed), or None if there is none by that ARN."""
    backend = iam_backend(account_id)
    policy = backend.managed_policies.get(arn)
    if policy is None and ":iam::aws:policy/" in arn:
        from moto.iam.aws_managed_policies import aws_managed_policies_data

        data = json.loads(aws_managed_policies_data).get(arn.rsplit("/", 1)[-1])
        if data is None:
            return None
        return _document(json.dumps(data["Document"]))
    if policy is None:
        return None
    version = next((v for v in policy.versions if v.is_default), policy.versions[-1])
    return _document(version.document)


def boundary_for(principal: Principal) -> list[PolicySource] | None:
    """The permissions boundary of the IAM user or role behind `principal` (set with
    PutUserPermissionsBoundary / PutRolePermissionsBoundary, read from moto now), or None
    when it has none. A boundary naming a policy that no longer exists allows nothing."""
    if principal.kind == "root":
        return None
    entity: Any
    if principal.kind == "user":
        entity = find_user(principal.account_id, principal.name)
    else:
        entity = find_role(principal.principal_arn)
    arn = getattr(entity, "permissions_boundary_arn", None) if entity is not None else None
    if not arn:
        return None
    document = managed_policy_document(principal.account_id, arn)
    if document is None:
        return []
    return [PolicySource(f"boundary#{arn}", arn.rsplit("/", 1)[-1], "boundary", document)]


def session_policies_for(principal: Principal) -> list[PolicySource] | None:
    """The session policy bound to `principal`'s session, or None when it has none.

    "The resulting session's permissions are the intersection of the ... identity-based
    policy and the session policies" (IAM User Guide, access_policies "Session policies");
    the inline policy and the managed ARNs together are the session policy. A managed ARN
    that does not exist allows nothing.
    """
    session = principal.session
    if session is None or not session.has_session_policy:
        return None
    sources: list[PolicySource] = []
    if session.session_policy:
        sources.append(
            PolicySource("session#inline", "session", "session", _document(session.session_policy))
        )
    for arn in session.session_policy_arns:
        document = managed_policy_document(session.account_id, arn)
        if document is not None:
            sources.append(PolicySource(f"session#{arn}", arn, "session", document))
    return sources
