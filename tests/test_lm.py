"""Fine-tuning pretrained causal LMs (genai/models/lm.py), offline: a tiny GPT-2 with a byte-level
BPE tokenizer, pretrained here for a few steps and saved as a transformers folder, stands in for a
Hub model; the char GPT checkpoint is the other kind of base. CPU only."""
import threading
import time

import pytest
import torch
from conftest import NEW
from transformers import TextIteratorStreamer

from genai import checkpoints, data, models
from genai.models import lm
from genai.trainer import TrainSpec, train

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def new_text():
    return data.split_text(NEW, "sonnet")


def fine_tune(base, text, tmp_path, steps=30, **overrides):
    events = []
    spec = TrainSpec(family="lm", preset="tiny", overrides={"base": base, **overrides}, dataset="sonnet",
                     steps=steps, batch_size=8, eval_every=steps, sample_every=steps, out=str(tmp_path / "ft"))
    ckpt = train(spec, events.append, data=text, device=CPU)
    errors = [e.data for e in events if e.kind == "error"]
    assert not errors, errors
    return ckpt, events


def test_lora_starts_as_the_base_and_trains_only_adapters(tiny_hub_folder, new_text):
    base, _ = lm.load_pretrained_hub(tiny_hub_folder)
    model = models.build("lm", preset="tiny", base=tiny_hub_folder)
    ids = model.encode("Now is the winter")[None]
    with torch.no_grad():  # B = 0 at first: the adapted model is the pretrained one exactly
        assert torch.allclose(model.logits(ids), base(input_ids=ids).logits, atol=1e-6)
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trained and all("lora_" in n for n in trained)
    n_all, n_train = (sum(p.numel() for p in ps) for ps in (model.parameters(), model.trainable()))
    assert n_train < 0.2 * n_all


def test_lora_fine_tune_lowers_held_out_loss_and_leaves_the_base_alone(tiny_hub_folder, new_text, tmp_path):
    before = models.build("lm", preset="tiny", base=tiny_hub_folder)
    before.prepare(new_text)
    loss0 = before.evaluate(new_text)["loss"]
    frozen = {n: p.detach().clone() for n, p in before.named_parameters() if not p.requires_grad}
    ckpt, events = fine_tune(tiny_hub_folder, new_text, tmp_path)
    after, meta = models.from_checkpoint(ckpt)
    assert meta["family"] == "lm" and meta["step"] == 30
    held = after.evaluate(new_text)
    assert held["loss"] < loss0 - 0.3, (loss0, held)
    # per character = per token x tokens per character of the held-out text (BPE: > 1 char per token)
    n_tok, n_chr = len(after.encode(new_text.heldout)), len(new_text.heldout)
    assert held["loss_per_char"] == pytest.approx(held["loss"] * n_tok / n_chr) and n_tok < n_chr
    for n, p in after.named_parameters():  # the frozen weights are the base's, as read from its folder
        if n in frozen:
            assert torch.equal(p, frozen[n]), n
    # the checkpoint holds the adapters and the step count only, not the base
    tensors, _ = checkpoints.load(ckpt, "lm")
    weights = checkpoints.split_optim(tensors)[0]
    assert set(weights) == {n for n, p in after.named_parameters() if p.requires_grad} | {"steps_done"}
    assert any(e.kind == "samples" and isinstance(e.data, str) and e.data for e in events)


def test_full_fine_tune_lowers_loss_and_round_trips(tiny_hub_folder, new_text, tmp_path):
    model = models.build("lm", preset="tiny", base=tiny_hub_folder, lora=False)
    model.prepare(new_text)
    loss0 = model.evaluate(new_text)["loss"]
    ckpt, _ = fine_tune(tiny_hub_folder, new_text, tmp_path, lora=False, lr=3e-3)
    again, _ = models.from_checkpoint(ckpt)
    assert again.evaluate(new_text)["loss"] < loss0 - 0.3
    assert all(p.requires_grad for p in again.parameters())
    # the weights come from the checkpoint, not the base folder
    base, _ = lm.load_pretrained_hub(tiny_hub_folder)
    ids = again.encode("Shall I compare thee")[None]
    with torch.no_grad():
        assert not torch.allclose(again.logits(ids), base(input_ids=ids).logits)
    assert again.generate("Thou art", 10, seed=3) == again.generate("Thou art", 10, seed=3)


