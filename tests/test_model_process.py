"""`wam render STORY` embeds the story in a child process, so the render process never holds
torch and the text model (issue 13, item 17)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from media import BLUE, GREEN, write_clip
from wam.core.errors import ModelError
from wam.text.embed import ModelProcess, load_encoder

pytestmark = pytest.mark.slow


def test_model_process_encodes_like_the_model_in_process():
    texts = ["A cat sleeps on a sofa.", "Night traffic in a big city.", "ünïcödé and\nnewlines \"quoted\""]
    with ModelProcess(None, 384) as model:
        assert model.encode([]).shape == (0, 384)
        remote = model.encode(texts)
        again = model.encode(texts[:1])
    local = load_encoder(None).encode(texts)
    assert remote.dtype == np.float32 and remote.shape == (3, 384)
    assert np.allclose(remote, local, atol=1e-5) and np.allclose(again[0], local[0], atol=1e-5)


def test_model_process_reports_a_missing_model_in_one_line(tmp_path):
    with pytest.raises(ModelError, match="cannot load text model") as err:
        ModelProcess(str(tmp_path / "no-such-model"), 384).encode(["text"])
    assert "\n" not in str(err.value)


PROBE = """
import json, sys
from wam.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="wam", standalone_mode=False)
finally:
    import psutil
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
    live = [c for c in psutil.Process().children(recursive=True) if c.status() != psutil.STATUS_ZOMBIE]
    print(json.dumps({"torch": "torch" in sys.modules, "peak_mb": hwm / 1024, "children": len(live)}))
"""


def test_render_from_a_story_never_loads_the_model_in_the_render_process(tmp_path, wam_home):
    from click.testing import CliRunner

    from wam.cli import cli

    lib = tmp_path / "lib"
    write_clip(lib / "green_forest.mp4", [(GREEN, 5.0)])
    write_clip(lib / "blue_sea.mp4", [(BLUE, 5.0)])
    assert CliRunner().invoke(cli, ["index", str(lib), "-q"]).exit_code == 0
    story = tmp_path / "story.txt"
    story.write_text("A green forest at dawn. The blue sea.\n")
    env = dict(os.environ, WAM_HOME=str(wam_home), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    r = subprocess.run([sys.executable, "-c", PROBE, "render", str(story), "-o", str(tmp_path / "out.mp4"),
                        "--resolution", "320x180", "--preset", "ultrafast", "-q"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert (tmp_path / "out.mp4").exists()
    assert report["torch"] is False and report["children"] == 0
    assert report["peak_mb"] < 300  # the model alone is ≈ 450 MB
