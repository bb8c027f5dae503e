"""Bad input, row by row, against the served app: every endpoint that takes user data, as an API
user or a broken browser would send it (gradio_client; raw JSON where gradio_client cannot send
NaN or infinity). Each row ends with a clear message or a sensible result, the server goes on
serving, a run that trains meanwhile is unharmed and the shipped checkpoints are unchanged.
BENCHMARKS.md ("What a user sees for bad input") lists the rows and their messages."""
import hashlib
import json
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402

from tests import bad_inputs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GAN, VAE, GPT = "gan_mlp_mnist", "vae_conv-2d_mnist", "gpt_char_shakespeare"
NAN, INF = "NaN", "Infinity"  # raw JSON: what a broken client sends and gradio_client cannot
OK = None  # the row must succeed (an odd input the app should take)

TRAIN = ["digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20, 0, None]  # /train: dataset ... seed, files
VAE_TRAIN = ["digits", "tiny", 2, 1.0, 1e-3, 20, 8, 0]
CONTINUE = [GPT, "", "ROMEO:", 5, 0.8, 0, 1.0, 0]
REPAIR = [5, "bottom", 1, 0, "any", "diffusion_mnist", "gan_mlp_mnist", "vae_conv-16d_mnist", None]
UPSCALE = [5, 7, 1, 0, "diffusion_mnist"]
TEXT_TRAIN = ["your text (upload or paste)", "tiny", 20, 1e-3, 8, 0, None, "To be or not to be. " * 200,
              GPT, "", False, 8]
# ours (number(), check_spec), or Gradio's own check of a slider's range or a value's type
OUT_OF_RANGE = (r"must be from|must be a (finite|whole) number|must be a number|must be above|at most|"
                r"is (greater|less) than|Expected a `float")


def at(args, i, value):
    args = list(args)
    args[i] = value
    return args


def numbers(api, args, index, name, bad=(0, -1, NAN, INF, 1e300), named=None):
    """Rows for one numeric setting: each bad value, expecting a message that names the setting
    (as ``named``, a pattern, if the message spells it otherwise) or its range."""
    return [(f"{api} {name}={v}", api, at(args, index, v), rf"{named or name}|{OUT_OF_RANGE}") for v in bad]


ROWS = [
    # ---- GAN samples
    ("/sample unknown checkpoint", "/sample", ["no_such_model", 4, 0, "any"], "No checkpoint called"),
    ("/sample a VAE checkpoint", "/sample", [VAE, 4, 0, "any"], "No checkpoint called"),
    ("/sample a server path", "/sample", [str(ROOT / "checkpoints" / "gan_mlp_mnist.safetensors"), 4, 0, "any"],
     "No checkpoint called"),
    ("/sample no checkpoint", "/sample", [None, 4, 0, "any"], "Choose a checkpoint"),
    *numbers("/sample", [GAN, 4, 0, "any"], 1, "n_samples", bad=(0, -1, 101, NAN, INF, 1e300, "abc")),
    *numbers("/sample", [GAN, 4, 0, "any"], 2, "seed", bad=(-1, 2**64, 1.5, NAN, INF)),
    ("/sample digit 11", "/sample", [GAN, 4, 0, "11"], "not in the list of choices"),
    *numbers("/latent_walk", [GAN, 1, 2, 10], 3, "n_frames", bad=(0, 2, 33, NAN, 1e9)),
    *numbers("/latent_walk", [GAN, 1, 2, 10], 1, "seed", bad=(-5, NAN, 2**70)),
    # ---- GAN training: settings
    ("/train unknown dataset", "/train", at(TRAIN, 0, "imagenet"), "not in the list of choices"),
    ("/train unknown preset", "/train", at(TRAIN, 1, "huge"), "not in the list of choices"),
    ("/train unknown loss", "/train", at(TRAIN, 2, "mse"), "not in the list of choices"),
    *numbers("/train", TRAIN, 3, "lr_g", bad=(0, -1e-3, NAN, INF, 1e9)),
    *numbers("/train", TRAIN, 4, "lr_d", bad=(0, NAN, 2.0)),
    *numbers("/train", TRAIN, 5, "batch_size", bad=(0, -8, NAN, 1e9)),
    *numbers("/train", TRAIN, 6, "z_dim", bad=(0, 1, NAN, 1e6)),
    *numbers("/train", TRAIN, 7, "steps", bad=(0, -1, NAN, INF, 1e12)),
    *numbers("/train", TRAIN, 8, "seed", bad=(-1, 2**64, NAN)),
    # ---- VAE
    *numbers("/vae_decode_point", [VAE, 0, 0, 0, 0], 1, "z_1", bad=(NAN, INF, 100)),
    ("/vae_map unknown checkpoint", "/vae_map", ["x"], "No checkpoint called"),
    ("/vae_interpolate no sketches", "/vae_interpolate", [VAE, None, None, 10, "linear"], "[Dd]raw|sketch|digit"),
    ("/vae_interpolate unknown mode", "/vae_interpolate", [VAE, None, None, 10, "cubic"], "not in the list"),
    *numbers("/vae_train", VAE_TRAIN, 3, "beta", bad=(-1, NAN, INF), named="beta|β"),
    *numbers("/vae_train", VAE_TRAIN, 4, "lr", bad=(0, NAN, 5)),
    *numbers("/vae_train", VAE_TRAIN, 2, "z_dim", bad=(0, NAN, 1000)),
    *numbers("/vae_train", VAE_TRAIN, 5, "steps", bad=(0, NAN, 1e12)),
    # ---- text: prompts (odd text is text: it is continued) and sampling settings
    ("/continue empty prompt", "/continue", at(CONTINUE, 2, ""), OK),
    ("/continue 100,000-character prompt", "/continue", at(CONTINUE, 2, "x" * 100_000), OK),
    ("/continue control characters", "/continue", at(CONTINUE, 2, "RO\x00ME\x07O:\x1b[2J"), OK),
    ("/continue zero-width characters", "/continue", at(CONTINUE, 2, "RO\u200bMEO\u200d:\ufeff"), OK),
    ("/continue right-to-left text", "/continue", at(CONTINUE, 2, "\u202eROMEO: مرحبا بالعالم"), OK),
    ("/continue a Hub id that is a path", "/continue", at(at(CONTINUE, 0, "Hugging Face Hub model (id below)"), 1,
                                                         "../../etc"), "not a Hugging Face Hub model id"),
    *numbers("/continue", CONTINUE, 3, "max_new_tokens", bad=(0, -1, NAN, 1e9)),
    *numbers("/continue", CONTINUE, 4, "temperature", bad=(-1, NAN, INF, 100)),
    *numbers("/continue", CONTINUE, 5, "top_k", bad=(-1, NAN, 1e9)),
    *numbers("/continue", CONTINUE, 6, "top_p", bad=(0, -1, 2, NAN)),
    *numbers("/continue", CONTINUE, 7, "seed", bad=(-1, NAN, 2**64)),
    *numbers("/three_temperatures", at(CONTINUE, 4, None)[:4] + CONTINUE[5:], 3, "max_new_tokens", bad=(0, NAN)),
    # ---- text training
    ("/text_train nothing to train on", "/text_train", at(TEXT_TRAIN, 7, ""), "Upload a .txt file or paste"),
    ("/text_train only spaces", "/text_train", at(TEXT_TRAIN, 7, " \n\t " * 10), "text|short|characters"),
    ("/text_train 6 MB of text", "/text_train", at(TEXT_TRAIN, 7, "a" * (6 * 2**20)), "larger than 5 MB"),
    *numbers("/text_train", TEXT_TRAIN, 2, "steps", bad=(0, NAN, 1e12)),
    *numbers("/text_train", TEXT_TRAIN, 3, "lr", bad=(0, NAN, 3)),
    *numbers("/text_train", TEXT_TRAIN, 4, "batch_size", bad=(0, NAN, 1e9)),
    *numbers("/text_train", at(TEXT_TRAIN, 1, "fine-tune the chosen model"), 11, "lora_rank", bad=(0, NAN, 1000)),
    # ---- the monitor (a run name nobody has; JSON that is not an object of settings)
    ("/monitor_media unknown run", "/monitor_media", ["nobody's run", 0], OK),
    ("/monitor_fork unknown run", "/monitor_fork", ["nobody's run", "{}", 10], "Choose a run"),
    ("/monitor_stop unknown run", "/monitor_stop", ["nobody's run"], "Choose a run"),
    ("/monitor_share unknown run", "/monitor_share", ["nobody's run"], "Choose a run"),
    # ---- a slider or a number box sent text: a message naming the control (issue 30)
    ("/continue temperature=abc", "/continue", at(CONTINUE, 4, "abc"), r"Temperature .* must be a number, not 'abc'"),
    ("/vae_train beta=abc", "/vae_train", at(VAE_TRAIN, 3, "abc"), "must be a number, not 'abc'"),
    # ---- repair and upscaling (issue 28)
    ("/repair unknown mask", "/repair", at(REPAIR, 1, "top"), "not in the list of choices"),
    *numbers("/repair", REPAIR, 0, "index", bad=(-1, 2000, NAN, 1.5, "abc")),
    *numbers("/repair", REPAIR, 2, "fills", bad=(0, 5, NAN)),
    *numbers("/repair", REPAIR, 3, "seed", bad=(-1, NAN, 2**70)),
    ("/repair digit 11", "/repair", at(REPAIR, 4, "11"), "not in the list of choices"),
    ("/repair a GAN as the diffusion model", "/repair", at(REPAIR, 5, "gan_mlp_mnist"), "No checkpoint called"),
    ("/repair a server path", "/repair", at(REPAIR, 6, str(ROOT / "checkpoints" / "gan_mlp_mnist.safetensors")),
     "No checkpoint called"),
    ("/repair brush with nothing painted", "/repair", at(REPAIR, 1, "brush"), "Paint over part of the digit"),
    ("/upscale size 9", "/upscale", at(UPSCALE, 1, 9), "not in the list of choices"),
    *numbers("/upscale", UPSCALE, 0, "index", bad=(NAN, 5000)),
    ("/upscale a VAE", "/upscale", at(UPSCALE, 4, "vae_conv-16d_mnist"), "No checkpoint called"),
    # ---- checkboxes: true or false, not any text (issue 30: "abc" was taken as true)
    ("/text_train lora=abc", "/text_train", at(TEXT_TRAIN, 10, "abc"), "lora must be true or false"),
    ("/monitor_keep_alive abc", "/monitor_keep_alive", ["abc"], "keep must be true or false"),
    ("/monitor_poll log_scale=abc", "/monitor_poll", [[], None, 0.6, "abc", None], "log_scale must be true or false"),
]

UPLOAD_ROWS = [  # /train on "your images": (files, expected); OK = it trains to the end
    (["ok", "rgba"], OK),
    (["tiff16", "rgba"], OK),
    (["cmyk", "anim"], OK),
    (["anim", "rgba"], OK),
    (["ok"], "at least two images"),
    (["empty", "ok"], "empty|not a readable image|Invalid file type"),
    (["text_as", "ok"], "not a readable image"),
    (["truncated", "ok"], "not a readable image"),
    (["random", "ok"], "not a readable image"),
    (["bomb", "ok"], "far too many pixels|pixels, more than 25,000,000"),
    (["script", "ok"], "file type|not a readable image|Invalid file type"),
    (["traversal"], OK),  # read in memory, never unpacked: the names do not matter
    (["symlink"], "not a readable image"),
    (["many"], "more than .* images"),
    (["no_images"], "at least two images"),
    (["corrupt", "ok"], "not a readable image|zip"),
]

TEXT_UPLOAD_ROWS = [  # /text_train with a file
    ("latin1", "UTF-8"),
    ("binary", "UTF-8|text"),
    ("empty", "empty|Upload a .txt file or paste|short"),
    ("bomb", "file type|UTF-8|Invalid file type"),
]


# ------------------------------------------------------------------------ the served app
@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from genai.jobs import JobRunner
    from genai.ui.app import LAUNCH, build_app

    shipped = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "checkpoints").iterdir()}
    demo = build_app(JobRunner(max_active=3))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None, **LAUNCH)
    files = bad_inputs.make(tmp_path_factory.mktemp("bad"))
    # a run someone else is training all the while: bad input elsewhere must not touch it
    canary = Client(url, verbose=False)
    run = canary.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20_000, 0, None, api_name="/train")
    yield {"url": url, "files": files, "canary": canary, "run": run}
    status = run.outputs()[-1][0] if run.outputs() else ""
    canary.predict(api_name="/stop")
    demo.runner.shutdown()
    demo.close()
    assert "training" in status, f"the run trained beside the bad input ended: {status}"
    now = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "checkpoints").iterdir()}
    assert now == shipped, "a shipped checkpoint changed"


