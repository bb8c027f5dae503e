"""The text tab's "How good is this text?": the chosen model (and baselines beside it) continues
held-out passages at five temperatures; BLEU, chrF, ROUGE-L against the true continuation,
distinct-n and repetition on their own, perplexity on the held-out text (genai/textmeasures.py)."""
from __future__ import annotations

import html
import math
import os
from pathlib import Path

import gradio as gr
import pandas as pd

from genai import checkpoints, data as datamod, textmeasures as tm
from genai.ui.common import HEAVY, Number, Slider, number, seed_of
from genai.ui.i18n import L, error, page_error, t as tr

BIGRAM = "bigram"
PAGE_PASSAGES = 10  # the page's default: three models in about a minute on one core
MOST_PASSAGES = 50  # the page's bound (the CLI takes up to 200)
SHOWN = 8  # passages shown with their marks
COLUMNS = ("bleu", "chrf", "rouge_l", "distinct_1", "distinct_2", "repetition", "heldout_loss", "perplexity",
           "bits_per_char")
PLOTTED = {"bleu": 0.01, "chrf": 0.01, "rouge_l": 1, "distinct_2": 1, "repetition": 1}  # on one 0-1 axis
# the measures' own names, the same in every language (the others come from the catalogue)
NAMES = {"bleu": "BLEU", "chrf": "chrF", "rouge_l": "ROUGE-L", "distinct_1": "distinct-1", "distinct_2": "distinct-2"}
SERIES = {"bleu": "BLEU / 100", "chrf": "chrF / 100", "rouge_l": "ROUGE-L", "distinct_2": "distinct-2"}


def table(reports: list[dict], request) -> pd.DataFrame:
    rows = []
    for report in reports:
        for row in tm.table_rows(report):
            if row["model"] == tm.REAL:
                if report is not reports[0]:
                    continue  # the same passages for every model: one real-text row
                row["model"] = tr("measures.real_row", request)
            rows.append({tr("measures.col_model", request): row["model"],
                         tr("measures.col_temperature", request):
                             tr("measures.greedy", request) if row["temperature"] == "greedy" else row["temperature"],
                         **{NAMES.get(c) or tr(f"measures.col_{c}", request): None if math.isnan(row[c])
                            else round(row[c], 3) for c in COLUMNS}})
    return pd.DataFrame(rows)


def plot(report: dict, request) -> pd.DataFrame:
    """The chosen model's corpus scores against the temperature (greedy at 0), each on 0-1, and
    the real text's as flat lines."""
    rows = []
    real = report["real"]["corpus"]
    for label, v in report["temperatures"].items():
        for key, scale in PLOTTED.items():
            rows.append((v["temperature"], v["corpus"][key] * scale,
                         SERIES.get(key) or tr(f"measures.series_{key}", request)))
            if real is not None and key in ("bleu", "distinct_2"):
                rows.append((v["temperature"], real[key] * scale, tr(f"measures.series_real_{key}", request)))
    return pd.DataFrame(rows, columns=["temperature", "value", "series"])


def marked(pairs: list[tuple[str, int]]) -> str:
    """HTML of a text whose words are marked by the longest n-gram they share (1: a word, 2+: a phrase)."""
    out = []
    for piece, n in pairs:
        text = html.escape(piece).replace("\n", "<br>")
        out.append(text if not n else f'<mark class="m{min(n, 2)}" title="{n}-gram">{text}</mark>')
    return "".join(out)


def passages_html(report: dict, label: str, request) -> str:
    """The first passages at one temperature: prompt, continuation and reference, shared n-grams marked."""
    v = report["temperatures"].get(label)
    if v is None:
        return ""
    head = (f"<style>.tm mark.m1{{background:#fde68a}} .tm mark.m2{{background:#86efac}} .tm td{{vertical-align:top;"
            f"font-family:monospace;font-size:12px;padding:4px}}</style><p>{html.escape(tr('measures.marks', request))}</p>"
            f"<table class='tm'><tr><th>{tr('measures.col_prompt', request)}</th>"
            f"<th>{tr('measures.col_continuation', request)}</th><th>{tr('measures.col_reference', request)}</th>"
            f"<th>BLEU / chrF / ROUGE-L</th></tr>")
    rows = []
    for r in v["passages"][:SHOWN]:
        rows.append(f"<tr><td>{html.escape(r['prompt']).replace(chr(10), '<br>')}</td>"
                    f"<td>{marked(tm.matches(r['continuation'], r['reference']))}</td>"
                    f"<td>{marked(tm.matches(r['reference'], r['continuation']))}</td>"
                    f"<td>{r['bleu']:.1f} / {r['chrf']:.1f} / {r['rouge_l']:.2f}</td></tr>")
    return head + "".join(rows) + "</table>"


