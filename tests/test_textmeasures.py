"""The text measures (genai/textmeasures.py) and ``python -m genai eval-text``: the scores are the
libraries' own, read the right way round; perplexity is exp(held-out loss per character); a
trained toy model's greedy text repeats itself more than its sampled text; bad input is refused."""
import json
import math
import re
from collections import Counter

from pathlib import Path

import pytest

from genai import data, textmeasures as tm
from genai.trainer import TrainSpec, train

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
HYP = "the cat sat on the mat and looked at the dog"
REF = "the cat lay on the mat and the dog looked at it"


def test_scores_agree_with_sacrebleu_and_rouge_score_read_the_right_way_round():
    import sacrebleu
    from rouge_score import rouge_scorer

    got = tm.scores(HYP, REF)
    # the libraries' own metric objects, hypothesis and reference each in its place
    assert got["bleu"] == pytest.approx(sacrebleu.BLEU(effective_order=True).sentence_score(HYP, [REF]).score)
    assert got["chrf"] == pytest.approx(sacrebleu.CHRF().sentence_score(HYP, [REF]).score)
    assert got["rouge_l"] == pytest.approx(rouge_scorer.RougeScorer(["rougeL"]).score(REF, HYP)["rougeL"].fmeasure)
    # and by hand: the longest common word subsequence "the cat on the mat and looked at" is 8 of 11
    # words in the hypothesis and of 12 in the reference: F = 2PR / (P + R)
    p, r = 8 / 11, 8 / 12
    assert got["rouge_l"] == pytest.approx(2 * p * r / (p + r))
    # BLEU is not symmetric (its brevity penalty is the hypothesis's): swapped, it differs
    assert tm.scores(REF, HYP)["bleu"] != pytest.approx(got["bleu"])
    assert tm.scores(REF, REF)["bleu"] == pytest.approx(100) and tm.scores(REF, REF)["rouge_l"] == pytest.approx(1)


