"""Reads for verification and status: every identity policy of a principal, the policy
simulator, and the revocations in force across an account.

Labels name each policy for the evaluator and for the report:
`inline:NAME`, `managed:ARN`, `group:GROUP:inline:NAME`, `group:GROUP:managed:ARN`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from revoke.aws.errors import ENDPOINT_LACKS_API_CODES, aws_errors, error_code, error_message
from revoke.aws.wire import document as decode_document
from revoke.core.policy import (
    MANAGED_POLICY_PATH,
    MANAGED_POLICY_PREFIX,
    POLICY_NAME,
    TOKEN_ISSUE_TIME,
    existing_cutoff,
)

if TYPE_CHECKING:
    from revoke.aws.iam import IamGateway

# Simulation: one retry for a throttle, no more. An endpoint without the API answers 500
# (moto's server) and five retries with backoff would only delay the "not available".
SIMULATION_ATTEMPTS = 2
# Codes (and non-AWS failures) that mean "this endpoint has no policy simulator".
_NOT_IMPLEMENTED_CODES = ENDPOINT_LACKS_API_CODES


def inline_label(policy_name: str) -> str:
    return f"inline:{policy_name}"


def managed_label(arn: str) -> str:
    return f"managed:{arn}"


class SimulationUnavailable(Exception):
    """The endpoint has no iam:SimulatePrincipalPolicy (moto), or may not call it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Simulated:
    decision: str  # allowed | explicitDeny | implicitDeny
    matched: tuple[str, ...]  # SourcePolicyId of the statements that decided it


