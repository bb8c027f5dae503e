"""Damaged and mismatched checkpoints, where an operator (or a copy gone wrong) puts them: in the
checkpoint folder the app serves, and given to the CLI. Each is refused with a message naming the
file; the good ones beside them go on working."""
import json
import os
from pathlib import Path

import pytest

from genai import checkpoints

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "checkpoints"


def copy(src: str, dst: Path, name: str, weights=None, meta_change=None) -> Path:
    """A copy of a shipped checkpoint called ``name``, its weights (bytes) or sidecar changed."""
    out = dst / f"{name}.safetensors"
    out.write_bytes(weights if weights is not None else (SHIPPED / f"{src}.safetensors").read_bytes())
    meta = json.loads((SHIPPED / f"{src}.json").read_text())
    if meta_change:
        meta_change(meta)
    out.with_suffix(".json").write_text(json.dumps(meta))
    return out


def base_outside(meta):
    meta.update(family="lm")
    meta["config"] = {"base": "/etc", "lora": True}


BAD = {  # name -> (how it was made, the message it gets)
    "gan_truncated": (lambda d: copy("gan_mlp_mnist", d, "gan_truncated",
                                     (SHIPPED / "gan_mlp_mnist.safetensors").read_bytes()[:5000]),
                      "damaged or not safetensors"),
    "gan_random": (lambda d: copy("gan_mlp_mnist", d, "gan_random", os.urandom(20000)), "damaged or not safetensors"),
    "gan_mismatch": (lambda d: copy("gan_mlp_mnist", d, "gan_mismatch",
                                    meta_change=lambda m: m["config"].update(z_dim=m["config"]["z_dim"] + 1)),
                     "do not fit the model"),
    "gan_vae_weights": (lambda d: copy("gan_mlp_mnist", d, "gan_vae_weights",
                                       (SHIPPED / "vae_conv-2d_mnist.safetensors").read_bytes()),
                        "do not fit the model"),
    # a size far beyond the weights: refused before a model of that size is built (it once built a
    # 100000 x 256 layer first; a larger value would exhaust the memory)
    "gan_huge_z": (lambda d: copy("gan_mlp_mnist", d, "gan_huge_z", meta_change=lambda m: m["config"].update(z_dim=10**9)),
                   "do not fit the model"),
    "gan_bad_config": (lambda d: copy("gan_mlp_mnist", d, "gan_bad_config",
                                      meta_change=lambda m: m["config"].update(arch="transformer")),
                       "config does not build|Unknown|arch"),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("shipped")
    for name in ("gan_mlp_mnist", "gpt_char_shakespeare"):
        copy(name, d, name)
    for make, _ in BAD.values():
        make(d)
    copy("gpt_char_shakespeare", d, "lm_base_outside", meta_change=base_outside)
    (d / "no_sidecar.safetensors").write_bytes((SHIPPED / "gan_mlp_mnist.safetensors").read_bytes())
    copy("gan_mlp_mnist", d, "bad_json").with_suffix(".json").write_text("{not json")
    return d


@pytest.mark.parametrize("name", list(BAD) + ["no_sidecar", "bad_json"])
def test_the_cli_refuses_it_with_a_message(folder, name, tmp_path, capsys):
    """``python -m genai sample`` on the file, in this process (a new process for each file imported
    torch again, 3-5 s each; tests/test_cli.py runs the real command)."""
    from genai.__main__ import main

    code = main(["sample", str(folder / f"{name}.safetensors"), "--n", "4", "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    want = BAD[name][1] if name in BAD else "sidecar|not valid JSON"
    assert code == 2 and "Traceback" not in err, err
    import re

    assert re.search(want, err), err
    assert not (tmp_path / "x.png").exists()


@pytest.fixture(scope="module")
def app(folder):
    from gradio_client import Client

    from genai.jobs import JobRunner
    from genai.ui.app import LAUNCH, build_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checkpoints, "SHIPPED_DIR", folder)
        demo = build_app(JobRunner(max_active=1))
        _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None,
                                **LAUNCH)
        yield Client(url, verbose=False)
        demo.close()


def test_the_page_lists_only_readable_ones_and_refuses_the_damaged(app):
    api = app.view_api(print_info=False, return_format="dict")["named_endpoints"]
    menu = api["/sample"]["parameters"][0]["python_type"]["type"]
    assert "gan_mlp_mnist" in menu and "gan_truncated" in menu
    assert "no_sidecar" not in menu and "bad_json" not in menu  # no readable sidecar: not a checkpoint here
    import re

    for name, (_, want) in BAD.items():
        with pytest.raises(Exception) as e:
            app.predict(name, 4, 0, "any", api_name="/sample")
        assert re.search(want, str(e.value)) and str(SHIPPED) not in str(e.value), (name, e.value)
    grid, _ = app.predict("gan_mlp_mnist", 4, 0, "any", api_name="/sample")  # the good one still works
    assert grid


def test_a_sidecar_naming_a_folder_outside_is_refused(folder, monkeypatch):
    """The text tab lists shipped char GPTs and this session's runs; a fine-tuned run's sidecar names
    its base model, which is loaded only if it is a Hub id or a checkpoint of this server."""
    import gradio as gr

    from genai.ui import text_tab

    monkeypatch.delenv("GENAI_LOCAL_MODELS", raising=False)
    with pytest.raises(gr.Error, match="not a Hugging Face Hub model id"):
        text_tab.load_model(str(folder / "lm_base_outside.safetensors"), "cpu")
    model, meta = text_tab.load_model(str(folder / "gpt_char_shakespeare.safetensors"), "cpu")
    assert meta["family"] == "gpt"
