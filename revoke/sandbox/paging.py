"""Pages for iam:GetAccountAuthorizationDetails, which moto answers in one piece.

AWS returns at most `MaxItems` (default 100, at most 1,000) entities a call, with
`IsTruncated` and an opaque `Marker` for the next one. moto ignores both and returns the
whole account, so a client that pages correctly is never exercised, and one call over
10,000 users holds all of them in one response (the bulk reads of revoke.aws.bulk page at
1,000, and their memory follows the page, not the account: benchmarks, item 5).

The layer asks moto for everything, keeps this page's slice of the entities (users, then
groups, then roles, then policies, the order AWS lists them in), and sets `IsTruncated`
and `Marker` (here simply the offset of the next entity).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - parses moto's own output, not input

from revoke.sandbox.responses import AwsError

NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
DEFAULT_MAX_ITEMS = 100
LARGEST_MAX_ITEMS = 1000


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def page_bounds(params: dict[str, str]) -> tuple[int, int]:
    """(first entity, how many) from the request's Marker and MaxItems."""
    try:
        size = int(params.get("MaxItems") or DEFAULT_MAX_ITEMS)
        start = int(params.get("Marker") or 0)
    except ValueError:
        raise AwsError("InvalidInput", "Marker or MaxItems is not valid", 400) from None
    if not 1 <= size <= LARGEST_MAX_ITEMS or start < 0:
        raise AwsError(
            "ValidationError", f"MaxItems must be 1-{LARGEST_MAX_ITEMS}; Marker as returned", 400
        )
    return start, size


def paginate(body: bytes, params: dict[str, str]) -> bytes:
    """moto's complete answer cut down to the page the request asks for."""
    start, size = page_bounds(params)
    if start == 0 and body.count(b"<member>") <= size:
        return body  # one page holds it all (members nest, so this count is an upper bound)
    ET.register_namespace("", NAMESPACE)
    root = ET.fromstring(body)  # noqa: S314 - moto's own output
    result = root.find(_tag("GetAccountAuthorizationDetailsResult"))
    if result is None:
        return body
    position = 0
    for name in LISTS:
        container = result.find(_tag(name))
        if container is None:
            continue
        for member in list(container):
            if not start <= position < start + size:
                container.remove(member)
            position += 1
    truncated = result.find(_tag("IsTruncated"))
    if truncated is None:
        truncated = ET.SubElement(result, _tag("IsTruncated"))
    more = position > start + size
    truncated.text = "true" if more else "false"
    if more:
        ET.SubElement(result, _tag("Marker")).text = str(start + size)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)
