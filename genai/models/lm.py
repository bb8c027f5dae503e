"""Pretrained causal language models (any ``AutoModelForCausalLM`` from the Hugging Face Hub or a
local folder, or the char GPT trained here) fine-tuned on a text, in full or with LoRA through the
``peft`` library.

LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models", eq. 3) freezes each
pretrained weight W (d x k) and learns a low-rank change to it,

    h = W x + (alpha / r) B A x,      A: r x k (random at first), B: d x r (zeros at first),

so the model starts exactly as the pretrained one, a fine-tune trains r (d + k) numbers per
adapted matrix instead of d k, and the checkpoint holds only A and B: the base model is read
again, from its id or folder, whenever the checkpoint is loaded. A full fine-tune trains (and
saves) every weight.

The loss is the same next-token cross-entropy as the char models', -1/N sum_t log p(x_t | x_<t),
but over the base model's own tokens (GPT-2's byte-level BPE: about 4 characters each), so it
is reported per token and also per character (times tokens/characters of the held-out text), the
number to compare with the char GPT's.
"""
from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from genai.locales import Words, said
from genai.models import gpt

FAMILY = "lm"
DATA_KIND = "text"
# seconds a step takes on this server, for the queue's estimates (genai/jobs.py): a rough figure
SECONDS_PER_STEP = {None: 0.3}
EVAL_BLOCKS = 100
# the largest Hub model a page may load: fp32 weights take 4 bytes a parameter, a full fine-tune
# with AdamW about 16 (weights, gradients, two moments), so 800 M (gpt2-large) needs 3 GB to run
# and 13 GB to fine-tune in full
MAX_HUB_PARAMS = int(float(os.environ.get("GENAI_MAX_HUB_PARAMS", 8e8)))
PREVIEW_CHARS = 200
MAX_NEW_TOKENS = 1000


@dataclass
class Config:
    base: str = ""  # a Hub id ("distilgpt2"), a local transformers folder, or a char GPT checkpoint (.safetensors)
    lora: bool = True  # train low-rank adapters only; False: a full fine-tune
    lora_r: int = 8  # the rank r of B A
    lora_alpha: float = 16.0  # the update is scaled by alpha / r
    lora_dropout: float = 0.05  # on the adapter's input
    target_modules: list | None = None  # which layers get adapters; None: peft's default for the architecture
    block_size: int = 128  # tokens per training window (at most the base model's context)
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 20
    decay_steps: int = 0  # cosine from lr to min_lr by this step; 0: constant after the warm-up
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    batch_size: int = 8


PRESETS = {
    # adapters on the attention projections (peft's default for GPT-2: c_attn), rank 8; lr from
    # python bench/text.py finetune (BENCHMARKS.md): 1e-3 forgets less, 5e-3 learns a little more
    "lora": dict(lora=True, lora_r=8, lora_alpha=16.0, lora_dropout=0.05, block_size=128, lr=2e-3, min_lr=2e-4),
    # every weight; a much smaller step size: at 5e-4 the char GPT forgot far more than it learned
    "full": dict(lora=False, block_size=128, lr=1e-4, min_lr=1e-5),
    "tiny": dict(lora=True, lora_r=4, lora_alpha=8.0, lora_dropout=0.0, block_size=32, lr=1e-2, min_lr=1e-3,
                 warmup_steps=2),  # tests
}


