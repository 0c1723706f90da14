"""Reads of every credential a principal holds, for the coverage model (revoke.core.coverage).

Read-only: List/Get calls only. Each read returns plain dicts (timestamps as `...Z` text)
or raises `Unavailable` when the endpoint has no such API (moto has no
ListServiceSpecificCredentials; a sandbox or a partition may have no AWS Sign-In), or the
product's error (revoke.aws.errors) when AWS refused: the caller decides which path is then
reported cannot-be-checked-here.

Account-wide reads for `revoke residual --all`: the credential report (one CSV for every
user: password, both access keys, both signing certificates, MFA), service-specific
credentials with `AllUsers` (one paged call for the account instead of one a user), and
sign-in sessions with `principalArn=arn:aws:iam::ACCOUNT:*`.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from typing import Any

from revoke.aws import wire
from revoke.aws.errors import ENDPOINT_LACKS_API_CODES, aws_errors, error_code
from revoke.aws.session import AwsSession
from revoke.core.policy import POLICY_NAME, existing_cutoff, managed_policy_name

# Optional reads (an endpoint may lack them): one retry, not five with backoff, so an
# absent API costs a moment, not seconds (as the policy simulator's probe, policies.py).
OPTIONAL_ATTEMPTS = 2
# Codes meaning "this endpoint does not have the API", not "AWS refused": the shared set,
# and a bare 404 (botocore's code for an answer that names none) here only: the policy
# simulator's probe (policies.py) keeps reporting a 404 as an error, as it always has.
_MISSING_API_CODES = ENDPOINT_LACKS_API_CODES | {"404"}
# The report takes a moment to generate: poll fast first, then back off.
REPORT_POLL_SECONDS = 0.25
REPORT_POLL_CAP_SECONDS = 2.0
REPORT_DEADLINE_SECONDS = 60.0


class Unavailable(Exception):
    """The endpoint cannot answer this read; `reason` says why, for the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _optional(operation: str, read: Callable[[], Any]) -> Any:
    """`read()`, with "the endpoint lacks this API" as Unavailable, AWS refusals as the
    product's errors (AccessDenied stays an error: the caller reports which path)."""
    import botocore.exceptions as bce

    with aws_errors(operation):
        try:
            return read()
        except NotImplementedError as err:  # moto in-process: an action it lacks
            raise Unavailable(f"the endpoint does not implement {operation}") from err
        except bce.ClientError as err:
            if error_code(err) in _MISSING_API_CODES:
                raise Unavailable(
                    f"the endpoint does not implement {operation} ({error_code(err)})"
                ) from err
            raise
        except (bce.EndpointConnectionError, bce.ConnectionError) as err:
            raise Unavailable(f"{operation}: endpoint unreachable") from err
        except bce.UnknownServiceError as err:
            raise Unavailable(f"botocore has no model for {operation}") from err


def keep_endpoint(endpoint_url: str) -> Callable[..., None]:
    """A `before-call.signin` handler sending the request to `endpoint_url`: botocore's
    signin endpoint rules resolve the control-plane operations (ListSessions,
    BatchRevokeSessions: static context parameter IsControlPlane=true) to
    `https://signin.{Region}.api.aws` before looking at the Endpoint parameter, so
    `--endpoint-url` / AWS_ENDPOINT_URL would be ignored for them. Rewritten before
    signing, so the signature matches."""
    from urllib.parse import urlsplit, urlunsplit

    target = urlsplit(endpoint_url)

    def handler(params: dict[str, Any], **_: Any) -> None:
        url = urlsplit(params["url"])
        params["url"] = urlunsplit((target.scheme, target.netloc, url.path, url.query, ""))

    return handler


_SIGNIN_PINNED: set[int] = set()


def signin_client(session: AwsSession, *, attempts: int = OPTIONAL_ATTEMPTS) -> Any:
    """The `signin` client, held to the session's endpoint URL when one is set."""
    client = session.client("signin", attempts=attempts)
    endpoint = getattr(session, "endpoint_url", None)
    if endpoint and id(client) not in _SIGNIN_PINNED:
        client.meta.events.register("before-call.signin", keep_endpoint(endpoint))
        _SIGNIN_PINNED.add(id(client))
    return client


