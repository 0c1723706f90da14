"""The argv pre-pass: global options given after the command move in front of it.

Split out of revoke.cli.app (whose RevokeGroup runs `hoist_global_options` before click
parses, and which re-exports it): the AWS CLI takes its global options anywhere on the
line, click only before the command. Pure list work on click's parameter objects; imports
nothing, so the start-up of every command is unchanged.
"""

from __future__ import annotations

from typing import Any


def _options(command: Any) -> dict[str, bool]:
    """Each option name of a click command -> whether it takes a value."""
    found: dict[str, bool] = {}
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") != "option" or param.is_eager:
            continue
        takes_value = not (param.is_flag or param.count)
        for name in (*param.opts, *param.secondary_opts):
            found[name] = takes_value
    return found


def _option_name(token: str, known: dict[str, bool]) -> str | None:
    """The option `token` names (`--profile`, `--profile=x`, `-ojson`), if one of `known`."""
    if not token.startswith("-") or token == "-":
        return None
    if token.startswith("--"):
        name = token.split("=", 1)[0]
        return name if name in known else None
    if token in known:
        return token
    return token[:2] if len(token) > 2 and known.get(token[:2]) else None


def _attached(token: str, name: str) -> bool:
    """Whether the option's value is in the token itself (`--output=json`, `-ojson`)."""
    return token != name


def hoist_global_options(group: Any, ctx: Any, args: list[str]) -> list[str]:
    """`revoke user alice --before now --profile x` as `revoke --profile x user alice ...`.

    The AWS CLI takes its global options anywhere on the line; click takes a group's
    options only before its command. So the global options found after the command (with
    their values, whatever those look like: `--query -x` keeps `-x`) move in front of it, in
    their order. Left alone: everything after `--`, the command's own options of the same
    name (`revoke token inspect --profile P` is the profile to inspect) and the values of
    the command's options (`--from-file --debug` reads a file named --debug).
    """
    known = _options(group)
    start = 0
    while start < len(args):  # the options before the command, and their values
        token = args[start]
        if token == "--" or not token.startswith("-"):
            break
        name = _option_name(token, known)
        start += 2 if name and known[name] and not _attached(token, name) else 1
    if start >= len(args) or args[start] == "--":
        return args
    command, depth = group, start
    while depth < len(args) and hasattr(command, "get_command"):  # to the leaf command
        found = command.get_command(ctx, args[depth])
        if found is None:
            break
        command, depth = found, depth + 1
    if command is group:
        return args  # an unknown command: click says so
    own = _options(command)
    moved: list[str] = []
    kept = args[start:depth]
    index = depth
    while index < len(args):
        token = args[index]
        if token == "--":
            kept.extend(args[index:])
            break
        name = _option_name(token, own)
        target = kept
        if name is None:
            name = _option_name(token, known)
            target = moved if name is not None else kept
        width = 1
        if name is not None:
            takes_value = (own if target is kept else known)[name]
            width = 2 if takes_value and not _attached(token, name) else 1
        target.extend(args[index : index + width])
        index += width
    return args[:start] + moved + kept