# ---------------------------------------------------------------- loading a base model
def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hub's host answers on port 443 within ``timeout`` seconds. Offline, transformers
    would otherwise retry for about a minute before it gives up."""
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co").hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def load_pretrained_hub(model_id_or_path: str, device=None):
    """Any causal language model and its tokenizer, from the Hugging Face Hub or a local folder:
    (model, tokenizer), in eval mode. Safetensors weights only, and no code from the repository
    (``trust_remote_code=False``). Offline, a Hub id is looked up in the local Hugging Face cache
    only. Raises ValueError for a missing or unusable local folder, RuntimeError when the model
    cannot be had (offline and not cached, or no such model)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name = str(model_id_or_path).strip()
    if not name:
        raise ValueError("Give a Hugging Face Hub model id (such as distilgpt2) or a local folder")
    path = Path(name).expanduser()
    if (name.startswith((".", "/", "~")) or path.exists()) and not path.is_dir():
        raise ValueError(f"No model folder at {name}")
    local = path.is_dir()
    online = not local and hub_reachable()
    if online:
        check_hub_size(name)
    kw = dict(trust_remote_code=False, local_files_only=not online)
    try:
        tok = AutoTokenizer.from_pretrained(str(path) if local else name, **kw)
        model = AutoModelForCausalLM.from_pretrained(str(path) if local else name, use_safetensors=True, **kw)
    except (OSError, ValueError) as e:  # no connection, no such repository, no safetensors weights
        if local:
            raise ValueError(f"{name} is not a loadable causal language model folder ({e})") from None
        why = Words("lm.not_on_hub" if online else "lm.offline")
        raise said(RuntimeError, "err.hub_load", name=repr(name), why=why, kind=type(e).__name__) from None
    model.eval()
    return (model.to(device) if device is not None else model), tok


def check_hub_size(name: str, limit: int | None = None) -> None:
    """Refuse, before any download, a Hub model with more than ``limit`` parameters (default
    GENAI_MAX_HUB_PARAMS): one student's typo must not fill the server's memory."""
    from huggingface_hub import HfApi

    limit = MAX_HUB_PARAMS if limit is None else limit
    try:
        info = HfApi().model_info(name, timeout=10, expand=["safetensors"])
    except Exception:  # noqa: BLE001 (no such model, gated, no answer): from_pretrained says why
        return
    total = getattr(getattr(info, "safetensors", None), "total", None)
    if total and total > limit:
        raise said(RuntimeError, "err.hub_too_large", name=name, billions=f"{total / 1e9:.1f}",
                   millions=f"{limit / 1e6:,.0f}")


def load_base(base: str):
    """(transformers model, tokenizer) for ``base``: a char GPT checkpoint written by this app
    (its GPT2LMHeadModel and character tokenizer), else a Hub id or folder."""
    if str(base).endswith(".safetensors"):
        from genai import models

        char, _ = models.from_checkpoint(base, "gpt")
        if char.config.arch != "gpt":
            raise ValueError("Only a transformer can be a base model: choose the char GPT, not the LSTM")
        return char.net, char.tokenizer
    try:
        return load_pretrained_hub(base)
    except RuntimeError as e:  # offline or no such model: a message for the run's status line
        raise ValueError(str(e)) from None


def context_length(net) -> int:
    c = net.config
    return int(getattr(c, "n_positions", None) or getattr(c, "max_position_embeddings", None) or 1024)


