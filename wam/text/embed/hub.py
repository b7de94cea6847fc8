"""Where a vision model's files are, and what identifies them: ``wam index --vision MODEL``
takes a local folder in transformers' format, or a Hugging Face hub id resolved to its
snapshot in the user's Hugging Face cache (downloaded once, where the network allows; never
again once cached). With no network the hub is given ``HUB_TIMEOUT`` seconds to answer, then
the user reads one line saying how to give a local folder instead.

The identity of a model is a hash of the files that decide its vectors (config, weights,
tokenizer and image-processor settings); it is recomputed only when one of them changes size
or modification time. huggingface_hub is imported only when a hub id must be resolved.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from wam.core.errors import ModelError, one_line

#: Seconds the hub gets to answer a request (a dropped connection must not hang wam);
#: ``$HF_HUB_ETAG_TIMEOUT``, huggingface_hub's own setting, overrides it.
HUB_TIMEOUT = 10.0
#: The small files of a model folder that transformers reads besides the weights.
SETTINGS_FILES = ("config.json", "preprocessor_config.json", "processor_config.json", "tokenizer.json",
                  "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json",
                  "merges.txt", "spiece.model")


def weight_files(names: list[str]) -> list[str]:
    """The weight files transformers loads among a model's files: model.safetensors, else its
    shards, else the PyTorch equivalents (never open_clip's or other frameworks' copies)."""
    for single, shard_prefix, index in (("model.safetensors", "model-", "model.safetensors.index.json"),
                                        ("pytorch_model.bin", "pytorch_model-",
                                         "pytorch_model.bin.index.json")):
        if single in names:
            return [single]
        if index in names:
            ext = single.rsplit(".", 1)[1]
            return [index] + sorted(n for n in names if n.startswith(shard_prefix) and n.endswith("." + ext))
    return []


def identity_files(folder: Path) -> list[Path]:
    """The files whose bytes decide the model's vectors, in a fixed order."""
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    return [folder / n for n in names if n in SETTINGS_FILES] + [folder / n for n in weight_files(names)]


def model_digest(folder: Path, memo: dict | None = None) -> tuple[str, dict]:
    """sha256 over the model's identity files, and the memo that lets the next call skip
    reading them (``{"files": {path: [size, mtime_ns]}, "digest": …}``) while none changed."""
    files = identity_files(folder)
    stats = {str(f): [f.stat().st_size, f.stat().st_mtime_ns] for f in files}
    if memo and memo.get("files") == stats and memo.get("digest"):
        return str(memo["digest"]), memo
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0")
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
    digest = h.hexdigest()
    return digest, {"files": stats, "digest": digest}


def model_folder(name: str) -> Path:
    """The local folder holding model ``name``: the folder itself, or a hub id's snapshot in the
    Hugging Face cache (downloading it if it is not there yet). ModelError in one line otherwise."""
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelError(f"vision model {name}: not a folder; give a model folder (config.json, weights "
                             "and processor files, as save_pretrained writes them) or a Hugging Face model "
                             "id")
        return path.resolve()
    if name.startswith(("/", ".", "~")) or name.count("/") > 1:
        raise ModelError(f"vision model {name}: no such folder")
    return _hub_snapshot(name)


def read_config(folder: Path, name: str) -> dict:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"vision model {name}: no readable config.json in {folder} ({one_line(exc, 100)}); "
                         "give a folder written by transformers' save_pretrained") from None


def _offline(name: str, why: str) -> ModelError:
    return ModelError(f"cannot download vision model {name!r} ({why}); download it where the network allows "
                      f"(`hf download {name} --local-dir DIR`) and give the folder: --vision DIR")


def _complete(folder: Path) -> bool:
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    return "config.json" in names and bool(weight_files(names))


def _hub_snapshot(repo_id: str) -> Path:
    """The cached snapshot of ``repo_id``, downloaded first if absent (config, processor and
    tokenizer files, and one copy of the weights)."""
    timeout = float(os.environ.get("HF_HUB_ETAG_TIMEOUT") or HUB_TIMEOUT)
    try:
        from huggingface_hub import HfApi, hf_hub_download, snapshot_download
        from huggingface_hub.errors import HFValidationError, RepositoryNotFoundError
    except ImportError as exc:  # pragma: no cover - comes with transformers
        raise ModelError(f"cannot fetch vision model {repo_id!r} ({exc}); "
                         "pip install 'wam[vision]'") from None
    try:
        cached = Path(snapshot_download(repo_id, local_files_only=True))
        if _complete(cached):
            return cached
    except HFValidationError:
        raise ModelError(f"vision model {repo_id}: no such folder, and not a Hugging Face model id") from None
    except Exception:  # not cached (or only partly): download it
        pass
    try:
        info = HfApi().model_info(repo_id, timeout=timeout)
        names = [s.rfilename for s in info.siblings or ()]
        wanted = [n for n in names if n in SETTINGS_FILES] + weight_files(names)
        if "config.json" not in wanted or not weight_files(names):
            raise ModelError(f"vision model {repo_id!r} on the Hugging Face hub has no transformers weights "
                             "(config.json and model.safetensors or pytorch_model.bin)")
        last = None
        for n in wanted:
            last = hf_hub_download(repo_id, n, revision=info.sha, etag_timeout=timeout)
    except ModelError:
        raise
    except RepositoryNotFoundError:
        raise ModelError(f"no vision model {repo_id!r} on the Hugging Face hub (or it is private or gated: "
                         "log in with `hf auth login`); check the name, or give a local folder: "
                         "--vision DIR") from None
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise _offline(repo_id, f"no answer from the Hugging Face hub: {one_line(exc, 100)}") from None
    return Path(last).parent
