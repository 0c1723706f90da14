"""The checks of the global options the root callback (revoke.cli.app) runs before any call.

Split out of revoke.cli.app, which re-exports these names: the output format (--output,
AWS_DEFAULT_OUTPUT, --query), --endpoint-url and the configured AWS_ENDPOINT_URL* as URLs,
the --timeout bound, and the secrets the environment holds (remembered for
revoke.core.scrub). Each check is one line and exit 2 before anything reaches AWS.
"""

from __future__ import annotations

import os

import typer

from revoke.cli.context import OUTPUT_FORMATS
from revoke.errors import BadInput

# What AWS_DEFAULT_OUTPUT may say that revoke has no printer for: json instead, and a warning.
UNSUPPORTED_OUTPUTS = ("yaml", "yaml-stream")


def choose_output(given: str | None, *, query: str | None, isatty: bool) -> str:
    """--output, else AWS_DEFAULT_OUTPUT (as the AWS CLI), else json when --query is given
    (its result is JSON), else table for a person and json for a program."""
    if given is not None:
        if given not in OUTPUT_FORMATS:
            raise typer.BadParameter(
                f"{given!r} is not one of {', '.join(OUTPUT_FORMATS)}", param_hint="--output"
            )
        return given
    configured = os.environ.get("AWS_DEFAULT_OUTPUT", "").strip().lower()
    if configured in OUTPUT_FORMATS:
        return configured
    if configured in UNSUPPORTED_OUTPUTS:
        typer.echo(
            f"revoke: warning: AWS_DEFAULT_OUTPUT={configured} is not supported by revoke; "
            "printing json",
            err=True,
        )
        return "json"
    if configured:
        raise BadInput(
            f"AWS_DEFAULT_OUTPUT={configured!r} is not one of {', '.join(OUTPUT_FORMATS)}",
            hint="unset it, or give --output json|table|text",
        )
    if query is not None:
        return "json"
    return "table" if isatty else "json"


MAX_TIMEOUT = 86_400  # a day: longer than any run, short of overflowing a socket timeout


def check_endpoint_url(url: str | None) -> str | None:
    """`--endpoint-url` / AWS_ENDPOINT_URL as http(s)://host[:port][/path], or one-line BadInput.

    botocore would only refuse it when the first client is made, as a ValueError.
    """
    if url is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"--endpoint-url {url!r} is not a URL",
            hint="give it as http(s)://host[:port], for example http://127.0.0.1:5000 "
            "(https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html)",
        )
    return url


def _check_configured_endpoints() -> None:
    """AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are botocore's to apply (each
    service's own wins, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns them all off); revoke
    only refuses one that is not a URL, as one line naming the variable, before any call."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return
    for name in sorted(os.environ):
        if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
            value = os.environ[name]
            if value:
                try:
                    check_endpoint_url(value)
                except BadInput as err:
                    err.message = err.message.replace("--endpoint-url", name, 1)
                    raise


def _remember_environment_secrets() -> None:
    """The secrets the environment gives this process, so no message echoes them."""
    from revoke.core import scrub

    scrub.remember(
        *(
            os.environ.get(name)
            for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
        )
    )