@pytest.fixture(scope="module")
def client(lab):
    return Client(lab["url"], verbose=False)


def raw(url: str, api: str, args: list) -> tuple[str, object]:
    """Call an endpoint with raw JSON (NaN and Infinity spelt as JavaScript does); ('complete' or
    'error', data)."""
    body = json.dumps({"data": args}).replace('"NaN"', "NaN").replace('"Infinity"', "Infinity")
    req = urllib.request.Request(f"{url}gradio_api/call{api}", data=body.encode(),
                                 headers={"Content-Type": "application/json"})
    event = json.load(urllib.request.urlopen(req, timeout=30))["event_id"]
    text = urllib.request.urlopen(f"{url}gradio_api/call{api}/{event}", timeout=120).read().decode()
    kind = data = None
    for line in text.splitlines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: ") and kind in ("complete", "error"):
            data = json.loads(line[6:])
    return kind, data


def outcome(lab, client, api, args) -> tuple[str, str]:
    """('ok' | 'error', message or result) for one call, by the client a user would use."""
    if any(a in (NAN, INF) for a in args):
        kind, data = raw(lab["url"], api, args)
        if kind == "error":
            return "error", str((data or {}).get("error"))
        return ("ok", str(data)) if kind == "complete" else ("error", f"no answer ({kind})")
    try:
        job = client.submit(*args, api_name=api)
        result = job.result(timeout=120)
        return "ok", str(result)[:300]
    except Exception as e:  # noqa: BLE001 (the message is what is checked)
        return "error", str(e)


