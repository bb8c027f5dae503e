"""The text family (genai/models/gpt.py): the character tokenizer, that both the GPT and the LSTM
learn, generation limits and the stop flag, the probabilities view, both save formats, and a run
through the shared trainer. CPU only, tiny configs, a small built-in text."""
import json
import threading
from dataclasses import asdict

import pytest
import torch

from genai import checkpoints, data, models
from genai.locales import in_language
from genai.models import gpt, lm

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A stitch in time saves nine, said the tailor.",
    "Now is the winter of our discontent;",
    "To be, or not to be: that is the question.",
    "She sells sea shells by the sea shore!",
    "All that glitters is not gold.",
]
TEXT = "\n".join(SENTENCES[i % 6] + ("\n" if i % 4 == 3 else "") for i in range(150))  # ~6 KB


@pytest.fixture(scope="module")
def text_data():
    return data.split_text(TEXT, "sentences")


def tiny(text_data, arch="gpt", **overrides):
    torch.manual_seed(0)
    model = models.build("gpt", preset="tiny", arch=arch, **overrides)
    model.prepare(text_data)
    return model


def train(model, text_data, steps, batch_size=16):
    opts = model.configure_optimizers()
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        metrics = model.train_step(model.make_batch(text_data, batch_size, gen), opts)
    return metrics


@pytest.fixture(scope="module")
def trained(text_data):
    """A tiny GPT that has learned something, shared by the read-only tests."""
    model = tiny(text_data)
    train(model, text_data, 60)
    return model.eval()


# ---------------------------------------------------------------- learning
@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_training_lowers_heldout_loss(text_data, arch):
    model = tiny(text_data, arch)
    before = model.evaluate(text_data)
    metrics = train(model, text_data, 40)
    assert set(metrics) == {"loss", "lr"}
    after = model.evaluate(text_data)
    assert model.evaluate(text_data) == after  # fixed windows, dropout off: reproducible
    assert before["loss"] > 3.0  # about ln(vocabulary) at the start
    assert after["loss"] < before["loss"] - 1.0, (arch, before, after)
    assert model.training  # evaluate() puts the mode back


def test_prepare_takes_the_vocabulary_from_the_training_text(text_data):
    model = models.build("gpt", preset="tiny")
    assert model.config.vocab == [] and model.vocab_size == 4  # only the specials before prepare()
    model.prepare(text_data)
    assert model.config.vocab == sorted(set(text_data.train))
    assert model.net.transformer.wte.weight.shape[0] == 4 + len(model.config.vocab)
    json.dumps(asdict(model.config))  # the config goes into the checkpoint's JSON sidecar
    with pytest.raises(ValueError, match="shorter"):
        models.build("gpt", preset="tiny").prepare(data.TextData("short", "abc", "ab"))


def test_lr_schedule_and_weight_decay_groups(text_data):
    model = tiny(text_data, warmup_steps=10, decay_steps=110, lr=1e-3, min_lr=1e-4)
    assert model.lr_at(0) == pytest.approx(1e-4) and model.lr_at(9) == pytest.approx(1e-3)
    assert model.lr_at(60) == pytest.approx(5.5e-4)  # half way down the cosine
    assert model.lr_at(110) == pytest.approx(1e-4) and model.lr_at(10_000) == pytest.approx(1e-4)
    opt = model.configure_optimizers()["opt"]
    decayed, plain = opt.param_groups
    assert all(p.dim() == 2 for p in decayed["params"]) and decayed["weight_decay"] > 0
    assert all(p.dim() < 2 for p in plain["params"]) and plain["weight_decay"] == 0
    n_opt = sum(p.numel() for g in opt.param_groups for p in g["params"])
    assert n_opt == sum(p.numel() for p in model.parameters())  # the tied lm_head/wte weight once
    m = model.train_step(model.make_batch(text_data, 4, torch.Generator().manual_seed(0)), {"opt": opt})
    assert m["lr"] == pytest.approx(1e-4) and int(model.steps_done) == 1


