"""A drawing from the page's sketchpad, turned into a digit as MNIST made them.

The sketchpad gives dark ink on a white canvas (280x280 here). MNIST digits are white on black,
their ink scaled to fit a 20x20 box (keeping the aspect) and placed in 28x28 so that the centre of
mass sits at the centre (LeCun et al., the MNIST page). ``data.to_mnist_box`` does the box and
centring; this module inverts, cleans and checks the drawing. No gradio here: it is tested alone.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from genai.data import to_mnist_box
from genai.locales import said

MIN_INK = 0.5  # ink pixels (summed, at 28x28 in [0, 1]) below which a drawing counts as empty
MAX_COVER = 0.6  # a drawing inked over more of its canvas than this is a filled pad, not a digit
MIN_SIDE = 0.04  # a drawing's ink spans at least this share of the canvas's side, or it is a dot


class EmptySketch(ValueError):
    """Nothing was drawn (or the pad was never touched)."""


class NotADigit(ValueError):
    """Something was drawn, but it cannot be a digit: the whole pad filled, or a dot that scaling
    up to the 20x20 box would blow up into a square (a message says which)."""


def to_gray(composite) -> np.ndarray:
    """Any image array (H, W), (H, W, 3) or (H, W, 4), uint8 or float in [0, 1] -> float (H, W)
    grey in [0, 1] with white = 1; transparent pixels count as the white page."""
    a = np.asarray(composite)
    if a.dtype == np.uint8 or a.max(initial=0) > 1.0:
        a = a.astype(np.float32) / 255.0
    else:
        a = a.astype(np.float32)
    if a.ndim == 3 and a.shape[2] in (1, 2, 3, 4):
        colour, alpha = (a[..., :-1], a[..., -1:]) if a.shape[2] in (2, 4) else (a, 1.0)
        a = (colour * alpha + (1.0 - alpha)).mean(axis=2)  # over a white page
    if a.ndim != 2:
        raise ValueError(f"Expected an image, got an array of shape {np.shape(composite)}")
    return np.clip(a, 0.0, 1.0)


def sketch_to_mnist(composite) -> np.ndarray:
    """A sketchpad composite (dark ink on white, any size) -> (28, 28) uint8, white ink on black,
    inside a 20x20 box, centred by mass. Raises ``EmptySketch`` when there is no ink."""
    if composite is None:
        raise EmptySketch("Nothing drawn")
    ink = 1.0 - to_gray(composite)
    ink[ink < 0.1] = 0.0  # anti-aliased paper noise and JPEG-ish speckles are not ink
    if ink.sum() < 1.0:
        raise EmptySketch("Nothing drawn")
    inked = ink > 0.5
    if inked.mean() > MAX_COVER:  # a black (or scribbled-over) pad: a solid square, not a digit
        raise said(NotADigit, "sketch.filled", share=f"{inked.mean():.0%}")
    ys, xs = np.nonzero(inked if inked.any() else ink > 0)
    if max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) < MIN_SIDE * max(ink.shape):
        raise said(NotADigit, "sketch.dot")
    out = to_mnist_box(ink)
    if out.astype(np.float32).sum() / 255.0 < MIN_INK:
        raise EmptySketch("Nothing drawn")
    return out


def mnist_to_sketch(digit: np.ndarray, size: int = 280) -> np.ndarray:
    """The reverse, to show a data-set digit on the sketchpad: (28, 28) white on black ->
    (size, size) uint8 dark ink on white, smoothly upscaled."""
    d = np.asarray(digit, np.float32)
    d = d / 255.0 if d.max(initial=0) > 1.0 else d
    big = Image.fromarray((d * 255).round().astype(np.uint8), mode="L").resize((size, size), Image.BILINEAR)
    return 255 - np.asarray(big, np.uint8)
