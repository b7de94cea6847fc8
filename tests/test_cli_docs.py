"""The CLI documents itself: every command has an example, and README.md's command reference
names every option (and every choice) that ``--help`` shows."""

import re

import click
import pytest
from click.testing import CliRunner

from conftest import REPO
from wam.cli import cli

COMMANDS = sorted(cli.commands)


def readme_section(command: str) -> str:
    """The README section headed ``### `wam COMMAND …` `` (up to the next heading)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"^### `wam {command}\b.*?$(.*?)(?=^#)", text, re.M | re.S)
    assert m, f"README.md has no section for `wam {command}`"
    return m.group(1)


def test_every_command_is_documented():
    assert COMMANDS == ["cache", "describe", "export", "index", "libraries", "plan", "render", "search", "storyboard",
                        "studio"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_an_example(command):
    r = CliRunner().invoke(cli, [command, "--help"])
    assert r.exit_code == 0 and "Example:" in r.output
    assert f"wam {command}" in r.output.split("Example:")[1]


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_names_every_option_and_choice(command):
    section = readme_section(command)
    for param in cli.commands[command].params:
        if not isinstance(param, click.Option) or param.name == "help":
            continue
        for opt in [*param.opts, *param.secondary_opts]:
            assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", section), f"`wam {command}`: {opt} missing"
        if isinstance(param.type, click.Choice):
            for choice in param.type.choices:
                assert choice in section, f"`wam {command}`: {param.opts[0]} {choice} missing"


def test_pace_choices_are_the_assembler_presets():
    from wam.assemble.styles import PACES
    from wam.config import PACE_NAMES

    assert tuple(PACES) == PACE_NAMES
