"""Turning image tensors into things a page can show: grids, strips, animated GIFs."""
from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image


def grid_image(x: torch.Tensor, nrow: int = 8, scale: int = 2, pad: int = 2) -> Image.Image:
    """(N, 1, H, W) in [0, 1] -> one grayscale PIL image, ``nrow`` images a row, upscaled."""
    x = x.detach().float().clamp(0, 1).cpu().numpy()
    n, _, h, w = x.shape
    ncol = max(1, min(nrow, n))
    rows = (n + ncol - 1) // ncol
    canvas = np.full((rows * (h + pad) + pad, ncol * (w + pad) + pad), 0.35, np.float32)
    for i in range(n):
        r, c = divmod(i, ncol)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i, 0]
    img = Image.fromarray((canvas * 255).round().astype(np.uint8), mode="L")
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST) if scale > 1 else img
    # the page's PNG (Gradio saves it, with Pillow's level 6 unless the image says otherwise): a
    # 64-digit grid 3.5 instead of 8.7 ms of the server's CPU at level 1, 36 instead of 27 KiB
    # (BENCHMARKS.md, issue 31); zlib's level changes the file's size, never its pixels
    img.encoderinfo = {"compress_level": 1}
    return img


def to_gif(frames: list[Image.Image], path, duration_ms: int = 120, bounce: bool = False) -> str:
    """Write frames as a looping animated GIF at ``path``; with ``bounce`` it plays back and forth."""
    frames = list(frames) + (list(frames[-2:0:-1]) if bounce else [])
    # optimize=False: Pillow's palette search, 2.6x the time of the whole save on the server (31 vs 12 ms
    # for an interpolation's 18 frames), finds nothing to drop in a grey ramp; the frames are the same
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=duration_ms, loop=0, optimize=False)
    return str(path)


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