def test_muon_takes_the_hidden_matrices_and_learns(text_data):
    model = tiny(text_data, optimizer="muon")
    opts = model.configure_optimizers()
    assert set(opts) == {"opt", "muon"}
    names = {id(p): n for n, p in model.named_parameters()}
    in_muon = [names[id(p)] for g in opts["muon"].param_groups for p in g["params"]]
    in_adamw = [names[id(p)] for g in opts["opt"].param_groups for p in g["params"]]
    assert in_muon and all(model.get_parameter(n).dim() == 2 for n in in_muon)
    assert in_muon == [n for n in names.values() if ".h." in n and n.endswith("weight") and "ln_" not in n]
    assert sorted(in_muon + in_adamw) == sorted(names.values())  # each parameter once
    before = model.evaluate(text_data)["loss"]
    gen = torch.Generator().manual_seed(0)
    for _ in range(40):
        m = model.train_step(model.make_batch(text_data, 16, gen), opts)
    assert opts["muon"].param_groups[0]["lr"] == m["lr"]  # the schedule drives both
    assert model.evaluate(text_data)["loss"] < before - 1.0


def test_a_muon_run_resumes_with_both_optimizers_states(text_data, tmp_path):
    from genai.trainer import TrainSpec, train as run

    spec = dict(family="gpt", dataset="sentences", batch_size=8, eval_every=10, sample_every=10)
    first = run(TrainSpec(preset="tiny", overrides={"optimizer": "muon"}, steps=3, out=str(tmp_path / "a"), **spec),
                lambda e: None, data=text_data, device=torch.device("cpu"))
    tensors, meta = checkpoints.load(first, "gpt")
    states = checkpoints.optimizer_states(tensors, meta)
    assert set(states) == {"opt", "muon"}
    assert all("momentum_buffer" in s for s in states["muon"]["state"].values())
    events = []
    last = run(TrainSpec(preset="tiny", init_from=str(first), steps=2, out=str(tmp_path / "b"), **spec),
               events.append, data=text_data, device=torch.device("cpu"))
    assert "error" not in {e.kind for e in events}, [e.data for e in events if e.kind == "error"]
    assert checkpoints.load(last, "gpt")[1]["step"] == 5


# ---------------------------------------------------------------- tokenizer
def test_tokenizer_round_trips_seen_text_and_survives_unseen(trained):
    seen = "To be,  or not\n\n\nto be:\tthe question!" if "\t" in trained.config.vocab else \
        "To be,  or not\n\n\nto be: the question!"
    ids = trained.encode(seen)
    assert len(ids) == len(seen) and int(ids.min()) >= len(gpt.SPECIALS)  # one id per character
    assert trained.decode(ids) == seen
    assert trained.tokenizer.decode(ids.tolist()) == seen  # the transformers tokenizer itself

    odd = "a€b😀c\u00e9"
    ids = trained.encode(odd)
    assert len(ids) == len(odd) and ids.tolist().count(gpt.UNK) == 3
    assert trained.decode(ids) == "a\ufffdb\ufffdc\ufffd"  # unseen characters stay visible
    out = trained.generate(odd, 20, seed=0)  # and do not upset generation
    assert len(out) == 20 and "\ufffd" not in out
    assert trained.next_token_distribution(odd)[0]["char"] == "€"
    assert trained.encode("") .tolist() == [] and trained.decode([]) == ""


def test_tokenizer_rebuilds_from_the_config_alone(trained):
    again = gpt.build_tokenizer(list(trained.config.vocab))
    s = "She sells sea shells."
    assert again(s)["input_ids"] == trained.tokenizer(s)["input_ids"]
    with pytest.raises(ValueError):
        gpt.build_tokenizer(["ab"])


