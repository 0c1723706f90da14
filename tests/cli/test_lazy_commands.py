"""The root group builds a command only when it is named (revoke.cli.lazy): the table
that says which modules make which command must match what the modules register."""

from __future__ import annotations

import json
import subprocess
import sys

EAGER = """
import importlib, json, typer
from revoke.cli.app import COMMAND_MODULES, TYPER_SETTINGS
app = typer.Typer(**TYPER_SETTINGS)
app.callback()(lambda: None)
owners = {}
for module in COMMAND_MODULES:
    before = set(typer.main.get_group(app).commands)
    importlib.import_module(module).register(app)
    for name in typer.main.get_group(app).commands:
        owners.setdefault(name, []).append(module) if name not in before else None
    owners.setdefault("lift", [])
    if module == "revoke.cli.org_cmd":
        owners["lift"].append(module)  # it adds `lift org` to lift_cmd's group
group = typer.main.get_group(app)
def tree(command):
    subs = getattr(command, "commands", None)
    return {n: tree(c) for n, c in subs.items()} if subs else sorted(p.name for p in command.params)
print(json.dumps({"order": list(group.commands), "owners": owners, "tree": tree(group)}))
"""

LAZY = """
import json, typer
from revoke.cli.app import app
group = typer.main.get_command(app)
ctx = group.context_class(group)
def tree(command):
    if hasattr(command, "list_commands"):
        c = command.context_class(command)
        return {n: tree(command.get_command(c, n)) for n in command.list_commands(c)}
    return sorted(p.name for p in command.params)
print(json.dumps({"order": group.list_commands(ctx), "tree": tree(group)}))
"""


def run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_table_names_every_command_in_help_order_with_the_modules_that_make_it() -> None:
    from revoke.cli.app import COMMANDS

    eager, lazy = run(EAGER), run(LAZY)
    assert lazy["order"] == eager["order"] == list(COMMANDS)
    for name, modules in eager["owners"].items():
        assert set(modules) <= set(COMMANDS[name]), name  # built together, or it is partial
    assert lazy["tree"] == eager["tree"]  # every command, subcommand and option the same


def test_a_command_builds_only_its_own_modules() -> None:
    code = (
        "import sys\n"
        "from revoke.cli.app import COMMAND_MODULES, main\n"
        "try:\n"
        "    main(['user', 'alice', '--before', '2026-11-01T00:00:00Z', '--offline'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m in COMMAND_MODULES))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['revoke.cli.revoke_cmd']"


def test_help_lists_every_command_as_its_built_help_says_and_builds_none() -> None:
    from revoke.cli.app import COMMAND_HELP, COMMANDS

    assert list(COMMAND_HELP) == list(COMMANDS)
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from revoke.cli.app import COMMAND_MODULES, app\n"
        "listed = CliRunner().invoke(app, ['--help'], env={'COLUMNS': '100'}).output\n"
        "print(sorted(m for m in sys.modules if m in COMMAND_MODULES))\n"
        "from revoke.cli.lazy import LazyRevokeGroup\n"
        "LazyRevokeGroup.short_helps = {}\n"  # no sentences: every command built to list it
        "built = CliRunner().invoke(app, ['--help'], env={'COLUMNS': '100'}).output\n"
        "print(sorted(m for m in sys.modules if m in COMMAND_MODULES) == sorted(COMMAND_MODULES))\n"
        "print(listed == built, 'sandbox  ' in listed or 'sandbox ' in listed)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    modules, all_built, same = done.stdout.strip().splitlines()[-3:]
    assert modules == "[]"  # `revoke --help` imports no command module
    assert all_built == "True"  # (the comparison below is with every command built)
    assert same == "True True"  # and says what the built commands say


def test_each_listed_sentence_is_the_commands_own_at_every_width() -> None:
    import typer

    from revoke.cli.app import COMMAND_HELP, app
    from revoke.cli.lazy import _Listed

    group = typer.main.get_command(app)
    ctx = group.context_class(group)
    for name, text in COMMAND_HELP.items():
        command = group.get_command(ctx, name)
        for limit in range(20, 130, 7):
            assert _Listed(text).get_short_help_str(limit) == command.get_short_help_str(limit)
