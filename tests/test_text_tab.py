"""The text tab through gradio_client: streamed continuation with the probability view, three
temperatures, live training on pasted text, and the guards. A tiny GPT stands in for the shipped one."""
import pytest

from genai import checkpoints, data, decoding
from genai.trainer import TrainSpec, train

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402

TEXT = ("ROMEO: But soft, what light through yonder window breaks?\n"
        "JULIET: O Romeo, Romeo, wherefore art thou Romeo?\n") * 60


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from genai.jobs import JobRunner
    from genai.ui.app import build_app

    ship = tmp_path_factory.mktemp("shipped")
    train(TrainSpec(family="gpt", preset="tiny", dataset="x", steps=30, batch_size=8, eval_every=1000,
                    sample_every=1000, out=str(ship / "gpt_tiny")), lambda e: None, data=data.split_text(TEXT, "x"))
    diverged(ship / "gpt_tiny.safetensors", ship / "gpt_nan.safetensors")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checkpoints, "SHIPPED_DIR", ship)
        demo = build_app(JobRunner(max_active=2))
        _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None)
        yield {"url": url, "ckpt": "gpt_tiny", "runner": demo.runner}  # menus name checkpoints; paths are refused
        demo.runner.shutdown()
        demo.close()


def diverged(src, dst):
    """A copy of a text checkpoint whose weights went NaN, as a run at too high a learning rate leaves
    one (its sidecar as it was)."""
    from safetensors.torch import load_file, save_file

    nan = {k: v.fill_(float("nan")) if v.is_floating_point() else v for k, v in load_file(src).items()}
    save_file(nan, dst, metadata={"format": "pt"})
    dst.with_suffix(".json").write_text(src.with_suffix(".json").read_text())


@pytest.fixture
def client(app):
    return Client(app["url"], verbose=False)


def test_continue_streams_and_shades_each_token(app, client):
    job = client.submit(app["ckpt"], "", "ROMEO:", 40, 0.8, 0, 1.0, 3, api_name="/continue")
    outs = list(job)
    text, shaded = outs[-1][0], outs[-1][1]
    assert text.startswith("ROMEO:") and 0 < len(text) - len("ROMEO:") <= 40
    # one shaded entry per new character, each scored with 1 - its probability
    new_chars = [d["token"] for d in shaded]
    assert "".join(new_chars) == text[len("ROMEO:"):]
    assert all(0 <= d["class_or_confidence"] <= 1 for d in shaded)


def test_continuations_drawn_beside_the_server_are_those_it_would_draw(app, client, monkeypatch):
    args = (app["ckpt"], "", "ROMEO:", 60, 0.8, 5, 0.9, 11)
    monkeypatch.setenv("GENAI_DECODE_IN", "process")  # the default on a CPU (genai/decoding.py)
    apart = client.predict(*args, api_name="/continue")
    assert any(w.proc is not None and w.proc.is_alive() for w in decoding.decoders()._idle.queue)
    three = client.predict(*args[:4], *args[5:], api_name="/three_temperatures")
    monkeypatch.setenv("GENAI_DECODE_IN", "thread")  # in the server's own thread, as on a GPU
    assert client.predict(*args, api_name="/continue")[:2] == apart[:2]  # the text, and its shading
    assert client.predict(*args[:4], *args[5:], api_name="/three_temperatures") == three


def test_the_tab_opens_on_the_default_prompts_continuation(app, client):
    from genai.jobs import JobRunner
    from genai.ui import text_tab

    shown = text_tab.first_continuation(JobRunner(max_active=1))
    assert shown.startswith("ROMEO:") and len(shown) > len("ROMEO:") + 20
    # what Continue gives with the tab's defaults (300 characters, temperature 0.8, seed 0)
    assert shown == client.predict(app["ckpt"], "", "ROMEO:", 300, 0.8, 0, 1.0, 0, api_name="/continue")[0]


def test_same_seed_same_text_and_three_temperatures(app, client):
    a = client.predict(app["ckpt"], "", "JULIET:", 30, 1.0, 0, 1.0, 7, api_name="/continue")[0]
    b = client.predict(app["ckpt"], "", "JULIET:", 30, 1.0, 0, 1.0, 7, api_name="/continue")[0]
    assert a == b
    three = client.predict(app["ckpt"], "", "JULIET:", 30, 0, 1.0, 7, api_name="/three_temperatures")
    assert len(three) == 3 and all(0 < len(t) <= 30 for t in three)


