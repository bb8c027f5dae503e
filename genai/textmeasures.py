"""How good is this text? The measures the course material names, and what each one misses.

A model continues K passages of the held-out text (the part it never trained on) from their first
``prompt_chars`` characters, for as many characters as the true continuation has; each
continuation is scored against the true one and on its own:

- **BLEU** (Papineni et al. 2002): the geometric mean of the word n-gram precisions, n = 1..4,
  times a brevity penalty, 0-100; ``sacrebleu`` (Post 2018) with its standard tokenizer. A
  passage's BLEU is sacrebleu's sentence BLEU (exponential smoothing); the corpus BLEU pools the
  n-gram counts of every passage first, as BLEU was defined.
- **chrF** (Popovic 2015): the F-score (beta = 2) of character n-grams, n = 1..6, 0-100.
- **ROUGE-L** (Lin 2004): the F-measure of the longest common subsequence of words, 0-1
  (``rouge-score``, Google's reference implementation).
- **distinct-n** (Li et al. 2016): unique word n-grams / all word n-grams of a continuation.
- **repetition** (Welleck et al. 2020, seq-rep-4): 1 - unique 4-grams / all 4-grams.

and the model on its own: the **held-out loss** L in nats per character (the mean of
-ln p(x_t | x_<t) over the held-out text), **perplexity** = exp(L), **bits per character** = L / ln 2.

Overlap with one reference rewards the likeliest words, so it rises as the temperature falls while
the text loops; a real continuation scores low against another real passage. Perplexity measures
the model's predictions of real text, not any sample it draws.

Baselines: a character bigram model fitted on the training text (``Bigram``), and any checkpoint.
"""
from __future__ import annotations

import math
import random
import re
import time
from typing import Callable

import torch

from genai.data import DataError, TextData
from genai.locales import said

TEMPERATURES = {"greedy": 0.0, "0.5": 0.5, "0.8": 0.8, "1.0": 1.0, "1.2": 1.2}
PROMPT_CHARS = 64  # what the model reads: within the char GPT's window (3/4 of its 128)
CONTINUATION_CHARS = 160  # the true continuation each sample is scored against (about 30 words)
MAX_PASSAGES = 200
DEFAULT_PASSAGES = 20
WORD = re.compile(r"\w+|[^\w\s]")  # words and punctuation marks, for distinct-n and the marks
REAL = "real text"  # the row of true continuations scored against another passage's


# ---------------------------------------------------------------- scores
def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def ngrams(tokens: list[str], n: int) -> list[tuple]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct(tokens: list[str], n: int) -> float:
    """Unique n-grams / all n-grams (Li et al. 2016); 0 for a text shorter than n words."""
    grams = ngrams(tokens, n)
    return len(set(grams)) / len(grams) if grams else 0.0


def repetition(tokens: list[str], n: int = 4) -> float:
    """seq-rep-n (Welleck et al. 2020): the share of n-grams that repeat an earlier one."""
    grams = ngrams(tokens, n)
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


_ROUGE = None


def rouge_l(continuation: str, reference: str) -> float:
    global _ROUGE
    if _ROUGE is None:
        from rouge_score import rouge_scorer

        _ROUGE = rouge_scorer.RougeScorer(["rougeL"])
    return _ROUGE.score(reference, continuation)["rougeL"].fmeasure  # score(target, prediction)


def scores(continuation: str, reference: str) -> dict[str, float]:
    """One continuation against its reference (BLEU, chrF, ROUGE-L), and on its own."""
    import sacrebleu

    toks = words(continuation)
    return {"bleu": sacrebleu.sentence_bleu(continuation, [reference]).score,
            "chrf": sacrebleu.sentence_chrf(continuation, [reference]).score,
            "rouge_l": rouge_l(continuation, reference),
            "distinct_1": distinct(toks, 1), "distinct_2": distinct(toks, 2), "repetition": repetition(toks)}