def alive(client):
    grid, _ = client.predict(GAN, 1, 0, "any", api_name="/sample")
    assert grid, "the server stopped answering"


def check(got, expected, row):
    kind, message = got
    if expected is OK:
        assert kind == "ok", f"{row}: refused with {message!r}"
    else:
        assert kind == "error", f"{row}: accepted ({message!r})"
        import re

        assert re.search(expected, message), f"{row}: unclear message {message!r}"
        assert "upstream Gradio app has raised an exception" not in message, row
        assert "Traceback" not in message, f"{row}: {message!r}"
        assert not (message.startswith("'") and message.endswith("'")), f"{row}: a message wrapped twice"


def no_server_paths(message, args):
    """A message may repeat what the user sent, never the server's folders."""
    return str(ROOT) not in message or any(str(ROOT) in str(a) for a in args)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_bad_setting(lab, client, row):
    name, api, args, expected = row
    got = outcome(lab, client, api, args)
    check(got, expected, name)
    assert no_server_paths(got[1], args), got
    alive(client)


@pytest.mark.parametrize("names,expected", UPLOAD_ROWS, ids=["+".join(r[0]) for r in UPLOAD_ROWS])
def test_image_upload(lab, client, names, expected):
    files = [handle_file(str(lab["files"][n])) for n in names]
    got = outcome(lab, client, "/train", at(at(at(TRAIN, 0, "your images (upload)"), 9, files), 7, 20))
    if expected is OK:
        assert got[0] == "ok" and "done, step 20 of 20" in got[1], got
    else:
        check(got, expected, names)
    alive(client)


