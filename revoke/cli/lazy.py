"""Commands made when they are named: `revoke user alice ...` builds `user` alone.

Every start of revoke used to import all thirteen command modules and have typer turn all
of their commands into click commands (about a tenth of `revoke user alice --before now
--offline`'s start, benchmarks/bench_startup.py), to run one of them. The root group
(LazyRevokeGroup) knows each command's name and the modules that make it
(revoke.cli.app.COMMANDS); `get_command` imports those modules, lets their
`register(app)` add their commands to a Typer of their own, and has typer build that
Typer with the root's settings. `revoke --help` and shell completion list every command,
so they build every one; `revoke --help` alone lists them from their first sentences
(revoke.cli.app.COMMAND_HELP, checked against the built commands by a test) and builds none.

Built commands are kept for the process (a test session invokes the app thousands of
times; typer makes a new root group for each): each module's `register` runs once.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import Any

import typer

from revoke.cli.boundary import RevokeGroup

_built: dict[tuple[str, ...], dict[str, Any]] = {}
_building = threading.Lock()


def build(modules: tuple[str, ...], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The click commands `modules` register (by name), built once per process."""
    with _building:
        found = _built.get(modules)
        if found is None:
            unit = typer.Typer(**settings)
            for name in modules:
                importlib.import_module(name).register(unit)
            found = dict(typer.main.get_group(unit).commands)
            _built[modules] = found
        return found


class _Listed:
    """A command not built, as `revoke --help` lists it: its first sentence, shortened as
    click shortens a command's help to fit."""

    hidden = False

    def __init__(self, text: str) -> None:
        self.text = text

    def get_short_help_str(self, limit: int = 45) -> str:
        from typer._click.utils import make_default_short_help

        return make_default_short_help(self.text, limit)


class LazyRevokeGroup(RevokeGroup):
    """The root group: the error boundary (RevokeGroup), commands built when named.

    `commands_table` maps each command name, in `revoke --help` order, to the modules
    whose register(app) make it; `unit_settings` are the Typer settings of the root that
    its commands inherit from it (rich_markup_mode: plain help, as the root's)."""

    commands_table: Mapping[str, tuple[str, ...]] = {}
    unit_settings: Mapping[str, Any] = {}
    short_helps: Mapping[str, str] = {}
    _listing = False

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        self._listing = True  # the list of commands: their sentences, nothing built
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands_table, *(n for n in self.commands if n not in self.commands_table)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = self.commands.get(cmd_name)
        if found is None and self._listing and cmd_name in self.short_helps:
            return _Listed(self.short_helps[cmd_name])
        if found is None and cmd_name in self.commands_table:
            built = build(self.commands_table[cmd_name], self.unit_settings)
            for name, command in built.items():
                self.commands.setdefault(name, command)
            found = self.commands.get(cmd_name)
        return found