def corpus_scores(continuations: list[str], references: list[str]) -> dict[str, float]:
    """The same over all passages: BLEU and chrF from the pooled counts (as they are defined),
    ROUGE-L and repetition as means, distinct-n over every passage's n-grams together."""
    import sacrebleu

    toks = [words(c) for c in continuations]
    pooled = {n: [g for t in toks for g in ngrams(t, n)] for n in (1, 2)}
    return {"bleu": sacrebleu.corpus_bleu(continuations, [references]).score,
            "chrf": sacrebleu.corpus_chrf(continuations, [references]).score,
            "rouge_l": sum(rouge_l(c, r) for c, r in zip(continuations, references)) / len(continuations),
            "distinct_1": len(set(pooled[1])) / max(len(pooled[1]), 1),
            "distinct_2": len(set(pooled[2])) / max(len(pooled[2]), 1),
            "repetition": sum(repetition(t) for t in toks) / len(toks)}


def matches(continuation: str, reference: str) -> list[tuple[str, int]]:
    """The continuation's words (with the spaces between them), each marked with the longest
    n (up to 4) of an n-gram it is part of that the reference also has; 0 for no match."""
    pieces = re.findall(r"\w+|[^\w\s]|\s+", continuation)
    idx = [i for i, p in enumerate(pieces) if not p.isspace()]
    toks = [pieces[i].lower() for i in idx]
    ref = words(reference)
    mark = [0] * len(toks)
    for n in (1, 2, 3, 4):
        have = set(ngrams(ref, n))
        for i, g in enumerate(ngrams(toks, n)):
            if g in have and (n > 1 or g[0][0].isalnum()):  # a lone comma shared is no match worth showing
                for j in range(i, i + n):
                    mark[j] = max(mark[j], n)
    marks = dict(zip(idx, mark))
    return [(p, marks.get(i, 0)) for i, p in enumerate(pieces)]


# ---------------------------------------------------------------- a baseline
class Bigram:
    """A character bigram model fitted on the training text: p(b | a) = (count(ab) + alpha) /
    (count(a) + alpha V), add-alpha smoothed (Jurafsky & Martin, ch. 3); V counts the training
    text's characters plus one for any unseen one."""

    family = "bigram"

    def __init__(self, train: str, alpha: float = 0.1):
        if len(train) < 2:
            raise said(DataError, "err.text_empty")
        self.vocab = sorted(set(train))
        self.index = {c: i for i, c in enumerate(self.vocab)}
        V = len(self.vocab) + 1  # the last id: a character the training text does not have
        ids = torch.tensor([self.index[c] for c in train])
        counts = torch.zeros(V, V).index_put_((ids[:-1], ids[1:]), torch.ones(len(ids) - 1), accumulate=True)
        self.logp = ((counts + alpha) / (counts.sum(1, keepdim=True) + alpha * V)).log()  # (V, V)

    def _id(self, c: str) -> int:
        return self.index.get(c, len(self.vocab))

    def heldout_loss(self, text: str) -> float:
        """Mean -ln p(x_t | x_{t-1}) over ``text``, nats per character."""
        ids = torch.tensor([self._id(c) for c in text])
        return float(-self.logp[ids[:-1], ids[1:]].mean())

    def generate(self, prompt: str = "\n", max_new_tokens: int = 200, temperature: float = 1.0,
                 seed: int | None = None, **_) -> str:
        g = torch.Generator().manual_seed(seed if seed is not None else random.randrange(2**31))
        logp = self.logp[:, :-1]  # it never writes the unseen-character id
        a, out = self._id(prompt[-1:] or "\n"), []
        for _ in range(max(0, int(max_new_tokens))):
            row = logp[a]
            a = int(row.argmax()) if not temperature or temperature <= 0 else \
                int(torch.multinomial((row / temperature).softmax(-1), 1, generator=g))
            out.append(self.vocab[a])
        return "".join(out)


# ---------------------------------------------------------------- the model's side
def heldout_loss(model, data: TextData) -> float:
    """Nats per character on the held-out text, as the model's training reports it: the char
    models' held-out loss; a token model's per token, times tokens per character."""
    if isinstance(model, Bigram):
        return model.heldout_loss(data.heldout)
    out = model.evaluate(data)
    return out.get("loss_per_char", out["loss"])


def continue_text(model, prompt: str, n_chars: int, temperature: float, seed: int) -> str:
    """``n_chars`` characters of continuation (a token model: enough tokens, cut to the length)."""
    per_token = getattr(model, "chars_per_token", 1.0) if getattr(model, "family", "") == "lm" else 1.0
    n = n_chars if per_token == 1.0 else math.ceil(n_chars / per_token * 1.5) + 8
    return model.generate(prompt, n, temperature=temperature, seed=seed)[:n_chars]


