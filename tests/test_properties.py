"""Property-based tests (hypothesis): the settings check, the image preprocessing and the character
tokenizer hold for every input, not only for the cases someone thought of."""
import io
import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings, strategies as st  # noqa: E402

from genai import data as datamod  # noqa: E402
from genai.trainer import MAX_BATCH, MAX_SEED, MAX_STEPS, TrainSpec, check_spec  # noqa: E402

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
anything = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                     st.text(max_size=5))


# ------------------------------------------------------------------ settings
@FAST
@given(steps=anything, batch=anything, seed=anything, lr=anything)
def test_check_spec_accepts_exactly_the_valid_settings(steps, batch, seed, lr):
    spec = TrainSpec(family="gan", preset="tiny", dataset="digits", steps=steps, batch_size=batch, seed=seed,
                     overrides={"lr_g": lr})

    def whole(v, lo, hi):
        return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi

    valid = (whole(steps, 1, MAX_STEPS) and whole(batch, 1, MAX_BATCH) and whole(seed, 0, MAX_SEED)
             and isinstance(lr, (int, float)) and not isinstance(lr, bool) and math.isfinite(lr) and 0 < lr <= 1)
    try:
        check_spec(spec)
        accepted = True
    except ValueError as e:
        accepted = False
        assert str(e) and len(str(e)) < 300  # a message, one line's worth
    assert accepted == valid


@FAST
@given(name=st.text(max_size=20))
def test_an_unknown_setting_is_refused_by_name(name):
    from dataclasses import fields

    from genai.models import gan

    known = {f.name for f in fields(gan.Config)}
    spec = TrainSpec(family="gan", preset="tiny", dataset="digits", steps=1, batch_size=8, overrides={name: 1})
    if name in known:
        return
    with pytest.raises(ValueError):
        check_spec(spec)


# ------------------------------------------------------------------ image preprocessing
MODES = ["1", "L", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F", "LA"]


@FAST
@given(w=st.integers(1, 120), h=st.integers(1, 120), mode=st.sampled_from(MODES),
       fmt=st.sampled_from(["PNG", "TIFF", "GIF", "BMP", "JPEG", "WEBP"]), seed=st.integers(0, 2**32 - 1))
def test_any_readable_image_becomes_one_28x28_digit(w, h, mode, fmt, seed):
    from PIL import Image

    rng = np.random.default_rng(seed)
    im = Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8)).convert(mode)
    buf = io.BytesIO()
    try:
        im.save(buf, fmt)
    except (OSError, ValueError, KeyError):
        return  # a mode this format cannot store: nothing to upload
    out = datamod._image_to_28(buf.getvalue(), "x.img")
    assert out.shape == (28, 28) and out.dtype == np.uint8  # MNIST's grey levels, white on black


@FAST
@given(raw=st.binary(max_size=3000))
def test_any_bytes_are_an_image_or_a_clear_refusal(raw):
    try:
        out = datamod._image_to_28(raw, "upload.png")
    except datamod.DataError as e:
        assert "upload.png" in str(e)
        return
    assert out.shape == (28, 28) and out.dtype == np.uint8


# ------------------------------------------------------------------ the character tokenizer
@pytest.fixture(scope="module")
def gpt_model():
    from genai import models

    return models.build("gpt", preset="tiny", vocab=list("abcdefghijklmnopqrstuvwxyz ,.!?\n\t'ROMEÉ"))


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=list("abcdefghijklmnopqrstuvwxyz ,.!?\n\t'ROMEÉ"), max_size=300))
def test_text_in_the_vocabulary_round_trips(gpt_model, text):
    ids = gpt_model.encode(text)
    assert len(ids) == len(text)  # one id per character, whitespace and runs of newlines included
    assert gpt_model.decode(ids) == text


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
@example(text="ROMEO: <unk><pad><eos>")  # special tokens typed by a user are text (hypothesis found it)
def test_any_text_encodes_to_valid_ids_one_per_character(gpt_model, text):
    ids = gpt_model.encode(text)
    assert len(ids) == len(text)
    assert ids.numel() == 0 or (0 <= int(ids.min()) and int(ids.max()) < gpt_model.vocab_size)
    back = gpt_model.decode(ids)
    assert len(back) == len(text)  # an unknown character is one U+FFFD, the rest come back as they were
    assert all(a == b or b == "\ufffd" for a, b in zip(text, back))
