"""Turn botocore's exceptions into the product's errors, each with an exit code and a hint.

Messages never include secrets: botocore's error texts name key IDs at most, and we add
only the principal and the AWS error code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from revoke.errors import AwsFailure, NoCredentials, RevokeError

# Error codes that mean "these credentials are not usable", not "AWS refused the action".
CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
    "AuthFailure",
}


def error_code(err: BaseException) -> str | None:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def error_message(err: BaseException) -> str:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return str(message)
    return str(err)


def translate_exception(err: BaseException, *, context: str | None = None) -> RevokeError | None:
    """The product error for a botocore/boto3 exception, or None if it is not one."""
    if isinstance(err, RevokeError):
        return err
    try:
        import botocore.exceptions as bce
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return None
    where = f"{context}: " if context else ""
    if isinstance(err, bce.ClientError):
        code = error_code(err) or "Unknown"
        message = error_message(err)
        if code in CREDENTIAL_CODES:
            return NoCredentials(
                f"{where}{code}: {message}",
                hint="check the credentials in use (revoke token inspect); a session token "
                "cannot call IAM unless it was issued with MFA",
            )
        hint = None
        if code in ("AccessDenied", "AccessDeniedException"):
            hint = "the credentials in use lack this permission; use an administrator profile"
        elif code in ("Throttling", "ThrottlingException"):
            hint = "IAM is throttling this account; retry with fewer --max-workers"
        return AwsFailure(f"{where}{code}: {message}", code=code, hint=hint)
    if isinstance(err, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return NoCredentials(
            f"{where}no usable AWS credentials ({type(err).__name__})",
            hint="set AWS_PROFILE or pass --profile, or export AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY",
        )
    if isinstance(err, bce.ProfileNotFound):
        return NoCredentials(
            f"{where}{err}", hint="list profiles with: aws configure list-profiles"
        )
    if isinstance(
        err,
        (bce.NoRegionError, bce.InvalidRegionError, bce.InvalidConfigError, bce.ConfigParseError),
    ):
        return NoCredentials(f"{where}AWS configuration problem: {err}")
    if isinstance(err, (bce.EndpointConnectionError, bce.ConnectionError)):
        return AwsFailure(
            f"{where}cannot reach the AWS endpoint ({type(err).__name__})",
            code="EndpointUnreachable",
            hint="check --endpoint-url / AWS_ENDPOINT_URL and the network",
        )
    if isinstance(err, bce.ParamValidationError):
        from revoke.errors import BadInput

        return BadInput(f"{where}{err}")
    if isinstance(err, bce.BotoCoreError):
        return AwsFailure(f"{where}{err}", code=type(err).__name__)
    return None


@contextmanager
def aws_errors(context: str | None = None) -> Iterator[None]:
    """Translate botocore exceptions raised inside the block."""
    try:
        yield
    except RevokeError:
        raise
    except Exception as err:
        translated = translate_exception(err, context=context)
        if translated is None:
            raise
        raise translated from err