# ---------------------------------------------------------------- the model
class Model(nn.Module):
    family = FAMILY

    def __init__(self, config: Config):
        super().__init__()
        if not str(config.base).strip():
            raise ValueError("Say which pretrained model to fine-tune: a Hub id, a folder or a char GPT checkpoint")
        config.base = config.base.strip()
        if Path(config.base).expanduser().exists():  # a local base: saved as a full path, so that the
            config.base = str(Path(config.base).expanduser().resolve())  # checkpoint loads from any folder
        self.config = config
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))
        net, self.tokenizer = load_base(config.base)
        net = net.float()  # train and read out in fp32 (Hub weights may come as fp16 or bf16)
        self.context = context_length(net)
        self.block = max(2, min(config.block_size, self.context - 1))
        if config.lora:
            from peft import LoraConfig, get_peft_model
            from transformers.pytorch_utils import Conv1D

            # GPT-2 stores its projections transposed (Conv1D): the adapters must know
            transposed = any(isinstance(m, Conv1D) for m in net.modules())
            lcfg = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                              target_modules=config.target_modules, fan_in_fan_out=transposed, task_type="CAUSAL_LM")
            try:
                with warnings.catch_warnings():  # peft calls a transformers API that v5 deprecated
                    warnings.simplefilter("ignore", FutureWarning)
                    net = get_peft_model(net, lcfg)  # freezes the base; adds A and B
            except ValueError as e:  # an architecture peft has no default layers for
                raise ValueError(f"LoRA cannot adapt {config.base} ({e}); name target_modules") from None
        self.net = net
        self.chars_per_token = 1.0  # measured on the training text by prepare()
        self._cache = None

    @property
    def device(self):
        return self.steps_done.device

    def trainable(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    # ------------------------------------------------------------ checkpoints: only what was trained
    def state_dict(self, *args, **kwargs):
        """With LoRA, the adapters and the step counter only (the base is read from
        ``config.base``); a full fine-tune saves every weight."""
        full = super().state_dict(*args, **kwargs)
        if not self.config.lora:
            return full
        keep = {n for n, p in self.named_parameters() if p.requires_grad} | {"steps_done"}
        return type(full)((k, v) for k, v in full.items() if k in keep)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        if not self.config.lora:
            return super().load_state_dict(state_dict, strict=strict, assign=assign)
        want, have = set(self.state_dict()), set(state_dict)
        if strict and want != have:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                               f"missing keys {sorted(want - have)[:3]}, unexpected keys {sorted(have - want)[:3]}")
        return super().load_state_dict(state_dict, strict=False, assign=assign)

    # ------------------------------------------------------------ text <-> ids
    def encode(self, text: str) -> torch.Tensor:
        if not text:
            return torch.zeros(0, dtype=torch.long)
        # split_special_tokens: "<|endoftext|>" typed by a user is text, not the end of the document
        ids = self.tokenizer(text, add_special_tokens=False, split_special_tokens=True, verbose=False)["input_ids"]
        return torch.tensor(ids, dtype=torch.long)

    def decode(self, ids) -> str:
        return self.tokenizer.decode([int(i) for i in torch.as_tensor(ids).reshape(-1)], skip_special_tokens=True)

    def _encode_corpus(self, text: str) -> torch.Tensor:
        # in pieces that end at a newline, so that no word is cut in two (BPE merges within words)
        parts, i = [], 0
        while i < len(text):
            j = text.find("\n", i + 50_000)
            j = len(text) if j < 0 else j + 1
            parts.append(self.encode(text[i:j]))
            i = j
        return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.long)

    _ids = gpt.Model._ids  # (train ids, held-out ids), encoded once per data set

    # ------------------------------------------------------------ training contract
    def prepare(self, data):
        train, held = self._ids(data)
        if len(train) < self.block + 1:
            raise said(ValueError, "err.text_shorter_than_window_tokens", n=len(train), window=self.block + 1)
        self.chars_per_token = max(len(data.train), 1) / max(len(train), 1)

    def configure_optimizers(self):
        c = self.config
        params = self.trainable()
        groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": c.weight_decay},
                  {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
        fused = self.device.type in ("cuda", "cpu")
        return {"opt": torch.optim.AdamW([g for g in groups if g["params"]], lr=c.lr, fused=fused)}

    # the char GPT's schedule (warm-up, cosine decay) and training step: the same next-token
    # objective; clipping skips the frozen weights, which have no gradient
    lr_at = gpt.Model.lr_at
    _loss = gpt.Model._loss
    train_step = gpt.Model.train_step

    def make_batch(self, data, batch_size, generator):
        """(batch_size, block + 1) token ids: random windows of the training text."""
        train, _ = self._ids(data)
        T = self.block
        starts = torch.randint(len(train) - T, (batch_size,), generator=generator)
        return train[starts[:, None] + torch.arange(T + 1)].to(self.device)

    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        return self.net(input_ids=ids, use_cache=False).logits

    @torch.no_grad()
    def evaluate(self, data, n_blocks: int = EVAL_BLOCKS, seed: int = 0) -> dict[str, float]:
        """Held-out loss in nats per token over fixed windows of the held-out text, and the same
        per character (nats/token x tokens/character of the held-out text)."""
        _, held = self._ids(data)
        T = min(self.block, len(held) - 1)
        if T < 1:
            return {}
        starts = torch.randint(len(held) - T, (n_blocks,), generator=torch.Generator().manual_seed(seed))
        blocks = held[starts[:, None] + torch.arange(T + 1)]
        was_training = self.training
        self.eval()
        try:
            loss = sum(self._loss(b.to(self.device)).item() * len(b) for b in blocks.split(16)) / n_blocks
        finally:
            self.train(was_training)
        return {"loss": loss, "loss_per_char": loss * len(held) / max(len(data.heldout), 1)}

    @torch.no_grad()
    def preview(self) -> str:
        """A fixed-seed sample from the prompt "\\n", about PREVIEW_CHARS characters long."""
        return self.generate("\n", max(1, round(PREVIEW_CHARS / self.chars_per_token)), seed=1234)

    def sample(self, n: int, generator: torch.Generator | None = None, prompt: str = "\n") -> str:
        """``n`` new tokens after ``prompt`` (the prompt is not included)."""
        seed = None if generator is None else int(torch.randint(2**62, (1,), generator=generator))
        return self.generate(prompt, n, seed=seed)

    # ------------------------------------------------------------ generation
    @torch.no_grad()
    def generate(self, prompt: str = "\n", max_new_tokens: int = 200, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, seed: int | None = None,
                 streamer=None, stop_event: threading.Event | None = None) -> str:
        """Continue ``prompt`` by up to ``max_new_tokens`` tokens (at most MAX_NEW_TOKENS) and
        return the new text only, as the char GPT's generate() does, with the same sliding window
        past the base model's context. Stops early at the end-of-text token."""
        n = max(1, min(int(max_new_tokens), MAX_NEW_TOKENS))
        ids = self.encode(prompt or "\n")
        if len(ids) == 0:
            ids = self.encode("\n")
        tok = self.tokenizer
        eos = tok.eos_token_id
        sampling = temperature is not None and temperature > 0
        never = tuple(i for i in {tok.pad_token_id} - {None, eos})  # padding is never a next token
        sampler = gpt.SeededSampler(temperature, top_k, top_p, seed, never) if sampling else None
        kw = dict(eos_token_id=eos, pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else eos)
        was_training = self.training
        self.eval()
        try:
            new = gpt.generate_windowed(self.net, ids, n, self.context, sampler, kw,
                                    stop_event or threading.Event(), streamer, eos=eos)
        finally:
            self.train(was_training)
        return self.decode(new)

    # ------------------------------------------------------------ the probabilities view
    @torch.no_grad()
    def next_token_distribution(self, text: str, top: int = 5, max_chars: int = 4000) -> list[dict]:
        """As the char GPT's, per token: for each token of ``text`` after the first, ``{"index",
        "char": the token's text, "p": its probability given the tokens before it, "rank",
        "top": [(token text, p), ...]}``, and one entry past the end (char and p None)."""
        ids = self.encode(text[:max_chars])
        L = len(ids)
        if L == 0:
            return []
        was_training = self.training
        self.eval()
        try:
            logits = self._all_logits(ids)
        finally:
            self.train(was_training)
        after = [*ids[1:].tolist(), None]
        name = lambda i: self.tokenizer.decode([i])  # noqa: E731 - a token's text
        chars = [None if i is None else name(i) for i in after]
        return gpt.view_entries(logits, after, chars, name, top, first=1)

    def _all_logits(self, ids: torch.Tensor) -> torch.Tensor:
        """(L,) ids -> (L, V): row i is the logits after ids[: i + 1] (at most the last context tokens)."""
        T, L = self.context, len(ids)
        if L <= T:
            return self.logits(ids[None].to(self.device))[0]
        first = self.logits(ids[None, :T].to(self.device))[0]
        windows = ids.unfold(0, T, 1)[1:]
        rest = [self.logits(w.to(self.device))[:, -1] for w in windows.split(8)]
        return torch.cat([first, *rest])
