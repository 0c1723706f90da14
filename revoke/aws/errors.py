"""Turn botocore's exceptions into the product's errors, each with an exit code and a hint.

Messages never include secrets: text that came from outside (an AWS error message, a
credential_process's stderr, a proxy's page) is folded into one line and passed through
revoke.core.scrub, which takes out the secrets this process holds and anything shaped
like one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from revoke.core.scrub import scrub
from revoke.errors import AwsFailure, BadInput, NoCredentials, RevokeError

# Longest excerpt of outside text a one-line error quotes.
MAX_QUOTED = 300

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

# Error codes that mean "this endpoint does not have the API" (a sandbox, an emulator, a
# proxy in front of one), not "AWS refused": the optional reads (revoke.aws.credentials)
# and the policy simulator's probe (revoke.aws.policies) report the read as unavailable.
ENDPOINT_LACKS_API_CODES = frozenset(
    {
        "NotImplemented",
        "InvalidAction",
        "UnknownOperation",
        "UnknownOperationException",
        "InternalFailure",
        "InternalError",
        "500",
        "501",
    }
)


def error_code(err: BaseException) -> str | None:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def error_message(err: BaseException) -> str:
    """AWS's words for an error, scrubbed: every caller that echoes them gets them here."""
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return scrub(str(message))
    return scrub(str(err))


def one_line(text: str, limit: int = MAX_QUOTED) -> str:
    """Outside text as one scrubbed line: whitespace folded, at most `limit` characters."""
    folded = " ".join(scrub(str(text)).split())
    return folded if len(folded) <= limit else folded[: limit - 3].rstrip() + "..."


def translate_exception(err: BaseException, *, context: str | None = None) -> RevokeError | None:
    """The product error for a botocore/boto3 exception, or None if it is not one."""
    if isinstance(err, RevokeError):
        return err
    translated = _translate(err, context)
    if translated is not None:
        translated.message = one_line(translated.message, limit=MAX_QUOTED + 200)
        if translated.hint:
            translated.hint = scrub(translated.hint)
    return translated


def _translate(err: BaseException, context: str | None) -> RevokeError | None:
    try:
        import botocore.exceptions as bce
        from botocore.parsers import ResponseParserError
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return None
    where = f"{context}: " if context else ""
    if isinstance(err, ResponseParserError):
        # Truncated XML, a JSON body where XML belongs, an error page botocore cannot read.
        # Its text quotes the raw body: not repeated (one line, and it may hold anything).
        return AwsFailure(
            f"{where}the endpoint's answer is not a well-formed AWS response "
            "(botocore could not parse it)",
            code="MalformedResponse",
            hint="check --endpoint-url / AWS_ENDPOINT_URL and any proxy in between "
            "(HTTPS_PROXY); --debug shows the answer",
        )
    if isinstance(err, bce.CredentialRetrievalError):
        # A failing credential_process (or SSO, container, metadata provider): its own words,
        # which may be anything that program printed on stderr, so scrubbed.
        said = one_line(getattr(err, "kwargs", {}).get("error_msg") or str(err))
        provider = getattr(err, "kwargs", {}).get("provider") or "a credential provider"
        if provider == "custom-process":
            provider = "the profile's credential_process"
        return NoCredentials(
            f"{where}{provider} failed: {said or '(it printed nothing)'}",
            hint="run it by hand to see why (https://docs.aws.amazon.com/sdkref/latest/"
            "guide/feature-process-credentials.html)",
        )
    if isinstance(err, (bce.ReadTimeoutError, bce.ConnectTimeoutError)):
        return AwsFailure(
            f"{where}the AWS endpoint did not answer in time ({type(err).__name__})",
            code="Timeout",
            hint="check --endpoint-url / AWS_ENDPOINT_URL and the network; --timeout sets "
            "how long to wait",
        )
    if isinstance(err, ValueError) and str(err).startswith("Invalid endpoint"):
        return BadInput(
            f"{where}{err}",
            hint="give --endpoint-url (or AWS_ENDPOINT_URL) as http(s)://host[:port]",
        )
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
    if isinstance(err, bce.SSOError):
        # An SSO profile whose token is missing or expired (the session reports it with the
        # profile's name; this is a token that expired during the run): 253, as for `aws`.
        return NoCredentials(
            f"{where}no usable IAM Identity Center (SSO) token ({type(err).__name__})",
            hint="aws sso login --profile PROFILE",
        )
    if isinstance(err, bce.ParamValidationError):
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