# ---------------------------------------------------------------- passages
def passages(text: str, k: int, seed: int = 0, prompt_chars: int = PROMPT_CHARS,
             continuation_chars: int = CONTINUATION_CHARS) -> list[tuple[str, str]]:
    """``k`` (prompt, reference) pairs from ``text`` that do not overlap, placed by ``seed``;
    they start at a line's start where the text has enough lines, else at a word's."""
    if not 1 <= k <= MAX_PASSAGES:
        raise said(ValueError, "err.passages_range", k=k, most=MAX_PASSAGES)
    span = prompt_chars + continuation_chars
    room = len(text) // span
    if room < k:
        raise said(DataError, "err.heldout_too_short", n=len(text), k=k, span=span, room=room)
    rng = random.Random(seed)
    for starts in (r"(?<=\n)\S", r"(?<=\s)\S", r"[\s\S]"):  # a line's start, a word's, anywhere
        found = [m.start() for m in re.finditer(starts, text) if m.start() + span <= len(text)]
        rng.shuffle(found)
        taken: list[int] = []
        for s in found:
            if all(abs(s - t) >= span for t in taken):
                taken.append(s)
                if len(taken) == k:
                    taken.sort()
                    return [(text[s:s + prompt_chars], text[s + prompt_chars:s + span]) for s in taken]
    raise said(DataError, "err.heldout_too_short", n=len(text), k=k, span=span, room=room)


# ---------------------------------------------------------------- the whole report
def evaluate(model, data: TextData, k: int = DEFAULT_PASSAGES, seed: int = 0,
             temperatures: dict[str, float] = TEMPERATURES, name: str = "",
             progress: Callable[[int, int], None] | None = None) -> dict:
    """The report for one model: its held-out loss, perplexity and bits per character, and per
    temperature every passage with its scores and the corpus scores. JSON-ready."""
    t0 = time.perf_counter()
    pairs = passages(data.heldout, k, seed)
    loss = heldout_loss(model, data)
    out = {"model": name, "passages": k, "seed": seed, "prompt_chars": PROMPT_CHARS,
           "continuation_chars": CONTINUATION_CHARS, "heldout_loss": loss, "perplexity": math.exp(loss),
           "bits_per_char": loss / math.log(2), "temperatures": {}}
    total, done = len(temperatures) * k, 0
    gen_seconds = 0.0
    for label, tau in temperatures.items():
        rows = []
        for i, (prompt, ref) in enumerate(pairs):
            g0 = time.perf_counter()
            cont = continue_text(model, prompt, len(ref), tau, seed * 1000 + i)
            gen_seconds += time.perf_counter() - g0
            rows.append({"prompt": prompt, "reference": ref, "continuation": cont, **scores(cont, ref)})
            done += 1
            if progress:
                progress(done, total)
        out["temperatures"][label] = {"temperature": tau, "passages": rows,
                                      "corpus": corpus_scores([r["continuation"] for r in rows], [r["reference"] for r in rows])}
    out["real"] = real_text(pairs)
    out["seconds"] = time.perf_counter() - t0
    out["seconds_per_passage"] = gen_seconds / max(total, 1)
    return out


def real_text(pairs: list[tuple[str, str]]) -> dict:
    """The ceiling the overlap scores hide: each true continuation scored against the next
    passage's (real text, but not the reference), and its own diversity."""
    refs = [r for _, r in pairs]
    if len(refs) < 2:  # one passage has no other to compare with
        return {"corpus": None}
    return {"corpus": corpus_scores(refs[1:] + refs[:1], refs)}


def table_rows(report: dict) -> list[dict]:
    """One row per temperature and one for real text: the corpus scores, and the model's loss."""
    keep = ("bleu", "chrf", "rouge_l", "distinct_1", "distinct_2", "repetition")
    rows = [{"model": report["model"], "temperature": label, **{k: v["corpus"][k] for k in keep},
             "heldout_loss": report["heldout_loss"], "perplexity": report["perplexity"],
             "bits_per_char": report["bits_per_char"]} for label, v in report["temperatures"].items()]
    if report["real"]["corpus"] is None:
        return rows
    rows.append({"model": REAL, "temperature": "-", **{k: report["real"]["corpus"][k] for k in keep},
                 "heldout_loss": math.nan, "perplexity": math.nan, "bits_per_char": math.nan})
    return rows
