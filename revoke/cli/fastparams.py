"""Fast start: coerce plain CLI values without pydantic.

Since typer 0.2x every option value goes through a pydantic TypeAdapter, so the first
command that parses a value imports pydantic (~50 ms, a third of `revoke user alice
--before now --offline`; measured with `python -X importtime`, see benchmarks/README.md).
In an incident every second of an open session matters, and start-up is paid on every
command.

`install()` puts a plain-Python coercion in front of typer's for the annotations our
commands use with no extra validation: `str`, `bool`, `int` and `float` (with `min`/`max`,
not `clamp`), `pathlib.Path` and lists of those. Error texts are pydantic's, so a bad value
reads the same either way. Anything else (enums, datetimes, files, custom parsers, path
checks) goes to typer's own coercion untouched. If typer's internals are not the ones this
was written against, `install()` does nothing and typer works as shipped, only slower.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_origin

_Convert = Callable[[Any], Any]


def _as_str(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _bound(value: Any) -> Any:
    """A limit as pydantic prints it: 1.0 as 1."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _number(kind: type, minimum: Any, maximum: Any) -> _Convert:
    unparsable = {
        int: "Input should be a valid integer, unable to parse string as an integer",
        float: "Input should be a valid number, unable to parse string as a number",
    }[kind]

    def convert(value: Any) -> Any:
        if isinstance(value, kind) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = kind(_as_str(value).strip())
            except ValueError:
                raise ValueError(unparsable) from None
        if minimum is not None and number < minimum:
            raise ValueError(f"Input should be greater than or equal to {_bound(minimum)}")
        if maximum is not None and number > maximum:
            raise ValueError(f"Input should be less than or equal to {_bound(maximum)}")
        return number

    return convert


_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off", ""}  # typer reads an empty value as False


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = _as_str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def _leaf(annotation: Any, info: Any) -> _Convert | None:
    if getattr(info, "parser", None) is not None:
        return None
    if annotation is str:
        return _as_str
    if annotation is bool:
        return _as_bool
    if annotation in (int, float):
        if getattr(info, "clamp", False):
            return None
        return _number(annotation, info.min, info.max)
    if annotation is Path:
        path_options = (
            info.exists,
            info.writable,
            info.resolve_path,
            info.allow_dash,
            info.path_type is not None,
            not info.file_okay,
            not info.dir_okay,
        )
        if any(path_options):
            return None
        return _path(info)
    return None


def _path(info: Any) -> _Convert:
    from typer._param_types import coerce_cli_path

    def convert(value: Any) -> Any:
        # Handed a Path, typer's own check runs without building a pydantic adapter.
        given = value if isinstance(value, Path) else Path(_as_str(value))
        return coerce_cli_path(given, info, path_type=Path)

    return convert


def converter(annotation: Any, info: Any) -> _Convert | None:
    """The plain conversion for `annotation`, or None when typer's own must run."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation) or (None,)
        convert = _leaf(item, info)
        if convert is None:
            return None

        def each(value: Any) -> list[Any]:
            values = value if isinstance(value, (list, tuple)) else [value]
            return [convert(v) for v in values]

        return each
    return _leaf(annotation, info)


def install() -> bool:
    """Route plain parameters past pydantic; True when installed."""
    try:
        from dataclasses import dataclass

        import typer.core as core
        from typer._click.exceptions import BadParameter
        from typer._coercion import RuntimeParam
    except ImportError:
        return False
    original = getattr(core, "build_runtime_param", None)
    if original is None or getattr(original, "revoke_fast", False):
        return original is not None

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):  # type: ignore[misc]
        convert: _Convert = _as_str

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return self.convert(value)
            except ValueError as err:
                raise BadParameter(str(err), ctx=ctx, param=param) from None

    def build_runtime_param(descriptor: Any) -> Any:
        if descriptor.file_annotation is None:
            convert = converter(descriptor.annotation, descriptor.parameter_info)
            if convert is not None:
                return PlainRuntimeParam(
                    parameter_info=descriptor.parameter_info,
                    annotation=descriptor.annotation,
                    convert=convert,
                )
        return original(descriptor)

    build_runtime_param.revoke_fast = True  # type: ignore[attr-defined]
    core.build_runtime_param = build_runtime_param
    return True
