"""Hugging Face Spaces hardware: the precision chosen for a GPU, and ZeroGPU's decorated path
with a stand-in for the ``spaces`` package."""
import contextlib
import importlib
import sys
import types

import pytest
import torch

from genai import device, models, zerogpu
from genai.checkpoints import SHIPPED_DIR


def fake_gpu(monkeypatch, capability):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda d=None: capability)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "a test GPU")
    # what torch says on a T4: True, because emulation counts by default
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)


def test_a_gpu_without_native_bf16_trains_in_fp32(monkeypatch):
    fake_gpu(monkeypatch, (7, 5))  # T4
    cuda = torch.device("cuda")
    assert not device.native_bf16(cuda)
    assert isinstance(device.autocast(cuda), contextlib.nullcontext)
    assert device.describe(cuda).endswith("(fp32)")


@pytest.mark.filterwarnings("ignore:CUDA is not available")  # the autocast is only built here, not entered
def test_an_ampere_gpu_trains_in_bf16(monkeypatch):
    fake_gpu(monkeypatch, (8, 6))  # A10G
    cuda = torch.device("cuda")
    assert device.native_bf16(cuda) and "bf16" in device.describe(cuda)
    assert isinstance(device.autocast(cuda), torch.autocast)
    assert not device.native_bf16(torch.device("cpu"))


def fake_spaces(monkeypatch):
    """A stand-in for the ``spaces`` package: its GPU decorator records what it wrapped and each call."""
    calls = {"wrapped": [], "called": []}

    def GPU(fn=None, *, duration=60, size=None):
        def wrap(f):
            calls["wrapped"].append((f.__name__, duration))

            def inner(*a, **kw):
                calls["called"].append(f.__name__)
                return f(*a, **kw)
            return inner
        return wrap(fn) if callable(fn) else wrap

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=GPU))
    return calls


def test_without_zerogpu_the_decorator_changes_nothing(monkeypatch):
    calls = fake_spaces(monkeypatch)
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)

    def f():
        return 1
    assert zerogpu.gpu(duration=30)(f) is f and calls["wrapped"] == []


def test_on_zerogpu_training_stays_on_the_cpu(monkeypatch):
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    monkeypatch.delenv("GENAI_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # as the spaces package patches it
    assert device.pick_device().type == "cpu"


def test_hub_continuations_run_inside_spaces_gpu(monkeypatch):
    calls = fake_spaces(monkeypatch)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    import genai.ui.text_tab as text_tab

    try:
        importlib.reload(text_tab)  # decorated at import, as ZeroGPU requires
        assert ("stream_pieces_on_gpu", 120) in calls["wrapped"]
        model, _ = models.from_checkpoint(SHIPPED_DIR / "gpt_char_shakespeare.safetensors")
        text = "".join(text_tab.stream_pieces_on_gpu(model, prompt="ROMEO:", max_new_tokens=20, seed=0))
        assert calls["called"] == ["stream_pieces_on_gpu"] and len(text) == 20
        assert next(model.parameters()).device.type == "cpu"  # no GPU here: the call's device is the CPU
    finally:
        monkeypatch.delenv("SPACES_ZERO_GPU")
        importlib.reload(text_tab)
