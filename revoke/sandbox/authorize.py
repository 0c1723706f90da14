"""Identity-policy enforcement: what AWS decides for a request, decided by our evaluator.

For every request the sandbox names the action and resource the way IAM does, builds the
request context AWS would supply, and asks `revoke.core.evaluate.evaluate_request` for one
decision over every policy that governs it, as they are now (fact 6), in AWS's order:
- the SCPs of each level from the organization root through the OUs to the account, for a
  member account of the organization moto holds (orgscp.py; never the management account,
  fact 15; the member account's root user too);
- the identity policies of the IAM user or role (not for the account root, fact 15);
- the permissions boundary of that user or role (principals.boundary_for);
- the session policy bound to the session (AssumeRole Policy/PolicyArns,
  GetFederationToken's; principals.session_policies_for).
A refusal names the policy type that decided, in AWS's words ("with an explicit deny in a
service control policy", "because no permissions boundary allows the ... action"; IAM User
Guide, troubleshoot_access-denied, https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html),
so an explicit deny and a missing allow stay apart (fact 14), and so do an identity-based
deny (a revocation) and an SCP's.

What is *not* modelled: resource-based policies, resource control policies, and the
per-service "additional actions" IAM sometimes checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from revoke.sandbox.principals import (
    PolicySource,
    Principal,
    boundary_for,
    iam_backend,
    policies_for,
    session_policies_for,
)
from revoke.sandbox.request import S3, SandboxRequest
from revoke.sandbox.responses import AwsError, access_denied

# SigV4 signing names that differ from the IAM service prefix (Service Authorization
# Reference, "Actions, resources, and condition keys").
SERVICE_PREFIXES = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "execute-api": "execute-api",
    "eventbridge": "events",
}


def iso_time(moment: datetime, *, millis: bool = False) -> str:
    """W3C ISO 8601 in UTC with `Z` (fact 11); milliseconds for issue times (fact 10)."""
    moment = moment.astimezone(timezone.utc)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the action and the resource ------------------------------------------------------


def _s3_bucket_and_key(req: SandboxRequest) -> tuple[str | None, str | None]:
    host = req.headers.get("host", "").split(":")[0]
    path = unquote(req.raw_path)
    labels = host.split(".")
    virtual = len(labels) > 1 and (host.endswith(".localhost") or ".s3." in host or ".s3-" in host)
    if virtual and not labels[0].isdigit():
        return labels[0], path.lstrip("/") or None
    parts = path.lstrip("/").split("/", 1)
    return parts[0] or None, (parts[1] if len(parts) > 1 and parts[1] else None)


_S3_BUCKET_SUB = {
    "GET": {
        "location": "GetBucketLocation",
        "policy": "GetBucketPolicy",
        "tagging": "GetBucketTagging",
        "versioning": "GetBucketVersioning",
        "acl": "GetBucketAcl",
        "versions": "ListBucketVersions",
        "uploads": "ListBucketMultipartUploads",
        "publicAccessBlock": "GetBucketPublicAccessBlock",
        "encryption": "GetEncryptionConfiguration",
        "lifecycle": "GetLifecycleConfiguration",
        "cors": "GetBucketCORS",
        "logging": "GetBucketLogging",
        "notification": "GetBucketNotification",
        "ownershipControls": "GetBucketOwnershipControls",
    },
    "PUT": {
        "policy": "PutBucketPolicy",
        "tagging": "PutBucketTagging",
        "versioning": "PutBucketVersioning",
        "acl": "PutBucketAcl",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "encryption": "PutEncryptionConfiguration",
        "lifecycle": "PutLifecycleConfiguration",
        "cors": "PutBucketCORS",
        "logging": "PutBucketLogging",
        "notification": "PutBucketNotification",
        "ownershipControls": "PutBucketOwnershipControls",
    },
    "DELETE": {
        "policy": "DeleteBucketPolicy",
        "tagging": "PutBucketTagging",
        "cors": "PutBucketCORS",
        "lifecycle": "PutLifecycleConfiguration",
        "encryption": "PutEncryptionConfiguration",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "ownershipControls": "PutBucketOwnershipControls",
    },
}
_S3_BUCKET_DEFAULT = {
    "GET": "ListBucket",
    "HEAD": "ListBucket",
    "PUT": "CreateBucket",
    "DELETE": "DeleteBucket",
}
_S3_OBJECT_SUB = {
    "GET": {
        "tagging": "GetObjectTagging",
        "acl": "GetObjectAcl",
        "versionId": "GetObjectVersion",
        "uploadId": "ListMultipartUploadParts",
    },
    "PUT": {"tagging": "PutObjectTagging", "acl": "PutObjectAcl"},
    "DELETE": {
        "uploadId": "AbortMultipartUpload",
        "tagging": "DeleteObjectTagging",
        "versionId": "DeleteObjectVersion",
    },
    "POST": {"restore": "RestoreObject"},
}
_S3_OBJECT_DEFAULT = {
    "GET": "GetObject",
    "HEAD": "GetObject",
    "PUT": "PutObject",
    "DELETE": "DeleteObject",
    "POST": "PutObject",
}


def s3_operation(req: SandboxRequest) -> tuple[str, str]:
    """(IAM action name, resource ARN) for an S3 REST request (Amazon S3 User Guide,
    "Required permissions for Amazon S3 API operations")."""
    bucket, key = _s3_bucket_and_key(req)
    subresources = {name for name, _ in req.query}
    if bucket is None:
        return "ListAllMyBuckets", "*"
    if key is None:
        if req.method == "POST" and "delete" in subresources:
            return "DeleteObject", f"arn:aws:s3:::{bucket}/*"
        table = _S3_BUCKET_SUB.get(req.method, {})
        for sub, action in table.items():
            if sub in subresources:
                return action, f"arn:aws:s3:::{bucket}"
        return _S3_BUCKET_DEFAULT.get(req.method, "ListBucket"), f"arn:aws:s3:::{bucket}"
    for sub, action in _S3_OBJECT_SUB.get(req.method, {}).items():
        if sub in subresources:
            return action, f"arn:aws:s3:::{bucket}/{key}"
    return _S3_OBJECT_DEFAULT.get(req.method, "GetObject"), f"arn:aws:s3:::{bucket}/{key}"


@lru_cache(maxsize=64)
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern[str], int, str], ...]:
    """(method, path pattern, literal length, operation) of a REST service's botocore model."""
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return ()
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = str(http.get("requestUri", "/")).split("?", 1)[0]
        pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(template))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        routes.append((str(http.get("method", "GET")), re.compile(pattern + "/?$"), literal, name))
    return tuple(routes)