class CredentialReader:
    """Per-principal and account-wide credential reads over one AwsSession."""

    def __init__(self, session: AwsSession) -> None:
        from revoke.aws.iam import IamGateway

        self.session = session
        # The revocation's own reads where they are the same question (the deny in force).
        self.gateway = IamGateway(session)

    @property
    def iam(self) -> Any:
        return self.gateway.iam

    @property
    def iam_optional(self) -> Any:
        return self.session.client("iam", attempts=OPTIONAL_ATTEMPTS)

    # -- the principal ---------------------------------------------------------------

    def principal(self, kind: str, name: str) -> dict[str, Any] | None:
        """GetUser / GetRole: arn, account, and a role's trust policy; None if absent."""
        entity = wire.get_principal(self.iam, kind, name)
        if entity is None:
            return None
        trust = entity.get("AssumeRolePolicyDocument")
        return {
            "arn": entity["Arn"],
            "account": entity["Arn"].split(":")[4],
            "path": entity.get("Path", "/"),
            "trust_policy": wire.document(trust) if trust else None,
        }

    def attached_policy_arns(self, kind: str, name: str) -> list[str]:
        """ListAttachedUserPolicies / ListAttachedRolePolicies (quarantine, our fallback)."""
        with aws_errors(f"iam:ListAttached{kind.title()}Policies {name}"):
            return [p["PolicyArn"] for p in wire.list_attached_policies(self.iam, kind, name)]

    def revocation_cutoff(self, kind: str, name: str, attached: list[str]) -> str | None:
        """The latest issue-time deny in force: inline AWSRevokeOlderSessions (the console's
        name, AWS-FACTS 8) and/or revoke's managed fallback, whichever cuts off later."""
        from revoke.core.timeparse import cutoff_datetime

        gateway = self.gateway
        found = []
        inline = gateway.get_inline(kind, name, POLICY_NAME)
        if (cutoff := existing_cutoff(inline)) is not None:
            found.append(cutoff)
        fallback = managed_policy_name(kind, name)
        for arn in attached:
            if arn.rsplit("/", 1)[-1] == fallback:
                with aws_errors(f"iam:GetPolicyVersion {arn}"):
                    document = gateway.managed_document(arn)
                if (cutoff := existing_cutoff(document)) is not None:
                    found.append(cutoff)
        return max(found, key=cutoff_datetime) if found else None

    # -- a user's long-term credentials -----------------------------------------------

    def access_keys(self, user: str) -> list[dict[str, Any]]:
        return [
            {"id": k.access_key_id, "status": k.status, "created": k.created}
            for k in wire.list_access_keys(self.iam, user)
        ]

    def login_profile(self, user: str) -> dict[str, Any] | None:
        """GetLoginProfile: the console password's metadata (IAM never returns the
        password); None when the user has none."""
        found = wire.get_login_profile(self.iam, user)
        return None if found is None else {"created": found["created"]}

    def service_credentials(
        self, user: str | None = None, *, all_users: bool = False
    ) -> list[dict[str, Any]]:
        """ListServiceSpecificCredentials: CodeCommit Git, Keyspaces, Bedrock API keys,
        CloudWatch Logs. `all_users`: the whole account (`AllUsers`, "cannot be specified
        together with UserName"; IAM API reference, ListServiceSpecificCredentials). No
        paginator in botocore's model: Marker/IsTruncated by hand."""
        args: dict[str, Any] = {"AllUsers": True} if all_users else {"UserName": user}
        what = "iam:ListServiceSpecificCredentials" + (" AllUsers" if all_users else f" {user}")

        def read() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            client = self.iam_optional
            while True:
                page = client.list_service_specific_credentials(**args)
                for c in page.get("ServiceSpecificCredentials", []):
                    found.append(
                        {
                            "id": c["ServiceSpecificCredentialId"],
                            "user": c.get("UserName"),
                            "service": c.get("ServiceName"),
                            "status": c.get("Status"),
                            "service_user_name": c.get("ServiceUserName")
                            or c.get("ServiceCredentialAlias"),
                            "created": wire.iso(c.get("CreateDate")),
                            "expires": wire.iso(c.get("ExpirationDate")),
                        }
                    )
                if not page.get("IsTruncated") or not page.get("Marker"):
                    return found
                args["Marker"] = page["Marker"]

        return _optional(what, read)  # type: ignore[no-any-return]

    def ssh_keys(self, user: str) -> list[dict[str, Any]]:
        return self._uploaded(
            "ListSSHPublicKeys", "list_ssh_public_keys", user, "SSHPublicKeys", "SSHPublicKeyId"
        )

    def certificates(self, user: str) -> list[dict[str, Any]]:
        return self._uploaded(
            "ListSigningCertificates",
            "list_signing_certificates",
            user,
            "Certificates",
            "CertificateId",
        )

    def _uploaded(
        self, operation: str, paginator: str, user: str, listed: str, id_key: str
    ) -> list[dict[str, Any]]:
        """SSH public keys and signing certificates: one listing's shape, {"id", "status",
        "uploaded"} each, every page; optional (an endpoint may lack the API)."""

        def read() -> list[dict[str, Any]]:
            pages = self.iam_optional.get_paginator(paginator).paginate(UserName=user)
            return [
                {"id": c[id_key], "status": c["Status"], "uploaded": wire.iso(c.get("UploadDate"))}
                for page in pages
                for c in page[listed]
            ]

        return _optional(f"iam:{operation} {user}", read)  # type: ignore[no-any-return]

    def mfa_devices(self, user: str) -> list[dict[str, Any]]:
        return [
            {"serial": d["serial_number"], "enabled": d["enabled"]}
            for d in wire.list_mfa_devices(self.iam, user)
        ]

    # -- a role's ways in ---------------------------------------------------------------

    def instance_profiles(self, role: str) -> list[str]:
        with aws_errors(f"iam:ListInstanceProfilesForRole {role}"):
            pages = self.iam.get_paginator("list_instance_profiles_for_role").paginate(
                RoleName=role
            )
            return [p["InstanceProfileName"] for page in pages for p in page["InstanceProfiles"]]

    # -- AWS Sign-In ----------------------------------------------------------------------

    def signin_sessions(self, principal_arn: str) -> list[dict[str, Any]]:
        """signin:ListSessions for one principal, or the whole account with
        `arn:aws:iam::ACCOUNT:*` (botocore `signin` model 2023-01-01; Service Authorization
        Reference https://docs.aws.amazon.com/IAM/latest/UserGuide/list_awssignin.html)."""

        def read() -> list[dict[str, Any]]:
            client = signin_client(self.session)
            pages = client.get_paginator("list_sessions").paginate(principalArn=principal_arn)
            return [
                {
                    "arn": s.get("sessionArn"),
                    "principal_arn": s.get("principalArn"),
                    "status": s.get("status"),
                    "issued_at": s.get("issuedAt"),
                    "expires_at": s.get("expiresAt"),
                }
                for page in pages
                for s in page.get("items", [])
            ]

        return _optional(f"signin:ListSessions {principal_arn}", read)  # type: ignore[no-any-return]

    # -- the whole account ----------------------------------------------------------------

    def credential_report(
        self, *, sleep: Callable[[float], None] = time.sleep
    ) -> list[dict[str, str]]:
        """GenerateCredentialReport, then GetCredentialReport once it is COMPLETE: one CSV
        row a user (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html)."""
        with aws_errors("iam:GenerateCredentialReport"):
            deadline = time.monotonic() + REPORT_DEADLINE_SECONDS
            pause = REPORT_POLL_SECONDS
            while self.iam.generate_credential_report().get("State") != "COMPLETE":
                if time.monotonic() > deadline:
                    from revoke.errors import AwsFailure

                    raise AwsFailure(
                        "the IAM credential report was not ready within "
                        f"{int(REPORT_DEADLINE_SECONDS)} s",
                        code="CredentialReportNotReady",
                        hint="run again in a minute",
                    )
                sleep(pause)
                pause = min(pause * 2, REPORT_POLL_CAP_SECONDS)
        with aws_errors("iam:GetCredentialReport"):
            content = self.iam.get_credential_report()["Content"]
        text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
        return list(csv.DictReader(io.StringIO(text)))

    def account_details(self) -> Iterator[dict[str, Any]]:
        """GetAccountAuthorizationDetails for users and customer-managed policies: every
        user's inline and attached policies, and our fallback's document, a few pages for
        the account (revoke.aws.bulk reads it the same way). Yields user details (with
        `UserName`) and policy details (with `PolicyVersionList`)."""
        with aws_errors("iam:GetAccountAuthorizationDetails"):
            pages = self.iam.get_paginator("get_account_authorization_details").paginate(
                Filter=["User", "LocalManagedPolicy"], PaginationConfig={"PageSize": 1000}
            )
            for page in pages:
                yield from page.get("UserDetailList", [])
                yield from page.get("Policies", [])
