"""Character-level language models: a GPT built as a transformers ``GPT2LMHeadModel`` (Radford et
al. 2019, "Language Models are Unsupervised Multitask Learners"; the transformer of Vaswani et al.
2017) and a character LSTM (Hochreiter & Schmidhuber 1997; Karpathy's char-rnn, 2015) for a
side-by-side comparison. Both read the same character tokenizer and train the same way.

Each character is one token. The model gives p(x_t | x_<t) and training minimises the
cross-entropy of the next character,

    loss = -1/N sum_t log p(x_t | x_<t)     in nats per character (divide by ln 2 for bits),

averaged over random windows of ``block_size`` + 1 characters (nanoGPT's recipe, Karpathy 2022).
The held-out loss is the same average over a fixed set of windows from the last 10% of the text.

Tokenizer: a ``tokenizers`` WordLevel vocabulary of the corpus's characters after four special
tokens, split by the regex ``[\\s\\S]`` (any single code point; note that ``.`` does *not* match a
newline in the tokenizers' regex engine, so "\\n\\n" would become one unknown token), wrapped as a
``PreTrainedTokenizerFast``. So ``len(encode(text)) == len(text)`` always, seen text round-trips
exactly, and each unseen character becomes ``<unk>``, which decodes to U+FFFD "\ufffd" (the
Unicode replacement character) so that it stays visible. The models never *generate* a special
token: they are suppressed at sampling time.
"""
from __future__ import annotations

import functools
import json
import math
import os
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from genai.locales import said

FAMILY = "gpt"
DATA_KIND = "text"
# seconds a step takes on this server, for the queue's estimates (genai/jobs.py): the lesson as
# measured alone on one thread (Muon: 73 s for 900 steps on a day the AdamW lesson took 77 s for
# 1,200, 58 s before; so about 56 s on that faster day), None for any other preset (a rough figure)
SECONDS_PER_STEP = {"lesson": 0.062, None: 0.04}
ARCHS = ("gpt", "lstm")
SPECIALS = ("<unk>", "<pad>", "<bos>", "<eos>")  # ids 0..3; characters follow from id 4
UNK, PAD, BOS, EOS = range(4)
UNK_PLACEHOLDER = "\ufffd"  # what an unseen character decodes to
CHAR_REGEX = r"[\s\S]"  # one code point, newlines included
MAX_NEW_TOKENS = 2000
EVAL_BLOCKS = 200  # +-0.02 nats of sampling noise (per-window losses spread about 0.3)
PREVIEW_CHARS = 200
GENAI_CONFIG = "genai_config.json"  # written beside transformers' files by save_pretrained


@dataclass
class Config:
    arch: str = "gpt"  # "gpt" or "lstm"
    vocab: list = field(default_factory=list)  # the characters, in id order after the specials; filled by prepare()
    block_size: int = 64  # context: characters the model sees (and the training window)
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128  # GPT width; the LSTM's embedding size too
    dropout: float = 0.0  # on embeddings, attention and residual branches (LSTM: between layers)
    lstm_hidden: int = 256
    lstm_layers: int = 2
    lr: float = 1e-3  # peak learning rate, after the warm-up
    min_lr: float = 1e-4  # where the cosine decay ends
    warmup_steps: int = 100  # linear warm-up from 0
    decay_steps: int = 0  # cosine from lr to min_lr by this step; 0: constant after the warm-up
    weight_decay: float = 0.1  # on 2-D weights only (nanoGPT)
    beta2: float = 0.99  # AdamW's second-moment decay; 0.99 suits small batches of tokens (nanoGPT)
    grad_clip: float = 1.0
    # "adamw", or "muon" (GPT only): Muon (Jordan et al. 2024) on the blocks' weight matrices, AdamW
    # on the embeddings, biases and norms (modded-nanoGPT's split); Muon's step is scaled to AdamW's
    # size (Liu et al. 2025, "Muon is scalable"), so the same lr and weight decay serve both
    optimizer: str = "adamw"
    batch_size: int = 64  # windows per step this preset was tuned for (TrainSpec.batch_size is what runs)


PRESETS = {
    # nanoGPT's config/train_shakespeare_char.py with its CPU overrides ("baby GPT"): 2,000 steps
    "baby": dict(arch="gpt", block_size=64, n_layer=4, n_head=4, n_embd=128, dropout=0.0, lr=1e-3,
                 min_lr=1e-4, warmup_steps=100, decay_steps=2000, beta2=0.99, batch_size=12),
    # the best held-out loss after 130 s of one-thread CPU training: in so short a run more steps
    # beat a bigger model, a longer context or a bigger batch, and two wide layers beat three or
    # four narrow ones; Muon on the blocks' matrices took it from 1.73 to 1.62 beside nanoGPT's
    # baby run, at twice the learning rate (python bench/text.py side130, BENCHMARKS.md)
    "cpu-fast": dict(arch="gpt", block_size=64, n_layer=2, n_head=4, n_embd=128, dropout=0.0, lr=6e-3,
                     min_lr=1e-4, warmup_steps=50, decay_steps=2000, batch_size=16, optimizer="muon"),
    # the shipped checkpoint: 1.8 M parameters (7.4 MB in fp32), 5,000 steps of 32 windows. Dropout
    # 0.1 took the held-out loss from 1.525 (none, 4,000 steps, overfitting from step 3,500) to 1.471
    "small": dict(arch="gpt", block_size=128, n_layer=4, n_head=4, n_embd=192, dropout=0.1, lr=2e-3,
                  min_lr=2e-4, warmup_steps=100, decay_steps=5000, batch_size=32),
    # an LSTM about as large as cpu-fast (0.44 M parameters), for the comparison: about 1,000 steps in 130 s
    "lstm": dict(arch="lstm", block_size=128, n_embd=64, lstm_hidden=176, lstm_layers=2, dropout=0.0,
                 lr=4e-3, min_lr=4e-4, warmup_steps=50, decay_steps=1000, weight_decay=0.0, batch_size=32),
    # a student's run in class: cpu-fast, its learning rate decayed over the lesson's 900 steps
    # (with AdamW it took 1,200 steps and more time to a worse loss: 1.84 against 1.74)
    "lesson": dict(arch="gpt", block_size=64, n_layer=2, n_head=4, n_embd=128, dropout=0.0, lr=6e-3,
                   min_lr=1e-4, warmup_steps=50, decay_steps=900, batch_size=16, optimizer="muon"),
    "tiny": dict(arch="gpt", block_size=32, n_layer=2, n_head=2, n_embd=32, lr=3e-3, warmup_steps=5,
                 lstm_hidden=48, lstm_layers=1, batch_size=16),  # tests
}
LESSON = dict(preset="lesson", steps=900, batch_size=16)


