import pytest
import torch

from genai import device, models


def test_env_override(monkeypatch):
    monkeypatch.setenv("GENAI_DEVICE", "cpu")
    assert device.pick_device().type == "cpu"
    if not torch.cuda.is_available():
        monkeypatch.setenv("GENAI_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            device.pick_device()


def test_same_seed_same_samples():
    device.seed_everything(0)
    model = models.build("gan", preset="tiny")
    a = model.sample(8, generator=torch.Generator().manual_seed(3))
    b = model.sample(8, generator=torch.Generator().manual_seed(3))
    c = model.sample(8, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_threads_leave_server_a_core(monkeypatch):
    monkeypatch.delenv("GENAI_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    before = torch.get_num_threads()
    try:
        assert device.configure_threads(beside_server=True) == 3
        assert device.configure_threads(beside_server=False) == 4
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_train_step_with_autocast(digits):
    dev = torch.device("cuda")
    model = models.build("gan", preset="tiny").to(dev)
    opts = model.configure_optimizers()
    batch = model.make_batch(digits, 16, torch.Generator().manual_seed(0))
    with device.autocast(dev):
        m = model.train_step(batch, opts)
    assert all(torch.isfinite(torch.tensor(v)) for v in m.values())
    assert model.sample(4).device.type == "cpu"
