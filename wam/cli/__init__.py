"""The ``wam`` command line: a thin click layer over the library.

Glue only: parse options, call the library, print results. Every failure is one line on
stderr (a traceback only with ``--debug``): WamError exits 1, a usage error (click's, or
wam's ``UsageError``) exits 2, Ctrl-C 130, SIGTERM 143 and SIGHUP 129 (``wam.core.signals``: the
command stops and cleans up as on Ctrl-C, whatever it was doing). Command modules import heavy
code inside their functions so that ``wam --help`` answers instantly.
"""

from __future__ import annotations

import errno
import io
import sys

import click

from wam import __version__
from wam.cli.cache_cmd import cache_command
from wam.cli.describe_cmd import describe_command
from wam.cli.export_cmd import export_command
from wam.cli.index_cmd import index_command
from wam.cli.libraries_cmd import libraries_command
from wam.cli.plan_cmd import plan_command
from wam.cli.render_cmd import render_command
from wam.cli.search_cmd import search_command
from wam.cli.storyboard_cmd import storyboard_command
from wam.cli.studio_cmd import studio_command
from wam.core.errors import one_line


class WamGroup(click.Group):
    """A click group that keeps every failure to one line on stderr: WamError becomes
    ``wam: error: …`` and exit 1 (a usage error, click's or wam's, exit 2); a full disk or a
    closed pipe on stdout, Ctrl-C and unexpected exceptions never show a traceback (but
    ``wam --debug`` does)."""

    #: Whether the process ends with the command (``main``; not so under a test's CliRunner).
    ends_process = False

    def main(self, *args, **kwargs):
        """Run wam with standard output wrapped (``_Stdout``) from the start, so that output
        that cannot be written is one line even while the options are parsed (``--version``,
        ``--help``)."""
        stdout = sys.stdout
        if stdout is not None and not isinstance(stdout, _Stdout):
            sys.stdout = _Stdout(stdout)
        try:
            return super().main(*args, **kwargs)
        except _StdoutFailed as failed:
            _silence_stdout(stdout)
            if failed.error.errno != errno.EPIPE:  # a closed pipe (e.g. `| head`): nothing to say
                click.echo("wam: error: cannot write to standard output "
                           f"({failed.error.strerror or failed.error})",
                           err=True)
            sys.exit(1)
        finally:
            if isinstance(sys.stdout, _Stdout):
                sys.stdout = stdout

    def invoke(self, ctx: click.Context):
        from wam.core.errors import UsageError, WamError
        from wam.core.signals import signals_interrupt

        # parsed already; ctx.obj is only filled in by the group's callback
        debug = bool(ctx.params.get("debug"))
        try:
            with signals_interrupt():  # SIGTERM / SIGHUP stop any command like Ctrl-C (exit 143 / 129)
                return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.UsageError as exc:
            if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):
                raise
            command = (exc.ctx.command_path if exc.ctx
                       else f"{ctx.command_path} {ctx.invoked_subcommand or ''}".strip())
            _fail(ctx, 2, f"{exc.format_message()} (see `{command} --help`)")
        except click.ClickException:
            raise
        except WamError as exc:
            if _is_own_stdout_closed(exc) and not debug:  # `-o /dev/stdout | head`: as for printed output
                _silence_stdout(sys.stdout)
                ctx.exit(1)
            _tell_command(ctx, str(exc))
            if debug:
                raise
            _fail(ctx, 2 if isinstance(exc, UsageError) else 1, str(exc))
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP during cleaning work (core.signals)
            if self.ends_process:  # its exit may wait for a model being loaded: a further Ctrl-C is ignored
                from wam.core.signals import ignore_interrupts

                ignore_interrupts()
            click.echo("wam: interrupted; finished work is saved, run the command again to resume", err=True)
            ctx.exit(getattr(exc, "exit_code", 130))
        except _StdoutFailed:
            raise  # WamGroup.main says it in one line
        except Exception as exc:
            _tell_command(ctx, f"unexpected {type(exc).__name__}: {one_line(exc)}")
            if debug:
                raise
            _fail(ctx, 1,
                  f"unexpected {type(exc).__name__}: {one_line(exc)} (a bug in wam: run `wam --debug …` "
                  "for the details, and please report it)")


