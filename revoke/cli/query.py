"""`--query`: a JMESPath expression over the JSON result, printed as `aws --query` prints.

The expression is applied to the very object `--output json` prints, with the `jmespath`
library botocore already depends on (imported only when --query is given). Its result
is printed in the output format: JSON (the default with --query), text as the AWS CLI
prints it (awscli/text.py: tab-separated values, one line per object of a list, scalar keys
in sorted order, nested values on their own lines prefixed by their key in capitals), or
a table as the AWS CLI draws it (awscli/table.py: a nested object is a sub-table titled by
its key, a list of scalars a one-column table), within the terminal's width.
https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-filter.html

The table format is ported in revoke.cli.query_table (format_table, re-exported here); the
text format, short, stays below.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, TextIO

# Re-exported: `from revoke.cli.query import format_table` is how callers and tests reach it.
from revoke.cli.query_table import format_table as format_table
from revoke.errors import BadInput

QUERY_URL = "https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-filter.html"


@lru_cache(maxsize=8)
def compile_query(expression: str) -> Any:
    """The compiled expression, or exit 2 saying where it does not parse."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(expression)
    except JMESPathError as err:
        said = " ".join(str(err).split())
        raise BadInput(
            f"--query {expression!r} is not a JMESPath expression: {said}",
            hint=f"for example --query 'targets[].name' ({QUERY_URL})",
        ) from None


def search(expression: str, payload: Any) -> Any:
    """The expression's result over the JSON form of `payload` (as `--output json` has it)."""
    from jmespath.exceptions import JMESPathError

    document = json.loads(json.dumps(payload, default=str))  # dates etc. as JSON has them
    try:
        return compile_query(expression).search(document)
    except JMESPathError as err:  # a type error only the data shows (sort_by on a string)
        raise BadInput(f"--query {expression!r}: {' '.join(str(err).split())}") from None


def print_query(output: str, expression: str, payload: Any, stream: TextIO) -> None:
    """The result of `expression` over `payload`, in `output` (json, text or table); a
    table is titled with the expression, as awscli titles one with the operation."""
    result = search(expression, payload)
    if output == "text":
        format_text(result, stream)
    elif output == "table":
        format_table(result, stream, expression, _table_width(stream))
    else:
        stream.write(json.dumps(result, indent=2, default=str) + "\n")
    stream.flush()


def _table_width(stream: TextIO) -> int:
    """The terminal's width, 80 when it is not one: what revoke's other tables fit."""
    from rich.console import Console

    return Console(file=stream).width


# The AWS CLI's text format (awscli/text.py, Apache-2.0), kept to its output byte for byte.


def format_text(item: Any, stream: TextIO, identifier: str | None = None) -> None:
    _format_text(item, stream, identifier)


def _format_text(
    item: Any, stream: TextIO, identifier: str | None, scalar_keys: list[str] | None = None
) -> None:
    if isinstance(item, dict):
        _format_dict(scalar_keys, item, identifier, stream)
    elif isinstance(item, list):
        _format_list(item, identifier, stream)
    else:
        stream.write(str(item))
        stream.write("\n")


def _format_list(item: list[Any], identifier: str | None, stream: TextIO) -> None:
    if not item:
        return
    if any(isinstance(el, dict) for el in item):
        all_keys = _all_scalar_keys(item)
        for element in item:
            _format_text(element, stream, identifier, scalar_keys=all_keys)
    elif any(isinstance(el, list) for el in item):
        scalars = [el for el in item if not isinstance(el, list | dict)]
        if scalars:
            _format_scalar_list(scalars, identifier, stream)
        for non_scalar in (el for el in item if isinstance(el, list | dict)):
            _format_text(non_scalar, stream, identifier)
    else:
        _format_scalar_list(item, identifier, stream)


def _format_scalar_list(elements: list[Any], identifier: str | None, stream: TextIO) -> None:
    if identifier is not None:
        for element in elements:
            stream.write(f"{identifier.upper()}\t{element}\n")
    else:
        stream.write("\t".join(str(element) for element in elements))
        stream.write("\n")


def _format_dict(
    scalar_keys: list[str] | None, item: dict[str, Any], identifier: str | None, stream: TextIO
) -> None:
    scalars: list[str] = []
    non_scalars: list[tuple[str, Any]] = []
    if scalar_keys is None:
        for key, value in sorted(item.items()):
            if isinstance(value, dict | list):
                non_scalars.append((key, value))
            else:
                scalars.append(str(value))
    else:
        scalars = [str(item.get(key, "")) for key in scalar_keys]
        non_scalars = [(key, item[key]) for key in sorted(set(item) - set(scalar_keys))]
    if scalars:
        if identifier is not None:
            scalars.insert(0, identifier.upper())
        stream.write("\t".join(scalars))
        stream.write("\n")
    for new_identifier, non_scalar in non_scalars:
        _format_text(non_scalar, stream, new_identifier)


def _all_scalar_keys(list_of_dicts: list[Any]) -> list[str]:
    keys = {
        key
        for item in list_of_dicts
        if isinstance(item, dict)
        for key, value in item.items()
        if not isinstance(value, dict | list)
    }
    return sorted(keys)
