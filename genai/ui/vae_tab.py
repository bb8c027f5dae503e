"""The vae tab (its own issue fills it in)."""
from __future__ import annotations

import gradio as gr


def build(runner) -> None:
    gr.Markdown("This tab is being built: it will appear in a coming version.")
