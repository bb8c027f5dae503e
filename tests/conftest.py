import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
# runs from tests go to a temp folder, never into the repository
os.environ.setdefault("GENAI_RUNS_DIR", tempfile.mkdtemp(prefix="genai_test_runs_"))
os.environ.setdefault("GENAI_CACHE", tempfile.mkdtemp(prefix="genai_test_cache_"))
os.environ.setdefault("GENAI_THREADS", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture
def shared_data(monkeypatch):
    """../shared/data beside the project (developer machines and CI); skip where it is absent."""
    if not (SHARED / "mnist").is_dir():
        pytest.skip(f"needs ../shared/data (looked in {SHARED})")
    monkeypatch.setenv("GENAI_DATA_DIR", str(SHARED))
    return SHARED


@pytest.fixture
def digits():
    from genai import data

    return data.load_digits()
