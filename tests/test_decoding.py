"""Continuations drawn in decoding processes (genai/decoding.py): the same text and logits as in
the server's own thread, a stopped stream leaves its process ready, a dead process is replaced."""
import os
import signal
from pathlib import Path

import pytest
import torch

from genai import data, decoding, models
from genai.locales import in_language
from genai.trainer import TrainSpec, train

TEXT = "ROMEO: But soft, what light through yonder window breaks? It is the east.\n" * 30


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    out = tmp_path_factory.mktemp("decoding") / "gpt_tiny"
    train(TrainSpec(family="gpt", preset="tiny", dataset="x", steps=30, batch_size=8, eval_every=1000,
                    sample_every=1000, out=str(out)), lambda e: None, data=data.split_text(TEXT, "x"))
    return str(out) + ".safetensors"


@pytest.fixture(scope="module")
def model(ckpt):
    return models.from_checkpoint(ckpt)[0]


@pytest.fixture(scope="module")
def decoders():
    d = decoding.Decoders(1)
    yield d
    d.close()


def test_a_decoding_process_draws_what_the_server_would(ckpt, model, decoders):
    kw = dict(prompt="ROMEO:", max_new_tokens=80, temperature=0.8, top_k=None, top_p=0.9, seed=3)
    here, there = [], []
    text = "".join(model.stream(**kw, record=here))
    assert "".join(decoders.stream(ckpt, record=there, **kw)) == text
    assert [i for _, i in there] == [i for _, i in here] and len(there) == 80
    assert torch.allclose(torch.stack([r for r, _ in there]), torch.stack([r for r, _ in here]))
    kw = dict(prompt="ROMEO:", max_new_tokens=30, top_k=5, seed=7)
    assert decoders.generate(ckpt, (0.5, 1.5), **kw) == [model.generate(**kw, temperature=t) for t in (0.5, 1.5)]


def test_a_stopped_stream_leaves_the_process_ready_for_the_next(ckpt, model, decoders, monkeypatch):
    ends = []

    def stop(conn, timeout=30.0):  # the process's last message after the stop
        ends.append(real(conn, timeout))
        return ends[-1]

    real = decoding.Decoders._stop
    monkeypatch.setattr(decoding.Decoders, "_stop", staticmethod(stop))
    worker = decoders._idle.queue[0]
    pieces = decoders.stream(ckpt, prompt="A", max_new_tokens=2000, temperature=1.0, seed=1)
    assert len(next(pieces)) >= 1  # the first character comes at once
    pid = worker.proc.pid
    pieces.close()  # Stop, or a closed tab
    assert ends[0][0] == "done" and len(ends[0][3]) < 2000  # it stopped drawing, short of the 2,000 asked
    kw = dict(prompt="ROMEO:", max_new_tokens=40, temperature=0.8, seed=4)
    assert "".join(decoders.stream(ckpt, **kw)) == model.generate(**kw)  # its own answer, not the rest
    got = ""
    for piece in decoders.stream(ckpt, **dict(kw, max_new_tokens=3)):
        got += piece
        if len(got) == 3:
            break  # closed at its last piece, after the whole answer was read
    assert got == model.generate(**dict(kw, max_new_tokens=3))
    assert "".join(decoders.stream(ckpt, **kw)) == model.generate(**kw)
    assert worker.proc.pid == pid  # the same process all along: stopping it did not need a new one


def test_a_process_that_died_is_started_again(ckpt, model, decoders):
    worker = decoders._idle.queue[0]
    worker.ready()
    os.kill(worker.proc.pid, signal.SIGKILL)  # killed between two requests
    worker.proc.join(10)
    kw = dict(prompt="ROMEO:", max_new_tokens=40, temperature=0.8, seed=5)
    assert "".join(decoders.stream(ckpt, **kw)) == model.generate(**kw)
    pieces = decoders.stream(ckpt, prompt="A", max_new_tokens=2000, temperature=1.0, seed=1)
    next(pieces)
    os.kill(worker.proc.pid, signal.SIGKILL)  # and killed while it draws
    try:
        list(pieces)  # what it had sent before it died, or a message that it ended
    except RuntimeError as e:
        assert "ended unexpectedly; press the button again" in str(e)
    assert "".join(decoders.stream(ckpt, **kw)) == model.generate(**kw)


def test_a_models_error_reaches_the_server_in_words(ckpt, decoders, tmp_path):
    from safetensors.torch import load_file, save_file

    nan = tmp_path / "gpt_nan.safetensors"  # a run at too high a learning rate leaves weights NaN
    save_file({k: v.fill_(float("nan")) if v.is_floating_point() else v for k, v in load_file(ckpt).items()},
              nan, metadata={"format": "pt"})
    nan.with_suffix(".json").write_text(Path(ckpt).with_suffix(".json").read_text())
    with pytest.raises(ValueError) as e:
        list(decoders.stream(str(nan), prompt="A", max_new_tokens=10, temperature=1.0, seed=1))
    assert "weights diverged" in in_language(e.value) and "权重" in in_language(e.value, "zh-CN")


def test_the_setting_picks_where_continuations_are_drawn(monkeypatch):
    monkeypatch.delenv("GENAI_DECODE_IN", raising=False)
    assert decoding.in_process("cpu") and not decoding.in_process("cuda")
    monkeypatch.setenv("GENAI_DECODE_IN", "thread")
    assert not decoding.in_process("cpu")
    monkeypatch.setenv("GENAI_DECODE_IN", "gpu")
    with pytest.raises(ValueError, match="GENAI_DECODE_IN"):
        decoding.in_process("cpu")
