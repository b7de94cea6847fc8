"""The models that describe shots while ``wam index`` runs: the image tagger, the text encoder,
the concept space (ImageNet classes and visual words in the text model's space) and, when the
index has one, a CLIP-family vision model; each loaded on first use, and preloaded in a
background thread while the first clips decode. Used by ``library/indexer.py``."""

from __future__ import annotations

import gc
import logging
import os
import threading
from pathlib import Path

import numpy as np

from wam.core.config import DEFAULT_TAGGER
from wam.library.describe import ShotDescription
from wam.text.embed import load_encoder
from wam.text.embed.vision import VisionInfo, load_vision

log = logging.getLogger(__name__)


#: OpenMP's wait between torch's parallel regions, unless the user set one: its threads sleep
#: instead of spinning for milliseconds after each region. Spinning threads take the cores from the
#: decoders and from the thread with work (the index's tagging took ≈ 2.5× the wall time and CPU
#: with both cores busy elsewhere); the numbers are the same.
OMP_WAIT_POLICY = "PASSIVE"


def passive_openmp() -> None:
    """Set ``OMP_WAIT_POLICY`` for the OpenMP runtime that torch loads (read once, when torch is
    first imported: no effect later), unless the environment sets it."""
    os.environ.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)


class Describer:
    """Lazily loaded tagger + encoder + concept space + vision model (so an unchanged library
    never loads torch). Making one sets OpenMP's wait policy for them (``passive_openmp``)."""

    def __init__(self, model: str, tagger: str = DEFAULT_TAGGER, home: Path | None = None,
                 vision: VisionInfo | None = None):
        passive_openmp()
        self.model = model
        self.tagger_name = tagger
        self.home = home
        self.vision = vision
        self._vision_model = None
        self._tagger = None
        self._space = None
        self._preload = None
        self._loaded = threading.Event()  # the background load has ended
        self._stopped = threading.Event()  # load no further model in the background
        self._lock = threading.Lock()
        self._threads = None  # torch's threads for the models while workers decode (None: torch's own)
        self._default_threads = None  # torch's own thread count

    def preload(self, threads: int | None = None) -> None:
        """Load the models in a background thread while the workers decode the first clips;
        ``threads``: torch's threads for them (1 while worker processes decode: more would only
        spin against the decoders for the same cores). ``stop_preload`` ends it early. The cyclic
        garbage collector pauses while they load."""
        self._threads = threads

        def torch_threads():
            import torch  # seconds: a step of its own

            self._use_threads(torch)

        steps = [torch_threads, lambda: self.tagger, lambda: self.encoder]
        if self.vision is not None:
            steps.append(lambda: self.vision_model)

        def load():
            # torch's import and the models make objects by the hundred thousand: the cyclic
            # collector would only walk them again and again (≈ 0.2 s of CPU), freeing nothing
            collecting = gc.isenabled()
            gc.disable()
            try:
                for step in steps:
                    if self._stopped.is_set():  # an interrupted index: the models are not needed any more
                        break
                    step()
            except Exception:  # reported again, cleanly, when the models are used
                log.debug("model preload failed (the error is reported when the models are used)",
                          exc_info=True)
            finally:
                if collecting:
                    gc.enable()
                self._loaded.set()

        # Not a daemon: wam's exit waits for the load to end, as a thread still in torch when the
        # interpreter shuts down aborts the process ("terminate called without an active exception").
        self._preload = threading.Thread(target=load, name="wam-model-preload", daemon=False)
        self._preload.start()

    def stop_preload(self) -> None:
        """Load no further model in the background (the one loading finishes), so that an
        interrupted run exits without waiting for models it will not use."""
        self._stopped.set()

    def use_every_core(self) -> None:
        """Give torch back its own thread count once no worker decodes any more (the last clips'
        tagging and embedding then run on every core instead of one)."""
        self._wait()
        if self._threads:
            import torch

            self._threads = None
            if self._default_threads:
                torch.set_num_threads(self._default_threads)

    def _use_threads(self, torch) -> None:
        """Run torch in this thread with ``_threads`` threads. torch's count is the calling thread's
        (OpenMP's setting is per thread): the thread that tags must set it, not the preload's."""
        if self._default_threads is None:
            self._default_threads = torch.get_num_threads()
        if self._threads and torch.get_num_threads() != self._threads:
            torch.set_num_threads(self._threads)

    def _wait(self) -> None:
        """Wait for the background load to end: on an Event, never ``Thread.join``. Before Python
        3.13 a join cut off by Ctrl-C or SIGTERM marks the thread as ended while it still runs
        (CPython gh-90882), so the exit no longer waits for it, and torch, still loading in it,
        aborts the process."""
        if self._preload is not None and self._preload is not threading.current_thread():
            self._loaded.wait()
            if self._threads:
                import torch

                self._use_threads(torch)

    @property
    def encoder(self):
        with self._lock:
            return load_encoder(self.model)

    @property
    def tagger(self):
        with self._lock:
            if self._tagger is None:
                from wam.library.tagger import ImageTagger

                self._tagger = ImageTagger(self.tagger_name)
            return self._tagger

    @property
    def vision_model(self):
        with self._lock:
            if self._vision_model is None:
                self._vision_model = load_vision(self.vision)
            return self._vision_model

    @property
    def space(self):
        """The ImageNet classes and visual words in the text model's space (library/concepts.py)."""
        if self._space is None:
            from wam.library.concepts import load_space

            self._space = load_space(self.model, lambda texts: self.encoder.encode(texts), self.home)
        return self._space

    def images(self, keyframes: list[tuple[bytes, ...]]) -> tuple[str, np.ndarray] | None:
        """The vision model's identity and image vectors for shots with these keyframes (None: no model)."""
        if self.vision is None:
            return None
        self._wait()
        return self.vision.identity, self.vision_model.image_vectors(keyframes)

    def embed(self, descriptions: list[ShotDescription]) -> np.ndarray:
        return self.encoder.encode([d.text() for d in descriptions])

    def visual(self, concepts: list, descriptions: list[ShotDescription]) -> np.ndarray:
        """Each shot's visual vector: its class weights and visual words mixed in the text space."""
        if not descriptions:
            return np.zeros((0, self.encoder.dim), np.float32)
        return np.stack([self.space.vector(c, d.seen) for c, d in zip(concepts, descriptions)])
