"""A CLIP-family vision-language model (``wam index DIR --vision MODEL``): its image tower
embeds each shot's keyframes (indexing), its text tower embeds sentences into the same space
(search and planning), so a sentence can be matched to what a shot shows even when no word
describes it. CLIP (``model_type`` clip) and SigLIP (siglip) folders in transformers' format,
loaded with transformers' AutoModel / AutoProcessor; SigLIP's SentencePiece tokenizer needs
the ``wam[vision]`` extra.

``vision_info`` names and identifies a model without loading it (``wam.text.embed.hub``);
``load_vision`` loads it once per process. torch, transformers and PIL are imported there only.
"""

from __future__ import annotations

import importlib.util
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from wam.core.errors import ModelError, ModelMismatchError, one_line
from wam.text.embed.hub import model_digest, model_folder, read_config

#: ``config.json`` model types --vision accepts.
FAMILIES = ("clip", "siglip")
#: Texts and images per forward pass.
TEXT_BATCH, IMAGE_BATCH = 64, 32
EXTRA = "pip install 'wam[vision]'"


@dataclass(frozen=True)
class VisionInfo:
    """Which vision model the index's image vectors come from: ``name`` as the user gave it (a
    hub id, or a folder made absolute), its ``family``, and ``identity``: the family and a hash
    of the files that decide its vectors, the key of the stored image vectors and of the cached
    sentence vectors (``memo`` spares hashing the weights again while they are unchanged)."""

    name: str
    family: str
    identity: str
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> VisionInfo:
        d = json.loads(text)
        return cls(name=d["name"], family=d["family"], identity=d["identity"], memo=d.get("memo") or {})


def vision_name(name: str) -> str:
    """The name recorded for model ``name``: an existing folder made absolute, else as given."""
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


def vision_info(name: str, known: VisionInfo | None = None) -> VisionInfo:
    """Find (downloading it once if needed), check and identify vision model ``name`` without
    loading it; ``known``: what the index recorded, whose memo spares re-hashing unchanged files."""
    return _identify(name, known)[0]


def _identify(name: str, known: VisionInfo | None) -> tuple[VisionInfo, Path]:
    folder = model_folder(name)
    family = read_config(folder, name).get("model_type")
    if family not in FAMILIES:
        raise ModelError(f"vision model {name}: a {family or 'unknown'} model; --vision takes CLIP or SigLIP "
                         f"models (config.json model_type {' or '.join(FAMILIES)})")
    digest, memo = model_digest(folder, known.memo if known is not None else None)
    info = VisionInfo(name=vision_name(name), family=family, identity=f"{family}:{digest[:20]}", memo=memo)
    return info, folder


class VisionModel:
    """The model on the CPU: ``image_vectors`` per shot, ``text_encoder`` for sentences."""

    def __init__(self, info: VisionInfo, folder: Path):
        if (folder / "spiece.model").exists() and not (folder / "tokenizer.json").exists() and \
                importlib.util.find_spec("sentencepiece") is None:
            raise ModelError(f"vision model {info.name}: its SentencePiece "
                             f"tokenizer needs sentencepiece: {EXTRA}")
        try:
            import torch
            from transformers import AutoModel, AutoProcessor
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise ModelError(f"vision models need transformers ({one_line(exc, 80)}): {EXTRA}") from None
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            self._model = AutoModel.from_pretrained(str(folder)).eval()
            self._processor = AutoProcessor.from_pretrained(str(folder))
        except ImportError as exc:
            raise ModelError(f"vision model {info.name}: {one_line(exc, 120)}; {EXTRA}") from None
        except Exception as exc:
            raise ModelError(f"cannot load vision model {info.name} ({one_line(exc, 140)})") from None
        self.info = info
        self._torch = torch
        text = getattr(self._model.config, "text_config", None)
        limit = int(getattr(text, "max_position_embeddings", 0) or 77)
        self._max_length = min(limit,
                               int(getattr(self._processor.tokenizer, "model_max_length", limit) or limit))
        self.dim = int(self.text_vectors([""]).shape[1])

    def _features(self, out):
        """transformers ≥ 5 returns the projected features as ``pooler_output``, older ones a tensor."""
        return out if isinstance(out, self._torch.Tensor) else out.pooler_output

    def text_vectors(self, texts: list[str]) -> np.ndarray:
        """(texts, dim) float32 unit vectors of ``texts`` from the text tower."""
        torch = self._torch
        # SigLIP was trained on texts padded to the full length (it pools the last position)
        siglip = self.info.family == "siglip"
        rows = []
        with torch.inference_mode():
            for i in range(0, len(texts), TEXT_BATCH):
                tok = self._processor.tokenizer(texts[i : i + TEXT_BATCH],
                                                padding="max_length" if siglip else True, truncation=True,
                                                max_length=self._max_length, return_tensors="pt")
                inputs = {"input_ids": tok["input_ids"]}
                if not siglip and "attention_mask" in tok:
                    inputs["attention_mask"] = tok["attention_mask"]
                rows.append(self._features(self._model.get_text_features(**inputs)).float())
            vecs = torch.nn.functional.normalize(torch.cat(rows), dim=-1)
        return np.ascontiguousarray(vecs.numpy(), dtype=np.float32)

    def text_encoder(self) -> VisionTextEncoder:
        return VisionTextEncoder(self)

    def image_vectors(self, keyframes: list[tuple[bytes, ...]]) -> np.ndarray:
        """(shots, dim) float32: per shot the mean of its JPEG keyframes' unit embeddings, made
        unit length again; a zero row for a shot without a decodable keyframe."""
        from PIL import Image

        torch = self._torch
        images, owner = [], []
        for k, frames in enumerate(keyframes):
            for jpeg in frames:
                try:
                    images.append(Image.open(io.BytesIO(jpeg)).convert("RGB"))
                    owner.append(k)
                except OSError:
                    continue
        out = np.zeros((len(keyframes), self.dim), np.float32)
        if not images:
            return out
        rows = []
        with torch.inference_mode():
            for i in range(0, len(images), IMAGE_BATCH):
                pixels = self._processor.image_processor(images[i : i + IMAGE_BATCH], return_tensors="pt")
                feats = self._features(self._model.get_image_features(pixel_values=pixels["pixel_values"]))
                rows.append(torch.nn.functional.normalize(feats.float(), dim=-1))
        vecs = torch.cat(rows).numpy()
        owners = np.asarray(owner)
        for k in range(len(keyframes)):
            mine = vecs[owners == k]
            if len(mine):
                mean = mine.mean(axis=0)
                out[k] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return out


class VisionTextEncoder:
    """The text tower as an ``Encoder``; ``name`` is the model's identity, so cached sentence
    vectors are keyed by the exact weights."""

    def __init__(self, model: VisionModel):
        self._model = model
        self.name = model.info.identity
        self.dim = model.dim

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._model.text_vectors(list(texts))


_CACHE: dict[str, VisionModel] = {}


def load_vision(info: VisionInfo) -> VisionModel:
    """The model ``info`` names, loaded once per process. ModelMismatchError when its files no
    longer hash to ``info.identity`` (the index's image vectors came from other weights)."""
    now, folder = _identify(info.name, info)  # cheap while the files keep their size and time
    if now.identity != info.identity:
        raise ModelMismatchError(f"vision model {info.name} changed since the index was made; run "
                                 f"`wam index DIR --vision {info.name}` to embed the shots again")
    if info.identity not in _CACHE:
        _CACHE[info.identity] = VisionModel(info, folder)
    return _CACHE[info.identity]