class PolicyReader:
    """Reads a principal's identity policies. Managed documents and group policies are
    cached per run: the same AdministratorAccess, or the same group, shared by a hundred
    users is read once (fact 19: every call counts against the account's IAM rate)."""

    def __init__(self, gateway: IamGateway) -> None:
        self.gateway = gateway
        self._cache: dict[str, Any] = {}
        self._key_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        # From `prefetch`: (kind, lower-cased name) -> (inline, attached ARNs, groups), and
        # group -> (inline, attached ARNs); each principal's entry is used once.
        self._prefetched: dict[tuple[str, str], Any] = {}
        self._groups: dict[str, Any] = {}

    def prefetch(self, kind: str, names: Iterable[str]) -> None:
        """The identity policies of many principals at once (a bulk run's verification):
        inline documents, attached policies and groups from GetAccountAuthorizationDetails
        (revoke.aws.bulk), a few paged calls instead of four or more per principal (fact
        19). If that read fails, each principal is read on its own, as without it."""
        from revoke.aws.bulk import account_details
        from revoke.errors import RevokeError

        wanted = {n.lower() for n in names}
        inline_key = f"{kind.title()}PolicyList"
        found: dict[tuple[str, str], Any] = {}
        groups: dict[str, Any] = {}
        try:
            filters = [kind.title()] + (["Group"] if kind == "user" else [])
            for list_key, detail in account_details(self.gateway, filters):
                attached = [p["PolicyArn"] for p in detail.get("AttachedManagedPolicies") or []]
                if list_key == "GroupDetailList":
                    inline = [
                        (p["PolicyName"], decode_document(p["PolicyDocument"]))
                        for p in detail.get("GroupPolicyList") or []
                    ]
                    groups[detail["GroupName"]] = (inline, attached)
                    continue
                name = str(detail[f"{kind.title()}Name"]).lower()
                if name in wanted:
                    inline = [
                        (p["PolicyName"], decode_document(p["PolicyDocument"]))
                        for p in detail.get(inline_key) or []
                    ]
                    found[(kind, name)] = (inline, attached, list(detail.get("GroupList") or []))
        except RevokeError:
            return
        with self._lock:
            self._prefetched.update(found)
            self._groups.update(groups)

    def _once(self, key: str, read: Callable[[], Any]) -> Any:
        """`read()` at most once per key; parallel callers wait for the first read."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._cache:
                self._cache[key] = read()
            return self._cache[key]

    @property
    def iam(self) -> Any:
        return self.gateway.iam

    def managed_document(self, arn: str) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            with aws_errors(f"iam:GetPolicyVersion {arn}"):
                return self.gateway.managed_document(arn)

        return self._once(f"managed:{arn}", read)

    def principal_arn(self, kind: str, name: str) -> str:
        with aws_errors(f"iam:Get{kind.title()} {name}"):
            if kind == "user":
                return str(self.iam.get_user(UserName=name)["User"]["Arn"])
            return str(self.iam.get_role(RoleName=name)["Role"]["Arn"])

    def identity_policies(self, kind: str, name: str) -> list[tuple[str, dict[str, Any]]]:
        """Every identity-based policy that applies to the principal, labelled.

        Users: their inline and attached policies and, for each group they belong to, the
        group's inline and attached policies. Roles: inline and attached. Permissions
        boundaries and SCPs are not identity policies and are left out.
        """
        found: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            known = self._prefetched.pop((kind, name.lower()), None)
        if known is not None:
            inline, attached_arns, groups = known
            found = [(inline_label(policy_name), doc) for policy_name, doc in inline]
            with aws_errors(f"iam: reading the policies of {kind} {name}"):
                found += [(managed_label(arn), self.managed_document(arn)) for arn in attached_arns]
                for group in groups:
                    found.extend(self.group_policies(group))
            return found
        with aws_errors(f"iam: reading the policies of {kind} {name}"):
            for policy_name in self._pages(f"list_{kind}_policies", "PolicyNames", kind, name):
                doc = self.gateway.get_inline(kind, name, policy_name)
                if doc is not None:
                    found.append((inline_label(policy_name), doc))
            for attached in self._pages(
                f"list_attached_{kind}_policies", "AttachedPolicies", kind, name
            ):
                arn = attached["PolicyArn"]
                found.append((managed_label(arn), self.managed_document(arn)))
            if kind == "user":
                for group in self._pages("list_groups_for_user", "Groups", kind, name):
                    found.extend(self.group_policies(group["GroupName"]))
        return found

    def _pages(self, operation: str, key: str, kind: str, name: str) -> Iterator[Any]:
        """Items under `key` of every page of a List* call about one user, role or group."""
        argument = {"user": "UserName", "role": "RoleName", "group": "GroupName"}[kind]
        for page in self.iam.get_paginator(operation).paginate(**{argument: name}):
            yield from page[key]

    def group_policies(self, group: str) -> list[tuple[str, dict[str, Any]]]:
        return self._once(f"group:{group}", lambda: list(self._read_group(group)))

    def _read_group(self, group: str) -> Iterator[tuple[str, dict[str, Any]]]:
        with self._lock:
            known = self._groups.get(group)
        if known is not None:
            inline, attached_arns = known
            for policy_name, doc in inline:
                yield f"group:{group}:{inline_label(policy_name)}", doc
            for arn in attached_arns:
                yield f"group:{group}:{managed_label(arn)}", self.managed_document(arn)
            return
        for policy_name in self._pages("list_group_policies", "PolicyNames", "group", group):
            text = self.iam.get_group_policy(GroupName=group, PolicyName=policy_name)
            yield (
                f"group:{group}:{inline_label(policy_name)}",
                decode_document(text["PolicyDocument"]),
            )
        for attached in self._pages(
            "list_attached_group_policies", "AttachedPolicies", "group", group
        ):
            arn = attached["PolicyArn"]
            yield f"group:{group}:{managed_label(arn)}", self.managed_document(arn)

    # -- the policy simulator (fact 20) ---------------------------------------------------

    def simulate(self, principal_arn: str, action: str, issue_time: str | None) -> Simulated:
        """iam:SimulatePrincipalPolicy for one action, with aws:TokenIssueTime as a date
        context entry (fact 20) when `issue_time` is given. Raises SimulationUnavailable
        when the endpoint does not implement it or the caller may not use it."""
        import botocore.exceptions
        from botocore.parsers import ResponseParserError

        client = self.gateway.session.client("iam", attempts=SIMULATION_ATTEMPTS)
        kwargs: dict[str, Any] = {"PolicySourceArn": principal_arn, "ActionNames": [action]}
        if issue_time is not None:
            kwargs["ContextEntries"] = [
                {
                    "ContextKeyName": TOKEN_ISSUE_TIME,
                    "ContextKeyValues": [issue_time],
                    "ContextKeyType": "date",
                }
            ]
        try:
            answer = client.simulate_principal_policy(**kwargs)
        except NotImplementedError as err:  # moto in-process (mock_aws)
            raise SimulationUnavailable(f"the endpoint does not implement it ({err})") from None
        except botocore.exceptions.ClientError as err:
            code = error_code(err) or "Unknown"
            status = str(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code in _NOT_IMPLEMENTED_CODES or status in ("500", "501"):
                raise SimulationUnavailable(
                    f"the endpoint does not implement it ({code})"
                ) from None
            if code in ("AccessDenied", "AccessDeniedException"):
                raise SimulationUnavailable(
                    f"the credentials in use may not call it ({error_message(err)})"
                ) from None
            with aws_errors("iam:SimulatePrincipalPolicy"):
                raise
        except ResponseParserError:  # moto's server: an HTML 500 page
            raise SimulationUnavailable("the endpoint does not implement it") from None
        results = answer.get("EvaluationResults") or []
        if not results:
            raise SimulationUnavailable("the simulator returned no result")
        first = results[0]
        matched = tuple(
            str(s.get("SourcePolicyId", "")) for s in first.get("MatchedStatements") or []
        )
        return Simulated(decision=str(first.get("EvalDecision")), matched=matched)


# -- revocations in force (revoke status) -------------------------------------------------


def is_managed_fallback(policy_name: str, path: str | None) -> bool:
    return path == MANAGED_POLICY_PATH and policy_name.startswith(MANAGED_POLICY_PREFIX + "-")


def _entry(
    kind: str,
    name: str,
    arn: str,
    policy_name: str,
    document: dict[str, Any] | None,
    mechanism: str,
    policy_arn: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "account": arn.split(":")[4] if arn.count(":") >= 5 else None,
        "policy_name": policy_name,
        "cutoff": existing_cutoff(document),
        "mechanism": mechanism,
    }
    if policy_arn:
        entry["managed_policy_arn"] = policy_arn
    return entry


def principal_revocations(gateway: IamGateway, kind: str, name: str) -> list[dict[str, Any]]:
    """The revocation policies of one principal: inline `AWSRevokeOlderSessions` and/or
    our managed fallback. Raises AwsFailure(NoSuchEntity) if the principal does not exist."""
    from revoke.errors import AwsFailure

    state = gateway.read_principal(kind, name, with_keys=False)
    if not state.exists:
        raise AwsFailure(f"{kind} {name} does not exist", code="NoSuchEntity")
    found = []
    arn = state.arn or ""
    if POLICY_NAME in state.inline_policies:
        found.append(
            _entry(kind, name, arn, POLICY_NAME, state.inline_policies[POLICY_NAME], "inline")
        )
    if state.managed_fallback_arn:
        policy_name = state.managed_fallback_arn.rsplit("/", 1)[-1]
        found.append(
            _entry(
                kind,
                name,
                arn,
                policy_name,
                state.managed_fallback_document,
                "managed",
                state.managed_fallback_arn,
            )
        )
    return found


def account_revocations(
    gateway: IamGateway, on_read: Callable[[int], None] | None = None
) -> list[dict[str, Any]]:
    """Every user and role with a revocation policy, from iam:GetAccountAuthorizationDetails
    (a handful of paginated calls instead of several per principal: fact 19).
    `on_read(n)`: n more users and roles read (progress for people)."""
    users: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    fallbacks: dict[str, dict[str, Any]] = {}
    with aws_errors("iam:GetAccountAuthorizationDetails"):
        paginator = gateway.iam.get_paginator("get_account_authorization_details")
        for page in paginator.paginate(Filter=["User", "Role", "LocalManagedPolicy"]):
            users.extend(page.get("UserDetailList", []))
            roles.extend(page.get("RoleDetailList", []))
            if on_read is not None:
                on_read(len(page.get("UserDetailList", [])) + len(page.get("RoleDetailList", [])))
            for policy in page.get("Policies", []):
                # AWS sends PolicyName; moto 5 leaves it out, the ARN ends with it anyway.
                policy_name = policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1]
                if not is_managed_fallback(policy_name, policy.get("Path")):
                    continue
                versions = policy.get("PolicyVersionList", [])
                default = next((v for v in versions if v.get("IsDefaultVersion")), None)
                doc = decode_document(default["Document"]) if default else None
                fallbacks[policy["Arn"]] = {"name": policy_name, "document": doc}

    found: list[dict[str, Any]] = []
    for kind, details, inline_key in (
        ("user", users, "UserPolicyList"),
        ("role", roles, "RolePolicyList"),
    ):
        for entity in details:
            name = entity[f"{kind.title()}Name"]
            arn = entity["Arn"]
            for inline in entity.get(inline_key) or []:
                if inline["PolicyName"] == POLICY_NAME:
                    doc = decode_document(inline["PolicyDocument"])
                    found.append(_entry(kind, name, arn, POLICY_NAME, doc, "inline"))
            for attached in entity.get("AttachedManagedPolicies") or []:
                fallback = fallbacks.get(attached["PolicyArn"])
                if fallback is not None:
                    found.append(
                        _entry(
                            kind,
                            name,
                            arn,
                            fallback["name"],
                            fallback["document"],
                            "managed",
                            attached["PolicyArn"],
                        )
                    )
    found.sort(key=lambda e: (e["kind"], e["name"].lower(), e["mechanism"]))
    return found
