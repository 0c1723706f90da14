"""STS calls of `revoke token`: GetSessionToken, GetCallerIdentity, GetAccessKeyInfo.

`session_token` and `caller_identity` translate errors into the product's (exit codes);
`probe_identity` and `key_account` return what happened instead, because for `revoke
token inspect` an ExpiredToken is an answer, not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from revoke.aws.errors import aws_errors, error_code, error_message
from revoke.aws.session import AwsSession


@dataclass(frozen=True)
class IssuedToken:
    """GetSessionToken's answer. repr() hides the secrets."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime  # aware, UTC

    def __repr__(self) -> str:
        return f"IssuedToken(access_key_id={self.access_key_id!r}, expiration={self.expiration})"


@dataclass(frozen=True)
class IdentityProbe:
    """GetCallerIdentity with the credentials under inspection: an identity or an error."""

    account: str | None = None
    arn: str | None = None
    user_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    server_time: datetime | None = None  # the endpoint's Date header: its clock, not ours


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    from revoke.core.timeparse import parse_iso

    return parse_iso(str(value))


def _server_time(response: Any) -> datetime | None:
    try:
        header = response["ResponseMetadata"]["HTTPHeaders"]["date"]
        return parsedate_to_datetime(header).astimezone(timezone.utc)
    except (KeyError, TypeError, ValueError, IndexError):
        return None


class StsGateway:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    @property
    def sts(self) -> Any:
        return self.session.client("sts")

    def caller_identity(self) -> dict[str, str]:
        with aws_errors("sts:GetCallerIdentity"):
            found = self.sts.get_caller_identity()
        return {"account": found["Account"], "arn": found["Arn"], "user_id": found["UserId"]}

    def session_token(
        self,
        duration_seconds: int,
        *,
        serial_number: str | None = None,
        token_code: str | None = None,
    ) -> IssuedToken:
        kwargs: dict[str, Any] = {"DurationSeconds": duration_seconds}
        if serial_number is not None:
            kwargs["SerialNumber"] = serial_number
            kwargs["TokenCode"] = token_code
        with aws_errors("sts:GetSessionToken"):
            creds = self.sts.get_session_token(**kwargs)["Credentials"]
        return IssuedToken(
            access_key_id=creds["AccessKeyId"],
            secret_access_key=creds["SecretAccessKey"],
            session_token=creds["SessionToken"],
            expiration=_aware(creds["Expiration"]).astimezone(timezone.utc),
        )

    def probe_identity(self) -> IdentityProbe:
        """GetCallerIdentity; never denied by policy (fact 13), so an error is about the
        credentials themselves: ExpiredToken (fact 5), InvalidClientTokenId, ..."""
        import botocore.exceptions

        with aws_errors("sts:GetCallerIdentity"):
            try:
                found = self.sts.get_caller_identity()
            except botocore.exceptions.ClientError as err:
                return IdentityProbe(
                    error_code=error_code(err) or "Unknown",
                    error_message=error_message(err),
                    server_time=_server_time(getattr(err, "response", None)),
                )
        return IdentityProbe(
            account=found["Account"],
            arn=found["Arn"],
            user_id=found["UserId"],
            server_time=_server_time(found),
        )

    def key_account(self, access_key_id: str) -> tuple[str | None, str | None]:
        """sts:GetAccessKeyInfo (fact 7): (account, None) or (None, why it could not say)."""
        import botocore.exceptions

        try:
            found = self.sts.get_access_key_info(AccessKeyId=access_key_id)
        except botocore.exceptions.ClientError as err:
            return None, f"{error_code(err) or 'Unknown'}: {error_message(err)}"
        except botocore.exceptions.BotoCoreError as err:
            return None, type(err).__name__
        return str(found["Account"]), None
