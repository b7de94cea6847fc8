"""What the index's processes import and how many threads their models use: scenedetect without
the back-ends wam does not use, moviepy's probe parser without IPython, the forkserver's preload,
torch's threads given back at the end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_python(code: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_scenedetect_comes_without_the_moviepy_and_pyav_backends_which_stay_importable():
    out = run_python(
        "import sys\n"
        "from wam.media.scenedetect_lib import UNUSED_BACKENDS, scenedetect_module\n"
        "sd = scenedetect_module()\n"
        "assert sd is sys.modules['scenedetect'] and hasattr(sd, 'AdaptiveDetector')\n"
        "assert scenedetect_module() is sd\n"
        "print('moviepy' in sys.modules, any(sys.modules.get(n) for n in UNUSED_BACKENDS))\n"
        "print(all(n not in sys.modules for n in UNUSED_BACKENDS))\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('moviepy') is not None:\n"
        "    import scenedetect.backends.moviepy  # asked for by name, it still imports\n"
        "print('ok')\n")
    assert out.split() == ["False", "False", "True", "ok"]


def test_the_forkserver_preload_imports_the_decoder_and_the_probe_once():
    out = run_python("import sys\nimport wam.library.worker_preload\n"
                     "print(all(m in sys.modules for m in ('cv2', 'scenedetect', 'wam.library.analyse',\n"
                     "                                     'moviepy.video.io.ffmpeg_reader')))")
    assert out.strip() == "True"


def test_the_probe_parser_comes_without_ipython_which_stays_importable():
    out = run_python(
        "import importlib.util, sys\n"
        "from wam.media.moviepy_lib import ffmpeg_infos_parser\n"
        "parser = ffmpeg_infos_parser()\n"
        "from moviepy.video.io.ffmpeg_reader import FFmpegInfosParser\n"
        "assert parser is FFmpegInfosParser and ffmpeg_infos_parser() is parser\n"
        "print('IPython' in sys.modules)\n"
        "if importlib.util.find_spec('IPython') is not None:\n"
        "    import IPython  # asked for by name, it still imports\n"
        "print('ok')\n")
    assert out.split() == ["False", "ok"]


def test_a_notebook_keeps_moviepys_notebook_display():
    pytest.importorskip("IPython")
    out = run_python(
        "import IPython\n"
        "from wam.media.moviepy_lib import ffmpeg_infos_parser\n"
        "ffmpeg_infos_parser()\n"
        "from moviepy.video.io import display_in_notebook\n"
        "print(display_in_notebook.ipython_available)\n")
    assert out.strip() == "True"



@pytest.mark.slow
def test_torch_gets_its_threads_back_once_no_worker_decodes(tmp_path):
    out = run_python(
        "import torch\n"
        "from wam.library.describer import Describer\n"
        "own = torch.get_num_threads()\n"
        "d = Describer('all-MiniLM-L6-v2')\n"
        "d.preload(threads=1)\n"
        "d._wait()\n"
        "during = torch.get_num_threads()\n"
        "d.use_every_core()\n"
        "print(own, during, torch.get_num_threads())\n")
    own, during, after = map(int, out.split())
    assert during == 1 and after == own


@pytest.mark.parametrize("given, kept", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_the_index_models_openmp_threads_sleep_between_regions_unless_the_user_says(given, kept):
    code = ("import os\n"
            + (f"os.environ['OMP_WAIT_POLICY'] = {given!r}\n" if given else
               "os.environ.pop('OMP_WAIT_POLICY', None)\n")
            + "from wam.library.describer import Describer\n"
            "Describer('all-MiniLM-L6-v2')\n"
            "print(os.environ['OMP_WAIT_POLICY'])\n")
    assert run_python(code).strip() == kept
