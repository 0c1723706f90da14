"""Verification layer 3, enforcement: a harmless call made with credentials of a session
issued before the cutoff, and what AWS answered.

The call must be one that identity policies govern: never sts:GetCallerIdentity (fact 13:
never denied), never IAM or STS (fact 4: a session token without MFA cannot call IAM at
all, so a refusal there proves nothing). The default is s3:ListAllMyBuckets: S3 answers
AccessDenied with the evaluation reason in clear text (fact 14), where EC2's
UnauthorizedOperation carries only an encoded message in real AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from revoke.aws.errors import CREDENTIAL_CODES, error_code, error_message
from revoke.aws.session import AwsSession

DEFAULT_PROBE_ACTION = "s3:ListAllMyBuckets"
# action -> (service, client method)
PROBE_CALLS = {
    "s3:ListAllMyBuckets": ("s3", "list_buckets"),
    "ec2:DescribeRegions": ("ec2", "describe_regions"),
}

ALLOWED = "allowed"
EXPLICIT_DENY = "explicit-deny"  # an explicit deny in an identity-based policy: confirmed
OTHER_DENY = "other-explicit-deny"  # e.g. a service control policy: not ours
IMPLICIT_DENY = "implicit-deny"  # AccessDenied without an explicit deny
CREDENTIALS = "credentials"  # the probe credentials are not usable (expired, invalid)
ERROR = "error"  # throttling, network: try again

ACCESS_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
# S3 and EC2 spell "not usable" in their own words.
PROBE_CREDENTIAL_CODES = CREDENTIAL_CODES | {"InvalidToken", "TokenRefreshRequired"}
# Fact 14: "... with an explicit deny in an identity-based policy".
IDENTITY_DENY_WORDING = "explicit deny in an identity-based policy"


@dataclass(frozen=True)
class ProbeOutcome:
    kind: str
    code: str | None = None
    message: str | None = None


def classify_denial(code: str, message: str) -> str:
    """Tell AWS's refusals apart by their text (fact 14)."""
    text = message.lower()
    if IDENTITY_DENY_WORDING in text:
        return EXPLICIT_DENY
    if "explicit deny in " in text:  # a service control policy, a permissions boundary...
        return OTHER_DENY
    if "explicit deny" in text:  # older wording without the policy type
        return EXPLICIT_DENY
    return IMPLICIT_DENY


def classify(err: BaseException) -> ProbeOutcome:
    """What a failed probe call means for the revocation."""
    import botocore.exceptions

    if isinstance(err, botocore.exceptions.ClientError):
        code = error_code(err) or "Unknown"
        message = error_message(err)
        if code in ACCESS_DENIED_CODES:
            return ProbeOutcome(classify_denial(code, message), code, message)
        if code in PROBE_CREDENTIAL_CODES:
            return ProbeOutcome(CREDENTIALS, code, message)
        return ProbeOutcome(ERROR, code, message)
    if isinstance(err, botocore.exceptions.BotoCoreError):
        return ProbeOutcome(ERROR, type(err).__name__, str(err))
    raise err


class Probe:
    """The probe call, made with the probe credentials only (never the responder's)."""

    def __init__(
        self,
        session: AwsSession | None = None,
        *,
        action: str = DEFAULT_PROBE_ACTION,
        client: Any = None,
    ) -> None:
        if action not in PROBE_CALLS:
            from revoke.errors import BadInput

            raise BadInput(
                f"{action} is not a probe action",
                hint=f"use one of {', '.join(sorted(PROBE_CALLS))}",
            )
        self.session = session
        self.action = action
        self.arn: str | None = None  # who the credentials act as, once looked up
        self.access_key_id: str | None = None  # once read by key_kind()
        # When the probe session was issued (UTC `...Z`), where the token ledger knows it:
        # AWS tells a token's holder no issue time (revoke.state.ledger).
        self.issued_at: str | None = None
        self._service, self._method = PROBE_CALLS[action]
        self._client = client

    @classmethod
    def from_profile(cls, profile: str, *, region: str | None, endpoint_url: str | None) -> Probe:
        return cls(AwsSession(profile=profile, region=region, endpoint_url=endpoint_url))

    @property
    def client(self) -> Any:
        if self._client is None:
            assert self.session is not None
            # One attempt: the verification loop does its own backoff against a deadline.
            self._client = self.session.client(self._service, attempts=1)
        return self._client

    def attempt(self) -> ProbeOutcome:
        try:
            getattr(self.client, self._method)()
        except Exception as err:  # noqa: BLE001 - classify() re-raises what is not AWS's
            return classify(err)
        return ProbeOutcome(ALLOWED)

    def key_kind(self) -> str | None:
        """`temporary` (ASIA) or `long-term` (AKIA), fact 7; None if unknown."""
        if self.session is None:
            return None
        from revoke.aws.errors import aws_errors

        with aws_errors("probe credentials"):
            key = self.access_key_id = self.session.access_key_id()
        if key is None:
            from revoke.errors import NoCredentials

            raise NoCredentials(
                "the probe profile has no credentials",
                hint="revoke token issue --write-profile NAME, before the revocation",
            )
        if key.startswith("ASIA"):
            return "temporary"
        if key.startswith("AKIA"):
            return "long-term"
        return None

    def identity(self) -> str | None:
        """The ARN the probe credentials act as. sts:GetCallerIdentity is never denied
        (fact 13), which is why it can name the caller and why it never is the probe."""
        if self.session is None:
            return None
        try:
            found = self.session.client("sts", attempts=1).get_caller_identity()
        except Exception as err:  # noqa: BLE001
            outcome = classify(err)
            if outcome.kind == CREDENTIALS:
                from revoke.errors import NoCredentials

                raise NoCredentials(
                    f"probe credentials: {outcome.code}: {outcome.message}",
                    hint="the probe token may have expired; issue one before the cutoff",
                ) from None
            return None
        return str(found["Arn"])


def identity_matches(arn: str, kind: str, name: str, account: str | None) -> bool:
    """Whether a caller ARN is a session of the user or role `name`.

    Users' session tokens act as `arn:aws:iam::ACCOUNT:user/PATH/NAME`; role sessions as
    `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`. IAM names are case-insensitive.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return False
    if account and parts[4] != account:
        return False
    resource = parts[5]
    if kind == "user":
        return resource.startswith("user/") and resource.rsplit("/", 1)[-1].lower() == name.lower()
    pieces = resource.split("/")
    return len(pieces) >= 3 and pieces[0] == "assumed-role" and pieces[1].lower() == name.lower()


def probe_call(action: str) -> str:
    """The API call a probe action makes, in the AWS CLI's words ("s3api list-buckets")."""
    service, method = PROBE_CALLS[action]
    command = {"s3": "s3api"}.get(service, service)
    return f"{command} {method.replace('_', '-')}"