def test_resume_goes_on_and_a_mismatched_checkpoint_is_refused(tiny_hub_folder, new_text, tmp_path):
    ckpt, _ = fine_tune(tiny_hub_folder, new_text, tmp_path, steps=4)
    events = []
    again = train(TrainSpec(family="lm", init_from=str(ckpt), dataset="sonnet", steps=3, batch_size=8,
                            eval_every=100, sample_every=100, out=str(tmp_path / "more")), events.append,
                  data=new_text, device=CPU)
    assert checkpoints.read_meta(again)["step"] == 7
    # rank 2 adapters cannot take rank 4 weights: a clear error, never a silent partial load
    tensors, meta = checkpoints.load(ckpt, "lm")
    wrong = models.build("lm", meta["config"] | {"lora_r": 2})
    with pytest.raises(checkpoints.CheckpointError):
        checkpoints.load_into(wrong, tensors, "ft")


def test_a_char_gpt_checkpoint_is_a_base_too(new_text, tmp_path, monkeypatch):
    char = tmp_path / "char"
    train(TrainSpec(family="gpt", preset="tiny", dataset="sonnet", steps=3, batch_size=8, eval_every=100,
                    sample_every=100, out=str(char)), lambda e: None, data=new_text, device=CPU)
    monkeypatch.chdir(tmp_path)
    ckpt, events = fine_tune("char.safetensors", new_text, tmp_path, steps=3)  # relative to where it ran
    monkeypatch.chdir(tmp_path.parent)
    model, meta = models.from_checkpoint(ckpt)  # the base is found from any folder
    assert meta["config"]["base"] == str(char) + ".safetensors"
    held = model.evaluate(new_text)  # one token is one character
    assert held["loss_per_char"] == pytest.approx(held["loss"])
    assert "M trained" in next(e.data for e in events if e.kind == "log")


def test_generation_limits_stop_flag_and_probabilities(tiny_hub_folder):
    model = models.build("lm", preset="tiny", base=tiny_hub_folder).eval()
    n_prompt = len(model.encode("Now is"))
    new = model.generate("Now is", 5, temperature=1.0, seed=1)
    assert 0 < len(model.encode("Now is" + new)) - n_prompt <= 6  # BPE may merge across the seam
    long = model.generate("Now is", 150, temperature=0)  # past the 64-token context: the window slides
    assert len(model.encode(long)) > model.context
    assert len(model.encode(model.generate("Now is", 10_000, temperature=0))) <= lm.MAX_NEW_TOKENS + 1  # clamped
    stop = threading.Event()
    stop.set()
    assert len(model.encode(model.generate("Now is", 40, seed=1, stop_event=stop))) <= 1
    streamer = TextIteratorStreamer(model.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=10)
    threading.Thread(target=model.generate, kwargs=dict(prompt="Now is", max_new_tokens=8, seed=2,
                                                        streamer=streamer)).start()
    assert "".join(streamer) == model.generate("Now is", 8, seed=2)
    text = "All that glitters is not gold."
    dist = model.next_token_distribution(text, top=5)
    ids = model.encode(text)
    assert len(dist) == len(ids) and dist[-1]["char"] is None
    with torch.no_grad():
        soft = torch.softmax(model.logits(ids[None])[0], -1)
    for i, row in enumerate(dist[:-1]):
        assert row["p"] == pytest.approx(float(soft[i, ids[i + 1]]), abs=1e-5)
        assert row["char"] == model.tokenizer.decode([int(ids[i + 1])])
        assert sum(p for _, p in row["top"]) <= 1 + 1e-6


def test_bad_bases_get_clear_messages(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="Say which pretrained model"):
        models.build("lm", preset="lora")
    with pytest.raises(ValueError, match="No model folder"):
        models.build("lm", preset="lora", base=str(tmp_path / "missing"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # never touches the network
    events = []
    train(TrainSpec(family="lm", preset="lora", overrides={"base": "no-such-org/no-such-model"},
                    dataset="sonnet", steps=2), events.append, data=data.split_text(NEW, "sonnet"), device=CPU)
    assert events[-1].kind == "error" and "offline" in events[-1].data


def test_hub_load_offline_says_so_quickly(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # never touches the network: the local cache only
    assert lm.hub_reachable() is False
    t = time.perf_counter()
    with pytest.raises(RuntimeError, match="offline.*shipped model still works"):
        lm.load_pretrained_hub("no-such-org/no-such-model")
    assert time.perf_counter() - t < 30


def test_a_hub_model_too_large_for_the_server_is_refused_before_download(monkeypatch):
    from types import SimpleNamespace

    import huggingface_hub

    asked = []

    def info(self, name, **kw):
        asked.append(name)
        return SimpleNamespace(safetensors=SimpleNamespace(total=7_000_000_000))

    monkeypatch.setattr(lm, "hub_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", info)
    with pytest.raises(RuntimeError, match="7.0 billion parameters, more than this server loads"):
        lm.load_pretrained_hub("some-org/a-7b-model")
    assert asked == ["some-org/a-7b-model"]
    lm.check_hub_size("some-org/a-7b-model", limit=10**10)  # under a higher limit it goes on