class _StdoutFailed(Exception):
    """Standard output could not be written (a full disk, a closed pipe)."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


class _Stdout:
    """``sys.stdout`` while a command runs: a write that fails raises _StdoutFailed, so that it
    is told apart from the command's other OSErrors (click.echo, print and json.dump all write here)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            raw = getattr(self._stream, "buffer", None)
            if isinstance(raw, io.RawIOBase):  # unbuffered (python -u, PYTHONUNBUFFERED): the text layer
                # drops what a short write leaves (a pipe closed mid-write)
                return self._write_all(raw, text)
            return self._stream.write(text)
        except OSError as exc:
            raise _StdoutFailed(exc) from None

    def _write_all(self, raw, text: str) -> int:
        """Write ``text`` through the unbuffered ``raw`` file until every byte is out."""
        self._stream.flush()
        data = memoryview(text.encode(self._stream.encoding or "utf-8", self._stream.errors or "strict"))
        while data:
            n = raw.write(data)
            if n is None:  # a non-blocking descriptor that is full: wait until it takes more
                import select

                select.select([], [raw], [])
                continue
            data = data[n:]
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        try:
            return self._stream.flush()
        except OSError as exc:
            raise _StdoutFailed(exc) from None

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _silence_stdout(stream) -> None:
    """Point the failed stdout at /dev/null, so the interpreter's last flush has nothing to complain about."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _is_own_stdout_closed(exc: Exception) -> bool:
    """Whether ``exc`` says that this process's standard output, written by name (``-o
    /dev/stdout``), is a pipe whose reader went away: nothing more to say, as when printing fails."""
    import os

    from wam.core.errors import ClosedPipeError

    if not isinstance(exc, ClosedPipeError):
        return False
    try:
        return os.path.samestat(os.stat(exc.path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):
        return False


def _tell_command(ctx: click.Context, error: str) -> None:
    """Let the failed command report ``error`` its own way first (``render --json`` prints its
    JSON line); a failure there never hides the error itself."""
    failed = ctx.meta.pop("wam.failed", None)
    if failed is not None:
        try:
            failed(" ".join(error.split()))
        except Exception:
            pass


def _fail(ctx: click.Context, code: int, message: str):
    click.echo(f"wam: error: {' '.join(message.split())}", err=True)
    ctx.exit(code)


@click.group(cls=WamGroup, context_settings={"help_option_names": ["-h", "--help"],
                                             "max_content_width": 100})
@click.version_option(__version__, prog_name="wam")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors, and debug messages.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """wam turns a written story into an edited video cut from your own clip library.

    \b
    Example:
        wam index ./clips                    # shots + features + embeddings, incremental
        wam search "a cat on a sofa"         # check what the index finds
        wam describe clips/IMG_0042.MOV      # what wam sees in a clip
        wam libraries                        # what is indexed
        wam plan story.txt --json            # the cut list for a story
        wam render story.txt -o out.mp4      # plan + render in one go
        wam storyboard story.txt -o board.html   # look at the cut before rendering
        wam export plan.json -o cut.otio     # hand the cut to an editor (.edl .xml .fcpxml)
        wam render story.txt -o out.mp4 --watch   # re-render each time the story is saved
        wam studio story.txt                 # edit the story and its cut in the browser

    The index lives in $WAM_HOME (default: your user data folder).
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if debug:  # the library's debug log (e.g. a failed model preload) on stderr
        import logging

        log = logging.getLogger("wam")
        if not log.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("wam: debug: %(name)s: %(message)s"))
            log.addHandler(handler)
        log.setLevel(logging.DEBUG)


cli.add_command(index_command)
cli.add_command(search_command)
cli.add_command(libraries_command)
cli.add_command(plan_command)
cli.add_command(render_command)
cli.add_command(export_command)
cli.add_command(storyboard_command)
cli.add_command(cache_command)
cli.add_command(describe_command)
cli.add_command(studio_command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    cli.ends_process = True
    try:
        cli.main(args=argv, prog_name="wam")
    except SystemExit as done:
        if done.code in (None, 0) and "torch" in sys.modules:
            _exit_at_once()
        raise


def _exit_at_once() -> None:
    """End a successful run that loaded torch without the interpreter's final clean-up. With
    torch and its models in memory, tearing the interpreter down takes ≈ 0.5 s (a 20-second
    ``wam index`` spends 4 % of it there) and does nothing a user needs: the command has ended,
    its outputs are written and closed. Everything an exit runs for wam still runs first, in the
    interpreter's order: threads are joined (a model still loading finishes) with their exit
    hooks, then the ``atexit`` functions (logging, multiprocessing, temp folders), then the
    standard streams are flushed; only then does the process end."""
    import atexit
    import os
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is None:  # pragma: no cover - every CPython wam supports has it
        return
    shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: as after a normal exit, nothing more is said
            os._exit(1)
    os._exit(0)
