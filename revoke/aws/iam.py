"""IAM and STS calls the revocation needs, and nothing else.

Reads produce `PrincipalState` (the planner's input); writes take the planner's output.
Every method translates botocore errors (revoke.aws.errors).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from revoke.aws.errors import aws_errors, error_code
from revoke.aws.session import WRITE_ATTEMPTS, AwsSession
from revoke.aws.wire import document as decode_document
from revoke.aws.wire import (
    get_login_profile,
    get_principal,
    iso,
    list_access_keys,
    list_attached_policies,
    list_mfa_devices,
)
from revoke.core.plan import AccessKey, PrincipalState, Quotas
from revoke.core.policy import MANAGED_POLICY_PATH, MANAGED_POLICY_PREFIX, compact


class IamGateway:
    def __init__(self, session: AwsSession) -> None:
        self.session = session
        # Facts a bulk read already holds (revoke.ops.bulkread): (what, user) -> answer.
        self._prefetched: dict[tuple[str, str], Any] = {}
        self._prefetch_lock = threading.Lock()

    @property
    def iam(self) -> Any:
        return self.session.client("iam")

    @property
    def iam_writer(self) -> Any:
        return self.session.client("iam", attempts=WRITE_ATTEMPTS)

    @property
    def bulk_reader(self) -> Any:
        """Reads of a bulk run: as many attempts as writes, since a read that gives up on a
        throttle fails its target just as a write would (fact 19)."""
        return self.session.client("iam", attempts=WRITE_ATTEMPTS)

    def read_principals_bulk(
        self, kind: str, names: Iterable[str] | None = None, *, prefetch: bool = False
    ) -> dict[str, PrincipalState]:
        """Many principals' state in a few paginated calls (revoke.aws.bulk), keyed by
        lower-cased name; access keys are not included (bulk.access_keys). `prefetch`
        keeps what else the call says (a user's groups) for `groups_for_user`."""
        from revoke.aws.bulk import read_states

        return read_states(self, kind, names, prefetch=prefetch)

    def prefetch(self, what: str, user: str, answer: Any) -> None:
        """Remember the answer a per-user read (`login_profile`, `mfa_devices`,
        `groups_for_user`) would give, from a bulk source read moments ago. Each answer is
        used once: a later read, after changes, asks IAM again."""
        with self._prefetch_lock:
            self._prefetched[(what, user.lower())] = answer

    def _known(self, what: str, user: str) -> tuple[bool, Any]:
        with self._prefetch_lock:
            key = (what, user.lower())
            if key in self._prefetched:
                return True, self._prefetched.pop(key)
        return False, None

    def caller_identity(self, *, prepare_iam: bool = False) -> dict[str, str]:
        """sts:GetCallerIdentity. `prepare_iam`: a run that reads and writes IAM next has
        its IAM clients made while STS answers (loading IAM's model is ~40 ms of CPU that
        would otherwise follow the round trip, issue 8); a failure there is left for the
        first IAM call to report, as it would have."""
        with aws_errors("sts:GetCallerIdentity"):
            sts = self.session.client("sts")
        if prepare_iam:
            threading.Thread(target=self._prepare_iam, name="revoke-iam", daemon=True).start()
        with aws_errors("sts:GetCallerIdentity"):
            found = sts.get_caller_identity()
        return {"account": found["Account"], "arn": found["Arn"], "user_id": found["UserId"]}

    def _prepare_iam(self) -> None:
        try:
            self.iam_writer  # noqa: B018 - made and cached by the session
            self.iam  # noqa: B018
        except Exception:  # noqa: BLE001, S110 - the first real IAM call reports it
            pass

    def account_quotas(self) -> Quotas:
        """Fact 17 quotas from GetAccountSummary; documented defaults when unavailable."""
        import botocore.exceptions

        try:
            summary = self.iam.get_account_summary()["SummaryMap"]
        except botocore.exceptions.ClientError as err:
            if error_code(err) in ("AccessDenied", "NotImplemented", "InvalidAction"):
                return Quotas()
            with aws_errors("iam:GetAccountSummary"):
                raise
        return Quotas.from_summary(summary)

    # -- reading state -----------------------------------------------------------------

    def read_principal(self, kind: str, name: str, *, with_keys: bool = True) -> PrincipalState:
        state = PrincipalState(kind=kind, name=name)
        with aws_errors(f"iam:Get{kind.title()} {name}"):
            entity = get_principal(self.iam, kind, name)
            if entity is None:
                state.exists = False
                return state
            state.arn = entity["Arn"]
            state.account = entity["Arn"].split(":")[4]
            state.path = entity.get("Path", "/")
            state.max_session_duration = entity.get("MaxSessionDuration")
            state.inline_policies = dict(self._inline_policies(kind, name))
            state.attached_policies = list(self._attached(kind, name))
            self._read_fallback(state)
            if kind == "user" and with_keys:
                state.access_keys = self.access_keys(name)
        return state

    def _inline_policies(self, kind: str, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if kind == "user":
            pages = self.iam.get_paginator("list_user_policies").paginate(UserName=name)
        else:
            pages = self.iam.get_paginator("list_role_policies").paginate(RoleName=name)
        for page in pages:
            for policy_name in page["PolicyNames"]:
                doc = self.get_inline(kind, name, policy_name)
                if doc is not None:
                    yield policy_name, doc

    def _attached(self, kind: str, name: str) -> Iterator[dict[str, str]]:
        yield from list_attached_policies(self.iam, kind, name)

    def _read_fallback(self, state: PrincipalState) -> None:
        from revoke.core.policy import managed_policy_name

        wanted = managed_policy_name(state.kind, state.name)
        for attached in state.attached_policies:
            if attached["PolicyName"] == wanted:
                state.managed_fallback_arn = attached["PolicyArn"]
                state.managed_fallback_document = self.managed_document(attached["PolicyArn"])

    def managed_document(self, arn: str) -> dict[str, Any]:
        policy = self.iam.get_policy(PolicyArn=arn)["Policy"]
        version = self.iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])[
            "PolicyVersion"
        ]
        return decode_document(version["Document"])

    def get_inline(self, kind: str, name: str, policy_name: str) -> dict[str, Any] | None:
        import botocore.exceptions

        with aws_errors(f"iam:Get{kind.title()}Policy {name}"):
            try:
                if kind == "user":
                    found = self.iam.get_user_policy(UserName=name, PolicyName=policy_name)
                else:
                    found = self.iam.get_role_policy(RoleName=name, PolicyName=policy_name)
            except botocore.exceptions.ClientError as err:
                if error_code(err) == "NoSuchEntity":
                    return None
                raise
        return decode_document(found["PolicyDocument"])

    def access_keys(self, user: str) -> list[AccessKey]:
        return list_access_keys(self.iam, user)

    def key_last_used(self, key: AccessKey) -> AccessKey:
        with aws_errors(f"iam:GetAccessKeyLastUsed {key.access_key_id}"):
            found = self.iam.get_access_key_last_used(AccessKeyId=key.access_key_id)
        used = found.get("AccessKeyLastUsed", {})
        key.last_used = iso(used.get("LastUsedDate"))
        key.last_used_service = used.get("ServiceName")
        key.last_used_region = used.get("Region")
        return key

    def access_key_owner(self, access_key_id: str) -> tuple[str | None, AccessKey] | None:
        """GetAccessKeyLastUsed: the user owning a key ("UserName": "The name of the IAM
        user that owns this access key", IAM API reference) and its last use; None when no
        user of this account has it (NoSuchEntity: deleted, mistyped, or root's key)."""
        import botocore.exceptions

        with aws_errors(f"iam:GetAccessKeyLastUsed {access_key_id}"):
            try:
                found = self.iam.get_access_key_last_used(AccessKeyId=access_key_id)
            except botocore.exceptions.ClientError as err:
                if error_code(err) == "NoSuchEntity":
                    return None
                raise
        used = found.get("AccessKeyLastUsed", {})
        key = AccessKey(
            access_key_id=access_key_id,
            status="unknown",
            last_used=iso(used.get("LastUsedDate")),
            last_used_service=used.get("ServiceName"),
            last_used_region=used.get("Region"),
        )
        return found.get("UserName") or None, key

    def list_names(self, kind: str) -> list[str]:
        with aws_errors(f"iam:List{kind.title()}s"):
            paginator = self.iam.get_paginator("list_users" if kind == "user" else "list_roles")
            key = "Users" if kind == "user" else "Roles"
            # 1,000 a page (IAM's maximum; the default is 100): `--all` over thousands of
            # principals is a few calls, not dozens in a row.
            pages = paginator.paginate(PaginationConfig={"PageSize": 1000})
            return [e[f"{kind.title()}Name"] for page in pages for e in page[key]]

    # -- writing ---------------------------------------------------------------------------

    def put_inline(self, kind: str, name: str, policy_name: str, document: dict[str, Any]) -> None:
        with aws_errors(f"iam:Put{kind.title()}Policy {name}"):
            if kind == "user":
                self.iam_writer.put_user_policy(
                    UserName=name, PolicyName=policy_name, PolicyDocument=compact(document)
                )
            else:
                self.iam_writer.put_role_policy(
                    RoleName=name, PolicyName=policy_name, PolicyDocument=compact(document)
                )

    def delete_inline(self, kind: str, name: str, policy_name: str) -> None:
        with aws_errors(f"iam:Delete{kind.title()}Policy {name}"):
            if kind == "user":
                self.iam_writer.delete_user_policy(UserName=name, PolicyName=policy_name)
            else:
                self.iam_writer.delete_role_policy(RoleName=name, PolicyName=policy_name)

    def put_managed(
        self,
        kind: str,
        name: str,
        policy_name: str,
        document: dict[str, Any],
        existing_arn: str | None,
    ) -> str:
        """Create (or add a default version to) our managed fallback and attach it."""
        writer = self.iam_writer
        text = compact(document)
        with aws_errors(f"iam managed fallback {policy_name}"):
            if existing_arn:
                versions = writer.list_policy_versions(PolicyArn=existing_arn)["Versions"]
                old = [v for v in versions if not v["IsDefaultVersion"]]
                if len(versions) >= 5 and old:  # IAM keeps at most 5 versions
                    oldest = min(old, key=lambda v: v["CreateDate"])
                    writer.delete_policy_version(
                        PolicyArn=existing_arn, VersionId=oldest["VersionId"]
                    )
                writer.create_policy_version(
                    PolicyArn=existing_arn, PolicyDocument=text, SetAsDefault=True
                )
                return existing_arn
            arn = writer.create_policy(
                PolicyName=policy_name,
                Path=MANAGED_POLICY_PATH,
                PolicyDocument=text,
                Description=f"{MANAGED_POLICY_PREFIX}: deny sessions issued before a cutoff",
            )["Policy"]["Arn"]
            if kind == "user":
                writer.attach_user_policy(UserName=name, PolicyArn=arn)
            else:
                writer.attach_role_policy(RoleName=name, PolicyArn=arn)
            return str(arn)

    def delete_managed(self, kind: str, name: str, arn: str) -> None:
        writer = self.iam_writer
        with aws_errors(f"iam delete managed fallback {arn}"):
            if kind == "user":
                writer.detach_user_policy(UserName=name, PolicyArn=arn)
            else:
                writer.detach_role_policy(RoleName=name, PolicyArn=arn)
            for version in writer.list_policy_versions(PolicyArn=arn)["Versions"]:
                if not version["IsDefaultVersion"]:
                    writer.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
            writer.delete_policy(PolicyArn=arn)

    # -- containment, lift and clean-up (issue 6) --------------------------------------------

    def login_profile(self, user: str) -> dict[str, Any] | None:
        """The console password's metadata (never the password: IAM does not return it)."""
        known, answer = self._known("login_profile", user)
        if known:
            return answer  # type: ignore[no-any-return]
        return get_login_profile(self.iam, user)

    def delete_login_profile(self, user: str) -> None:
        with aws_errors(f"iam:DeleteLoginProfile {user}"):
            self.iam_writer.delete_login_profile(UserName=user)

    def set_access_key_status(self, user: str, access_key_id: str, status: str) -> None:
        """Active or Inactive; keys are never deleted (fact 21: evidence, and reversible)."""
        with aws_errors(f"iam:UpdateAccessKey {access_key_id}"):
            self.iam_writer.update_access_key(
                UserName=user, AccessKeyId=access_key_id, Status=status
            )

    def mfa_devices(self, user: str) -> list[dict[str, Any]]:
        known, answer = self._known("mfa_devices", user)
        if known:
            return list(answer)
        return list_mfa_devices(self.iam, user)

    def groups_for_user(self, user: str) -> list[str]:
        known, answer = self._known("groups", user)
        if known:
            return list(answer)
        with aws_errors(f"iam:ListGroupsForUser {user}"):
            pages = self.iam.get_paginator("list_groups_for_user").paginate(UserName=user)
            return [g["GroupName"] for page in pages for g in page["Groups"]]

    def trust_policy(self, role: str) -> dict[str, Any] | None:
        """Who may assume the role: an attacker's way back in is often an edited trust."""
        with aws_errors(f"iam:GetRole {role}"):
            found = self.iam.get_role(RoleName=role)["Role"].get("AssumeRolePolicyDocument")
        return decode_document(found) if found else None

    def inline_policy_names(self, kind: str, name: str) -> list[str]:
        with aws_errors(f"iam:List{kind.title()}Policies {name}"):
            if kind == "user":
                pages = self.iam.get_paginator("list_user_policies").paginate(UserName=name)
            else:
                pages = self.iam.get_paginator("list_role_policies").paginate(RoleName=name)
            return [p for page in pages for p in page["PolicyNames"]]

    def managed_fallbacks(self) -> list[tuple[str, str, str]]:
        """(kind, name, policy ARN) for every principal our managed fallback is attached to."""
        found: list[tuple[str, str, str]] = []
        with aws_errors("iam:ListPolicies /revoke/"):
            pages = self.iam.get_paginator("list_policies").paginate(
                Scope="Local", PathPrefix=MANAGED_POLICY_PATH
            )
            arns = [p["Arn"] for page in pages for p in page["Policies"]]
            for arn in arns:
                entities = self.iam.get_paginator("list_entities_for_policy").paginate(
                    PolicyArn=arn
                )
                for page in entities:
                    found += [("user", u["UserName"], arn) for u in page.get("PolicyUsers", [])]
                    found += [("role", r["RoleName"], arn) for r in page.get("PolicyRoles", [])]
        return found