def test_unseen_characters_and_long_prompts_are_handled(app, client):
    text, shaded = client.predict(app["ckpt"], "", "Zß€🙂 " * 1000, 10, 0.8, 0, 1.0, 1, api_name="/continue")
    assert len(text) > 10
    # the prompt is cut to its last 2,000 characters; every new character is still shaded
    new = text[len(("Zß€🙂 " * 1000)[-2000:]):]
    assert 0 < len(new) <= 10 and "".join(d["token"] for d in shaded) == new


def test_train_on_pasted_text_and_refuse_bad_text(app, client):
    outs = list(client.submit("your text (upload or paste)", "tiny", 20, 3e-3, 8, 0, None, TEXT, app["ckpt"],
                              "", True, 8, api_name="/text_train"))
    status, curve = outs[-1][0], outs[-1][1]
    assert "done, step 20 of 20" in status
    assert {row[2] for row in curve["data"]} == {"train", "held-out"}  # named for the page, no per-char curve
    # the replay slider is a share of the run's samples (one here, at step 20): any share shows it
    assert [client.predict(i, api_name="/text_replay")["label"] for i in (0, 50, 100)] == ["Sample at step 20"] * 3
    with pytest.raises(Exception, match="too short"):
        client.predict("your text (upload or paste)", "tiny", 20, 3e-3, 8, 0, None, "hello", app["ckpt"],
                       "", True, 8, api_name="/text_train")


def test_fine_tune_the_chosen_model(app, client):
    outs = list(client.submit("your text (upload or paste)", "fine-tune the chosen model", 20, 1e-3, 8, 0, None,
                              TEXT.upper(), app["ckpt"], "", False, 8, api_name="/text_train"))
    assert "done, step 50 of 50" in outs[-1][0]  # every weight: continues from the checkpoint's 30 steps


def test_how_good_is_this_text_before_and_after_a_fine_tune(app, client):
    from genai.ui.common import RUN

    # the shipped model beside the bigram, on the pasted text's held-out part
    table, plot, shown = client.predict(app["ckpt"], "", 2, 0, ["bigram"], "your text (upload or paste)", None,
                                           TEXT, "0.8", api_name="/text_measures")
    rows = {(r[0], r[1]): r for r in table["data"]}
    assert {m for m, _ in rows} == {"gpt_tiny", "character bigram (baseline)", "real text (another passage)"}
    assert {t for m, t in rows if m == "gpt_tiny"} == {"greedy", "0.5", "0.8", "1.0", "1.2"}
    ppl, loss = rows[("gpt_tiny", "1.0")][-2], rows[("gpt_tiny", "1.0")][-3]
    assert ppl == pytest.approx(2.718281828 ** loss, rel=2e-3)
    assert "<mark" in shown and "True continuation" in shown
    assert {row[2] for row in plot["data"]} >= {"BLEU / 100", "distinct-2", "distinct-2 of real text"}
    # a model fine-tuned from the shipped one brings its base: before and after in one table
    outs = list(client.submit("your text (upload or paste)", "fine-tune the chosen model", 20, 1e-3, 8, 0, None,
                              TEXT, app["ckpt"], "", False, 8, api_name="/text_train"))
    assert "done" in outs[-1][0]
    run = [j for j in app["runner"].jobs() if j.spec.init_from and j.checkpoint][-1]
    table = client.predict(RUN + run.key, "", 2, 0, [], "your text (upload or paste)", None, TEXT, "greedy",
                           api_name="/text_measures")[0]
    models = {r[0] for r in table["data"]}
    assert f"your run: {run.name}" in models and "gpt_tiny (before the fine-tune)" in models
    paste = "your text (upload or paste)"
    for bad, message in (([app["ckpt"], "", 0, 0, [], "tinyshakespeare", None, "", "0.8"], "passages|minimum value 1"),
                         ([app["ckpt"], "", 40, 0, [], paste, None, TEXT, "0.8"], "room for"),
                         ([app["ckpt"], "", 2, 0, ["no-such-model"], paste, None, TEXT, "0.8"], "No checkpoint"),
                         ([app["ckpt"], "", 2, 0, [], paste, None, "", "0.8"], "Upload a .txt|paste")):
        with pytest.raises(Exception, match=message):
            client.predict(*bad, api_name="/text_measures")