# ---------------------------------------------------------------- tokenizer
def build_tokenizer(vocab: list[str]):
    """A character tokenizer over ``vocab`` (single characters), as a PreTrainedTokenizerFast."""
    from tokenizers import Regex, Tokenizer, decoders, models as tkmodels, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    bad = [c for c in vocab if not isinstance(c, str) or len(c) != 1]
    if bad or len(set(vocab)) != len(vocab):
        raise ValueError("The vocabulary must be distinct single characters")
    table = {t: i for i, t in enumerate([*SPECIALS, *vocab])}
    tok = Tokenizer(tkmodels.WordLevel(table, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(CHAR_REGEX), behavior="isolated")
    # only the <unk> token can equal "<unk>" (every other token is one character)
    tok.decoder = decoders.Sequence([decoders.Replace("<unk>", UNK_PLACEHOLDER), decoders.Fuse()])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>",
                                   bos_token="<bos>", eos_token="<eos>", clean_up_tokenization_spaces=False)


# ---------------------------------------------------------------- networks
class CharLSTM(nn.Module):
    """Embedding -> LSTM -> linear read-out of next-character logits."""

    def __init__(self, c: Config, vocab_size: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, c.n_embd)
        self.lstm = nn.LSTM(c.n_embd, c.lstm_hidden, c.lstm_layers, batch_first=True,
                            dropout=c.dropout if c.lstm_layers > 1 else 0.0)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.lstm_hidden, vocab_size)

    def forward(self, ids, state=None):  # ids: (B, T) -> logits (B, T, V), (h, c)
        h, state = self.lstm(self.embed(ids), state)
        return self.head(self.drop(h)), state


def gpt2_config(c: Config, vocab_size: int):
    from transformers import GPT2Config

    return GPT2Config(vocab_size=vocab_size, n_positions=c.block_size, n_embd=c.n_embd, n_layer=c.n_layer,
                      n_head=c.n_head, resid_pdrop=c.dropout, embd_pdrop=c.dropout, attn_pdrop=c.dropout,
                      bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD, tie_word_embeddings=True,
                      # the exact GELU, as nanoGPT: torch runs it as one fused op, where GPT-2's
                      # "gelu_new" (tanh form) is several; measured 55 vs 72 ms a baby step on the CPU
                      activation_function="gelu")


def filter_logits(logits, temperature=1.0, top_k=None, top_p=None, suppress=(UNK, PAD, BOS, EOS)):
    """Next-token logits (B, V) -> logits with what sampling must not pick set to -inf: the special
    tokens, all but the ``top_k`` best, and the tail outside the smallest set whose probability
    reaches ``top_p`` (nucleus sampling, Holtzman et al. 2020). The same rules as transformers'
    generate(), for the LSTM's hand-written loop."""
    logits = logits.float() / max(temperature, 1e-6)
    logits[:, list(suppress)] = -math.inf
    if top_k:
        kth = torch.topk(logits, min(int(top_k), logits.size(-1))).values[:, -1:]
        logits = logits.masked_fill(logits < kth, -math.inf)
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        drop = cum - sorted_logits.softmax(-1) >= top_p  # the mass before this token already reaches top_p
        drop[:, 0] = False  # always keep the best
        logits = logits.masked_fill(drop.scatter(1, order, drop), -math.inf)
    return logits


def StopOnEvent(event: threading.Event):  # noqa: N802 (stands in for a class)
    """A StoppingCriteria that ends generate() once ``event`` is set (a Stop button, a closed
    browser tab): transformers checks it after every new token. Built on first use, so that
    importing this module (the app does at start-up) does not import transformers."""
    return _stop_class()(event)


@functools.cache
def _stop_class():
    from transformers import StoppingCriteria

    class _StopOnEvent(StoppingCriteria):
        def __init__(self, event: threading.Event):
            self.event = event

        def __call__(self, input_ids, scores, **kwargs):
            return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)

    return _StopOnEvent


