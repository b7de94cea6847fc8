"""Which vision model a ``wam index`` run uses (``vision_for_run``), and image vectors for
shots stored already: after ``wam index --vision MODEL`` on an indexed library, a switch to
another model, or an interrupted run, the shots (of every indexed library: the vision model is
the index's) without a vector from the index's vision model get their keyframes decoded again
in worker processes (no cut detection or features: ``analyse.shot_keyframes``), embedded by
the model in this process and stored one clip per transaction, so an interrupted run resumes
where it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from wam.core.errors import MediaError, ModelError, one_line
from wam.library.imagestore import ClipShots
from wam.text.embed.vision import VisionInfo, vision_info, vision_name


def vision_for_run(name: str | None, current: VisionInfo | None) -> VisionInfo | None:
    """The vision model this run uses: ``name`` (found, downloaded once, identified), else the
    index's own (identified again: changed weights are embedded again), else none."""
    if name is None and current is None:
        return None
    if name is None:
        try:
            return vision_info(current.name, current)
        except ModelError as exc:
            raise ModelError(f"{exc}; or index without the index's vision model: --no-vision") from None
    return vision_info(name, current if current is not None and current.name == vision_name(name) else None)


def keyframes_in_worker(path: str, ranges: list[tuple[int, int]], decode_threads: int | None = None):
    """Worker entry point: each shot's JPEG keyframes, or the reason the file cannot give them."""
    from wam.library.analyse import shot_keyframes

    try:
        return shot_keyframes(path, ranges, decode_threads=decode_threads)
    except MediaError as exc:
        return str(exc)
    except Exception as exc:  # a decoder bug must not stop the run
        return f"unexpected {type(exc).__name__}: {one_line(exc)}"


def embed_stored_shots(store, model: Callable[[], object], *, workers: int, progress: bool = False,
                       warn: Callable[[str], None] = lambda m: None) -> int:
    """Give every stored shot lacking one an image vector from the index's vision model
    (``model()`` loads it, only if there is work); how many shots got one."""
    from tqdm import tqdm

    from wam.library.pool import run_pool

    info = store.vision
    if info is None:
        return 0
    todo = store.shots_without_image(info.identity)
    missing = [c for c in todo if not os.path.isfile(c.path)]
    if missing:
        warn(f"{len(missing)} indexed clip(s) are gone (e.g. {missing[0].path}); their shots get no image "
             "vectors until `wam index` sees their folder again")
    todo = [c for c in todo if os.path.isfile(c.path)]
    done = 0
    bar = tqdm(total=sum(len(c.pks) for c in todo), unit="shot", desc="embedding pictures",
               disable=not progress, leave=False, dynamic_ncols=True)

    def finish(clip: ClipShots, result) -> None:
        nonlocal done
        if isinstance(result, str):
            warn(f"{clip.path}: no image vectors ({result})")
        else:
            store.save_image_vectors(info.identity, list(clip.pks), model().image_vectors(result))
            done += len(clip.pks)
        bar.update(len(clip.pks))

    try:
        if workers == 1 or len(todo) <= 1:
            for clip in todo:
                finish(clip, keyframes_in_worker(clip.path, list(clip.ranges)))
        else:
            run_pool(todo, lambda c: (keyframes_in_worker, (c.path, list(c.ranges), 1)), finish, workers,
                     order=lambda c: c.path, crashed="the decoder crashed on this file")
    finally:
        bar.close()
    return done