HUB = "Hugging Face Hub model (id below)"


def test_the_hub_box_takes_hub_ids_not_server_paths(app, client, tiny_hub_folder, monkeypatch):
    monkeypatch.delenv("GENAI_LOCAL_MODELS", raising=False)
    for bad in (tiny_hub_folder, "/etc", "../checkpoints", "a/b/c", "~", "gpt2\x00", " "):
        with pytest.raises(Exception, match="not a Hugging Face Hub model id|Type a Hugging Face Hub model id"):
            client.predict(HUB, bad, "Now is the", 4, 0.8, 0, 1.0, 3, api_name="/continue")
    with pytest.raises(Exception, match="not a Hugging Face Hub model id"):
        client.predict("your text (upload or paste)", "fine-tune the chosen model", 20, 2e-3, 8, 0, None, TEXT,
                       HUB, tiny_hub_folder, True, 4, api_name="/text_train")


def test_a_hub_model_from_a_local_folder_streams_with_probabilities(app, client, tiny_hub_folder, monkeypatch):
    monkeypatch.setenv("GENAI_LOCAL_MODELS", "1")  # the operator allows folders (offline work)
    outs = list(client.submit(HUB, tiny_hub_folder, "Now is the", 6, 0.8, 0, 1.0, 3, api_name="/continue"))
    text, shaded = outs[-1][0], outs[-1][1]
    assert text.startswith("Now is the") and len(text) > len("Now is the")
    # one shaded entry per new BPE token (several characters each), scored with 1 - its probability
    assert "".join(d["token"] for d in shaded) == text[len("Now is the"):]
    assert 0 < len(shaded) <= 6 and all(0 <= d["class_or_confidence"] <= 1 for d in shaded)
    three = client.predict(HUB, tiny_hub_folder, "Now is the", 5, 0, 1.0, 7, api_name="/three_temperatures")
    assert len(three) == 3 and all(three)


def test_lora_fine_tunes_a_hub_model_and_the_char_gpt(app, client, tiny_hub_folder, monkeypatch):
    monkeypatch.setenv("GENAI_LOCAL_MODELS", "1")
    outs = list(client.submit("your text (upload or paste)", "fine-tune the chosen model", 20, 2e-3, 8, 0, None, TEXT,
                              HUB, tiny_hub_folder, True, 4, api_name="/text_train"))
    status, curve = outs[-1][0], outs[-1][1]
    assert "done, step 20 of 20" in status
    assert {row[2] for row in curve["data"]} == {"train", "held-out", "held-out, per character"}
    # LoRA on the shipped char GPT is a new run of adapters (from step 0), not the GPT's own steps
    outs = list(client.submit("your text (upload or paste)", "fine-tune the chosen model", 20, 2e-3, 8, 0, None, TEXT,
                              app["ckpt"], "", True, 4, api_name="/text_train"))
    assert "done, step 20 of 20" in outs[-1][0]


def test_unreachable_hub_models_are_refused_with_a_message(app, client, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the server runs in this process
    with pytest.raises(Exception, match="offline"):
        client.predict(HUB, "no-such-org/no-such-model", "Hi", 5, 0.8, 0, 1.0, 1, api_name="/continue")
    outs = list(client.submit("your text (upload or paste)", "fine-tune the chosen model", 20, 2e-3, 8, 0, None, TEXT,
                              HUB, "no-such-org/no-such-model", True, 4, api_name="/text_train"))
    assert "failed" in outs[-1][0] and "offline" in outs[-1][0]
    with pytest.raises(Exception, match="Hub model id"):
        client.predict("your text (upload or paste)", "fine-tune the chosen model", 20, 2e-3, 8, 0, None, TEXT,
                       HUB, " ", True, 4, api_name="/text_train")


def test_a_diverged_model_is_told_in_the_page(app, client):
    with pytest.raises(Exception, match="weights diverged in training; train it again with a smaller learning rate"):
        client.predict("gpt_nan", "", "ROMEO:", 40, 0.8, 0, 1.0, 3, api_name="/continue")
    assert client.predict(app["ckpt"], "", "ROMEO:", 5, 0.8, 0, 1.0, 3, api_name="/continue")[0].startswith("ROMEO:")