def SeededSampler(temperature, top_k, top_p, seed, suppress=(UNK, PAD, BOS, EOS)):  # noqa: N802
    """A LogitsProcessor that draws the next token itself, from a private torch.Generator, and
    leaves only that token possible, so that generate() run greedily (do_sample=False) emits it.
    transformers' own sampling draws from torch's global generator, which every thread shares: two
    seeded generations at once (two students) would change each other's draws."""
    return _sampler_class()(temperature, top_k, top_p, seed, suppress)


def draw(probs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One id a row of ``probs`` (B, V) -> (B, 1): torch.multinomial(probs, 1, generator=...)'s
    own draw, argmax(p / E) with E ~ Exp(1) a token (the exponential race), the same ids from the
    same generator (tests/test_gpt.py checks it), without multinomial's checks of every entry: 18
    instead of 49 us a character on the CPU, where a server draws a class's continuations. Those
    checks matter only for a model gone wrong, so that one is refused here."""
    q = torch.empty_like(probs).exponential_(1, generator=generator)
    pick = (probs / q).argmax(-1, keepdim=True)
    if not bool((probs.gather(1, pick) > 0).all()):  # NaN or no mass: weights that diverged
        raise said(ValueError, "err.model_not_numbers")
    return pick


@functools.cache
def _sampler_class():
    from transformers import LogitsProcessor

    class _SeededSampler(LogitsProcessor):
        def __init__(self, temperature, top_k, top_p, seed, suppress):
            self.args = (float(temperature), top_k, top_p, tuple(suppress))
            self.gen = torch.Generator()
            self.gen.manual_seed(int(seed)) if seed is not None else self.gen.seed()

        def __call__(self, input_ids, scores):  # scores: (B, V) -> (B, V), one finite entry a row
            t, k, p, suppress = self.args
            probs = filter_logits(scores.float().cpu(), t, k, p, suppress).softmax(-1)
            pick = draw(probs, self.gen).to(scores.device)  # (B, 1)
            return torch.full_like(scores, -math.inf).scatter(1, pick, 0.0)

    return _SeededSampler


class NumpyStep:
    """One new position of our own GPT2LMHeadModel on the CPU, in numpy on the model's own
    weights: the same block as gpt2_forward with T = 1. Why a second copy of the block: a token is
    about 60 small operations, and torch spends 5-20 us on each (its dispatch, and letting go of
    the interpreter lock and taking it back, where other threads of a busy server queue for it),
    numpy 1-3 us; BENCHMARKS.md, issue 31. Keys and values are written into gpt2_forward's cache
    buffers (numpy views of them), so the prompt's one pass stays in torch.

    The interpreter lock: numpy lets go of it in every matrix product (BLAS) and in every
    elementwise operation over more than 500 numbers, and beside a busy thread of the server each
    of those waits up to the switch interval to get it back (bench/gil_convoy.py). So a layer makes
    four: each bias rides in its matrix product (a row of the weights, against a 1 after x), the
    GELU runs over halves of at most 384 numbers, and LayerNorm's sum of squares is two small
    operations instead of a dot product (BLAS)."""

    HALF = 384  # the MLP's GELU in pieces of at most this many numbers (numpy keeps the lock to 500)

    def __init__(self, net):
        from scipy.special import erf  # GELU's exact form (gpt2_config: activation "gelu")

        c, t = net.config, net.transformer
        self.erf, self.heads, self.eps = erf, c.n_head, c.layer_norm_epsilon
        self.scale = 1.0 / math.sqrt(c.n_embd // c.n_head)
        a = lambda p: p.detach().numpy()  # noqa: E731 - a view of the weight, not a copy
        with_bias = lambda lin: np.vstack([a(lin.weight), a(lin.bias)[None]])  # noqa: E731 - (in + 1, out)
        self.wte, self.wpe, self.head = a(t.wte.weight), a(t.wpe.weight), a(net.lm_head.weight)
        self.ln_f = (a(t.ln_f.weight), a(t.ln_f.bias))
        self.blocks = [dict(ln_1=(a(b.ln_1.weight), a(b.ln_1.bias)), ln_2=(a(b.ln_2.weight), a(b.ln_2.bias)),
                            qkv=with_bias(b.attn.c_attn), proj=with_bias(b.attn.c_proj),
                            fc=with_bias(b.mlp.c_fc), out=with_bias(b.mlp.c_proj)) for b in t.h]
        self.x1 = np.ones(c.n_embd + 1, np.float32)  # [a vector of C, 1]: the bias's row multiplies the 1
        self.h1 = np.ones(4 * c.n_embd + 1, np.float32)
        self._views_of, self._views = None, []

    @staticmethod
    def usable(net) -> bool:
        return (next(net.parameters()).device.type == "cpu" and next(net.parameters()).dtype == torch.float32
                and net.config.activation_function == "gelu")

    def norm(self, x, wb, out):  # LayerNorm: (x - mean) / sqrt(var + eps) * w + b, into out
        x = x - x.sum() / x.size
        np.multiply(x, wb[0] * (1 / math.sqrt((x * x).sum() / x.size + self.eps)), out=out)
        out += wb[1]
        return out

    def gelu(self, h, out):  # GELU, exact: h * Phi(h) = h * (0.5 + 0.5 erf(h / sqrt 2)), into out
        for i in range(0, h.size, self.HALF):
            part, o = h[i: i + self.HALF], out[i: i + self.HALF]
            np.multiply(part, 1 / math.sqrt(2), out=o)
            self.erf(o, out=o)
            o *= 0.5
            o += 0.5
            o *= part
        return out

    def __call__(self, token: int, pos: int, cache: list) -> torch.Tensor:
        """The logits (1, V) after ``token`` at position ``pos``; cache as gpt2_forward's, filled to pos."""
        if self._views_of is not cache:  # a new window's cache: its numpy views once, not at every token
            self._views_of = cache
            self._views = [(k.detach().numpy()[0], v.detach().numpy()[0]) for k, v in cache]  # (heads, T, d)
        x = self.wte[token] + self.wpe[pos]  # (C,)
        C, x1, h1 = x.size, self.x1, self.h1
        for b, (K, V) in zip(self.blocks, self._views):
            self.norm(x, b["ln_1"], x1[:C])
            q, K[:, pos], V[:, pos] = (x1 @ b["qkv"]).reshape(3, self.heads, -1)  # (heads, d) each
            att = np.matmul(K[:, :pos + 1], q[:, :, None] * self.scale)[:, :, 0]  # (heads, t): q.k / sqrt(d)
            att = np.exp(att - att.max(1, keepdims=True))
            att /= att.sum(1, keepdims=True)
            x1[:C] = np.matmul(att[:, None, :], V[:, :pos + 1])[:, 0].reshape(C)  # (heads, d) -> (C,)
            x = x + x1 @ b["proj"]
            self.norm(x, b["ln_2"], x1[:C])
            self.gelu(x1 @ b["fc"], h1[:-1])  # (4C,)
            x = x + h1 @ b["out"]
        return torch.from_numpy(self.head @ self.norm(x, self.ln_f, np.empty_like(x)))[None]  # (1, V)


def view_entries(logits, after: list, chars: list, name, top: int, first: int = 0) -> list[dict]:
    """The probability view: logits row i (softmax at temperature 1, no filters) predicted the id
    ``after[i]`` (None past the end), shown as ``chars[i]``. Each entry: {"index": first + i,
    "char", "p": its probability, "rank": 1 for the best guess, "top": [(name(id), p), ...]}."""
    probs = torch.softmax(logits.float(), -1).cpu()
    top_p, top_i = probs.topk(min(top, probs.size(-1)), -1)
    out = []
    for i, tid in enumerate(after):
        row = probs[i]
        entry = {"index": first + i, "char": None, "p": None, "rank": None,
                 "top": [(name(int(j)), float(p)) for p, j in zip(top_p[i], top_i[i])]}
        if tid is not None:
            entry.update(char=chars[i], p=float(row[tid]), rank=int((row > row[tid]).sum()) + 1)
        out.append(entry)
    return out


def kept(context: int) -> int:
    """How many characters of the prompt the GPT reads, and keeps when its window slides: 3/4."""
    return max(1, context - max(1, context // 4))


def generate_windowed(net, ids, n, context, sampler, config_kw, stop_event, streamer, eos=None):
    """Up to ``n`` new ids after ``ids`` from a transformers model whose positions end at
    ``context``: it sees at most the last 3/4 of a window of the prompt, and when the window is
    full it slides forward by a quarter (re-reading the kept 3/4 in one pass, then continuing with
    the KV cache). ``sampler``: a SeededSampler, or None for the likeliest token. ``streamer`` gets
    the prompt once, the new ids as they come, then one end(). Stops at ``eos`` or the event."""
    from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList

    device = next(net.parameters()).device
    keep = kept(context)
    # one sampler (one private generator) for all windows: a seeded draw repeats exactly
    procs = LogitsProcessorList([sampler] if sampler is not None else [])
    stop = StoppingCriteriaList([StopOnEvent(stop_event)])
    out = ids[-keep:]
    if streamer is not None:
        streamer.put(out[None])  # the prompt, once (a TextIteratorStreamer with skip_prompt drops it)
    proxy = _ChunkStreamer(streamer) if streamer is not None else None
    made = 0
    try:
        while made < n and not stop_event.is_set():
            ctx = out[-keep:] if len(out) >= context else out
            step = min(n - made, context - len(ctx))
            mask = torch.ones(1, len(ctx), dtype=torch.long, device=device)
            seq = net.generate(input_ids=ctx[None].to(device), attention_mask=mask, logits_processor=procs,
                               generation_config=GenerationConfig(max_new_tokens=step, do_sample=False, use_cache=True,
                                                                  **config_kw),
                               stopping_criteria=stop, streamer=proxy)[0].cpu()
            out = torch.cat([out, seq[len(ctx):]])
            made += len(seq) - len(ctx)
            if eos is not None and made and int(out[-1]) == eos:
                break
    finally:
        if streamer is not None:
            streamer.end()  # also on an error: a consumer must not wait for ever
    return out[len(out) - made:]


def gpt2_forward(net, ids: torch.Tensor, cache: list, start: int) -> torch.Tensor:
    """The logits of a GPT2LMHeadModel for ``ids`` (B, T) at positions start .. start + T - 1,
    computed from its own weights: (B, T, V). ``cache`` holds each layer's keys and values in
    buffers of the model's whole context ((B, heads, n_positions, head size) each, allocated by
    the first call), filled up to ``start``; this call writes positions start .. start + T - 1.
    GPT-2's block (Radford et al. 2019): x + attn(ln_1(x)), then x + mlp(ln_2(x)), where
    attn = softmax(q k^T / sqrt(d)) v over the earlier positions (Vaswani et al. 2017).
    Why by hand: transformers' forward costs about 1.7 ms a token for the char GPT on this CPU
    (its masks, cache objects and outputs) for 0.1 ms of arithmetic, and a class of thirty asks
    for continuations on one server (bench/text.py decode; tests/test_gpt.py checks the logits).
    Buffers written in place rather than a torch.cat of the growing cache at every token."""
    from transformers.activations import ACT2FN

    t, c = net.transformer, net.config
    B, T = ids.shape
    C, heads, end = c.n_embd, c.n_head, start + T
    assert T == 1 or not cache, "several new positions only on an empty cache"
    act = ACT2FN[c.activation_function]
    x = t.wte.weight[ids] + t.wpe.weight[start:end]  # (B, T, C)
    for i, block in enumerate(t.h):
        attn, mlp = block.attn, block.mlp
        h = F.layer_norm(x, (C,), block.ln_1.weight, block.ln_1.bias, c.layer_norm_epsilon)
        q, k, v = affine(h, attn.c_attn).split(C, dim=2)  # (B, T, C) each
        q, k, v = (a.view(B, T, heads, C // heads).transpose(1, 2) for a in (q, k, v))  # (B, heads, T, d)
        if i == len(cache):  # (B, heads, n_positions, d) each
            cache.append((x.new_empty(B, heads, c.n_positions, C // heads),
                          x.new_empty(B, heads, c.n_positions, C // heads)))
        keys, values = cache[i]
        keys[:, :, start:end] = k
        values[:, :, start:end] = v
        y = F.scaled_dot_product_attention(q, keys[:, :, :end], values[:, :, :end], is_causal=T > 1)
        x = x + affine(y.transpose(1, 2).reshape(B, T, C), attn.c_proj)  # y: (B, heads, T, d)
        h = F.layer_norm(x, (C,), block.ln_2.weight, block.ln_2.bias, c.layer_norm_epsilon)
        x = x + affine(act(affine(h, mlp.c_fc)), mlp.c_proj)
    x = F.layer_norm(x, (C,), t.ln_f.weight, t.ln_f.bias, c.layer_norm_epsilon)
    return x @ net.lm_head.weight.T  # (B, T, V); GPT-2 ties the output to the token embedding


def affine(x: torch.Tensor, layer) -> torch.Tensor:
    """transformers' Conv1D, x W + b with W stored (in, out), as one addmm: (B, T, in) -> (B, T, out)."""
    return torch.addmm(layer.bias, x.reshape(-1, x.size(-1)), layer.weight).view(*x.shape[:-1], -1)


@torch.no_grad()
def decode_steps(net, ids, n, context, pick, stop_event):
    """generate_windowed's windows for our own GPT2LMHeadModel, on gpt2_forward: yields up to
    ``n`` new ids (ints) after ``ids``, one at a time, in the caller's thread. ``pick``:
    next-token logits (1, V) -> the id, (1,)."""
    device = next(net.parameters()).device
    keep = kept(context)
    out = ids[-keep:].tolist()
    made = 0
    step = NumpyStep(net) if NumpyStep.usable(net) else None
    while made < n and not stop_event.is_set():
        ctx = out[-keep:] if len(out) >= context else list(out)
        cache: list = []
        logits = gpt2_forward(net, torch.tensor([ctx], device=device), cache, 0)[:, -1]  # (1, V)
        room = min(n - made, context - len(ctx))
        for j in range(room):
            nxt = int(pick(logits.float().cpu()))
            out.append(nxt)
            made += 1
            yield nxt
            if stop_event.is_set() or j == room - 1:
                break
            if step is not None:
                logits = step(nxt, len(ctx) + j, cache)
            else:
                logits = gpt2_forward(net, torch.tensor([[nxt]], device=device), cache, len(ctx) + j)[:, -1]


class _ChunkStreamer:
    """Forwards the new tokens of several generate() calls to one streamer. Each generate() call
    first puts its prompt and ends with end(); the caller's streamer must see one prompt (the
    real one, put by Model.generate) and one end, after the last chunk."""

    def __init__(self, target):
        self.target = target
        self.skip_next = True

    def put(self, value):
        if self.skip_next:  # this chunk's prompt: the window the model re-reads
            self.skip_next = False
            return
        self.target.put(value)

    def end(self):
        self.skip_next = True


# ---------------------------------------------------------------- the model
class Model(nn.Module):
    family = FAMILY

    def __init__(self, config: Config):
        super().__init__()
        if config.arch not in ARCHS:
            raise ValueError(f"Unknown text model architecture {config.arch!r}; choose one of {', '.join(ARCHS)}")
        if config.arch == "gpt" and config.n_embd % config.n_head:
            raise ValueError(f"n_embd ({config.n_embd}) must be a multiple of n_head ({config.n_head})")
        if config.block_size < 2:
            raise ValueError("block_size must be at least 2")
        if config.optimizer not in ("adamw", "muon"):
            raise ValueError(f"Unknown optimizer {config.optimizer!r}; choose adamw or muon")
        if config.optimizer == "muon" and config.arch != "gpt":
            raise ValueError("The muon optimizer is for the GPT's weight matrices; train the LSTM with adamw")
        self.config = config
        # a step counter, saved with the weights, so a resumed run continues its LR schedule
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))
        self._cache = None  # (data object, train ids, held-out ids): the corpus encoded once
        self._build()

    def _build(self):
        """The tokenizer and the network for ``config.vocab`` (fresh weights)."""
        c = self.config
        c.vocab = list(c.vocab)  # a JSON list, whatever sequence it came as
        self.tokenizer = build_tokenizer(c.vocab)
        self.vocab_size = len(SPECIALS) + len(c.vocab)
        if c.arch == "gpt":
            from transformers import GPT2LMHeadModel

            self.net = GPT2LMHeadModel(gpt2_config(c, self.vocab_size))
        else:
            self.net = CharLSTM(c, self.vocab_size)
        self.net.to(self.steps_done.device)
        self._cache = None

    @property
    def device(self):
        return self.steps_done.device

    # ------------------------------------------------------------ text <-> ids
    def encode(self, text: str) -> torch.Tensor:
        """(len(text),) int64 ids: one per character, <unk> for characters outside the vocabulary."""
        if not text:
            return torch.zeros(0, dtype=torch.long)
        # split_special_tokens: "<unk>" typed in a prompt or a corpus is five characters, not the token
        ids = self.tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
        return torch.tensor(ids, dtype=torch.long)

    def decode(self, ids) -> str:
        """Ids -> text; <pad>/<bos>/<eos> are dropped, <unk> becomes U+FFFD."""
        ids = [int(i) for i in torch.as_tensor(ids).reshape(-1).tolist() if int(i) not in (PAD, BOS, EOS)]
        return self.tokenizer.decode(ids, skip_special_tokens=False)

    def _encode_corpus(self, text: str) -> torch.Tensor:
        # the Rust tokenizer in 100k-character pieces: no piece boundary matters for characters
        parts = [self.encode(text[i:i + 100_000]) for i in range(0, len(text), 100_000)]
        return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.long)

    def _ids(self, data):
        if self._cache is None or self._cache[0] is not data:
            self._cache = (data, self._encode_corpus(data.train), self._encode_corpus(data.heldout))
        return self._cache[1], self._cache[2]

    # ------------------------------------------------------------ training contract
    def prepare(self, data):
        """Take the vocabulary from the training text if there is none yet (a new model), and
        rebuild the network to fit it; a model with a vocabulary (a checkpoint) keeps it, and
        characters it has not seen read as <unk>."""
        if not self.config.vocab:
            chars = sorted(set(data.train))
            if not chars:
                raise said(ValueError, "err.text_empty")
            self.config.vocab = chars
            self._build()
        train, _ = self._ids(data)
        if len(train) < self.config.block_size + 1:
            raise said(ValueError, "err.text_shorter_than_window", n=len(train), window=self.config.block_size + 1)

    def configure_optimizers(self):
        """AdamW with weight decay on the 2-D weights (matmuls and embeddings) only, as nanoGPT:
        biases and LayerNorm gains are not decayed. With ``optimizer="muon"`` Muon takes the
        blocks' weight matrices: it orthogonalises each matrix's momentum (Newton-Schulz), which
        suits hidden matrices only, so the embedding (tied to the read-out) stays with AdamW."""
        c = self.config
        muon = [p for n, p in self.named_parameters() if p.requires_grad and p.dim() == 2
                and not any(k in n for k in ("wte", "wpe", "lm_head"))] if c.optimizer == "muon" else []
        taken = {id(p) for p in muon}
        # parameters() lists a tied weight once
        params = [p for p in self.parameters() if p.requires_grad and id(p) not in taken]
        groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": c.weight_decay},
                  {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
        fused = self.device.type in ("cuda", "cpu")
        opts = {"opt": torch.optim.AdamW(groups, lr=c.lr, betas=(0.9, c.beta2), fused=fused)}
        if muon:
            opts["muon"] = torch.optim.Muon(muon, lr=c.lr, weight_decay=c.weight_decay,
                                            adjust_lr_fn="match_rms_adamw")
        return opts

    def lr_at(self, step: int) -> float:
        """Linear warm-up, then cosine decay from lr to min_lr by ``decay_steps`` (Loshchilov &
        Hutter 2017, "SGDR", without restarts), then min_lr."""
        c = self.config
        if c.warmup_steps and step < c.warmup_steps:
            return c.lr * (step + 1) / c.warmup_steps
        if c.decay_steps <= c.warmup_steps:
            return c.lr
        t = min(1.0, (step - c.warmup_steps) / (c.decay_steps - c.warmup_steps))
        return c.min_lr + 0.5 * (1 + math.cos(math.pi * t)) * (c.lr - c.min_lr)

    def make_batch(self, data, batch_size, generator):
        """(batch_size, block_size + 1) ids: random windows of the training text."""
        train, _ = self._ids(data)
        T = self.config.block_size
        if len(train) < T + 1:
            raise ValueError(f"The training text is shorter than block_size + 1 = {T + 1} characters")
        starts = torch.randint(len(train) - T, (batch_size,), generator=generator)
        return train[starts[:, None] + torch.arange(T + 1)].to(self.device)

    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) ids -> (B, T, V) next-token logits; the GPT needs T <= block_size."""
        if self.config.arch == "gpt":
            return self.net(input_ids=ids, use_cache=False).logits
        return self.net(ids)[0]

    def _loss(self, block):
        x, y = block[:, :-1], block[:, 1:]  # predict each next character
        logits = self.logits(x)
        return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))  # fp32 under autocast

    def train_step(self, batch, opts) -> dict[str, float]:
        lr = self.lr_at(int(self.steps_done))
        for opt in opts.values():  # the schedule lives here: the trainer only calls train_step
            for g in opt.param_groups:
                g["lr"] = lr
        loss = self._loss(batch)
        for opt in opts.values():
            opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.parameters(), self.config.grad_clip)
        for opt in opts.values():
            opt.step()
        self.steps_done += 1
        return {"loss": loss.item(), "lr": lr}

    @torch.no_grad()
    def evaluate(self, data, n_blocks: int = EVAL_BLOCKS, seed: int = 0) -> dict[str, float]:
        """Held-out loss in nats per character over ``n_blocks`` windows of the held-out text,
        placed by a fixed seed, dropout off: two evaluations differ only if the model changed."""
        _, held = self._ids(data)
        T = min(self.config.block_size, len(held) - 1)
        if T < 1:
            return {}
        starts = torch.randint(len(held) - T, (n_blocks,), generator=torch.Generator().manual_seed(seed))
        blocks = held[starts[:, None] + torch.arange(T + 1)]
        was_training = self.training
        self.eval()
        try:
            total = sum(self._loss(b.to(self.device)).item() * len(b) for b in blocks.split(64))
        finally:
            self.train(was_training)
        return {"loss": total / n_blocks}

    @torch.no_grad()
    def preview(self) -> str:
        """A fixed-seed sample from the prompt "\\n": the same draw at each step, so the text
        shows what training changed."""
        return self.generate("\n", PREVIEW_CHARS, seed=1234)

    def sample(self, n: int, generator: torch.Generator | None = None, prompt: str = "\n") -> str:
        """``n`` new characters after ``prompt`` (the prompt is not included)."""
        seed = None if generator is None else int(torch.randint(2**62, (1,), generator=generator))
        return self.generate(prompt, n, seed=seed)

    # ------------------------------------------------------------ generation
    def _prompt_ids(self, prompt: str) -> torch.Tensor:
        ids = self.encode(prompt or "")
        if len(ids) == 0:  # nothing to condition on: start after a newline, as the corpus does
            ids = self.encode("\n") if "\n" in self.config.vocab else torch.tensor([len(SPECIALS)])
        return ids

    @torch.no_grad()
    def generate(self, prompt: str = "\n", max_new_tokens: int = 200, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, seed: int | None = None,
                 streamer=None, stop_event: threading.Event | None = None) -> str:
        """Continue ``prompt`` by up to ``max_new_tokens`` characters (clamped to 0..2000) and
        return the new text only. ``temperature`` <= 0 means greedy; ``top_k`` None or 0 and
        ``top_p`` None or 1 turn those filters off. ``seed`` makes the draw repeatable.
        ``streamer`` (e.g. transformers' TextIteratorStreamer) gets the prompt's ids once, then
        the new tokens as they come, then one end(), for both architectures. Setting
        ``stop_event`` stops after the current token; what was made so far is returned.

        Context: the GPT's learned positions end at ``block_size``, so it sees at most the last
        3/4 * block_size characters of the prompt; when the window is full it slides forward by
        block_size / 4 characters at a time (re-reading the kept 3/4 in one pass, then
        continuing with the KV cache). The LSTM reads the last block_size characters of the
        prompt (its training windows) and then carries its state along, unbounded."""
        ids = self._prompt_ids(prompt)
        if streamer is not None:  # the window the model reads, once
            streamer.put(ids[-kept(self.config.block_size):][None] if self.config.arch == "gpt"
                         else ids[-self.config.block_size:][None])
        new = []
        try:
            for i in self._steps(ids, max_new_tokens, temperature, top_k, top_p, seed, stop_event):
                new.append(i)
                if streamer is not None:
                    streamer.put(torch.tensor([i]))
        finally:
            if streamer is not None:
                streamer.end()  # also on an error: a consumer must not wait for ever
        return self.decode(new)

    def stream(self, prompt: str = "\n", max_new_tokens: int = 200, temperature: float = 1.0,
               top_k: int | None = None, top_p: float | None = None, seed: int | None = None,
               stop_event: threading.Event | None = None, record: list | None = None):
        """generate()'s new text one character at a time, drawn in the caller's thread as the
        caller asks for it (the same characters for the same seed). A server streams this
        without a second thread and a queue between them: 100 characters 123 -> 103 ms alone,
        175 -> 158 ms of the server's CPU (BENCHMARKS.md, issue 31). ``record``, a list, gets
        ``(logits (V,), id)`` for each character as it is drawn: drawn_distribution() reads them."""
        chars = self._chars()
        for i in self._steps(self._prompt_ids(prompt), max_new_tokens, temperature, top_k, top_p, seed,
                             stop_event, record):
            yield chars[i]

    def _chars(self) -> list[str]:
        """decode() of each id alone: "" for <pad>/<bos>/<eos>, U+FFFD for <unk>."""
        if getattr(self, "_char_list", None) is None:
            self._char_list = [self.decode([i]) for i in range(self.vocab_size)]
        return self._char_list

    def _steps(self, ids, max_new_tokens, temperature, top_k, top_p, seed, stop_event, record=None):
        """The new ids, one at a time (a generator), in eval mode while it runs; ``record`` as stream's."""
        n = max(0, min(int(max_new_tokens), MAX_NEW_TOKENS))
        stop_event = stop_event or threading.Event()
        # the same draws as generate() with a SeededSampler: one private generator, the same filter
        g = torch.Generator()
        g.manual_seed(int(seed)) if seed is not None else g.seed()
        if temperature is not None and temperature > 0:
            def pick(logits):
                return draw(filter_logits(logits, temperature, top_k, top_p).softmax(-1), g)[0]
        else:
            def pick(logits):
                best = filter_logits(logits).argmax(-1)  # NaN counts as the largest: refused, as draw() does
                if not bool(torch.isfinite(logits[0, best]).all()):
                    raise said(ValueError, "err.model_not_numbers")
                return best
        if record is not None:
            plain = pick

            def pick(logits):  # noqa: F811 - the same draw, its logits kept
                i = plain(logits)
                record.append((logits[0], int(i)))
                return i
        was_training = self.training
        self.eval()
        try:
            if self.config.arch == "gpt":
                yield from decode_steps(self.net, ids, n, self.config.block_size, pick, stop_event)
            else:
                yield from self._lstm_steps(ids, n, pick, stop_event)
        finally:
            self.train(was_training)

    @torch.no_grad()
    def _lstm_steps(self, ids, n, pick, stop_event):
        logits, state = self.net(ids[-self.config.block_size:][None].to(self.device))
        for made in range(n):
            if stop_event.is_set():
                break
            nxt = int(pick(logits[:, -1].float().cpu()))
            yield nxt
            if made < n - 1:
                logits, state = self.net(torch.tensor([[nxt]], device=self.device), state)

    # ------------------------------------------------------------ the probabilities view
    @torch.no_grad()
    def next_token_distribution(self, text: str, top: int = 5, max_chars: int = 2000) -> list[dict]:
        """For each character of ``text`` after the first (and one step past its end): how likely
        the model found it given the characters before it, and its ``top`` best guesses there.

        Returns a list of ``{"index": i, "char": text[i] (None past the end), "p": p(text[i] |
        text[:i]) (None past the end), "rank": 1 for the model's best guess, "top": [(char, p), ...]}``
        for i = 1..len(text). Probabilities are the model's softmax at temperature 1, specials
        included, without the filters that sampling applies. The GPT sees the last block_size
        characters before each position (a sliding window); the LSTM the whole text before it.
        Only the first ``max_chars`` characters are read."""
        text = text[:max_chars]
        ids = self.encode(text)
        L = len(ids)
        if L == 0:
            return []
        was_training = self.training
        self.eval()
        try:
            logits = self._all_logits(ids)  # (L, V): row i predicts character i + 1
        finally:
            self.train(was_training)
        names = self.tokenizer.convert_ids_to_tokens(list(range(self.vocab_size)))
        after = [*ids[1:].tolist(), None]
        return view_entries(logits, after, [*text[1:], None], names.__getitem__, top, first=1)

    def drawn_distribution(self, record: list, top: int = 5) -> list[dict]:
        """next_token_distribution's entries for the characters a stream() drew, from the logits it
        drew them from (``record``): no second pass over the text, and the very context the model
        read. ``index`` counts from the first new character (0); a special drawn is an entry with
        char "" (it adds no text)."""
        if not record:
            return []
        names = self.tokenizer.convert_ids_to_tokens(list(range(self.vocab_size)))
        ids = [i for _, i in record]
        chars = self._chars()
        rows = torch.stack([row for row, _ in record])  # (n, V)
        return view_entries(rows, ids, [chars[i] for i in ids], names.__getitem__, top)

    def _all_logits(self, ids: torch.Tensor) -> torch.Tensor:
        """(L,) ids -> (L, V): row i is the logits after ids[: i + 1] (GPT: its last block_size)."""
        T, L = self.config.block_size, len(ids)
        if self.config.arch == "lstm" or L <= T:
            return self.logits(ids[None].to(self.device))[0]
        first = self.logits(ids[None, :T].to(self.device))[0]  # rows 0..T-1
        windows = ids.unfold(0, T, 1)[1:]  # the window starting at k = 1..L-T gives row k + T - 1
        rest = [self.logits(w.to(self.device))[:, -1] for w in windows.split(64)]
        return torch.cat([first, *rest])

    # ------------------------------------------------------------ transformers' own format
    def save_pretrained(self, folder: str | os.PathLike) -> Path:
        """The GPT as a transformers folder (config.json, model.safetensors, tokenizer files) that
        AutoModelForCausalLM / AutoTokenizer read, plus genai_config.json with this family's config."""
        if self.config.arch != "gpt":
            raise ValueError("Only the GPT is a transformers model; save the LSTM as a genai checkpoint")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.net.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)
        meta = {"config": asdict(self.config), "steps_done": int(self.steps_done)}
        (folder / GENAI_CONFIG).write_text(json.dumps(meta, indent=1))
        return folder

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike, device=None) -> "Model":
        """The inverse of save_pretrained (a folder it wrote)."""
        from transformers import GPT2LMHeadModel

        folder = Path(folder)
        if not (folder / GENAI_CONFIG).is_file():
            raise ValueError(f"{folder} has no {GENAI_CONFIG}: not saved by this app (use genai.models.lm.load_pretrained_hub)")
        meta = json.loads((folder / GENAI_CONFIG).read_text("utf-8"))
        names = {f.name for f in fields(Config)}
        model = cls(Config(**{k: v for k, v in meta["config"].items() if k in names}))
        net = GPT2LMHeadModel.from_pretrained(folder, use_safetensors=True)
        if net.config.vocab_size != model.vocab_size:
            raise ValueError(f"{folder}: the weights' vocabulary ({net.config.vocab_size}) does not fit the config's")
        model.net = net
        model.steps_done.fill_(int(meta.get("steps_done", 0)))
        model.eval()
        return model.to(device) if device is not None else model