def test_whole_tinyshakespeare_round_trips():
    try:
        ts = data.load_text("tinyshakespeare", data_dir=str(checkpoints.ROOT.parent / "shared" / "data"))
    except data.DataError:
        pytest.skip("needs ../shared/data/tinyshakespeare")
    model = models.build("gpt", preset="tiny")
    model.prepare(ts)
    assert len(model.config.vocab) == 65
    train_ids, held_ids = model._ids(ts)
    assert len(train_ids) == len(ts.train) and model.decode(train_ids) == ts.train
    assert model.decode(held_ids) == ts.heldout


# ---------------------------------------------------------------- generation
class CountingStreamer:
    """Records what a streamer gets; sets ``event`` after ``stop_after`` new tokens."""

    def __init__(self, event=None, stop_after=None):
        self.prompts, self.tokens, self.ends = [], [], 0
        self.event, self.stop_after = event, stop_after

    def put(self, value):
        if not self.prompts:
            self.prompts.append(value.reshape(-1).tolist())
            return
        self.tokens += value.reshape(-1).tolist()
        if self.stop_after is not None and len(self.tokens) >= self.stop_after:
            self.event.set()

    def end(self):
        self.ends += 1


@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_generation_respects_max_new_tokens_and_seed(text_data, arch, monkeypatch):
    model = tiny(text_data, arch)
    T = model.config.block_size
    for n in (0, 1, 7, 3 * T + 5):  # past the GPT's context window: the window slides
        assert len(model.generate("To be", n, seed=3)) == n
    assert model.generate("To be", 50, seed=3) == model.generate("To be", 50, seed=3)
    assert model.generate("To be", 50, seed=3) != model.generate("To be", 50, seed=4)
    monkeypatch.setattr(gpt, "MAX_NEW_TOKENS", 40)
    assert len(model.generate("x", 10**6, temperature=0.0)) == 40  # clamped
    monkeypatch.undo()
    greedy = model.generate("To be", 30, temperature=0)
    assert greedy == model.generate("To be", 30, temperature=0, seed=9)  # greedy ignores the seed
    assert len(model.generate("To be", 30, top_k=1)) == 30
    assert model.generate("To be", 30, top_k=1, seed=1) == greedy  # top-1 sampling is greedy
    assert len(model.generate("To be", 30, top_p=0.5, temperature=0.7, seed=1)) == 30
    assert len(model.generate("", 5, seed=0)) == 5
    assert len(model.generate("long prompt " * 50, 5, seed=0)) == 5  # truncated to the context


def test_hand_decoding_matches_transformers(trained):
    """gpt2_forward's logits, with and without its key/value cache, are transformers' own, and the
    hand loop draws what transformers' generate() drew with the same seed, across window slides."""
    net, T = trained.net, trained.config.block_size
    ids = trained.encode("To be, or not to be")[None]
    full = gpt.gpt2_forward(net, ids, [], 0)
    assert torch.allclose(full, net(input_ids=ids).logits, atol=1e-5)
    cache = []
    gpt.gpt2_forward(net, ids[:, :-3], cache, 0)
    steps = [gpt.gpt2_forward(net, ids[:, i:i + 1], cache, i) for i in range(ids.size(1) - 3, ids.size(1))]
    assert torch.allclose(torch.cat(steps, 1), full[:, -3:], atol=1e-5)
    step, cache = gpt.NumpyStep(net), []  # the CPU's one-position step, in numpy on the same weights
    assert gpt.NumpyStep.usable(net)
    gpt.gpt2_forward(net, ids[:, :-3], cache, 0)
    steps = [step(int(ids[0, i]), i, cache) for i in range(ids.size(1) - 3, ids.size(1))]
    assert torch.allclose(torch.cat(steps), full[0, -3:], atol=1e-5)
    n = 2 * T + 7  # the window slides twice
    kw = dict(suppress_tokens=list(range(len(gpt.SPECIALS))), pad_token_id=gpt.PAD, bos_token_id=gpt.BOS,
              eos_token_id=gpt.EOS)
    for temperature, top_k, top_p, seed in ((1.0, None, None, 3), (0.7, 5, 0.9, 11)):
        sampler = gpt.SeededSampler(temperature, top_k, top_p, seed)
        ref = gpt.generate_windowed(net, trained.encode("To be"), n, T, sampler, kw, threading.Event(), None)
        assert trained.generate("To be", n, temperature, top_k, top_p, seed=seed) == trained.decode(ref)
    greedy = gpt.generate_windowed(net, trained.encode("To be"), n, T, None, kw, threading.Event(), None)
    assert trained.generate("To be", n, temperature=0) == trained.decode(greedy)


