"""Bulk reads: the state of many principals from iam:GetAccountAuthorizationDetails.

One paginated call returns every user (or role) of the account with its inline policy
documents and attached managed policies, 500 principals a page (PAGE_SIZE): a handful of calls
for a whole account, where per-principal reads take four or five calls each (GetUser,
ListUserPolicies, GetUserPolicy per policy, ListAttachedUserPolicies, ListAccessKeys) and
IAM throttles per account (fact 19).

What that call does not return is read separately, only where it is needed:
- a role's MaxSessionDuration (RoleDetail lacks it): iam:ListRoles, paged the same way;
- the default document of our managed fallback, for the few principals that have one
  attached: GetPolicy + GetPolicyVersion each, or one more GetAccountAuthorizationDetails
  pass (LocalManagedPolicy) when there are many;
- access keys, console password and MFA devices (the fact 3 warning, and the evidence
  captured before containment, fact 21): the credential report says which users have
  any, so ListAccessKeys, GetLoginProfile and ListMFADevices run only for those users.
  Only a fresh report will do: IAM regenerates it at most every four hours (a request
  within four hours answers State COMPLETE with the old one), and a key an attacker
  created since would be missing from an old report. A report older than
  `REPORT_MAX_AGE` seconds, a refused or slow one, means per-user reads for every user.

Pages are consumed one at a time and only the principals asked for are kept, so memory
follows the number of targets, not the size of the account.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from revoke.aws.errors import aws_errors
from revoke.aws.wire import document as decode_document
from revoke.aws.wire import list_access_keys
from revoke.core.plan import AccessKey, PrincipalState
from revoke.core.policy import managed_policy_name


class IamGateway(Protocol):
    """What the bulk reads need of `revoke.aws.iam.IamGateway` (which calls them): a
    protocol, so this module does not import the gateway that imports it."""

    @property
    def bulk_reader(self) -> Any: ...

    def managed_document(self, arn: str) -> dict[str, Any]: ...

    def prefetch(self, what: str, user: str, answer: Any) -> None: ...


# MaxItems of the paginated reads (IAM accepts up to 1,000). 500 principals a page: a
# page's parse is the largest transient of a bulk run (~5 KB a principal), so memory
# stays flat in the account's size; an account of 500 principals is still one call.
PAGE_SIZE = 500
# Above this many fallback documents to fetch, one more bulk pass is cheaper than two
# calls each.
FALLBACK_BULK_THRESHOLD = 20
FALLBACK_WORKERS = 8
# A credential report older than this is not used (see above); the wait for one that is
# being generated is bounded too.
REPORT_MAX_AGE = 120.0
REPORT_WAIT = 30.0
REPORT_CLOCK_SKEW = 300.0  # a report "from the future" by less than this is our clock

_DETAIL = {
    "user": ("User", "UserDetailList", "UserName", "UserPolicyList"),
    "role": ("Role", "RoleDetailList", "RoleName", "RolePolicyList"),
}


def _pages(client: Any, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    yield from paginator.paginate(**kwargs, PaginationConfig={"PageSize": PAGE_SIZE})


def account_details(
    gateway: IamGateway, filters: list[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(list key, entity detail) for every entity of GetAccountAuthorizationDetails with
    `filters`, page after page (UserDetailList, GroupDetailList, RoleDetailList, Policies)."""
    with aws_errors(f"iam:GetAccountAuthorizationDetails ({', '.join(filters)})"):
        pages = _pages(gateway.bulk_reader, "get_account_authorization_details", Filter=filters)
        for page in pages:
            for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
                for detail in page.get(key) or []:
                    yield key, detail


def state_from_detail(kind: str, detail: dict[str, Any]) -> PrincipalState:
    """A PrincipalState from one UserDetail/RoleDetail (access keys and the managed
    fallback's document are filled in separately)."""
    _, _, name_key, inline_key = _DETAIL[kind]
    arn = detail["Arn"]
    state = PrincipalState(
        kind=kind,
        name=detail[name_key],
        arn=arn,
        account=arn.split(":")[4],
        path=detail.get("Path", "/"),
    )
    state.inline_policies = {
        p["PolicyName"]: decode_document(p["PolicyDocument"]) for p in detail.get(inline_key) or []
    }
    state.attached_policies = [
        {"PolicyName": p["PolicyName"], "PolicyArn": p["PolicyArn"]}
        for p in detail.get("AttachedManagedPolicies") or []
    ]
    wanted = managed_policy_name(kind, state.name)
    for attached in state.attached_policies:
        if attached["PolicyName"] == wanted:
            state.managed_fallback_arn = attached["PolicyArn"]
    return state


def read_states(
    gateway: IamGateway, kind: str, names: Iterable[str] | None = None, *, prefetch: bool = False
) -> dict[str, PrincipalState]:
    """Every principal of `kind` named in `names` (all of them when None) that exists,
    keyed by lower-cased name (IAM names are unique case-insensitively). Access keys are
    not read here (see `access_keys`). With `prefetch`, each user's groups are handed to
    the gateway for the evidence capture (IamGateway.groups_for_user)."""
    wanted = None if names is None else {n.lower() for n in names}
    client = gateway.bulk_reader
    entity_filter, list_key, name_key, _ = _DETAIL[kind]
    states: dict[str, PrincipalState] = {}
    with aws_errors(f"iam:GetAccountAuthorizationDetails ({entity_filter})"):
        for page in _pages(client, "get_account_authorization_details", Filter=[entity_filter]):
            for detail in page.get(list_key) or []:
                key = detail[name_key].lower()
                if wanted is None or key in wanted:
                    states[key] = state_from_detail(kind, detail)
                    if prefetch and kind == "user":
                        gateway.prefetch("groups", detail[name_key], detail.get("GroupList") or [])
    if kind == "role" and states:
        with aws_errors("iam:ListRoles"):
            for page in _pages(client, "list_roles"):
                for role in page.get("Roles") or []:
                    found = states.get(role["RoleName"].lower())
                    if found is not None:
                        found.max_session_duration = role.get("MaxSessionDuration")
    _fill_fallback_documents(gateway, list(states.values()))
    return states


