"""Fast start (revoke.cli.fastparams): plain option values skip pydantic, and still read
exactly as typer's own coercion reads them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.core
from typer import _coercion
from typer._click.exceptions import BadParameter
from typer.models import ArgumentInfo, OptionInfo

from revoke.cli import fastparams
from tests.helpers import assert_clean_failure, run_cli


def both(annotation: Any, info: Any) -> tuple[Any, Any]:
    """typer's own runtime parameter (pydantic) and the one the CLI now builds."""
    descriptor = _coercion.resolve_type_descriptor(annotation, info)
    theirs = _coercion.build_runtime_param(descriptor)
    ours = typer.core.build_runtime_param(descriptor)
    assert type(ours) is not type(theirs), "the fast path is not installed"
    return theirs, ours


def outcome(runtime: Any, value: Any) -> Any:
    try:
        return ("value", runtime._coerce_value(value, param=None, ctx=None))
    except BadParameter as err:
        return ("error", err.message)


CASES = [
    (str, OptionInfo(), ["alice", "", " x ", b"bytes"]),
    (int, OptionInfo(min=1, max=64), [8, "8", " 12 ", "0", "65", "abc", "1.5"]),
    (int, OptionInfo(), ["-3", "5000", "x"]),
    (float, OptionInfo(), ["0.3", "1", "nan?", 0.25]),
    (float, OptionInfo(min=0.0, max=1.0), ["1.5", "-0.1", "0.5"]),
    (bool, OptionInfo(), [True, "true", "FALSE", "yes", "0", "", "maybe"]),
    (Path, OptionInfo(), ["journal.jsonl", "/tmp", Path("x")]),
    (list[str], ArgumentInfo(), [["a", "b"], ("c",), "d"]),
]


@pytest.mark.parametrize(("annotation", "info", "values"), CASES)
def test_plain_values_read_the_same_as_with_pydantic(
    annotation: Any, info: Any, values: list[Any]
) -> None:
    theirs, ours = both(annotation, info)
    for value in values:
        assert outcome(ours, value) == outcome(theirs, value), value


def test_anything_else_is_left_to_typer() -> None:
    from datetime import datetime
    from enum import Enum

    class Color(Enum):
        RED = "red"

    for annotation, info in [
        (datetime, OptionInfo()),
        (Color, OptionInfo()),
        (int, OptionInfo(min=1, max=3, clamp=True)),
        (Path, OptionInfo(exists=True)),
        (str, OptionInfo(parser=str.upper)),
    ]:
        assert fastparams.converter(annotation, info) is None, annotation


def test_install_is_idempotent() -> None:
    installed = typer.core.build_runtime_param
    assert fastparams.install() is True
    assert typer.core.build_runtime_param is installed


def test_a_bad_number_is_one_clear_line_and_exit_2() -> None:
    result = run_cli("user", "alice", "--before", "now", "--offline", "--max-workers", "0")
    assert_clean_failure(result, 2)
    assert "greater than or equal to 1" in result.stderr


def imported(*args: str) -> set[str]:
    found = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "revoke", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return {line.rsplit("|", 1)[-1].strip() for line in found.stderr.splitlines() if "|" in line}


def test_offline_rendering_imports_no_pydantic_boto3_moto_or_rich() -> None:
    modules = imported("user", "alice", "--before", "now", "--offline")
    assert "jinja2" in modules  # it did render
    heavy = {m.split(".")[0] for m in modules} & {"pydantic", "boto3", "botocore", "moto", "rich"}
    assert not heavy


def test_help_imports_neither_pydantic_nor_jinja2() -> None:
    modules = imported("--help")
    heavy = {m.split(".")[0] for m in modules} & {"pydantic", "jinja2", "boto3", "moto", "rich"}
    assert not heavy