def rest_operation(service: str, method: str, raw_path: str) -> str | None:
    """The operation a REST-JSON request calls, matched against botocore's model routes."""
    matches = [
        (literal, name)
        for route_method, pattern, literal, name in _rest_routes(service)
        if route_method == method and pattern.match(raw_path)
    ]
    return max(matches)[1] if matches else None


def _iam_resource(req: SandboxRequest, account_id: str) -> str:
    params = req.params
    backend = iam_backend(account_id)
    for param, kind, table in (
        ("UserName", "user", backend.users),
        ("RoleName", "role", None),
        ("GroupName", "group", backend.groups),
    ):
        name = params.get(param)
        if not name:
            continue
        path = params.get("Path")
        if table is not None and name in table:
            path = table[name].path
        elif kind == "role":
            role = next((r for r in list(backend.roles.values()) if r.name == name), None)
            path = role.path if role is not None else path
        return f"arn:aws:iam::{account_id}:{kind}{path or '/'}{name}"
    return params.get("PolicyArn") or params.get("PolicySourceArn") or "*"


def action_and_resource(req: SandboxRequest, principal: Principal) -> tuple[str, str]:
    """The IAM action ("s3:ListAllMyBuckets") and resource ARN (or "*") of a request."""
    service = req.service or "unknown"
    prefix = SERVICE_PREFIXES.get(service, service)
    if req.protocol == S3:
        operation, resource = s3_operation(req)
        return f"s3:{operation}", resource
    operation = (
        req.operation
        or rest_operation(service, req.method, req.raw_path)
        or f"{req.method}{req.raw_path}"
    )
    resource = "*"
    if prefix == "iam":
        resource = _iam_resource(req, principal.account_id)
    elif prefix == "sts" and operation.startswith("AssumeRole"):
        resource = req.params.get("RoleArn", "*")
    return f"{prefix}:{operation}", resource


# --- the request context ---------------------------------------------------------------


