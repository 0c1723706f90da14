"""What a sandbox CloudTrail record says: userIdentity (signed or not), requestParameters and
responseElements (secrets left out; STS's issued key kept), errorCode/errorMessage, the
request ID, readOnly, resources, and the cross-account AssumeRole logged in both accounts.
The sources of each field are in revoke.sandbox.cloudtrail; revoke.sandbox.cloudtrail.trail
assembles and stores the records."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from revoke.sandbox.responses import Reply, new_request_id

EVENT_VERSION = "1.11"  # "The current version is 1.11" (record contents)
GLOBAL_SERVICES = {"iam": "us-east-1", "organizations": "us-east-1"}
# Never in a record: secrets, passwords, one-time codes, identity-provider tokens.
_SECRET_FIELDS = {
    "secretaccesskey",
    "sessiontoken",
    "password",
    "newpassword",
    "oldpassword",
    "servicepassword",
    "servicecredentialsecret",
    "tokencode",
    "authenticationcode1",
    "authenticationcode2",
    "samlassertion",
    "webidentitytoken",
    "privatekey",
    "certificatebody",
    "certificatechain",
}
_READ_PREFIXES = ("Get", "List", "Describe", "Lookup", "Head", "Simulate", "Search")
_STS_ISSUING = {
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetSessionToken",
    "GetFederationToken",
}
_RESOURCE_PARAMS = (
    ("userName", "AWS::IAM::User"),
    ("roleName", "AWS::IAM::Role"),
    ("roleArn", "AWS::IAM::Role"),
    ("groupName", "AWS::IAM::Group"),
    ("policyArn", "AWS::IAM::Policy"),
    ("accessKeyId", "AWS::IAM::AccessKey"),
)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def identity(principal: Any, *, access_key_id: str | None) -> dict[str, Any]:
    """userIdentity of a sandbox Principal (principals.Principal)."""
    kinds = {"user": "IAMUser", "role": "AssumedRole", "root": "Root"}
    found: dict[str, Any] = {
        "type": kinds[principal.kind],
        "principalId": principal.user_id,
        "arn": principal.arn,
        "accountId": principal.account_id,
    }
    if access_key_id:
        found["accessKeyId"] = access_key_id
    if principal.kind == "user":
        found["userName"] = principal.name
    session = principal.session
    if session is not None:
        context: dict[str, Any] = {
            "attributes": {
                "creationDate": _iso(session.issued_at),
                "mfaAuthenticated": "true" if session.mfa else "false",
            }
        }
        if principal.kind == "role":
            context["sessionIssuer"] = {
                "type": "Role",
                "principalId": session.role_id or principal.user_id.split(":")[0],
                "arn": session.role_arn,
                "accountId": session.account_id,
                "userName": session.name,
            }
            context["webIdFederationData"] = {}
        found["sessionContext"] = context
    return found


def unauthenticated_identity(req: Any) -> dict[str, Any]:
    """Who AWS names when the caller proved nothing (yet): an identity provider's user for
    AssumeRoleWithWebIdentity/SAML, else only the key that was presented."""
    operation = req.operation
    if operation == "AssumeRoleWithWebIdentity":
        return {"type": "WebIdentityUser", "principalId": "", "userName": ""}
    if operation == "AssumeRoleWithSAML":
        return {"type": "SAMLUser", "principalId": "", "userName": ""}
    found: dict[str, Any] = {"type": "Unknown"}
    if req.access_key_id:
        found["accessKeyId"] = req.access_key_id
    return found


def _value(name: str, value: str) -> Any:
    if value.isdigit() and name in ("durationSeconds", "maxItems", "maxResults", "maxRecords"):
        return int(value)
    return value


def request_parameters(req: Any) -> dict[str, Any] | None:
    """The request's parameters as CloudTrail writes them: camelCase names, lists of the
    query protocol's `X.member.N`, secrets left out."""
    if req.protocol in ("json", "rest-json"):
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            return None
        return _scrub(body) if isinstance(body, dict) and body else None
    if req.protocol != "query":
        return None
    params: dict[str, Any] = {}
    lists: dict[str, list[tuple[int, str]]] = {}
    for key, value in req.params.items():
        if key in ("Action", "Version"):
            continue
        match = re.match(r"^(\w+)\.member\.(\d+)$", key)
        if match:
            lists.setdefault(match.group(1), []).append((int(match.group(2)), value))
            continue
        if "." in key or key.lower() in _SECRET_FIELDS:
            continue
        params[_camel(key)] = _value(_camel(key), value)
    for name, members in lists.items():
        params[_camel(name)] = [value for _, value in sorted(members)]
    return params or None


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            _camel(str(k)): _scrub(v)
            for k, v in value.items()
            if str(k).lower() not in _SECRET_FIELDS
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _xml_to_dict(node: Any) -> Any:
    children = list(node)
    if not children:
        return node.text
    if all(child.tag.rsplit("}", 1)[-1] == "member" for child in children):
        return [_xml_to_dict(child) for child in children]
    out: dict[str, Any] = {}
    for child in children:
        name = child.tag.rsplit("}", 1)[-1]
        if name.lower() in _SECRET_FIELDS:
            continue
        out[_camel(name)] = _xml_to_dict(child)
    return out


