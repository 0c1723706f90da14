"""The checks of the global options the root callback (revoke.cli.app) runs before any call.

Split out of revoke.cli.app, which re-exports these names: the output format (--output,
AWS_DEFAULT_OUTPUT, the profile's `output` setting, --query), --endpoint-url and the
configured AWS_ENDPOINT_URL* as URLs, the --timeout bound, and the secrets the environment
holds (remembered for revoke.core.scrub). Each check is one line and exit 2 before anything
reaches AWS.
"""

from __future__ import annotations

import os

import typer

from revoke.cli.context import OUTPUT_FORMATS
from revoke.errors import BadInput

# What AWS_DEFAULT_OUTPUT or a profile's `output` may say that revoke has no printer for:
# json instead, and a warning.
UNSUPPORTED_OUTPUTS = ("yaml", "yaml-stream")
CONFIG_FILES_URL = "https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html"


def choose_output(
    given: str | None, *, query: str | None, isatty: bool, profile: str | None = None
) -> str:
    """The AWS CLI's order: --output, else AWS_DEFAULT_OUTPUT, else the `output` setting of
    the active profile in the config file
    (https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-output-format.html); then
    revoke's own default: json when --query is given (its result is JSON), else table for a
    person and json for a program."""
    if given is not None:
        if given not in OUTPUT_FORMATS:
            raise typer.BadParameter(
                f"{given!r} is not one of {', '.join(OUTPUT_FORMATS)}", param_hint="--output"
            )
        return given
    configured = os.environ.get("AWS_DEFAULT_OUTPUT", "").strip().lower()
    if configured:
        return _supported(
            configured,
            said=f"AWS_DEFAULT_OUTPUT={configured}",
            hint="unset it, or give --output json|table|text",
        )
    setting = profile_output(profile)
    if setting is not None:
        value, name, path = setting
        return _supported(
            value,
            said=f"output = {value} (profile {name} in {path})",
            hint=f"change it in {path}, or give --output json|table|text ({CONFIG_FILES_URL})",
        )
    if query is not None:
        return "json"
    return "table" if isatty else "json"


def _supported(value: str, *, said: str, hint: str) -> str:
    """A configured format revoke prints, json with a warning for yaml, else exit 2."""
    if value in OUTPUT_FORMATS:
        return value
    if value in UNSUPPORTED_OUTPUTS:
        typer.echo(f"revoke: warning: {said} is not supported by revoke; printing json", err=True)
        return "json"
    raise BadInput(f"{said} is not one of {', '.join(OUTPUT_FORMATS)}", hint=hint)


def profile_output(profile: str | None) -> tuple[str, str, str] | None:
    """(the `output` setting, the profile, the config file) of the active profile, or None.

    Read as botocore reads the config file (botocore/configloader.py: raw_config_parse and
    build_profile_map), without importing it on the start-up path: AWS_CONFIG_FILE, else
    ~/.aws/config, user and variables expanded; `[default]` or `[profile NAME]` (NAME as
    shlex splits it; of two sections for one profile the later wins); the profile from
    --profile, else AWS_DEFAULT_PROFILE, else AWS_PROFILE (botocore/configprovider.py),
    else default (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html).
    A file that is missing or does not parse, or a profile it does not name, is None here:
    the session reports those when it is made (revoke.aws.errors, exit 253)."""
    path = os.path.expanduser(
        os.path.expandvars(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")
    )
    if not os.path.isfile(path):
        return None
    name = (
        profile
        or os.environ.get("AWS_DEFAULT_PROFILE")
        or os.environ.get("AWS_PROFILE")
        or "default"
    )
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, UnicodeDecodeError, OSError):
        return None
    found = None
    for section in parser.sections():
        if section == "default" and name == "default":
            found = section
        elif section.startswith("profile") and _profile_section_name(section) == name:
            found = section
    if found is None:
        return None
    value = parser.get(found, "output", fallback="").strip().lower()
    return (value, name, path) if value else None


def _profile_section_name(section: str) -> str | None:
    import shlex

    try:
        parts = shlex.split(section)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


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