@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_streamer_gets_the_prompt_once_every_new_token_and_one_end(text_data, arch):
    model = tiny(text_data, arch)
    s = CountingStreamer()
    n = 2 * model.config.block_size + 3
    out = model.generate("To be", n, seed=0, streamer=s)
    assert s.prompts == [model.encode("To be").tolist()] and s.ends == 1
    assert model.decode(s.tokens) == out and len(out) == n


@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_stop_flag_stops_generation(text_data, arch):
    model = tiny(text_data, arch)
    ev = threading.Event()
    ev.set()
    assert model.generate("To be", 100, stop_event=ev) == ""  # set before the call
    ev = threading.Event()
    s = CountingStreamer(ev, stop_after=12)
    out = model.generate("To be", 500, seed=0, streamer=s, stop_event=ev)  # set while generating
    # transformers checks its stopping criteria just before it streams a token: one more may come
    assert len(out) in (12, 13) and model.decode(s.tokens) == out and s.ends == 1


def test_draw_picks_what_torch_multinomial_picks_and_refuses_a_nan_model():
    """gpt.draw, the exponential race that replaced torch.multinomial on the server's path, takes
    the same ids from the same generator state (so a seed's text did not change), and a model whose
    probabilities are NaN is told so instead of drawing from them."""
    for seed in range(20):
        probs = torch.softmax(torch.randn(3, 40, generator=torch.Generator().manual_seed(seed)) * 3, -1)
        probs[:, :4] = 0  # the special tokens, as filter_logits leaves them
        g1, g2 = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        for _ in range(4):
            assert torch.equal(gpt.draw(probs, g1), torch.multinomial(probs, 1, generator=g2))
    with pytest.raises(ValueError) as e:
        gpt.draw(torch.full((1, 40), float("nan")), torch.Generator().manual_seed(0))
    assert "not numbers" in in_language(e.value)


@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_a_diverged_model_is_told_not_drawn_from(text_data, arch):
    """Weights gone NaN in training (too high a learning rate): continuing is refused with words
    that say so, on the server's path and generate()'s, not a page of one repeated character."""
    model = tiny(text_data, arch)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))
    for go in (lambda: "".join(model.stream("To be", 20, seed=0)), lambda: model.generate("To be", 20, seed=0),
               lambda: model.generate("To be", 20, temperature=0)):  # greedy: NaN would be the argmax
        with pytest.raises(ValueError) as e:
            go()
        assert "weights diverged" in in_language(e.value)


@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_stream_draws_what_generate_draws_and_stops_when_closed(text_data, arch):
    """Model.stream (the server's path: no thread, no streamer) yields generate()'s characters
    for the same seed, across window slides; closing it early ends the drawing there."""
    model = tiny(text_data, arch)
    n = 2 * model.config.block_size + 5
    for kw in (dict(seed=4), dict(temperature=0.7, top_k=5, top_p=0.9, seed=2), dict(temperature=0)):
        pieces = list(model.stream("To be", n, **kw))
        assert "".join(pieces) == model.generate("To be", n, **kw) and len(pieces) == n
    ev = threading.Event()
    it = model.stream("To be", 500, seed=0, stop_event=ev)
    first = [next(it) for _ in range(5)]
    ev.set()
    assert list(it) == [] and "".join(first) == model.generate("To be", 5, seed=0)
    it = model.stream("To be", 500, seed=0)
    next(it)
    it.close()  # the page went away mid-stream
    assert model.training  # eval() only while drawing: the train/eval mode comes back