def response_elements(req: Any, reply: Reply, read_only: bool) -> dict[str, Any] | None:
    """What a successful write answered (no secrets); for STS's issuing calls the new key
    in credentials.accessKeyId (fact 27). None for reads and refusals, as AWS leaves it."""
    if reply.status >= 300:
        return None
    issuing = req.service == "sts" and req.operation in _STS_ISSUING
    if read_only and not issuing:
        return None
    if req.protocol == "query":
        import xml.etree.ElementTree as ET  # noqa: S405 - the layer's or moto's own output

        try:
            root = ET.fromstring(reply.body)  # noqa: S314
        except ET.ParseError:
            return None
        result = next(
            (child for child in root if child.tag.endswith(f"{req.operation}Result")), None
        )
        if result is None:
            return None
        found = _xml_to_dict(result)
        if not isinstance(found, dict) or not found:
            return None
        credentials = found.get("credentials")
        if isinstance(credentials, dict):
            credentials.pop("sessionToken", None)  # never the token (DESIGN: no secrets)
        return found
    if req.protocol in ("json", "rest-json"):
        try:
            body = json.loads(reply.body or b"{}")
        except ValueError:
            return None
        return _scrub(body) if isinstance(body, dict) and body else None
    return None


def error_of(reply: Reply) -> tuple[str | None, str | None]:
    """(errorCode, errorMessage) of a refused request, in any wire protocol."""
    if reply.status < 300:
        return None, None
    header = next((v for k, v in reply.headers if k.lower() == "x-amzn-errortype"), "")
    text = reply.body.decode("utf-8", "replace")
    code = re.search(r"<Code>([^<]*)</Code>", text)
    message = re.search(r"<Message>([^<]*)</Message>", text)
    if code:
        return code.group(1), message.group(1) if message else None
    try:
        body = json.loads(text) if text.strip().startswith("{") else {}
    except ValueError:
        body = {}
    found = header.split(":", 1)[0] or str(body.get("__type", "")).rsplit("#", 1)[-1] or None
    said = body.get("message") or body.get("Message")
    return found, said


def request_id_of(reply: Reply) -> str:
    for name, value in reply.headers:
        if name.lower() in ("x-amzn-requestid", "x-amz-request-id"):
            return value
    found = re.search(rb"<RequestId>([^<]*)</RequestId>", reply.body)
    return found.group(1).decode() if found else new_request_id()


def is_read_only(service: str | None, operation: str) -> bool:
    # STS's credential calls are read events in CloudTrail (AssumeRole: "readOnly": true).
    return service == "sts" or operation.startswith(_READ_PREFIXES)


def resources_of(
    account_id: str, params: dict[str, Any] | None, response: dict[str, Any] | None
) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for source in (params or {}, _flatten(response)):
        for name, kind in _RESOURCE_PARAMS:
            value = source.get(name)
            if isinstance(value, str) and value:
                entry = {"accountId": account_id, "type": kind, "ARN": value}
                if entry not in found:
                    found.append(entry)
    return found


def _flatten(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict):
                for inner, leaf in _flatten(item).items():
                    out.setdefault(inner, leaf)
            else:
                out.setdefault(key, item)
    return out


def _known_signer(key: str, store: Any) -> Any:
    from revoke.sandbox.principals import find_user_key, session_principal

    session = store.get(key)
    if session is not None:
        return session_principal(session)
    user_key = find_user_key(key)
    return user_key.principal() if user_key is not None else None


def _operation_name(req: Any) -> str | None:
    from revoke.sandbox.authorize import rest_operation, s3_operation

    if req.protocol == "s3":
        action = s3_operation(req)[0]  # IAM's action name; the API's where they differ
        return {"ListAllMyBuckets": "ListBuckets"}.get(action, action)
    if req.service:
        return rest_operation(req.service, req.method, req.raw_path)
    return None


def _is_data_event(req: Any) -> bool:
    if req.protocol != "s3":
        return False
    from revoke.sandbox.authorize import s3_operation

    _, resource = s3_operation(req)
    return "/" in resource.partition(":::")[2]  # an object's ARN: arn:aws:s3:::bucket/key


def _event_source(service: str) -> str:
    return {"monitoring": "monitoring", "email": "ses", "eventbridge": "events"}.get(
        service, service
    )


def _other_account(
    service: str, operation: str, params: dict[str, Any] | None, account: str, code: str | None
) -> str | None:
    """The role's account of a successful cross-account AssumeRole, logged there too."""
    if service != "sts" or not operation.startswith("AssumeRole") or code is not None:
        return None
    role_arn = str((params or {}).get("roleArn", ""))
    parts = role_arn.split(":")
    other = parts[4] if len(parts) > 5 else ""
    return other if other.isdigit() and other != account else None