def scan_inline(
    gateway: IamGateway,
    kind: str,
    wanted: dict[str, str],
    visit: Callable[[str, dict[str, Any] | None], None],
) -> None:
    """For each lower-cased principal name in `wanted` that exists, `visit(name, document)`
    with the inline policy named there as IAM returns it now (None: no such policy). Read-
    back of many writes: each document is looked at as its page arrives, not kept."""
    entity_filter, list_key, name_key, inline_key = _DETAIL[kind]
    with aws_errors(f"iam:GetAccountAuthorizationDetails ({entity_filter})"):
        pages = _pages(
            gateway.bulk_reader, "get_account_authorization_details", Filter=[entity_filter]
        )
        for page in pages:
            for detail in page.get(list_key) or []:
                key = detail[name_key].lower()
                if key not in wanted:
                    continue
                document = None
                for policy in detail.get(inline_key) or []:
                    if policy["PolicyName"] == wanted[key]:
                        document = decode_document(policy["PolicyDocument"])
                visit(key, document)


def _fill_fallback_documents(gateway: IamGateway, states: list[PrincipalState]) -> None:
    needed = {s.managed_fallback_arn for s in states if s.managed_fallback_arn}
    if not needed:
        return
    documents: dict[str, dict[str, Any]] = {}
    if len(needed) > FALLBACK_BULK_THRESHOLD:
        with aws_errors("iam:GetAccountAuthorizationDetails (LocalManagedPolicy)"):
            pages = _pages(
                gateway.bulk_reader,
                "get_account_authorization_details",
                Filter=["LocalManagedPolicy"],
            )
            for page in pages:
                for policy in page.get("Policies") or []:
                    versions = policy.get("PolicyVersionList") or []
                    default = next((v for v in versions if v.get("IsDefaultVersion")), None)
                    if policy["Arn"] in needed and default is not None:
                        documents[policy["Arn"]] = decode_document(default["Document"])
    missing = sorted(needed - documents.keys())

    def fetch(arn: str) -> tuple[str, dict[str, Any]]:
        with aws_errors(f"iam:GetPolicyVersion {arn}"):
            return arn, gateway.managed_document(arn)

    documents.update(_map(fetch, missing, FALLBACK_WORKERS))
    for state in states:
        if state.managed_fallback_arn:
            state.managed_fallback_document = documents.get(state.managed_fallback_arn)


def _map(fn: Callable[[Any], Any], items: list[Any], workers: int) -> list[Any]:
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


def access_keys(gateway: IamGateway, user: str) -> list[AccessKey]:
    """One user's access keys (ListAccessKeys), through the bulk client: a throttle on one
    of hundreds of reads must not fail its target (more attempts, same rate limiter)."""

    return list_access_keys(gateway.bulk_reader, user)


@dataclass(frozen=True)
class CredentialSummary:
    """One user's line of the credential report: what exists, not its details."""

    has_keys: bool  # an access key, active or not
    password_enabled: bool
    mfa_active: bool


def _present(value: str) -> bool:
    return value not in ("", "N/A", "not_supported", "no_information")


def credential_report(
    gateway: IamGateway,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, CredentialSummary] | None:
    """Every user's credential summary from a credential report generated within the last
    REPORT_MAX_AGE seconds, keyed by lower-cased user name; None when there is no such
    report (then the caller reads each user). Never raises for the report's sake."""
    import botocore.exceptions

    from revoke.aws.errors import error_code

    client = gateway.bulk_reader
    deadline = clock() + REPORT_WAIT
    pause = 0.25
    try:
        client.generate_credential_report()
        while True:
            try:
                found = client.get_credential_report()
                break
            except botocore.exceptions.ClientError as err:
                if error_code(err) != "ReportInProgress" or clock() + pause > deadline:
                    return None
                sleep(pause)
                pause = min(2.0, pause * 2)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None
    generated = found.get("GeneratedTime")
    if not isinstance(generated, datetime):
        return None
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=timezone.utc)
    age = clock() - generated.timestamp()
    if not -REPORT_CLOCK_SKEW <= age <= REPORT_MAX_AGE:
        return None
    content = found.get("Content") or b""
    text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
    report: dict[str, CredentialSummary] = {}
    for row in csv.DictReader(io.StringIO(text)):
        user = row.get("user") or ""
        if not user or user == "<root_account>":
            continue
        report[user.lower()] = CredentialSummary(
            has_keys=any(
                row.get(f"access_key_{n}_active") == "true"
                or _present(row.get(f"access_key_{n}_last_rotated") or "N/A")
                for n in (1, 2)
            ),
            password_enabled=row.get("password_enabled") == "true",
            mfa_active=row.get("mfa_active") == "true",
        )
    return report
