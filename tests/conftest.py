import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "library_samples"


@pytest.fixture
def wam_home(tmp_path, monkeypatch):
    home = tmp_path / "wamhome"
    monkeypatch.setenv("WAM_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