def build(ckpt, hub_id, corpus, upload, pasted, pick_model, hub_value, choices, name_of) -> None:
    """The section, under the text tab's continuation. ``pick_model(menu value, hub id, request)``
    loads the chosen model as the tab does (``hub_value``: the menu's Hub entry, whose id is in
    ``hub_id``); ``choices(request)`` is the tab's model menu without it; ``name_of(value,
    request)`` names a menu value in the table. The text is the one chosen under *Train*."""
    gr.Markdown(L("measures.explain"), latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    with gr.Row():
        passages = Slider(1, MOST_PASSAGES, PAGE_PASSAGES, step=1, label=L("measures.passages"))
        seed = Number(0, label=L("common.seed"))
        shipped = checkpoints.list_checkpoints("gpt", runs_dir=os.devnull)
        lstm = [c.name for c in shipped if c.meta.get("config", {}).get("arch") == "lstm"]  # the other baseline
        compare = gr.Dropdown([(L("measures.bigram"), BIGRAM), *[(c.name, c.name) for c in shipped]],
                              value=[BIGRAM, *lstm], multiselect=True,
                              allow_custom_value=True, label=L("measures.compare"), info=L("measures.compare_info"))
        go = gr.Button(L("measures.run"), variant="primary")
    scores = gr.Dataframe(label=L("measures.table"), interactive=False, wrap=True)
    with gr.Row():
        curve = gr.LinePlot(x="temperature", y="value", color="series", height=300, title=L("measures.plot"),
                            x_title=L("measures.col_temperature"), y_title=L("plot.value"),
                            color_title=L("plot.series"), scale=2)
        which = gr.Radio([(L("measures.greedy"), "greedy") if t == "greedy" else (t, t) for t in tm.TEMPERATURES],
                         value="0.8", label=L("measures.show_temperature"), scale=1)
    shown = gr.HTML()
    reports = gr.State(None)

    def the_text(corpus_value, file, text):
        if corpus_value != "tinyshakespeare":
            if file:
                with open(file, "rb") as f:
                    return datamod.load_user_text(f.read(datamod.MAX_TEXT_BYTES + 1))
            if text:
                return datamod.load_user_text(text)
            raise error("err.no_text_given")
        return datamod.load_text("tinyshakespeare")

    def base_of(meta: dict) -> tuple[str, str] | None:
        """(menu value, Hub id) of the model a fine-tuned one began from, where the page can load
        it: a fine-tune's base (a char GPT or a Hub model), or the shipped model a run began from."""
        if meta["family"] == "lm" and meta.get("step"):
            base = str(meta["config"].get("base", ""))
            return (Path(base).stem, "") if base.endswith(".safetensors") else (hub_value, base)
        shipped = checkpoints.SHIPPED_DIR / str(meta.get("init_from", ""))
        return (shipped.stem, "") if meta.get("init_from") and shipped.is_file() else None

    def on_measure(checkpoint, hub_model, k, seed_value, others, corpus_value, file, text, shown_at,
                   request: gr.Request, progress=gr.Progress()):
        k = number(k, "passages", 1, MOST_PASSAGES, whole=True)
        seed_value = seed_of(seed_value)
        try:
            data = the_text(corpus_value, file, text)
            model, meta = pick_model(checkpoint, hub_model, request)
            todo = [(model, hub_model if checkpoint == hub_value else name_of(checkpoint, request))]
            base = base_of(meta)
            if base:  # before and after the fine-tune, in one table
                label = base[1] or base[0]
                todo.append((pick_model(*base, request)[0], tr("measures.before", request, name=label)))
            for name in dict.fromkeys(others or []):  # each once, in order
                if name == BIGRAM:
                    todo.append((tm.Bigram(data.train), tr("measures.bigram", request)))
                elif name and name not in (checkpoint, hub_value, base and base[0]):
                    todo.append((pick_model(name, "", request)[0], name_of(name, request)))
            out = []
            for i, (m, name) in enumerate(todo):
                def step(done, total, i=i, name=name):
                    progress((i + done / total) / len(todo), desc=tr("measures.progress", request, name=name))
                out.append(tm.evaluate(m, data, k, seed_value, name=name, progress=step))
        except gr.Error:
            raise
        except (datamod.DataError, checkpoints.CheckpointError, ValueError, OSError) as e:
            raise page_error(e) from None
        return table(out, request), plot(out[0], request), passages_html(out[0], shown_at, request), out

    def on_which(state, label, request: gr.Request):
        return passages_html(state[0], label, request) if state else gr.skip()

    def on_menu(request: gr.Request):  # the other models of the tab's menu, and the bigram
        menu = [(tr("measures.bigram", request), BIGRAM)] + choices(request)
        return gr.Dropdown(choices=menu)

    go.click(on_measure, [ckpt, hub_id, passages, seed, compare, corpus, upload, pasted, which],
             [scores, curve, shown, reports], api_name="text_measures", **HEAVY)
    which.change(on_which, [reports, which], shown, api_visibility="private")
    compare.focus(on_menu, None, compare, api_visibility="private", queue=False)
