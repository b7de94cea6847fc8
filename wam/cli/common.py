"""Helpers shared by the command modules: quiet/progress options, warnings on stderr, JSON out."""

from __future__ import annotations

import json
import sys

import click


def quiet_option(f):
    return click.option("-q", "--quiet", is_flag=True, help="Print nothing on stderr but errors.")(f)


def progress_option(f):
    return click.option(
        "--progress/--no-progress",
        default=None,
        help="Force the progress bar on or off (default: on when stderr is a terminal).",
    )(f)


def show_progress(quiet: bool, progress: bool | None) -> bool:
    if quiet:
        return False
    if progress is not None:
        return progress
    return sys.stderr.isatty()


def warner(quiet: bool):
    """A function printing one ``wam: warning: …`` line on stderr (silent when quiet; a file name
    with a line break in it stays on the line, as in error messages)."""

    def warn(message: str) -> None:
        if not quiet:
            click.echo(f"wam: warning: {' '.join(message.split())}", err=True)

    return warn


def noter(quiet: bool):
    """A function printing one ``wam: …`` line of information on stderr (silent when quiet)."""

    def note(message: str) -> None:
        if not quiet:
            click.echo(f"wam: {' '.join(message.split())}", err=True)

    return note


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False))