@pytest.mark.parametrize("name,expected", TEXT_UPLOAD_ROWS, ids=[r[0] for r in TEXT_UPLOAD_ROWS])
def test_text_upload(lab, client, name, expected):
    args = at(at(TEXT_TRAIN, 6, handle_file(str(lab["files"][name]))), 7, "")
    check(outcome(lab, client, "/text_train", args), expected, name)
    alive(client)


def test_a_zip_is_never_unpacked(lab, client):
    files = [handle_file(str(lab["files"]["traversal"]))]
    got = outcome(lab, client, "/train", at(at(at(TRAIN, 0, "your images (upload)"), 9, files), 7, 20))
    assert got[0] == "ok", got
    assert not list(lab["files"]["traversal"].parent.parent.rglob("evil*.png")) and not Path("/abs").exists()


@pytest.mark.parametrize("name", ["text_as", "empty", "truncated", "random"])
def test_a_drawing_pad_sent_a_file_that_is_not_an_image_says_which_pad(lab, client, name):
    pad = {"background": handle_file(str(lab["files"][name])), "layers": [],
           "composite": handle_file(str(lab["files"][name]))}
    ok = {"background": handle_file(str(lab["files"]["ok"])), "layers": [], "composite": handle_file(str(lab["files"]["ok"]))}
    # it was Gradio's "Could not preprocess input component ... imageeditor" (issue 30)
    check(outcome(lab, client, "/vae_interpolate", [VAE, pad, ok, 10, "linear"]),
          "Digit A.* is not a readable image|empty|Invalid file", name)
    alive(client)
