import logging
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
# runs train in threads in most tests (fast to start); tests of the process path ask for it
os.environ.setdefault("GENAI_TRAIN_IN", "thread")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio learns that a page closed when its heartbeat next fires (every 15 s by default): the
# tests of a closed page wait for that, so here it fires every second
os.environ.setdefault("GRADIO_HEARTBEAT_INTERVAL", "1")
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

torch.set_num_threads(1)


class _LoggersSnapshot(dict):
    """The logging module's table of loggers, whose ``values()`` is a copy. At the start of every
    test phase pytest 9.2 walks that table's values without a lock (``catching_logs.__enter__``, to
    reach loggers that do not propagate), and a thread of the app's that imports a module then
    (the warm-up, a request's first import) adds a logger under it: "RuntimeError: dictionary
    changed size during iteration", once in the browser tests here. The copy is made in C, under
    the interpreter lock, so no thread can add a logger while it is made."""

    def values(self):
        return list(super().values())


logging.Logger.manager.loggerDict = _LoggersSnapshot(logging.Logger.manager.loggerDict)


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


# ---------------------------------------------------------------- a stand-in for a Hub model
OLD = "\n".join(["The quick brown fox jumps over the lazy dog.", "A stitch in time saves nine, said the tailor.",
                 "Now is the winter of our discontent;", "All that glitters is not gold."] * 60)
NEW = "\n".join(["Shall I compare thee to a summer's day?", "Thou art more lovely and more temperate.",
                 "Rough winds do shake the darling buds of May,"] * 60)


def _next_token_loss(net, ids):
    return torch.nn.functional.cross_entropy(net(input_ids=ids[:, :-1]).logits.flatten(0, 1), ids[:, 1:].flatten())


@pytest.fixture(scope="session")
def tiny_hub_folder(tmp_path_factory):
    """A stand-in for a Hub model, offline: a tiny GPT-2 with a byte-level BPE tokenizer,
    'pretrained' in full on OLD for 60 steps and saved as a transformers folder."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([OLD, NEW], vocab_size=300, min_frequency=2, special_tokens=["<|endoftext|>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token="<|endoftext|>",
                                  bos_token="<|endoftext|>", unk_token="<|endoftext|>")
    torch.manual_seed(0)
    net = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_positions=64, n_embd=32, n_layer=2, n_head=2,
                                     bos_token_id=0, eos_token_id=0))
    ids = torch.tensor(tok(OLD)["input_ids"])
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(60):
        starts = torch.randint(len(ids) - 33, (16,), generator=g)
        loss = _next_token_loss(net, ids[starts[:, None] + torch.arange(33)])
        opt.zero_grad()
        loss.backward()
        opt.step()
    folder = tmp_path_factory.mktemp("hub") / "tiny-gpt2"
    net.save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)