def test_text_iterator_streamer_in_a_thread_and_a_stop_from_the_reader(trained):
    from transformers import TextIteratorStreamer

    streamer = TextIteratorStreamer(trained.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=30)
    ev, result = threading.Event(), {}
    th = threading.Thread(target=lambda: result.update(text=trained.generate(
        "To be", gpt.MAX_NEW_TOKENS, seed=0, streamer=streamer, stop_event=ev)))
    th.start()
    pieces = []
    for piece in streamer:
        pieces.append(piece)
        if len(pieces) == 3:
            ev.set()  # the reader stops it (a Stop button, a closed tab)
    th.join(30)
    assert not th.is_alive()
    assert 0 < len(result["text"]) < gpt.MAX_NEW_TOKENS
    assert "".join(pieces) == result["text"]


# ---------------------------------------------------------------- probabilities view
@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_probability_view_matches_the_softmax(text_data, arch):
    model = tiny(text_data, arch).eval()
    T = model.config.block_size
    text = TEXT[:T + 20]  # longer than the GPT's window: the later rows use a sliding window
    view = model.next_token_distribution(text, top=5)
    assert len(view) == len(text) and view[-1]["char"] is None
    ids = model.encode(text)
    with torch.no_grad():
        for i in (1, 5, T - 1, T, T + 7, len(text) - 1):
            ctx = ids[max(0, i - T):i] if arch == "gpt" else ids[:i]
            probs = torch.softmax(model.logits(ctx[None])[0, -1], -1)
            row = view[i - 1]
            assert row["index"] == i and row["char"] == text[i]
            assert row["p"] == pytest.approx(float(probs[ids[i]]), abs=1e-5)
            best = probs.topk(5)
            assert [p for _, p in row["top"]] == pytest.approx(best.values.tolist(), abs=1e-5)
            assert [c for c, _ in row["top"]] == model.tokenizer.convert_ids_to_tokens(best.indices.tolist())
            assert row["rank"] == int((probs > probs[ids[i]]).sum()) + 1
    for row in view:
        ps = [p for _, p in row["top"]]
        assert len(ps) == 5 and sum(ps) <= 1 + 1e-6 and ps == sorted(ps, reverse=True)
    assert model.next_token_distribution("") == []


@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_the_view_of_a_drawn_text_is_what_it_was_drawn_from(trained, text_data, arch):
    """The page's view of a continuation comes from the logits stream() drew from, as a second pass
    over prompt + new text gives them where the prompt fits in the window (decode runs in numpy)."""
    model = trained if arch == "gpt" else tiny(text_data, "lstm")
    if arch == "lstm":
        train(model, text_data, 20)
    prompt, record = "ROMEO:\nI will", []
    # 16 new characters: prompt and all fit in the tiny GPT's window of 32, so no slide
    new = "".join(model.stream(prompt, 16, temperature=1.0, top_k=3, seed=5, record=record))
    drawn = model.drawn_distribution(record, top=5)
    assert len(drawn) == len(record) == 16 and "".join(d["char"] for d in drawn) == new
    again = model.next_token_distribution(prompt + new, top=5)[len(prompt) - 1:-1]
    assert [d["char"] for d in again] == [d["char"] for d in drawn]
    for a, d in zip(again, drawn):
        assert d["p"] == pytest.approx(a["p"], abs=1e-5) and d["rank"] == a["rank"]
        assert [c for c, _ in d["top"]] == [c for c, _ in a["top"]]
    # top_k=3 filtered the draw, not the view: each character was among its three best guesses
    assert max(d["rank"] for d in drawn) <= 3 and any(d["p"] < 0.9 for d in drawn)
    assert model.drawn_distribution([]) == []