def request_context(req: SandboxRequest, principal: Principal, now: datetime) -> dict[str, Any]:
    """The global condition keys AWS would put in this request's context
    (IAM User Guide, reference_policies_condition-keys)."""
    principal_type = {"user": "User", "role": "AssumedRole", "root": "Account"}[principal.kind]
    federated = principal.session is not None and principal.session.kind == "federated"
    if federated:
        principal_type = "FederatedUser"
    context: dict[str, Any] = {
        "aws:CurrentTime": iso_time(now),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:PrincipalArn": principal.principal_arn,
        "aws:PrincipalAccount": principal.account_id,
        "aws:PrincipalType": principal_type,
        "aws:userid": principal.user_id,
        "aws:SecureTransport": "false",  # the sandbox speaks plain HTTP
        "aws:SourceIp": req.source_ip,
        "aws:RequestedRegion": req.region,
    }
    if principal.kind == "user" and not federated:
        context["aws:username"] = principal.name
    session = principal.session
    if session is not None:
        # Only temporary credentials carry an issue time (fact 9); with a fractional
        # second, because DateLessThan is strict at sub-second precision (fact 10).
        context["aws:TokenIssueTime"] = iso_time(session.issued_at, millis=True)
        context["aws:MultiFactorAuthPresent"] = "true" if session.mfa else "false"
        if session.mfa:
            age = max(0, int((now - session.issued_at).total_seconds()))
            context["aws:MultiFactorAuthAge"] = str(age)
    return context


# --- the decision ----------------------------------------------------------------------


def evaluate_sources(
    sources: list[PolicySource], action: str, resource: str, context: Mapping[str, Any]
) -> Any:
    """Run the project's evaluator; a policy it cannot read is the sandbox's failure."""
    from revoke.core.evaluate import PolicyEvaluationError, evaluate

    try:
        return evaluate({s.key: s.document for s in sources}, action, resource, context)
    except PolicyEvaluationError as err:
        raise AwsError(
            "InternalFailure", f"sandbox could not evaluate a policy: {err}", 500
        ) from err


# The policy type each part of the decision is named by in AccessDenied (fact 14).
_PART_WORDS = {
    "identity": "identity-based policy",
    "scp": "service control policy",
    "boundary": "permissions boundary",
    "session": "session policy",
    "rcp": "resource control policy",
}
# The account root is governed by no identity policy (fact 15); in a member account its
# requests still meet the SCPs, so it is evaluated as if an identity policy allowed all.
_ROOT_IDENTITY = {
    "root user (no identity policy applies)": {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"},
    }
}


def denial_message(
    principal: Principal,
    action: str,
    resource: str,
    *,
    explicit: bool,
    s3: bool,
    part: str = "identity",
) -> str:
    """AWS's access-denied wording (IAM User Guide, troubleshoot_access-denied; fact 14)."""
    on = ""
    if resource != "*":
        on = f' on resource: "{resource}"' if s3 else f" on resource: {resource}"
    head = f"User: {principal.arn} is not authorized to perform: {action}{on}"
    words = _PART_WORDS.get(part, "identity-based policy")
    if explicit:
        return f"{head} with an explicit deny in a{'n' if words[0] in 'aeiou' else ''} {words}"
    return f"{head} because no {words} allows the {action} action"


def decide(principal: Principal, action: str, resource: str, context: Mapping[str, Any]) -> Any:
    """The RequestDecision for one request, or None when nothing governs it (the
    account root outside any member account)."""
    from revoke.core.evaluate import PolicyEvaluationError, evaluate_request
    from revoke.sandbox.orgscp import scp_levels

    sources = policies_for(principal)
    scps = scp_levels(principal.account_id)
    if sources is None and not scps:
        return None  # the root (fact 15); a deleted user or role has [] (deny)
    identity: Any = _ROOT_IDENTITY if sources is None else {s.key: s.document for s in sources}
    boundary = boundary_for(principal) if sources is not None else None
    session = session_policies_for(principal)
    try:
        return evaluate_request(
            action,
            resource,
            context,
            identity=identity,
            boundary=None if boundary is None else {s.key: s.document for s in boundary},
            session=None if session is None else {s.key: s.document for s in session},
            scps=scps,
        )
    except (PolicyEvaluationError, ValueError) as err:
        raise AwsError(
            "InternalFailure", f"sandbox could not evaluate a policy: {err}", 500
        ) from err


def authorize(req: SandboxRequest, principal: Principal, now: datetime) -> None:
    """Raise AccessDenied unless every policy that governs the request allows it."""
    action, resource = action_and_resource(req, principal)
    decision = decide(principal, action, resource, request_context(req, principal, now))
    if decision is None or decision.decision == "allow":
        return
    raise access_denied(
        denial_message(
            principal,
            action,
            resource,
            explicit=decision.decision == "explicit_deny",
            s3=req.protocol == S3,
            part=decision.decided_by,
        )
    )