def test_corpus_bleu_pools_the_counts_and_distinct_n_counts_unique_ngrams():
    import sacrebleu

    hyps, refs = [HYP, "to be or not to be"], [REF, "to be or not to be that is the question"]
    got = tm.corpus_scores(hyps, refs)
    assert got["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)
    assert got["bleu"] != pytest.approx(sum(tm.scores(h, r)["bleu"] for h, r in zip(hyps, refs)) / 2)
    toks = tm.words("to be or not to be")
    assert tm.distinct(toks, 1) == pytest.approx(4 / 6) and tm.distinct(toks, 2) == pytest.approx(4 / 5)
    assert tm.repetition(tm.words("a b c d a b c d")) == pytest.approx(1 - 4 / 5)


def test_the_marks_show_the_longest_shared_ngram_of_each_word():
    marks = {w: n for w, n in tm.matches("the cat sat near the dog", "a cat sat near me") if not w.isspace()}
    assert marks["cat"] == marks["sat"] == marks["near"] == 3 and marks["dog"] == 0


def test_the_bigrams_perplexity_is_exp_of_its_heldout_loss_counted_by_hand():
    train_text, held = "abracadabra" * 30, "abracadabraxab"
    model = tm.Bigram(train_text, alpha=0.1)
    pairs, firsts = Counter(zip(train_text, train_text[1:])), Counter(train_text[:-1])
    V = len(set(train_text)) + 1

    def p(a, b):  # an unseen character is one more entry of the vocabulary
        return (pairs[(a, b)] + 0.1) / (firsts[a] + 0.1 * V)
    by_hand = -sum(math.log(p(a, b)) for a, b in zip(held, held[1:])) / (len(held) - 1)
    report = tm.evaluate(model, data.TextData("x", train_text, held * 40), k=2, temperatures={"1.0": 1.0})
    assert model.heldout_loss(held) == pytest.approx(by_hand, rel=1e-5)
    assert report["perplexity"] == pytest.approx(math.exp(model.heldout_loss(held * 40)), rel=1e-5)
    assert report["bits_per_char"] == pytest.approx(report["heldout_loss"] / math.log(2))


def test_passages_do_not_overlap_start_at_lines_and_repeat_by_seed():
    text = "".join(f"LINE {i}: " + "word " * 30 + "\n" for i in range(100))
    pairs = tm.passages(text, 10, seed=3)
    assert pairs == tm.passages(text, 10, seed=3) != tm.passages(text, 10, seed=4)
    starts = [text.index(p + r) for p, r in pairs]
    assert all(b - a >= tm.PROMPT_CHARS + tm.CONTINUATION_CHARS for a, b in zip(starts, starts[1:]))
    assert all(p.startswith("LINE") and len(r) == tm.CONTINUATION_CHARS for p, r in pairs)
    with pytest.raises(ValueError, match="room for"):
        tm.passages(text[:1000], 10)
    with pytest.raises(ValueError, match="from 1 to 200"):
        tm.passages(text, 0)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A tiny char GPT trained for a few hundred steps on Tiny Shakespeare (or a built-in text)."""
    text = (SHARED / "tinyshakespeare" / "input.txt").read_text("utf-8")[:200_000] \
        if (SHARED / "tinyshakespeare").is_dir() else ("ROMEO: But soft, what light through yonder window "
                                                        "breaks?\nJULIET: O Romeo, wherefore art thou?\n") * 800
    corpus = data.split_text(text, "toy")
    out = tmp_path_factory.mktemp("toy") / "gpt_toy"
    train(TrainSpec(family="gpt", preset="tiny", dataset="toy", steps=300, batch_size=32, eval_every=1000,
                    sample_every=1000, out=str(out)), lambda e: None, data=corpus)
    return str(out) + ".safetensors", corpus


def test_greedy_text_repeats_itself_more_than_sampled_text_on_a_trained_toy_model(toy):
    from genai import models

    model, _ = models.from_checkpoint(toy[0])
    report = tm.evaluate(model, toy[1], k=6, temperatures={"greedy": 0.0, "1.0": 1.0})
    greedy, sampled = (report["temperatures"][t]["corpus"] for t in ("greedy", "1.0"))
    assert greedy["distinct_2"] < sampled["distinct_2"]
    assert greedy["repetition"] > sampled["repetition"]
    assert report["perplexity"] == pytest.approx(math.exp(model.evaluate(toy[1])["loss"]))
    # trained, it predicts held-out text far better than a character bigram does
    assert report["heldout_loss"] < tm.Bigram(toy[1].train).heldout_loss(toy[1].heldout)


def test_the_cli_writes_every_passage_and_the_models_loss(toy, tmp_path):
    from genai.__main__ import main

    text = tmp_path / "own.txt"
    text.write_text(toy[1].train[:60_000])
    out = tmp_path / "r.json"
    assert main(["eval-text", toy[0], "--json", str(out), "--text", str(text), "--passages", "3", "--seed", "1"]) == 0
    report = json.loads(out.read_text())
    assert set(report["temperatures"]) == set(tm.TEMPERATURES)
    row = report["temperatures"]["0.8"]["passages"][0]
    assert {"prompt", "reference", "continuation", "bleu", "chrf", "rouge_l", "distinct_2"} <= set(row)
    assert len(report["temperatures"]["0.8"]["passages"]) == 3 and len(row["continuation"]) == len(row["reference"])
    assert report["perplexity"] == pytest.approx(math.exp(report["heldout_loss"]))
    assert main(["eval-text", "bigram", "--json", str(out), "--text", str(text), "--passages", "2"]) == 0


BAD = [
    (["checkpoints/gan_mlp_mnist.safetensors"], "not a text model"),
    (["bigram", "--passages", "0"], "from 1 to 200"),
    (["bigram", "--passages", "500"], "from 1 to 200"),
    (["bigram", "--text", "TINY"], "too short"),
    (["bigram", "--text", "EMPTY"], "too short"),
    (["bigram", "--text", "NONE"], "No such file"),
    (["bigram", "--text", "SHORT", "--passages", "50"], "room for"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_the_cli_refuses_bad_input_with_a_message(args, message, tmp_path, capsys):
    from genai.__main__ import main

    files = {"TINY": "hello world", "EMPTY": "", "SHORT": "To be, or not to be: that is the question.\n" * 100}
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    args = [str(tmp_path / a) if a in files or a == "NONE" else a for a in args]
    assert main(["eval-text", *args, "--json", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and re.search(message, err), err
    assert not (tmp_path / "x.json").exists()