# ---------------------------------------------------------------- saving and loading
def test_from_pretrained_round_trip(trained, tmp_path):
    folder = trained.save_pretrained(tmp_path / "hf")
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    again = gpt.Model.from_pretrained(folder)
    ids = trained.encode("To be, or not to be")[None]
    with torch.no_grad():
        assert torch.equal(trained.logits(ids), again.logits(ids))
    assert again.config == trained.config and int(again.steps_done) == int(trained.steps_done)
    assert again.generate("To be", 40, seed=5) == trained.generate("To be", 40, seed=5)
    # the folder is a plain transformers model too: AutoModelForCausalLM + AutoTokenizer
    hf_model, hf_tok = lm.load_pretrained_hub(str(folder))
    assert hf_tok("To be, or not to be")["input_ids"] == ids[0].tolist()
    with torch.no_grad():
        assert torch.equal(hf_model(input_ids=ids).logits, trained.logits(ids))
    with pytest.raises(ValueError, match="No model folder"):
        lm.load_pretrained_hub(str(tmp_path / "missing"))


@pytest.mark.parametrize("arch", ["gpt", "lstm"])
def test_genai_checkpoint_round_trip(text_data, arch, tmp_path):
    model = tiny(text_data, arch)
    train(model, text_data, 3)
    model.eval()
    path = checkpoints.save(tmp_path / "ck", model.state_dict(), family="gpt", config=models.config_dict(model), step=3)
    again, meta = models.from_checkpoint(path, "gpt")
    assert meta["config"]["vocab"] == model.config.vocab and int(again.steps_done) == 3
    ids = model.encode("To be, or not")[None]
    with torch.no_grad():
        assert torch.equal(model.logits(ids), again.logits(ids))
    if arch == "gpt":  # tied weights stay tied after a strict load
        assert again.net.lm_head.weight is again.net.transformer.wte.weight
    assert again.generate("To be", 30, seed=2) == model.generate("To be", 30, seed=2)
    with pytest.raises(ValueError):
        model.save_pretrained(tmp_path / "hf") if arch == "lstm" else gpt.Model.from_pretrained(tmp_path)


def test_shared_trainer_runs_a_tiny_gpt(text_data, tmp_path):
    from genai.trainer import TrainSpec, train as run

    events = []
    spec = TrainSpec(family="gpt", preset="tiny", dataset="sentences", steps=4, batch_size=8, eval_every=2,
                     sample_every=2, out=str(tmp_path / "ck"))
    ckpt = run(spec, events.append, data=text_data, device=torch.device("cpu"))
    kinds = {e.kind for e in events}
    assert {"metrics", "samples", "checkpoint", "done"} <= kinds and "error" not in kinds, \
        [e.data for e in events if e.kind == "error"]
    samples = [e.data for e in events if e.kind == "samples"]
    assert len(samples) == 2 and all(isinstance(s, str) and len(s) == gpt.PREVIEW_CHARS for s in samples)
    held = [e.data for e in events if e.kind == "metrics" and "heldout_loss" in e.data]
    assert len(held) == 2
    model, meta = models.from_checkpoint(ckpt)
    assert meta["step"] == 4 and meta["config"]["vocab"] == sorted(set(text_data.train))
    assert isinstance(model.sample(20, torch.Generator().manual_seed(0)), str)


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="architecture"):
        models.build("gpt", preset="tiny", arch="rnn")
    with pytest.raises(ValueError, match="multiple"):
        models.build("gpt", preset="tiny", n_embd=30, n_head=4)
    with pytest.raises(ValueError, match="optimizer"):
        models.build("gpt", preset="tiny", optimizer="sgd")
    with pytest.raises(ValueError, match="LSTM"):
        models.build("gpt", preset="tiny", arch="lstm", optimizer="muon")
    for name in gpt.PRESETS:
        models.make_config("gpt", name)


def test_seeded_generation_repeats_while_others_generate_at_once(trained):
    """Each draw comes from the call's own generator, not torch's global one that threads share."""
    want = {9: trained.generate("To be", 80, seed=9), 11: trained.generate("To be", 80, seed=11)}
    got = {}

    def run(i):
        got[i] = trained.generate("To be", 80, seed=9 if i % 2 else 11)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {i: want[9 if i % 2 else 11] for i in range(4)}
    assert want[9] != want[11]
