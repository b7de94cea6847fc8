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
    assert COMMANDS == ["cache", "describe", "export", "index", "libraries", "plan", "render", "search",
                        "storyboard", "studio"]


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
            found = re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", section)
            assert found, f"`wam {command}`: {opt} missing"
        if isinstance(param.type, click.Choice):
            for choice in param.type.choices:
                assert choice in section, f"`wam {command}`: {param.opts[0]} {choice} missing"


def test_pace_choices_are_the_assembler_presets():
    from wam.assemble.styles import PACES
    from wam.core.config import PACE_NAMES

    assert tuple(PACES) == PACE_NAMES


def test_readme_test_command_is_what_ci_runs():
    """README's "Run the tests" line installs the extras .ci/run installs and runs its pytest command."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^## Run the tests.*?```\n(.*?)```", readme, re.M | re.S)
    assert block, "README.md has no test command"
    readme_steps = [step.strip() for step in block.group(1).strip().split("&&")]
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if re.match(r"python3 -m (pip install|pytest)", line.strip())]
    ci_steps = [re.sub(r"\s+#.*$", "", line).replace("python3 -m pip install --quiet", "pip install")
                for line in ci]
    assert readme_steps == ci_steps
    # piper: an extra, installed by CI
    assert "voice" in re.search(r"\[([\w,]+)\]", ci_steps[1]).group(1).split(",")
